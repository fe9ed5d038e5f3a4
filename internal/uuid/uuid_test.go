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

func TestDerived(t *testing.T) {
	derived := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"same name, same id", "arn:aws:scheduler:us-east-1:000000000000:schedule/default/a@2026-01-01T00:00:00Z", "arn:aws:scheduler:us-east-1:000000000000:schedule/default/a@2026-01-01T00:00:00Z", true},
		{"another time, another id", "s@2026-01-01T00:00:00Z", "s@2026-01-01T00:01:00Z", false},
		{"another name, another id", "a", "b", false},
		{"empty name", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Derived(tt.a), Derived(tt.b)
			require.Regexp(t, derived, a)
			require.Regexp(t, derived, b)
			assert.Equal(t, tt.same, a == b)
		})
	}
}
