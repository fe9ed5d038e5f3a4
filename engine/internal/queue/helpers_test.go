package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/stretchr/testify/require"
)

// t0 is the frozen clock of most tests: record timestamps and retry due
// times are exact. It is in the past, so what is due at t0+delay is due
// at once for the store, which schedules by the wall clock.
var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

func frozen() time.Time { return t0 }

// clock is a settable clock for tests that age events.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(now time.Time) *clock { return &clock{now: now} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// call is one invocation seen by a fake.
type call struct {
	Target, RequestID string
	Payload           []byte
}

// handler is a fake function: n counts its calls, 1 for the first.
type handler func(payload []byte, n int) (Outcome, error)

// fakes are fake functions by target ("name:qualifier", else "name"); a
// target without a handler succeeds, echoing its payload. Calls are
// recorded by target.
type fakes struct {
	mu       sync.Mutex
	handlers map[string]handler
	calls    map[string][]call
}

func newFakes(handlers map[string]handler) *fakes {
	return &fakes{handlers: handlers, calls: map[string][]call{}}
}

func (f *fakes) Invoke(ctx context.Context, target string, payload []byte, requestID string) (Outcome, error) {
	f.mu.Lock()
	f.calls[target] = append(f.calls[target], call{Target: target, RequestID: requestID, Payload: payload})
	n := len(f.calls[target])
	h := f.handlers[target]
	if name, _ := splitTarget(target); h == nil {
		h = f.handlers[name]
	}
	f.mu.Unlock()
	if h == nil {
		return Outcome{Payload: payload, ExecutedVersion: "$LATEST"}, nil
	}
	return h(payload, n)
}

// Calls returns target's calls so far.
func (f *fakes) Calls(target string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls[target]...)
}

// fail is a handler that always fails with a handled error.
func fail(payload []byte, n int) (Outcome, error) {
	return Outcome{Failed: true, ErrorType: "Boom", ErrorMessage: "it broke", ExecutedVersion: "$LATEST"}, nil
}

var (
	errThrottled = errors.New("throttled")
	errNoSuchFn  = errors.New("function not found")
)

func isThrottle(err error) bool { return errors.Is(err, errThrottled) }

// spyStore wraps a Store to record the due times of Retry calls on its
// queues, and to fail Enqueue calls on demand.
type spyStore struct {
	store.Store
	mu          sync.Mutex
	dues        []time.Time
	failEnqueue func(body []byte) error
}

func (s *spyStore) Queue(name string) (store.Queue, error) {
	q, err := s.Store.Queue(name)
	if err != nil {
		return nil, err
	}
	return &spyQueue{Queue: q, s: s}, nil
}

// Dues returns the due times passed to Retry so far.
func (s *spyStore) Dues() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.dues...)
}

type spyQueue struct {
	store.Queue
	s *spyStore
}

func (q *spyQueue) Retry(ctx context.Context, id string, body []byte, due time.Time) error {
	q.s.mu.Lock()
	q.s.dues = append(q.s.dues, due)
	q.s.mu.Unlock()
	return q.Queue.Retry(ctx, id, body, due)
}

func (q *spyQueue) Enqueue(ctx context.Context, body []byte, due time.Time) (string, error) {
	q.s.mu.Lock()
	fail := q.s.failEnqueue
	q.s.mu.Unlock()
	if fail != nil {
		if err := fail(body); err != nil {
			return "", err
		}
	}
	return q.Queue.Enqueue(ctx, body, due)
}

// start returns a started Queue on cfg, closed by the test's cleanup. A
// nil Store is a new memory Store; zero delays are a millisecond; Now is
// frozen at t0 unless set.
func start(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q := newQueue(t, cfg)
	q.Start()
	return q
}

// newQueue is start without starting the workers.
func newQueue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	if cfg.Store == nil {
		s := store.NewMemory()
		t.Cleanup(func() { _ = s.Close() })
		cfg.Store = s
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Millisecond
	}
	if cfg.ThrottleDelay == 0 {
		cfg.ThrottleDelay = time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = frozen
	}
	q, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Close(ctx))
	})
	return q
}

// configs returns an EventConfig function from a map; functions not in
// it get the default.
func configs(m map[string]EventConfig) func(string) EventConfig {
	return func(fn string) EventConfig { return m[fn] }
}

// stats returns q's Stats.
func stats(t *testing.T, q *Queue) Stats {
	t.Helper()
	st, err := q.Stats(t.Context())
	require.NoError(t, err)
	return st
}

// settled waits until q's queue is empty and cond holds for its Stats.
func settled(t *testing.T, q *Queue, cond func(Stats) bool) Stats {
	t.Helper()
	var st Stats
	require.Eventually(t, func() bool {
		var err error
		st, err = q.Stats(context.Background())
		return err == nil && st.Depth == 0 && (cond == nil || cond(st))
	}, 10*time.Second, time.Millisecond, "the queue did not settle: %+v", &st)
	return st
}

// deadLetters returns all of q's dead letters.
func deadLetters(t *testing.T, q *Queue) []DeadLetter {
	t.Helper()
	var all []DeadLetter
	after := ""
	for {
		page, more, err := q.DeadLetters(t.Context(), after, 100)
		require.NoError(t, err)
		all = append(all, page...)
		if !more {
			return all
		}
		after = page[len(page)-1].Key
	}
}
