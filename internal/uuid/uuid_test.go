package uuid

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var form = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewForm(t *testing.T) {
	for range 1000 {
		id := New()
		require.Regexp(t, form, id)
	}
}

func TestNewUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 10000 {
		id := New()
		require.False(t, seen[id], "id %s repeated", id)
		seen[id] = true
	}
}

func TestNewAllocatesOnlyTheString(t *testing.T) {
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { _ = New() }), 1.0)
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = New()
	}
}
