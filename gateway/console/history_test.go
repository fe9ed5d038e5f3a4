package console

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestEngine(t *testing.T, functions ...string) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	code, err := os.ReadFile(filepath.Join("testdata", "echolog.wasm"))
	require.NoError(t, err)
	for _, f := range functions {
		_, err := eng.Deploy(ctx, engine.Function{Name: f, Code: code})
		require.NoError(t, err)
	}
	return eng
}

func invokeN(t *testing.T, eng *engine.Engine, name string, ok, failed int) {
	t.Helper()
	for i := range ok + failed {
		p := `"ok"`
		if i >= ok {
			p = `"!no"`
		}
		_, err := eng.Invoke(context.Background(), name, []byte(p))
		require.NoError(t, err)
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	eng := newTestEngine(t, "a", "b")
	invokeN(t, eng, "a", 3, 0) // before the history: not charted
	step := 10 * time.Second
	h := newHistory(eng, step, 6)
	t0 := time.Unix(1_800_000_000, 0)
	h.sample(ctx, t0)
	assert.Empty(t, h.summaries(t0, 6)["a"].Invocations, "the first sample is the baseline")

	invokeN(t, eng, "a", 4, 1)
	h.sample(ctx, t0.Add(step))
	invokeN(t, eng, "a", 2, 0)
	invokeN(t, eng, "b", 1, 0)
	h.sample(ctx, t0.Add(3*step))

	pts := h.window("a", t0.Add(3*step), 4)
	require.Len(t, pts, 4)
	got := make([]uint64, len(pts))
	for i, p := range pts {
		got[i] = p.invocations
		assert.Equal(t, h.slotOf(t0)+int64(i), p.slot, "oldest first, one per step")
	}
	assert.Equal(t, []uint64{0, 5, 0, 2}, got)
	assert.Equal(t, uint64(1), pts[1].errors)
	assert.Zero(t, pts[1].cold, "a's instance was warm from before the baseline")
	var n uint64
	for _, c := range pts[1].duration {
		n += c
	}
	assert.Equal(t, uint64(5), n, "the point's histogram counts its invocations")

	s := h.summaries(t0.Add(3*step), 6)
	assert.Equal(t, uint64(7), s["a"].Invocations)
	assert.Equal(t, uint64(1), s["a"].Errors)
	assert.True(t, s["a"].HasP)
	assert.Positive(t, s["a"].P99)
	assert.Equal(t, uint64(1), s["b"].Invocations)
	assert.Equal(t, uint64(1), s["b"].Cold, "b's first invocation was a cold start")
	assert.InDelta(t, 100, s["b"].ColdShare(), 1e-9)

	t.Run("a window is bounded", func(t *testing.T) {
		assert.Equal(t, uint64(2), h.summaries(t0.Add(3*step), 1)["a"].Invocations, "the last step only")
		// Six steps on, the ring has wrapped: the old points are gone.
		later := t0.Add(9 * step)
		assert.Zero(t, h.summaries(later, 6)["a"].Invocations)
		invokeN(t, eng, "a", 1, 0)
		h.sample(ctx, later)
		pts := h.window("a", later, 6)
		assert.Equal(t, uint64(1), pts[5].invocations)
		for _, p := range pts[:5] {
			assert.Zero(t, p.invocations, "a stale point in the ring reads as empty")
		}
		assert.LessOrEqual(t, len(h.series["a"]), 6)
	})
	t.Run("a redeployed $LATEST starts again from zero", func(t *testing.T) {
		// b ran once; its new $LATEST runs once too: the same count, from
		// a new start.
		_, err := eng.Update(ctx, "b", func(f *engine.Function) error { f.MemoryMB = 64; return nil })
		require.NoError(t, err)
		invokeN(t, eng, "b", 1, 0)
		at := t0.Add(10 * step)
		h.sample(ctx, at)
		assert.Equal(t, uint64(1), h.window("b", at, 1)[0].invocations)
	})
	t.Run("a removed function is forgotten", func(t *testing.T) {
		require.NoError(t, eng.Remove(ctx, "b"))
		h.sample(ctx, t0.Add(11*step))
		_, ok := h.summaries(t0.Add(11*step), 6)["b"]
		assert.False(t, ok)
	})
}
