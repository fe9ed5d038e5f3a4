package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedStore is a memory store whose buckets report their changes to
// watchers, as a store shared by several processes (jsstore) does: the
// engines of a test share one, as the nodes of a cluster share NATS.
type sharedStore struct {
	store.Store
	mu       sync.Mutex
	watchers map[string][]*keyQueue // by bucket
}

func newSharedStore(t testing.TB) *sharedStore {
	s := &sharedStore{Store: store.NewMemory(), watchers: map[string][]*keyQueue{}}
	t.Cleanup(func() { _ = s.Store.Close() })
	return s
}

// Close does nothing: the test closes the store once every engine is done.
func (s *sharedStore) Close() error { return nil }

func (s *sharedStore) Bucket(name string) (store.Bucket, error) {
	b, err := s.Store.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &sharedBucket{Bucket: b, s: s, name: name}, nil
}

func (s *sharedStore) changed(bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.watchers[bucket] {
		q.push(key)
	}
}

type sharedBucket struct {
	store.Bucket
	s    *sharedStore
	name string
}

func (b *sharedBucket) Put(ctx context.Context, key string, value []byte) error {
	err := b.Bucket.Put(ctx, key, value)
	if err == nil {
		b.s.changed(b.name, key)
	}
	return err
}

func (b *sharedBucket) Delete(ctx context.Context, key string) error {
	err := b.Bucket.Delete(ctx, key)
	if err == nil {
		b.s.changed(b.name, key)
	}
	return err
}

func (b *sharedBucket) Update(ctx context.Context, key string, fn func([]byte, bool) ([]byte, error)) error {
	err := b.Bucket.Update(ctx, key, fn)
	if err == nil {
		b.s.changed(b.name, key)
	}
	return err
}

// Watch implements store.Watcher.
func (b *sharedBucket) Watch(ctx context.Context, fn func(key string)) error {
	q := &keyQueue{pending: map[string]bool{}, wake: make(chan struct{}, 1)}
	b.s.mu.Lock()
	b.s.watchers[b.name] = append(b.s.watchers[b.name], q)
	b.s.mu.Unlock()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			for key, ok := q.pop(); ok && ctx.Err() == nil; key, ok = q.pop() {
				fn(key)
			}
		}
	}()
	return nil
}

// keyQueue holds the keys changed and not yet reported, each once.
type keyQueue struct {
	mu      sync.Mutex
	order   []string
	pending map[string]bool
	wake    chan struct{}
}

func (q *keyQueue) push(key string) {
	q.mu.Lock()
	if !q.pending[key] {
		q.pending[key] = true
		q.order = append(q.order, key)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *keyQueue) pop() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		return "", false
	}
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.pending, key)
	return key, true
}

// envVar invokes the env guest through eng and returns the value of the
// variable name in what it reports, or the error.
func envVar(t testing.TB, eng *engine.Engine, target, name string) string {
	t.Helper()
	res, err := eng.Invoke(context.Background(), target, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	return envOf(t, res)[name]
}

// TestEnginesSharingAStore runs two engines on one store, as two nodes of
// a cluster: what one deploys, publishes, aliases, configures or removes,
// the other serves.
func TestEnginesSharingAStore(t *testing.T) {
	shared := newSharedStore(t)
	a := newEngine(t, engine.Config{Store: shared})
	b := newEngine(t, engine.Config{Store: shared})
	ctx := context.Background()
	const wait, tick = 10 * time.Second, 5 * time.Millisecond

	deploy(t, a, engine.Function{Name: "env", Code: wat(t, "env"), Env: map[string]string{"STAGE": "one"}})
	require.Eventually(t, func() bool { return envVar(t, b, "env", "STAGE") == "one" }, wait, tick,
		"b serves what a deployed")

	// b has a warm $LATEST now; a's update retires it.
	_, err := a.Update(ctx, "env", func(f *engine.Function) error {
		f.Env["STAGE"] = "two"
		return nil
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return envVar(t, b, "env", "STAGE") == "two" }, wait, tick,
		"b serves a's update")

	// A version published on b, an alias set on b, served by a.
	v, err := b.PublishVersion(ctx, "env", "")
	require.NoError(t, err)
	_, err = b.SetAlias(ctx, "env", engine.Alias{Name: "live", FunctionVersion: v.Version})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return envVar(t, a, "env:live", "AWS_LAMBDA_FUNCTION_VERSION") == v.Version },
		wait, tick, "a routes b's alias")
	assert.Equal(t, "two", envVar(t, a, "env:live", "STAGE"))

	// A version deleted on a is gone on b, warm runtime and all.
	require.Equal(t, v.Version, envVar(t, b, "env:"+v.Version, "AWS_LAMBDA_FUNCTION_VERSION"))
	require.NoError(t, b.DeleteAlias(ctx, "env", "live"))
	require.Eventually(t, func() bool { _, err := a.Alias("env", "live"); return err != nil }, wait, tick)
	require.NoError(t, a.DeleteVersion(ctx, "env", v.Version))
	require.Eventually(t, func() bool {
		_, err := b.Invoke(ctx, "env:"+v.Version, nil)
		return assert.ObjectsAreEqual(true, err != nil && strings.Contains(err.Error(), "no version"))
	}, wait, tick, "b no longer runs a deleted version")

	// Settings: a reserved concurrency of 0 set on a throttles on b.
	updateSettings(t, a, "env", func(s *engine.Settings) { zero := 0; s.ReservedConcurrency = &zero })
	require.Eventually(t, func() bool {
		_, err := b.Invoke(ctx, "env", nil)
		return err != nil && strings.Contains(err.Error(), engine.ErrThrottled.Error())
	}, wait, tick, "b applies a's reserved concurrency")
	updateSettings(t, b, "env", func(s *engine.Settings) { s.ReservedConcurrency = nil })
	require.Eventually(t, func() bool { return envVar(t, a, "env", "STAGE") == "two" }, wait, tick)

	// Removed on b, gone on a; deployed again on b, back on a.
	require.NoError(t, b.Remove(ctx, "env"))
	require.Eventually(t, func() bool { _, err := a.Function("env"); return err != nil }, wait, tick,
		"a drops what b removed")
	deploy(t, b, engine.Function{Name: "env", Code: wat(t, "env"), Env: map[string]string{"STAGE": "three"}})
	require.Eventually(t, func() bool { return envVar(t, a, "env", "STAGE") == "three" }, wait, tick)
}

// TestEnginesSharingAStoreLoseNoChange makes changes to one function from
// two engines at once: every change is kept, since each write is an
// atomic update of the stored record made again on a conflict.
func TestEnginesSharingAStoreLoseNoChange(t *testing.T) {
	shared := newSharedStore(t)
	a := newEngine(t, engine.Config{Store: shared})
	b := newEngine(t, engine.Config{Store: shared})
	ctx := context.Background()
	deploy(t, a, engine.Function{Name: "env", Code: wat(t, "env")})
	require.Eventually(t, func() bool { _, err := b.Function("env"); return err == nil }, 10*time.Second, time.Millisecond)

	const perEngine = 8
	var wg sync.WaitGroup
	for i, eng := range []*engine.Engine{a, b} {
		for j := range perEngine {
			wg.Go(func() {
				// ErrConflict says the change was not made: a client
				// tries again, as an AWS SDK does on Lambda's
				// ResourceConflictException.
				err := engine.ErrConflict
				for try := 0; try < 5 && errors.Is(err, engine.ErrConflict); try++ {
					_, err = eng.Update(ctx, "env", func(f *engine.Function) error {
						if f.Env == nil {
							f.Env = map[string]string{}
						}
						f.Env[fmt.Sprintf("E%d_%d", i, j)] = "set"
						return nil
					})
				}
				assert.NoError(t, err)
			})
			wg.Go(func() {
				_, err := eng.UpdateSettings(ctx, "env", func(s *engine.Settings) error {
					s.InvokePolicy = append(s.InvokePolicy, engine.Permission{Sid: fmt.Sprintf("s%d_%d", i, j),
						Action: engine.ActionInvokeFunction, Principal: "*"})
					return nil
				})
				assert.NoError(t, err)
			})
		}
	}
	wg.Wait()
	for _, eng := range []*engine.Engine{a, b} {
		require.Eventually(t, func() bool {
			info, err := eng.Function("env")
			s, err2 := eng.Settings("env")
			return err == nil && err2 == nil && len(info.Env) == 2*perEngine && len(s.InvokePolicy) == 2*perEngine
		}, 10*time.Second, time.Millisecond, "every change, on both engines")
	}
	for i := range 2 {
		for j := range perEngine {
			assert.Equal(t, "set", envVar(t, b, "env", fmt.Sprintf("E%d_%d", i, j)))
		}
	}
}

// halfShares gives an engine half of every limit, rounded up, or all of
// it once whole is set.
type halfShares struct{ whole atomic.Bool }

func (h *halfShares) Share(_ string, n int) int {
	if h.whole.Load() {
		return n
	}
	return (n + 1) / 2
}

// TestSharesOfReservedConcurrency checks that an engine holds its share of
// a function's reserved concurrency, and the new share once told to
// reshare.
func TestSharesOfReservedConcurrency(t *testing.T) {
	ctx := context.Background()
	shares := &halfShares{}
	eng := newEngine(t, engine.Config{AcquireTimeout: -1, Shares: shares})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "sleep")})
	reserve(t, eng, "fn", 2)

	inflight := invokeInBackground(t, eng, "fn", "1000")
	busy(t, eng, "fn")
	_, err := eng.Invoke(ctx, "fn", []byte("0"))
	require.ErrorIs(t, err, engine.ErrThrottled, "a share of 1 of the 2 is taken")
	assert.Contains(t, err.Error(), "this node's share of its reserved concurrency limit (1)")

	shares.whole.Store(true)
	eng.Reshare(ctx)
	mustSucceed(t, eng, "fn", "0")
	require.NotNil(t, <-inflight)
}
