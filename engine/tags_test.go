package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	eng := openDataDir(t, dir, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})

	tags := map[string]string{"team": "edge", "cost-center": "42", "empty": "", "Ünïcode key": "a/b=c+d@e:f_g.h-i"}
	updateSettings(t, eng, "fn", func(s *engine.Settings) { s.Tags = tags })
	s, err := eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, tags, s.Tags)
	s.Tags["team"] = "changed"
	again, err := eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, "edge", again.Tags["team"], "Settings returns a copy")

	// Tags are the function's, beside its versions: a deploy keeps them,
	// and so does a restart.
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t), Description: "new"})
	require.NoError(t, eng.Close(ctx))
	eng = openDataDir(t, dir, engine.Config{})
	s, err = eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, tags, s.Tags)

	many := map[string]string{}
	for i := range engine.MaxTags + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		tags map[string]string
		want string
	}{
		{"too many", many, "at most 50"},
		{"empty key", map[string]string{"": "v"}, "tag key"},
		{"long key", map[string]string{strings.Repeat("k", 129): "v"}, "1 to 128"},
		{"reserved prefix", map[string]string{"aws:cloudformation": "v"}, "reserved"},
		{"reserved prefix, any case", map[string]string{"AWS:x": "v"}, "reserved"},
		{"control character", map[string]string{"k\x00": "v"}, "tag key"},
		{"long value", map[string]string{"k": strings.Repeat("v", 257)}, "at most 256"},
		{"bad value", map[string]string{"k": "a;b"}, "value"},
		{"not UTF-8", map[string]string{"k": "\xff"}, "value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eng.UpdateSettings(ctx, "fn", func(s *engine.Settings) error { s.Tags = tc.tags; return nil })
			require.ErrorIs(t, err, engine.ErrInvalidFunction)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	s, err = eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, tags, s.Tags, "a refused update changes nothing")
}
