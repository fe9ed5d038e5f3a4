package eventsource_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/storetest"
	"github.com/flintfaas/flint/eventsource"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchingBySize(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stream("orders")
	s.publish("orders.new", numbered("o", 7)...)
	m := s.create(eventsource.Mapping{Stream: "orders", BatchSize: 3, Enabled: true})
	assert.Equal(t, eventsource.StateCreating, m.State)
	s.waitDeliveries(7)
	st := s.settled(m.UUID)
	assert.Equal(t, uint64(7), st.Succeeded)
	sizes := []int{}
	for _, b := range s.invocations() {
		sizes = append(sizes, len(b))
		assert.LessOrEqual(t, len(b), 3, "no batch is over BatchSize")
	}
	assert.Contains(t, sizes, 3, "a backlog fills batches: %v", sizes)
	assert.ElementsMatch(t, numbered("o", 7), bodies(s.deliveries()))
	got, err := s.mgr.Get(m.UUID)
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateEnabled, got.State)
	assert.Equal(t, "OK", got.LastProcessingResult)
}

func TestBatchingByWindow(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stream("orders")
	m := s.create(eventsource.Mapping{Stream: "orders", BatchSize: 100, MaximumBatchingWindow: time.Second, Enabled: true})
	require.Eventually(t, func() bool { got, _ := s.mgr.Get(m.UUID); return got.State == eventsource.StateEnabled },
		10*time.Second, time.Millisecond)
	start := time.Now()
	for _, b := range numbered("w", 5) {
		s.publish("orders.new", b)
		time.Sleep(50 * time.Millisecond) // records arriving over time: the window gathers them
	}
	s.waitDeliveries(5)
	elapsed := time.Since(start)
	inv := s.invocations()
	require.Len(t, inv, 1, "the five records arrived within the window: one batch")
	assert.Len(t, inv[0], 5)
	assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond, "the batch waited for its window")
}

func TestPartialBatchFailures(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stream("orders")
	// The batch's first record is the function's answer: it names the
	// third message of the stream ("second") as failed, and only that one
	// is delivered again (alone, so the answer is then "second": success
	// would end it; MaximumRetryAttempts 0 sends it on instead).
	reply := `reply:{"batchItemFailures":[{"itemIdentifier":"3"}]}`
	seqs := s.publish("orders.new", reply, "first", "second", "third")
	require.Equal(t, "3", seqs[2])
	m := s.create(eventsource.Mapping{Stream: "orders", BatchSize: 10, MaximumBatchingWindow: time.Second,
		ReportBatchItemFailures: true, MaximumRetryAttempts: 0, Enabled: true})
	st := s.waitStats(m.UUID, func(st eventsource.Stats) bool { return st.SentToFailureDestination == 1 })
	c := counts(s.deliveries())
	assert.Equal(t, map[string]int{reply: 1, "first": 1, "second": 1, "third": 1}, c)
	assert.Equal(t, uint64(3), st.Succeeded)
	assert.Equal(t, uint64(1), st.Failed, "the record the function named failed")
	dls, _, err := s.eng.DeadLetters(context.Background(), "", 10)
	require.NoError(t, err)
	require.Len(t, dls, 1, "out of retries, it went to the dead-letter store")
	assert.Contains(t, string(dls[0].Payload), `"body":"second"`)
}

func TestWholeBatchFailures(t *testing.T) {
	t.Parallel()
	for name, first := range map[string]string{
		"function error":     "fail",
		"unknown identifier": `reply:{"batchItemFailures":[{"itemIdentifier":"999"}]}`,
		"malformed response": "reply:{not json",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSystem(t)
			s.stream("orders")
			s.publish("orders.new", first, "b", "c")
			m := s.create(eventsource.Mapping{Stream: "orders", BatchSize: 10, MaximumBatchingWindow: time.Second,
				ReportBatchItemFailures: true, MaximumRetryAttempts: 2, Enabled: true})
			st := s.waitStats(m.UUID, func(st eventsource.Stats) bool { return st.SentToFailureDestination == 3 })
			c := counts(s.deliveries())
			assert.Equal(t, map[string]int{first: 3, "b": 3, "c": 3}, c, "the whole batch failed, every time, and was retried twice")
			assert.Equal(t, uint64(3), st.SentToFailureDestination)
			got, err := s.mgr.Get(m.UUID)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(got.LastProcessingResult, "PROBLEM: Function call failed"), got.LastProcessingResult)
		})
	}
}

func TestFailureDestinations(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	_, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "failures", Subjects: []string{"failures.records"}})
	require.NoError(t, err)

	t.Run("the dead-letter store", func(t *testing.T) {
		s.publish("orders.dlq", "fail")
		m := s.create(eventsource.Mapping{Stream: "orders", Subjects: []string{"orders.dlq"}, MaximumRetryAttempts: 2, Enabled: true})
		s.waitStats(m.UUID, func(st eventsource.Stats) bool { return st.SentToFailureDestination == 1 })
		dls, _, err := s.eng.DeadLetters(ctx, "", 10)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		d := dls[0]
		assert.Equal(t, "fn", d.Function)
		assert.Equal(t, "RetriesExhausted", d.Condition)
		assert.Equal(t, 3, d.Attempts, "delivered once and retried twice")
		assert.Equal(t, "failed on purpose", d.LastErrorMessage)
		var ev struct {
			Records []struct {
				Body string `json:"body"`
			}
		}
		require.NoError(t, json.Unmarshal(d.Payload, &ev))
		require.Len(t, ev.Records, 1)
		assert.Equal(t, "fail", ev.Records[0].Body, "the dead letter holds the record, as an event to re-drive")
	})
	t.Run("a stream", func(t *testing.T) {
		s.publish("orders.stream", "fail")
		m := s.create(eventsource.Mapping{Stream: "orders", Subjects: []string{"orders.stream"}, MaximumRetryAttempts: 0,
			OnFailure: eventsource.StreamARN("us-east-1", "000000000000", "failures"), Enabled: true})
		s.waitStats(m.UUID, func(st eventsource.Stats) bool { return st.SentToFailureDestination == 1 })
		failures, err := s.js.Stream(ctx, "failures")
		require.NoError(t, err)
		msg, err := failures.GetMsg(ctx, 1)
		require.NoError(t, err)
		var rec struct {
			RequestContext struct {
				Condition              string `json:"condition"`
				ApproximateInvokeCount int    `json:"approximateInvokeCount"`
			} `json:"requestContext"`
			ResponsePayload struct {
				ErrorMessage string `json:"errorMessage"`
			} `json:"responsePayload"`
			UUID    string `json:"eventSourceMappingUUID"`
			Records []struct {
				Body string `json:"body"`
			}
		}
		require.NoError(t, json.Unmarshal(msg.Data, &rec), "%s", msg.Data)
		assert.Equal(t, "RetryAttemptsExhausted", rec.RequestContext.Condition)
		assert.Equal(t, 1, rec.RequestContext.ApproximateInvokeCount)
		assert.Equal(t, "failed on purpose", rec.ResponsePayload.ErrorMessage)
		assert.Equal(t, m.UUID, rec.UUID)
		require.Len(t, rec.Records, 1)
		assert.Equal(t, "fail", rec.Records[0].Body)
	})
	t.Run("too old", func(t *testing.T) {
		s.publish("orders.old", "old")
		s.clock.Advance(2 * time.Minute)
		m := s.create(eventsource.Mapping{Stream: "orders", Subjects: []string{"orders.old"}, MaximumRecordAge: time.Minute, Enabled: true})
		st := s.waitStats(m.UUID, func(st eventsource.Stats) bool { return st.SentToFailureDestination == 1 })
		assert.Equal(t, uint64(1), st.SentToFailureDestination)
		assert.NotContains(t, bodies(s.deliveries()), "old", "a record too old is not invoked")
		dls, _, err := s.eng.DeadLetters(ctx, "", 10)
		require.NoError(t, err)
		assert.Equal(t, "EventAgeExceeded", dls[len(dls)-1].Condition)
	})
}

func TestFilters(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stream("orders")
	s.publish("orders.new", `{"kind":"order","n":1}`, `{"kind":"refund","n":2}`, "plain text", `{"kind":"order","n":3}`)
	m := s.create(eventsource.Mapping{Stream: "orders", Enabled: true,
		Filters: []string{`{"body":{"kind":["order"]}}`, `{"body":["plain text"]}`}})
	st := s.settled(m.UUID)
	assert.ElementsMatch(t, []string{`{"kind":"order","n":1}`, "plain text", `{"kind":"order","n":3}`}, bodies(s.deliveries()))
	assert.Equal(t, uint64(1), st.FilteredOut, "the refund matched no filter: acknowledged and dropped")
}

func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	m := s.create(eventsource.Mapping{Stream: "orders", Enabled: true})
	s.publish("orders.new", "before")
	s.waitDeliveries(1)

	paused, err := s.mgr.Update(ctx, m.UUID, func(m *eventsource.Mapping) error { m.Enabled = false; return nil })
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateDisabling, paused.State)
	require.Eventually(t, func() bool { got, _ := s.mgr.Get(m.UUID); return got.State == eventsource.StateDisabled },
		10*time.Second, time.Millisecond)
	s.publish("orders.new", "while paused 1", "while paused 2")
	assert.Never(t, func() bool { return len(s.deliveries()) > 1 }, 300*time.Millisecond, 10*time.Millisecond,
		"a disabled mapping invokes nothing")

	resumed, err := s.mgr.Update(ctx, m.UUID, func(m *eventsource.Mapping) error { m.Enabled = true; return nil })
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateEnabling, resumed.State)
	s.settled(m.UUID)
	assert.Equal(t, []string{"before", "while paused 1", "while paused 2"}, bodies(s.deliveries()),
		"the mapping resumes where it stopped")
}

func TestThrottlingSlowsTheMappingDown(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	off := 0
	_, err := s.eng.UpdateSettings(ctx, "fn", func(st *engine.Settings) error { st.ReservedConcurrency = &off; return nil })
	require.NoError(t, err)
	m := s.create(eventsource.Mapping{Stream: "orders", MaximumRetryAttempts: 0, Enabled: true})
	s.publish("orders.new", numbered("t", 5)...)
	require.Eventually(t, func() bool {
		st, err := s.mgr.Stats(ctx, m.UUID)
		return err == nil && st.Throttles >= 3
	}, 10*time.Second, time.Millisecond, "the throttled batch is tried again")
	st, err := s.mgr.Stats(ctx, m.UUID)
	require.NoError(t, err)
	assert.Zero(t, st.Failed, "a throttle is not a failure")
	assert.Zero(t, st.SentToFailureDestination, "even with no retries, nothing is dropped")

	_, err = s.eng.UpdateSettings(ctx, "fn", func(st *engine.Settings) error { st.ReservedConcurrency = nil; return nil })
	require.NoError(t, err)
	s.settled(m.UUID)
	assert.Equal(t, map[string]int{"t0": 1, "t1": 1, "t2": 1, "t3": 1, "t4": 1}, counts(s.deliveries()),
		"every record ran once, once the function could run")
}

// TestUnavailableStoreIsWaitedOut: a batch whose function could not be
// started because the store was unreachable (its code could not be read)
// waits and is tried again, like a throttled one: the function never ran,
// so no record failed, even with no retries allowed.
func TestUnavailableStoreIsWaitedOut(t *testing.T) {
	t.Parallel()
	unreachable := &storetest.Unreachable{}
	unreachable.Down.Store(true)
	s := newSystemOn(t, func(st store.Store) store.Store { unreachable.Store = st; return unreachable })
	ctx := context.Background()
	s.stream("orders")
	m := s.create(eventsource.Mapping{Stream: "orders", MaximumRetryAttempts: 0, Enabled: true})
	s.publish("orders.new", numbered("u", 3)...)
	require.Eventually(t, func() bool { return unreachable.Refused.Load() >= 3 }, 10*time.Second, time.Millisecond,
		"the batch is tried again while the store is unreachable")
	st, err := s.mgr.Stats(ctx, m.UUID)
	require.NoError(t, err)
	assert.Zero(t, st.Failed, "the function never ran: no record failed")
	assert.Zero(t, st.SentToFailureDestination, "even with no retries, nothing is dropped")
	got, err := s.mgr.Get(m.UUID)
	require.NoError(t, err)
	assert.Contains(t, got.LastProcessingResult, "store is unavailable")

	unreachable.Down.Store(false)
	s.settled(m.UUID)
	assert.Equal(t, map[string]int{"u0": 1, "u1": 1, "u2": 1}, counts(s.deliveries()),
		"every record ran once, once the store was back")
}

func TestRestartCarriesOn(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	m := s.create(eventsource.Mapping{Stream: "orders", Enabled: true})
	s.publish("orders.new", "one")
	s.settled(m.UUID)
	require.NoError(t, s.mgr.Close(ctx))
	s.publish("orders.new", "two", "three")

	s.mgr = s.newManager()
	got, err := s.mgr.Get(m.UUID)
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateEnabled, got.State)
	s.settled(m.UUID)
	assert.Equal(t, []string{"one", "two", "three"}, bodies(s.deliveries()))
}

// TestStartIsTriedAgain restarts the manager while a mapping's stream is
// gone: the mapping does not start, says why, and starts once the stream
// is back, without a change to the mapping.
func TestStartIsTriedAgain(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	m := s.create(eventsource.Mapping{Stream: "orders", Enabled: true})
	s.publish("orders.new", "one")
	s.settled(m.UUID)
	require.NoError(t, s.mgr.Close(ctx))
	require.NoError(t, s.js.DeleteStream(ctx, "orders"))

	s.mgr = s.newManager()
	got, err := s.mgr.Get(m.UUID)
	require.NoError(t, err)
	assert.Contains(t, got.LastProcessingResult, "PROBLEM: stream orders", "it says why it did not start")
	s.stream("orders")
	s.publish("orders.new", "two")
	s.waitDeliveries(2)
	assert.Equal(t, []string{"one", "two"}, bodies(s.deliveries()), "started by a later attempt")
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	s.stream("orders")
	s.stream("audit")
	a := s.create(eventsource.Mapping{Stream: "orders", Enabled: true})
	b := s.create(eventsource.Mapping{Stream: "audit", Function: "fn", Enabled: false})

	assert.Len(t, s.mgr.List("", ""), 2)
	assert.Len(t, s.mgr.List("fn", ""), 2)
	assert.Len(t, s.mgr.List("fn:$LATEST", ""), 0, "a qualified name lists that qualifier's mappings")
	only := s.mgr.List("", "audit")
	require.Len(t, only, 1)
	assert.Equal(t, b.UUID, only[0].UUID)

	_, err := s.mgr.Create(ctx, eventsource.Mapping{Function: "fn", Stream: "orders"})
	assert.ErrorIs(t, err, eventsource.ErrConflict, "one mapping per function and stream")

	updated, err := s.mgr.Update(ctx, a.UUID, func(m *eventsource.Mapping) error {
		m.BatchSize = 5
		m.Stream = "audit" // cannot change: kept
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateUpdating, updated.State)
	assert.Equal(t, 5, updated.BatchSize)
	assert.Equal(t, "orders", updated.Stream)

	deleted, err := s.mgr.Delete(ctx, a.UUID)
	require.NoError(t, err)
	assert.Equal(t, eventsource.StateDeleting, deleted.State)
	_, err = s.mgr.Get(a.UUID)
	assert.ErrorIs(t, err, eventsource.ErrNotFound)
	_, err = s.mgr.Delete(ctx, a.UUID)
	assert.ErrorIs(t, err, eventsource.ErrNotFound)
	orders, err := s.js.Stream(ctx, "orders")
	require.NoError(t, err)
	_, err = orders.Consumer(ctx, "flint-esm-"+a.UUID)
	assert.ErrorIs(t, err, jetstream.ErrConsumerNotFound, "deleting a mapping removes its place in the stream")
}

func TestCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stream("orders")
	good := eventsource.Mapping{Function: "fn", Stream: "orders"}
	tests := []struct {
		name  string
		edit  func(*eventsource.Mapping)
		kind  error
		match string
	}{
		{"no function", func(m *eventsource.Mapping) { m.Function = "" }, eventsource.ErrInvalid, "FunctionName is required"},
		{"a bad function name", func(m *eventsource.Mapping) { m.Function = "a b" }, eventsource.ErrInvalid, "FunctionName"},
		{"a missing function", func(m *eventsource.Mapping) { m.Function = "nope" }, eventsource.ErrFunctionNotFound, "Function not found"},
		{"a missing stream", func(m *eventsource.Mapping) { m.Stream = "nope" }, eventsource.ErrStreamNotFound, "flint stream create nope"},
		{"a bad stream name", func(m *eventsource.Mapping) { m.Stream = "a.b" }, eventsource.ErrInvalid, "stream name"},
		{"batch size 0 is the default, -1 is not", func(m *eventsource.Mapping) { m.BatchSize = -1 }, eventsource.ErrInvalid, "BatchSize -1"},
		{"batch size over 10,000", func(m *eventsource.Mapping) { m.BatchSize = 10001; m.MaximumBatchingWindow = time.Second }, eventsource.ErrInvalid, "BatchSize 10001"},
		{"batch size over 10 without a window", func(m *eventsource.Mapping) { m.BatchSize = 11 }, eventsource.ErrInvalid, "at least 1"},
		{"a window over 300 s", func(m *eventsource.Mapping) { m.MaximumBatchingWindow = 301 * time.Second }, eventsource.ErrInvalid, "MaximumBatchingWindowInSeconds"},
		{"concurrency 1", func(m *eventsource.Mapping) { m.MaximumConcurrency = 1 }, eventsource.ErrInvalid, "between 2 and 1000"},
		{"retries -2", func(m *eventsource.Mapping) { m.MaximumRetryAttempts = -2 }, eventsource.ErrInvalid, "MaximumRetryAttempts"},
		{"a record age of a second", func(m *eventsource.Mapping) { m.MaximumRecordAge = time.Second }, eventsource.ErrInvalid, "MaximumRecordAgeInSeconds"},
		{"a bad subject", func(m *eventsource.Mapping) { m.Subjects = []string{"a.>.b"} }, eventsource.ErrInvalid, "not a NATS subject"},
		{"a subject twice", func(m *eventsource.Mapping) { m.Subjects = []string{"a", "a"} }, eventsource.ErrInvalid, "twice"},
		{"a bad starting position", func(m *eventsource.Mapping) { m.StartingPosition = "MIDDLE" }, eventsource.ErrInvalid, "StartingPosition"},
		{"a timestamp position without a time", func(m *eventsource.Mapping) { m.StartingPosition = eventsource.AtTimestamp }, eventsource.ErrInvalid, "StartingPositionTimestamp"},
		{"a bad filter", func(m *eventsource.Mapping) { m.Filters = []string{`{"body":`} }, eventsource.ErrInvalid, "FilterCriteria"},
		{"a hostile filter", func(m *eventsource.Mapping) { m.Filters = []string{strings.Repeat(`{"a":`, 5000)} }, eventsource.ErrInvalid, "FilterCriteria"},
		{"a failure destination that is not a stream", func(m *eventsource.Mapping) { m.OnFailure = "arn:aws:sqs:us-east-1:0:q" }, eventsource.ErrInvalid, "OnFailure"},
		{"a missing failure stream", func(m *eventsource.Mapping) { m.OnFailure = eventsource.StreamARN("r", "a", "nope") }, eventsource.ErrInvalid, "does not exist"},
		{"a wildcard failure stream", func(m *eventsource.Mapping) { m.OnFailure = eventsource.StreamARN("r", "a", "orders") }, eventsource.ErrInvalid, "literal subject"},
		{"a huge function name", func(m *eventsource.Mapping) { m.Function = strings.Repeat("f", 1<<20) }, eventsource.ErrInvalid, "FunctionName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			tt.edit(&m)
			_, err := s.mgr.Create(context.Background(), m)
			require.ErrorIs(t, err, tt.kind)
			assert.Contains(t, err.Error(), tt.match)
			assert.Less(t, len(err.Error()), 2000, "messages stay short")
		})
	}
}

func TestParseStreamARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:nats:us-east-1:000000000000:stream/orders":   "orders",
		"arn:aws:nats:eu-west-1:123456789012:stream/my_queue": "my_queue",
	} {
		got, err := eventsource.ParseStreamARN(arn)
		require.NoError(t, err, arn)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"", "orders", "arn:aws:sqs:us-east-1:0:orders", "arn:aws:nats:r:a:stream/", "arn:aws:nats:r:a:topic/x",
		"arn:aws:nats:r:a:stream/a.b", "arn:aws:nats:r:a:stream/a b", strings.Repeat("arn:", 1<<18)} {
		_, err := eventsource.ParseStreamARN(bad)
		assert.ErrorIs(t, err, eventsource.ErrInvalid, "%.40q", bad)
	}
}
