package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/internal/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errCreate = errors.New("create failed")

// item is what the fake factory makes.
type item struct {
	id    int
	inUse atomic.Bool // set by tests while they hold it
}

// factory is a pool.Factory of plain values that records what the pool
// does with them.
type factory struct {
	creates atomic.Int64 // Create calls, failed ones included
	fail    atomic.Bool  // Create fails with errCreate
	delay   time.Duration
	block   chan struct{} // when set, Create waits for it (or its ctx)

	mu        sync.Mutex
	next      int
	live      int
	maxLive   int
	destroyed map[int]int // id -> Destroy calls
	broken    map[int]bool
}

func (f *factory) Create(ctx context.Context) (*item, error) {
	f.creates.Add(1)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay) // simulated work, not synchronization
	}
	if f.fail.Load() {
		return nil, errCreate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.live++
	f.maxLive = max(f.maxLive, f.live)
	return &item{id: f.next}, nil
}

func (f *factory) Destroy(it *item, broken bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.destroyed == nil {
		f.destroyed, f.broken = map[int]int{}, map[int]bool{}
	}
	f.live--
	f.destroyed[it.id]++
	f.broken[it.id] = broken
}

// wasDestroyed reports whether it was destroyed, and as broken or not.
func (f *factory) wasDestroyed(it *item) (destroyed, broken bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.destroyed[it.id] > 0, f.broken[it.id]
}

func (f *factory) counts() (created, live, maxLive int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next, f.live, f.maxLive
}

// newPool returns a pool over f, closed when the test ends, at which point
// every instance it created must have been destroyed exactly once.
func newPool(t *testing.T, cfg pool.Config, f *factory) *pool.Pool[*item] {
	t.Helper()
	p := pool.New(cfg, f)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, p.Close(ctx), "an instance was not handed back")
		f.mu.Lock()
		defer f.mu.Unlock()
		assert.Zero(t, f.live, "every instance is destroyed")
		assert.Len(t, f.destroyed, f.next)
		for id, n := range f.destroyed {
			assert.Equal(t, 1, n, "instance %d destroyed once", id)
		}
	})
	return p
}

// get takes an instance and requires it was obtained as want.
func get(t *testing.T, p *pool.Pool[*item], want pool.Start) *item {
	t.Helper()
	it, start, err := p.Get(context.Background())
	require.NoError(t, err)
	require.NotNil(t, it)
	assert.Equal(t, want, start, "got a %v start", start)
	return it
}

// getAny takes an instance, however obtained.
func getAny(t *testing.T, p *pool.Pool[*item]) *item {
	t.Helper()
	it, _, err := p.Get(context.Background())
	require.NoError(t, err)
	return it
}

func TestStartString(t *testing.T) {
	assert.Equal(t, "warm", pool.Warm.String())
	assert.Equal(t, "prewarmed", pool.Prewarmed.String())
	assert.Equal(t, "cold", pool.Cold.String())
}

func TestStart(t *testing.T) {
	tests := []struct {
		name string
		cfg  pool.Config
		run  func(t *testing.T, p *pool.Pool[*item])
	}{
		{
			name: "cold when none is idle",
			run: func(t *testing.T, p *pool.Pool[*item]) {
				it := get(t, p, pool.Cold)
				s := p.Stats()
				assert.Equal(t, uint64(1), s.ColdStarts)
				assert.Equal(t, 1, s.Busy)
				p.Put(it)
			},
		},
		{
			name: "warm after a Put",
			run: func(t *testing.T, p *pool.Pool[*item]) {
				it := get(t, p, pool.Cold)
				p.Put(it)
				assert.Equal(t, 1, p.Stats().Idle)
				again := get(t, p, pool.Warm)
				assert.Same(t, it, again)
				p.Put(again)
			},
		},
		{
			name: "prewarmed by the filler, then warm",
			cfg:  pool.Config{MinIdle: 1},
			run: func(t *testing.T, p *pool.Pool[*item]) {
				require.NoError(t, p.Prefill(context.Background()))
				it := get(t, p, pool.Prewarmed)
				p.Put(it)
				again := get(t, p, pool.Warm)
				assert.Same(t, it, again, "the used instance is on top of the stack")
				p.Put(again)
				assert.Zero(t, p.Stats().ColdStarts)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newPool(t, tt.cfg, &factory{}))
		})
	}
}

func TestLIFO(t *testing.T) {
	p := newPool(t, pool.Config{}, &factory{})
	a, b, c := get(t, p, pool.Cold), get(t, p, pool.Cold), get(t, p, pool.Cold)
	p.Put(a)
	p.Put(b)
	p.Put(c)
	for _, want := range []*item{c, b, a} {
		got := get(t, p, pool.Warm)
		assert.Same(t, want, got, "the most recently used instance comes first")
		defer p.Put(got)
	}
}

func TestIdleTTL(t *testing.T) {
	const ttl = 40 * time.Millisecond
	f := &factory{}
	p := newPool(t, pool.Config{MinIdle: 1, IdleTTL: ttl}, f)
	require.NoError(t, p.Prefill(context.Background()))
	a := get(t, p, pool.Prewarmed)
	b, c := getAny(t, p), getAny(t, p) // cold, or prewarmed by the filler
	p.Put(a)
	p.Put(b)
	p.Put(c)

	require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 5*time.Second, time.Millisecond,
		"idle instances past the TTL are retired")
	assert.Never(t, func() bool { return p.Stats().Idle != 1 }, 5*ttl, 5*time.Millisecond,
		"MinIdle instances are kept however long they idle")
	created, live, _ := f.counts()
	assert.Equal(t, 1, live)
	s := p.Stats()
	assert.Equal(t, uint64(created-1), s.Retired)
	assert.Zero(t, s.Discarded)
	for _, it := range []*item{a, b, c} {
		if destroyed, broken := f.wasDestroyed(it); destroyed {
			assert.False(t, broken, "a retired instance is healthy (its shutdown hook runs)")
		}
	}
}

func TestFiller(t *testing.T) {
	t.Run("refills after a Get", func(t *testing.T) {
		p := newPool(t, pool.Config{MinIdle: 2}, &factory{})
		require.NoError(t, p.Prefill(context.Background()))
		s := p.Stats()
		assert.Equal(t, 2, s.Idle)
		assert.Equal(t, uint64(2), s.Prewarmed)

		it := get(t, p, pool.Prewarmed)
		require.Eventually(t, func() bool { return p.Stats().Idle == 2 }, 5*time.Second, time.Millisecond)
		assert.Equal(t, uint64(3), p.Stats().Prewarmed)
		assert.Zero(t, p.Stats().ColdStarts)
		p.Put(it)
	})

	t.Run("refills after a Discard", func(t *testing.T) {
		p := newPool(t, pool.Config{MinIdle: 1}, &factory{})
		require.NoError(t, p.Prefill(context.Background()))
		it := get(t, p, pool.Prewarmed)
		p.Discard(it)
		require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 5*time.Second, time.Millisecond)
		assert.Equal(t, uint64(1), p.Stats().Discarded)
	})

	t.Run("fills from the start", func(t *testing.T) {
		p := newPool(t, pool.Config{MinIdle: 2}, &factory{})
		require.Eventually(t, func() bool { return p.Stats().Idle == 2 }, 5*time.Second, time.Millisecond)
	})

	t.Run("backs off while creation fails", func(t *testing.T) {
		const window = 500 * time.Millisecond
		f := &factory{}
		f.fail.Store(true)
		p := newPool(t, pool.Config{MinIdle: 1}, f)
		require.Eventually(t, func() bool { return f.creates.Load() >= 1 }, 5*time.Second, time.Millisecond)
		start := f.creates.Load()
		time.Sleep(window) // counting what happens in a window: nothing to wait for
		n := f.creates.Load() - start
		assert.GreaterOrEqual(t, n, int64(1), "the filler retries")
		assert.LessOrEqual(t, n, int64(8), "the filler backs off rather than spin (%d creates in %v)", n, window)
		s := p.Stats()
		assert.Equal(t, uint64(f.creates.Load()), s.CreateFails)
		assert.ErrorIs(t, s.LastError, errCreate)

		f.fail.Store(false)
		require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 10*time.Second, 5*time.Millisecond,
			"the filler recovers when creation works again")
	})
}

func TestPrefill(t *testing.T) {
	t.Run("returns once MinIdle are idle", func(t *testing.T) {
		// The filler starts creating as soon as the pool exists; Prefill
		// must wait for those creations rather than count them as done.
		for range 20 {
			f := &factory{delay: time.Millisecond}
			p := newPool(t, pool.Config{MinIdle: 3}, f)
			require.NoError(t, p.Prefill(context.Background()))
			s := p.Stats()
			require.GreaterOrEqual(t, s.Idle, 3)
			require.GreaterOrEqual(t, s.Prewarmed, uint64(3))
		}
	})

	t.Run("returns the creation error", func(t *testing.T) {
		f := &factory{}
		f.fail.Store(true)
		p := newPool(t, pool.Config{MinIdle: 1}, f)
		assert.ErrorIs(t, p.Prefill(context.Background()), errCreate)
	})

	t.Run("returns when its context ends", func(t *testing.T) {
		f := &factory{block: make(chan struct{})}
		p := newPool(t, pool.Config{MinIdle: 1}, f)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, p.Prefill(ctx), context.DeadlineExceeded)
	})

	t.Run("without MinIdle does nothing", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		require.NoError(t, p.Prefill(context.Background()))
		assert.Zero(t, p.Stats().Idle)
		assert.Zero(t, f.creates.Load())
	})
}

func TestClose(t *testing.T) {
	ctx := context.Background()

	t.Run("retires idle instances", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		a, b := get(t, p, pool.Cold), get(t, p, pool.Cold)
		p.Put(a)
		p.Put(b)
		require.NoError(t, p.Close(ctx))
		for _, it := range []*item{a, b} {
			destroyed, broken := f.wasDestroyed(it)
			assert.True(t, destroyed)
			assert.False(t, broken)
		}
		s := p.Stats()
		assert.Equal(t, uint64(2), s.Retired)
		assert.Zero(t, s.Idle)
	})

	t.Run("fails Gets and waits for busy instances", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		busy := get(t, p, pool.Cold)

		closed := make(chan error, 1)
		go func() { closed <- p.Close(ctx) }()
		require.Eventually(t, func() bool {
			it, _, err := p.Get(ctx)
			if err == nil {
				p.Put(it) // Close has not started yet
				return false
			}
			return errors.Is(err, pool.ErrClosed)
		}, 5*time.Second, time.Millisecond, "Get fails once Close starts")
		assert.Never(t, func() bool { return len(closed) > 0 }, 50*time.Millisecond, time.Millisecond,
			"Close waits for the busy instance")

		p.Put(busy)
		select {
		case err := <-closed:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return once the busy instance came back")
		}
		destroyed, broken := f.wasDestroyed(busy)
		assert.True(t, destroyed, "Put after Close destroys")
		assert.False(t, broken)
	})

	t.Run("gives up waiting when its context ends", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{}, f)
		busy := get(t, p, pool.Cold)
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, p.Close(short), context.DeadlineExceeded)

		p.Discard(busy)
		destroyed, broken := f.wasDestroyed(busy)
		assert.True(t, destroyed, "Discard after Close destroys")
		assert.True(t, broken)
		assert.NoError(t, p.Close(ctx), "a second Close waits again, and succeeds")
	})

	t.Run("is idempotent", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{MinIdle: 2}, f)
		require.NoError(t, p.Prefill(ctx))
		require.NoError(t, p.Close(ctx))
		require.NoError(t, p.Close(ctx))
		assert.Equal(t, uint64(2), p.Stats().Retired)
	})

	t.Run("cancels the filler's creation in progress", func(t *testing.T) {
		f := &factory{block: make(chan struct{})}
		p := newPool(t, pool.Config{MinIdle: 1}, f)
		require.Eventually(t, func() bool { return p.Stats().Creating == 1 }, 5*time.Second, time.Millisecond)
		timeout, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		assert.NoError(t, p.Close(timeout))
		assert.Zero(t, p.Stats().Creating)
	})

	t.Run("Prefill after Close", func(t *testing.T) {
		f := &factory{}
		p := newPool(t, pool.Config{MinIdle: 1}, f)
		require.NoError(t, p.Close(ctx))
		assert.NoError(t, p.Prefill(ctx))
		assert.Zero(t, p.Stats().Idle)
	})
}

func TestConcurrentUse(t *testing.T) {
	const goroutines, rounds = 16, 200
	f := &factory{}
	p := newPool(t, pool.Config{MinIdle: 1}, f)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				it, _, err := p.Get(context.Background())
				if !assert.NoError(t, err) {
					return
				}
				if !assert.False(t, it.inUse.Swap(true), "instance %d handed out twice", it.id) {
					return
				}
				it.inUse.Store(false)
				if (g+i)%17 == 0 {
					p.Discard(it)
				} else {
					p.Put(it)
				}
			}
		})
	}
	wg.Wait()
	_, _, maxLive := f.counts()
	assert.LessOrEqual(t, maxLive, goroutines+1, "never more instances than callers, plus the filler's")
	s := p.Stats()
	assert.Zero(t, s.Busy)
	require.Eventually(t, func() bool { s = p.Stats(); return s.Creating == 0 }, 5*time.Second, time.Millisecond)
	_, live, _ := f.counts()
	assert.Equal(t, live, s.Idle, "every live instance is idle")
}

func TestSpare(t *testing.T) {
	const spare = 2
	tests := []struct {
		name string
		cfg  pool.Config
		run  func(t *testing.T, p *pool.Pool[*item], f *factory)
	}{
		{
			name: "none before the first Get",
			cfg:  pool.Config{Spare: spare},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				assert.Never(t, func() bool { return f.creates.Load() > 0 }, 50*time.Millisecond, time.Millisecond,
					"a pool nobody used keeps no spares")
			},
		},
		{
			name: "a cold start starts the stock",
			cfg:  pool.Config{Spare: spare},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				it := get(t, p, pool.Cold)
				require.Eventually(t, func() bool { return p.Stats().Idle == spare }, 5*time.Second, time.Millisecond)
				assert.Equal(t, uint64(spare), p.Stats().Prewarmed)
				p.Put(it)
			},
		},
		{
			name: "a rise in concurrency takes spares, not cold starts",
			cfg:  pool.Config{Spare: spare},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				held := []*item{get(t, p, pool.Cold)}
				for range 10 {
					// Concurrency rises by Spare at a time, each step after
					// the filler restocked.
					require.Eventually(t, func() bool { return p.Stats().Idle == spare }, 5*time.Second, time.Millisecond)
					for range spare {
						held = append(held, get(t, p, pool.Prewarmed))
					}
				}
				s := p.Stats()
				assert.Equal(t, uint64(1), s.ColdStarts, "only the first Get, before any stock, was cold")
				assert.Equal(t, 1+10*spare, s.Busy)
				for _, it := range held {
					p.Put(it)
				}
			},
		},
		{
			name: "single-use instances are replaced ahead",
			cfg:  pool.Config{Spare: 1},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				p.Retire(get(t, p, pool.Cold))
				for range 20 {
					require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 5*time.Second, time.Millisecond)
					p.Retire(get(t, p, pool.Prewarmed))
				}
				assert.Equal(t, uint64(1), p.Stats().ColdStarts)
			},
		},
		{
			name: "MinIdle above Spare wins",
			cfg:  pool.Config{MinIdle: 3, Spare: 1},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				require.Eventually(t, func() bool { return p.Stats().Idle == 3 }, 5*time.Second, time.Millisecond)
				it := get(t, p, pool.Prewarmed)
				require.Eventually(t, func() bool { return p.Stats().Idle == 3 }, 5*time.Second, time.Millisecond)
				p.Put(it)
			},
		},
		{
			name: "spares retire once the pool is out of use",
			cfg:  pool.Config{Spare: spare, IdleTTL: 40 * time.Millisecond},
			run: func(t *testing.T, p *pool.Pool[*item], f *factory) {
				it := get(t, p, pool.Cold)
				require.Eventually(t, func() bool { return p.Stats().Idle == spare }, 5*time.Second, time.Millisecond)
				p.Put(it)
				require.Eventually(t, func() bool { return p.Stats().Idle == 0 }, 5*time.Second, time.Millisecond,
					"no Get for a TTL: the pool keeps no stock")
				created, _, _ := f.counts()
				assert.Equal(t, 1+spare, created, "the filler does not restock a pool out of use")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &factory{}
			tt.run(t, newPool(t, tt.cfg, f), f)
		})
	}
}
