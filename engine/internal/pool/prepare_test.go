package pool_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/internal/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preparer is a factory that records which instances its pool prepared.
type preparer struct {
	factory
	pmu      sync.Mutex
	prepared map[int]bool
}

var _ pool.Preparer[*item] = (*preparer)(nil)

func (f *preparer) Prepare(it *item) {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	if f.prepared == nil {
		f.prepared = map[int]bool{}
	}
	f.prepared[it.id] = true
}

func (f *preparer) wasPrepared(it *item) bool {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	return f.prepared[it.id]
}

// TestPreparer: the filler prepares what it creates, before a Get can take
// it; a cold start on the request path is not prepared.
func TestPreparer(t *testing.T) {
	tests := []struct {
		name     string
		minIdle  int
		prefill  bool
		want     pool.Start
		prepared bool
	}{
		{name: "filler", minIdle: 1, want: pool.Prewarmed, prepared: true},
		{name: "prefill", minIdle: 1, prefill: true, want: pool.Prewarmed, prepared: true},
		{name: "cold start", minIdle: 0, want: pool.Cold, prepared: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &preparer{}
			p := pool.New(pool.Config{MinIdle: tt.minIdle}, f)
			t.Cleanup(func() { require.NoError(t, p.Close(context.Background())) })
			if tt.prefill {
				require.NoError(t, p.Prefill(context.Background()))
			}
			if tt.minIdle > 0 {
				require.Eventually(t, func() bool { return p.Stats().Idle == tt.minIdle }, 5*time.Second, time.Millisecond)
			}
			it, start, err := p.Get(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.want, start)
			assert.Equal(t, tt.prepared, f.wasPrepared(it))
			p.Put(it)
		})
	}
}

// TestRetireLater: a retired instance is destroyed by the filler, off the
// caller's path, counted busy until then, and counted retired; in a closed
// pool, or when the queue is full, the caller destroys it at once; Close
// waits for the queued ones.
func TestRetireLater(t *testing.T) {
	t.Run("destroyed by the filler", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		it := get(t, p, pool.Cold)
		p.RetireLater(it)
		require.Eventually(t, func() bool { d, _ := f.wasDestroyed(it); return d }, 5*time.Second, time.Millisecond)
		require.Eventually(t, func() bool { return p.Stats().Busy == 0 }, 5*time.Second, time.Millisecond)
		_, broken := f.wasDestroyed(it)
		assert.False(t, broken, "retired healthy")
		assert.Equal(t, uint64(1), p.Stats().Retired)
	})

	t.Run("refills after", func(t *testing.T) {
		p := newPool(t, pool.Config{MinIdle: 1}, &factory{})
		require.NoError(t, p.Prefill(context.Background()))
		p.RetireLater(get(t, p, pool.Prewarmed))
		require.Eventually(t, func() bool { s := p.Stats(); return s.Idle == 1 && s.Busy == 0 }, 5*time.Second, time.Millisecond)
	})

	t.Run("many at once", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		var items []*item
		for range 40 { // more than the queue holds
			items = append(items, get(t, p, pool.Cold))
		}
		for _, it := range items {
			p.RetireLater(it)
		}
		require.Eventually(t, func() bool { return p.Stats().Busy == 0 }, 5*time.Second, time.Millisecond)
		assert.Equal(t, uint64(40), p.Stats().Retired)
	})

	t.Run("closed pool destroys at once", func(t *testing.T) {
		f := &factory{}
		p := pool.New(pool.Config{}, f)
		it := get(t, p, pool.Cold)
		// Closed, but not drained: it is still out.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, p.Close(ctx), context.Canceled)
		p.RetireLater(it)
		destroyed, _ := f.wasDestroyed(it)
		assert.True(t, destroyed, "destroyed in the caller")
		require.NoError(t, p.Close(context.Background()))
	})

	t.Run("close waits for queued ones", func(t *testing.T) {
		f := &factory{}
		p := pool.New(pool.Config{}, f)
		var items []*item
		for range 5 {
			items = append(items, get(t, p, pool.Cold))
		}
		for _, it := range items {
			p.RetireLater(it)
		}
		require.NoError(t, p.Close(context.Background()))
		for _, it := range items {
			destroyed, _ := f.wasDestroyed(it)
			assert.True(t, destroyed, "instance %d destroyed before Close returned", it.id)
		}
		_, live, _ := f.counts()
		assert.Zero(t, live)
	})
}
