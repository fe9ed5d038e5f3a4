package eventsource_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// system is what a mapping runs on: a broker, an engine with the test
// function deployed as "fn", a store and a manager.
type system struct {
	t     testing.TB
	js    jetstream.JetStream
	eng   *engine.Engine
	store store.Store
	mgr   *eventsource.Manager
	clock *clock
}

// clock is a settable clock; it follows the real one until moved.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// newSystem starts a system with fast retries, closed with the test.
func newSystem(t testing.TB) *system {
	t.Helper()
	return newSystemOn(t, nil)
}

// newSystemOn starts a system whose engine runs on wrap of the store,
// unless wrap is nil. With a wrap, "fn" is deployed by an earlier engine,
// so the system's engine reads fn's code from the wrapped store when it
// first invokes it.
func newSystemOn(t testing.TB, wrap func(store.Store) store.Store) *system {
	t.Helper()
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close(context.Background())) })
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	start := func(st store.Store) *engine.Engine {
		eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
		require.NoError(t, err)
		return eng
	}
	eng := start(st)
	_, err = eng.Deploy(ctx, engine.Function{Name: "fn", Code: testguest.Go(t, "eventsource/testdata/batchreply"), Timeout: 5 * time.Second})
	require.NoError(t, err)
	if wrap != nil {
		require.NoError(t, eng.Close(ctx))
		eng = start(wrap(st))
	}
	t.Cleanup(func() { assert.NoError(t, eng.Close(context.Background())) })
	s := &system{t: t, js: b.JetStream(), eng: eng, store: st, clock: &clock{}}
	s.mgr = s.newManager()
	return s
}

// newManager starts a manager on the system's store, closed with the test.
func (s *system) newManager() *eventsource.Manager {
	s.t.Helper()
	mgr, err := eventsource.New(context.Background(), eventsource.Config{
		Engine: s.eng, JetStream: s.js, Store: s.store,
		RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond, AckMargin: 2 * time.Second,
		Now: s.clock.Now,
	})
	require.NoError(s.t, err)
	s.t.Cleanup(func() { assert.NoError(s.t, mgr.Close(context.Background())) })
	return mgr
}

// stream creates a stream with subjects NAME.>.
func (s *system) stream(name string) {
	s.t.Helper()
	_, err := s.js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}})
	require.NoError(s.t, err)
}

// publish publishes bodies to subject and returns their stream sequences.
func (s *system) publish(subject string, bodies ...string) []string {
	s.t.Helper()
	var seqs []string
	for _, b := range bodies {
		ack, err := s.js.Publish(context.Background(), subject, []byte(b))
		require.NoError(s.t, err)
		seqs = append(seqs, strconv.FormatUint(ack.Sequence, 10))
	}
	return seqs
}

// create creates a mapping of the test function to stream.
func (s *system) create(m eventsource.Mapping) eventsource.Mapping {
	s.t.Helper()
	if m.Function == "" {
		m.Function = "fn"
	}
	out, err := s.mgr.Create(context.Background(), m)
	require.NoError(s.t, err)
	return out
}

// delivery is a record as the test function saw it.
type delivery struct {
	id, body string
	receive  int
}

// invocations returns, per invocation of fn so far, the records it got.
func (s *system) invocations() [][]delivery {
	s.t.Helper()
	recs, err := s.eng.Logs("fn", 0)
	require.NoError(s.t, err)
	var out [][]delivery
	for _, r := range recs {
		var batch []delivery
		for line := range strings.Lines(string(r.Text)) {
			_, rest, ok := strings.Cut(line, "record ")
			if !ok {
				continue
			}
			var d delivery
			id, rest, _ := strings.Cut(strings.TrimSpace(rest), " receive ")
			n, body, _ := strings.Cut(rest, " body ")
			d.id, d.body = id, body
			d.receive, _ = strconv.Atoi(n)
			batch = append(batch, d)
		}
		if len(batch) > 0 {
			out = append(out, batch)
		}
	}
	return out
}

// deliveries returns every record delivery, in order.
func (s *system) deliveries() []delivery {
	var out []delivery
	for _, b := range s.invocations() {
		out = append(out, b...)
	}
	return out
}

// waitDeliveries waits until fn has had n record deliveries.
func (s *system) waitDeliveries(n int) []delivery {
	s.t.Helper()
	var got []delivery
	require.Eventually(s.t, func() bool { got = s.deliveries(); return len(got) >= n }, 30*time.Second, 5*time.Millisecond,
		"waiting for %d deliveries", n)
	return got
}

// settled waits until a mapping has acknowledged everything it received
// and has nothing left to receive.
func (s *system) settled(id string) eventsource.Stats {
	s.t.Helper()
	var st eventsource.Stats
	require.Eventually(s.t, func() bool {
		var err error
		m, err := s.mgr.Get(id)
		if err != nil || (m.State != eventsource.StateEnabled && m.State != eventsource.StateDisabled) {
			return false
		}
		st, err = s.mgr.Stats(context.Background(), id)
		return err == nil && st.Started && st.Lag == 0 && st.InFlight == 0
	}, 30*time.Second, 5*time.Millisecond, "the mapping did not settle")
	return st
}

// bodies returns each delivery's body, in order.
func bodies(ds []delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.body
	}
	return out
}

// counts returns how many times each body was delivered.
func counts(ds []delivery) map[string]int {
	out := map[string]int{}
	for _, d := range ds {
		out[d.body]++
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// waitStats waits until a mapping's stats satisfy cond, then until it has
// settled, and returns the stats then.
func (s *system) waitStats(id string, cond func(eventsource.Stats) bool) eventsource.Stats {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		st, err := s.mgr.Stats(context.Background(), id)
		return err == nil && cond(st)
	}, 30*time.Second, 5*time.Millisecond, "waiting for the mapping's counters")
	return s.settled(id)
}
