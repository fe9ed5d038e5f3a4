package queue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// arn is the functionArn of a record about target.
func arn(target string) string {
	if !strings.Contains(target, ":") {
		target += ":$LATEST"
	}
	return "arn:aws:lambda:local:000000000000:function:" + target
}

func TestSuccess(t *testing.T) {
	for _, tc := range []struct {
		name     string
		target   string
		payload  string
		response []byte
		version  string
		// onSuccess, when set, is where the record goes, and wantRecord
		// is the record with %[1]s for the request id.
		onSuccess  *Destination
		wantRecord string
	}{
		{name: "no destination", target: "hello", payload: `{"a":1}`, response: []byte(`"ok"`), version: "$LATEST"},
		{
			name: "success destination, JSON", target: "hello:prod", payload: "{\"a\": [1, 2],\n \"b\": \"<x>\"}",
			response: []byte(`{"ok": true}`), version: "3", onSuccess: ToFunction("sink"),
			wantRecord: `{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:hello:prod","condition":"Success","approximateInvokeCount":1},` +
				`"requestPayload":{"a":[1,2],"b":"<x>"},` +
				`"responseContext":{"statusCode":200,"executedVersion":"3"},` +
				`"responsePayload":{"ok":true}}`,
		},
		{
			name: "success destination, text", target: "hello", payload: "hi <there>\n",
			response: []byte("plain"), version: "$LATEST", onSuccess: ToFunction("sink:live"),
			wantRecord: `{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:hello:$LATEST","condition":"Success","approximateInvokeCount":1},` +
				`"requestPayload":"hi <there>\n",` +
				`"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},` +
				`"responsePayload":"plain"}`,
		},
		{
			name: "success destination, empty response", target: "hello", payload: ``,
			version: "$LATEST", onSuccess: ToFunction("sink"),
			wantRecord: `{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:hello:$LATEST","condition":"Success","approximateInvokeCount":1},` +
				`"requestPayload":"",` +
				`"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},` +
				`"responsePayload":null}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fns := newFakes(map[string]handler{
				tc.target: func([]byte, int) (Outcome, error) {
					return Outcome{Payload: tc.response, ExecutedVersion: tc.version}, nil
				},
			})
			q := start(t, Config{
				Invoke:      fns.Invoke,
				EventConfig: configs(map[string]EventConfig{"hello": {OnSuccess: tc.onSuccess}}),
			})
			id, err := q.Enqueue(t.Context(), tc.target, []byte(tc.payload), EnqueueOptions{})
			require.NoError(t, err)
			assert.Regexp(t, uuidRE, id)

			wantEnqueued := uint64(1)
			if tc.onSuccess != nil {
				wantEnqueued = 2
			}
			st := settled(t, q, func(st Stats) bool { return st.Succeeded == wantEnqueued })
			assert.Equal(t, Stats{Enqueued: wantEnqueued, Delivered: wantEnqueued, Succeeded: wantEnqueued}, st)

			calls := fns.Calls(tc.target)
			require.Len(t, calls, 1)
			assert.Equal(t, call{Target: tc.target, RequestID: id, Payload: []byte(tc.payload)}, calls[0])
			if tc.onSuccess == nil {
				return
			}
			sink := fns.Calls(tc.onSuccess.Function)
			require.Len(t, sink, 1)
			assert.Equal(t, fmt.Sprintf(tc.wantRecord, id), string(sink[0].Payload))
			assert.Regexp(t, uuidRE, sink[0].RequestID)
			assert.NotEqual(t, id, sink[0].RequestID, "a destination delivery is an event of its own")
		})
	}
}

func TestRetries(t *testing.T) {
	const delay = 3 * time.Millisecond
	for _, tc := range []struct {
		name     string
		retries  int
		attempts int
	}{
		{"default", 0, 3},
		{"two", 2, 3},
		{"one", 1, 2},
		{"none", NoRetries, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fns := newFakes(map[string]handler{"flaky": fail})
			spy := &spyStore{Store: store.NewMemory()}
			t.Cleanup(func() { _ = spy.Close() })
			q := start(t, Config{
				Store:       spy,
				Invoke:      fns.Invoke,
				RetryDelay:  delay,
				EventConfig: configs(map[string]EventConfig{"flaky": {MaximumRetryAttempts: tc.retries}}),
			})
			id, err := q.Enqueue(t.Context(), "flaky", []byte(`{"n":1}`), EnqueueOptions{})
			require.NoError(t, err)

			st := settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
			assert.Equal(t, Stats{
				DeadLetters: 1, Enqueued: 1, Delivered: uint64(tc.attempts),
				Retried: uint64(tc.attempts - 1), Failed: 1, DeadLettered: 1,
			}, st)

			calls := fns.Calls("flaky")
			require.Len(t, calls, tc.attempts)
			for _, c := range calls {
				assert.Equal(t, id, c.RequestID, "every attempt has the event's request id")
			}
			// The retries' due times double from RetryDelay (the clock is
			// frozen at t0).
			var want []time.Time
			for i := range tc.attempts - 1 {
				want = append(want, t0.Add(delay<<i))
			}
			assert.Equal(t, want, spy.Dues())

			d, err := q.DeadLetter(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, ConditionRetriesExhausted, d.Condition)
			assert.Equal(t, tc.attempts, d.Attempts)
			assert.Equal(t, ErrorInfo{Type: "Boom", Message: "it broke"}, d.LastError)
			assert.Equal(t, fmt.Sprintf(`{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",`+
				`"requestContext":{"requestId":"%s","functionArn":"%s","condition":"RetriesExhausted","approximateInvokeCount":%d},`+
				`"requestPayload":{"n":1},`+
				`"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Handled"},`+
				`"responsePayload":{"errorType":"Boom","errorMessage":"it broke"}}`, id, arn("flaky"), tc.attempts), string(d.Record))
		})
	}
}

// TestRetryDelaysMeasured checks that retries wait, on the real clock.
func TestRetryDelaysMeasured(t *testing.T) {
	const delay = 40 * time.Millisecond
	fns := newFakes(map[string]handler{"flaky": fail})
	q := start(t, Config{Invoke: fns.Invoke, RetryDelay: delay, Now: time.Now})
	_, err := q.Enqueue(t.Context(), "flaky", nil, EnqueueOptions{})
	require.NoError(t, err)
	begin := time.Now()
	settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
	require.Len(t, fns.Calls("flaky"), 3)
	assert.GreaterOrEqual(t, time.Since(begin), 3*delay, "two retries: %v, then %v", delay, 2*delay)
}

func TestFailureDestination(t *testing.T) {
	fns := newFakes(map[string]handler{
		"crash": func([]byte, int) (Outcome, error) {
			return Outcome{Failed: true, ErrorType: "Sandbox.Timedout", ErrorMessage: "Task timed out after 3.00 seconds", Unhandled: true, ExecutedVersion: "7"}, nil
		},
	})
	q := start(t, Config{
		Invoke: fns.Invoke,
		EventConfig: configs(map[string]EventConfig{
			"crash": {MaximumRetryAttempts: 1, OnSuccess: ToFunction("ok"), OnFailure: ToFunction("errors:prod")},
		}),
	})
	id, err := q.Enqueue(t.Context(), "crash:7", []byte(`[1,2,3]`), EnqueueOptions{})
	require.NoError(t, err)
	st := settled(t, q, func(st Stats) bool { return st.Succeeded == 1 })
	assert.Equal(t, Stats{Enqueued: 2, Delivered: 3, Succeeded: 1, Retried: 1, Failed: 1}, st, "the record is an event; nothing is dead-lettered")

	assert.Len(t, fns.Calls("crash:7"), 2)
	assert.Empty(t, fns.Calls("ok"))
	got := fns.Calls("errors:prod")
	require.Len(t, got, 1)
	assert.Equal(t, fmt.Sprintf(`{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",`+
		`"requestContext":{"requestId":"%s","functionArn":"%s","condition":"RetriesExhausted","approximateInvokeCount":2},`+
		`"requestPayload":[1,2,3],`+
		`"responseContext":{"statusCode":200,"executedVersion":"7","functionError":"Unhandled"},`+
		`"responsePayload":{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 3.00 seconds"}}`, id, arn("crash:7")),
		string(got[0].Payload))
}

func TestEventAgeExceeded(t *testing.T) {
	// The test clock stays behind the wall clock, by which the store
	// schedules retries: aged events are due at once.
	start0 := time.Now().Add(-2 * MaxEventAge)
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		// failFirst makes the first attempt fail and age the event past
		// maxAge, so that its retry is too old.
		failFirst  bool
		onFailure  *Destination
		wantRecord string // %[1]s: request id
	}{
		{
			name: "default age, dead letter", maxAge: 0,
			wantRecord: `{"version":"1.0","timestamp":"%[2]s",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:slow:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":0},` +
				`"requestPayload":{"k":"v"}}`,
		},
		{
			name: "one minute, function destination", maxAge: time.Minute, onFailure: ToFunction("late"),
			wantRecord: `{"version":"1.0","timestamp":"%[2]s",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:slow:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":0},` +
				`"requestPayload":{"k":"v"}}`,
		},
		{
			name: "expires while waiting for a retry", maxAge: time.Minute, failFirst: true,
			wantRecord: `{"version":"1.0","timestamp":"%[2]s",` +
				`"requestContext":{"requestId":"%[1]s","functionArn":"arn:aws:lambda:local:000000000000:function:slow:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":1},` +
				`"requestPayload":{"k":"v"},` +
				`"responsePayload":{"errorType":"Boom","errorMessage":"it broke"}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(start0)
			age := tc.maxAge
			if age == 0 {
				age = DefaultEventAge
			}
			fns := newFakes(map[string]handler{
				"slow": func(p []byte, n int) (Outcome, error) {
					clk.Advance(age + time.Millisecond)
					return fail(p, n)
				},
			})
			q := newQueue(t, Config{
				Invoke:      fns.Invoke,
				Now:         clk.Now,
				EventConfig: configs(map[string]EventConfig{"slow": {MaximumEventAge: tc.maxAge, OnFailure: tc.onFailure}}),
			})
			id, err := q.Enqueue(t.Context(), "slow", []byte(`{"k":"v"}`), EnqueueOptions{})
			require.NoError(t, err)
			if !tc.failFirst {
				clk.Advance(age + time.Millisecond)
			}
			q.Start()
			settled(t, q, func(st Stats) bool { return st.Expired == 1 })
			wantCalls := 0
			if tc.failFirst {
				wantCalls = 1
			}
			assert.Len(t, fns.Calls("slow"), wantCalls, "an expired event is not invoked")

			want := fmt.Sprintf(tc.wantRecord, id, clk.Now().UTC().Format(recordTimeLayout))
			if tc.onFailure != nil {
				got := fns.Calls(tc.onFailure.Function)
				require.Len(t, got, 1)
				assert.Equal(t, want, string(got[0].Payload))
				return
			}
			d, err := q.DeadLetter(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, ConditionEventAgeExceeded, d.Condition)
			assert.Equal(t, want, string(d.Record))
		})
	}
}

func TestThrottle(t *testing.T) {
	const (
		throttleDelay = 2 * time.Millisecond
		throttles     = 4
	)
	fns := newFakes(map[string]handler{
		"busy": func(p []byte, n int) (Outcome, error) {
			if n <= throttles {
				return Outcome{}, fmt.Errorf("busy: %w", errThrottled)
			}
			return Outcome{Payload: []byte(`"done"`), ExecutedVersion: "$LATEST"}, nil
		},
	})
	spy := &spyStore{Store: store.NewMemory()}
	t.Cleanup(func() { _ = spy.Close() })
	q := start(t, Config{
		Store:            spy,
		Invoke:           fns.Invoke,
		IsThrottle:       isThrottle,
		ThrottleDelay:    throttleDelay,
		MaxThrottleDelay: 5 * throttleDelay,
		// No retries: throttles use up no attempts.
		EventConfig: configs(map[string]EventConfig{"busy": {MaximumRetryAttempts: NoRetries, OnSuccess: ToFunction("sink")}}),
	})
	id, err := q.Enqueue(t.Context(), "busy", []byte(`1`), EnqueueOptions{})
	require.NoError(t, err)
	st := settled(t, q, func(st Stats) bool { return st.Succeeded == 2 })
	assert.Equal(t, Stats{Enqueued: 2, Delivered: throttles + 2, Succeeded: 2, Throttled: throttles}, st)
	assert.Equal(t, []time.Time{
		t0.Add(throttleDelay), t0.Add(2 * throttleDelay), t0.Add(4 * throttleDelay), t0.Add(5 * throttleDelay),
	}, spy.Dues(), "throttle delays double up to MaxThrottleDelay")
	sink := fns.Calls("sink")
	require.Len(t, sink, 1)
	assert.Contains(t, string(sink[0].Payload),
		fmt.Sprintf(`"requestContext":{"requestId":"%s","functionArn":"%s","condition":"Success","approximateInvokeCount":1}`, id, arn("busy")),
		"throttled attempts are not counted")
}

func TestInvokeError(t *testing.T) {
	fns := newFakes(map[string]handler{
		"gone": func([]byte, int) (Outcome, error) { return Outcome{}, fmt.Errorf("gone: %w", errNoSuchFn) },
	})
	q := start(t, Config{Invoke: fns.Invoke, IsThrottle: isThrottle})
	id, err := q.Enqueue(t.Context(), "gone", []byte(`{}`), EnqueueOptions{})
	require.NoError(t, err)
	st := settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
	assert.Equal(t, Stats{DeadLetters: 1, Enqueued: 1, Delivered: 1, Failed: 1, DeadLettered: 1}, st)
	assert.Len(t, fns.Calls("gone"), 1, "not retried")

	d, err := q.DeadLetter(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, ConditionInvocationFailed, d.Condition)
	assert.Equal(t, ErrorInfo{Type: ErrorTypeInvoke, Message: "gone: function not found"}, d.LastError)
	assert.Equal(t, fmt.Sprintf(`{"version":"1.0","timestamp":"2024-05-06T07:08:09.123Z",`+
		`"requestContext":{"requestId":"%s","functionArn":"%s","condition":"InvocationFailed","approximateInvokeCount":0},`+
		`"requestPayload":{},`+
		`"responsePayload":{"errorType":"Flint.InvokeError","errorMessage":"gone: function not found"}}`, id, arn("gone")),
		string(d.Record))
}

// TestDestinationLoop sends a function's failures to itself: the chain
// stops after MaxDestinationDepth deliveries, in the dead-letter store.
func TestDestinationLoop(t *testing.T) {
	fns := newFakes(map[string]handler{"loop": fail})
	q := start(t, Config{
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"loop": {MaximumRetryAttempts: NoRetries, OnFailure: ToFunction("loop")}}),
	})
	id, err := q.Enqueue(t.Context(), "loop", []byte(`"start"`), EnqueueOptions{})
	require.NoError(t, err)
	st := settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
	assert.Equal(t, uint64(MaxDestinationDepth+1), st.Enqueued)
	calls := fns.Calls("loop")
	require.Len(t, calls, MaxDestinationDepth+1)
	assert.Equal(t, id, calls[0].RequestID)

	dls := deadLetters(t, q)
	require.Len(t, dls, 1)
	assert.Equal(t, calls[MaxDestinationDepth].RequestID, dls[0].ID, "the last of the chain is dead-lettered")
	assert.Equal(t, calls[MaxDestinationDepth].Payload, dls[0].Payload)
}

func TestMalformedEvent(t *testing.T) {
	fns := newFakes(nil)
	q := newQueue(t, Config{Invoke: fns.Invoke})
	sq, err := q.cfg.Store.Queue(QueueName)
	require.NoError(t, err)
	for _, body := range []string{`not json`, `{"v":99}`, `{"v":1,"requestId":"x","target":"bad name"}`} {
		_, err = sq.Enqueue(t.Context(), []byte(body), time.Time{})
		require.NoError(t, err)
	}
	q.Start()
	st := settled(t, q, func(st Stats) bool { return st.DeadLettered == 3 })
	assert.Equal(t, uint64(3), st.Failed)
	dls := deadLetters(t, q)
	require.Len(t, dls, 3)
	for _, d := range dls {
		assert.Equal(t, ConditionMalformed, d.Condition)
		assert.Equal(t, ErrorTypeMalformed, d.LastError.Type)
		assert.Nil(t, d.Record)
		assert.True(t, strings.HasPrefix(d.ID, "malformed-"), d.ID)
		_, err := q.Redrive(t.Context(), d.ID)
		assert.ErrorIs(t, err, ErrNotRedrivable)
	}
}

// TestLostDelivery: a delivery whose lease expired without an outcome
// (as when a process dies mid-attempt) counts as an attempt.
func TestLostDelivery(t *testing.T) {
	fns := newFakes(map[string]handler{"fn": fail})
	q := newQueue(t, Config{
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"fn": {MaximumRetryAttempts: 1}}),
	})
	id, err := q.Enqueue(t.Context(), "fn", []byte(`{}`), EnqueueOptions{})
	require.NoError(t, err)
	sq, err := q.cfg.Store.Queue(QueueName)
	require.NoError(t, err)
	_, err = sq.Receive(t.Context(), time.Millisecond) // and never acked: lost
	require.NoError(t, err)
	q.Start()
	settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
	assert.Len(t, fns.Calls("fn"), 1, "the lost delivery used up one of the two attempts")
	d, err := q.DeadLetter(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, 2, d.Attempts)
	assert.Equal(t, ConditionRetriesExhausted, d.Condition)
}

// TestDestinationStoreError: when the record cannot be delivered, the
// event keeps its outcome and delivers it later, without invoking again.
func TestDestinationStoreError(t *testing.T) {
	fns := newFakes(nil)
	spy := &spyStore{Store: store.NewMemory()}
	t.Cleanup(func() { _ = spy.Close() })
	var failures atomic.Int32
	spy.failEnqueue = func(body []byte) error {
		if strings.Contains(string(body), `"source"`) && failures.Add(1) <= 2 {
			return errors.New("disk full")
		}
		return nil
	}
	q := start(t, Config{
		Store:       spy,
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"fn": {OnSuccess: ToFunction("sink")}}),
	})
	_, err := q.Enqueue(t.Context(), "fn", []byte(`{}`), EnqueueOptions{})
	require.NoError(t, err)
	st := settled(t, q, func(st Stats) bool { return st.Succeeded == 2 })
	assert.Equal(t, uint64(2), st.DestinationErrors)
	assert.Len(t, fns.Calls("fn"), 1, "invoked once")
	assert.Len(t, fns.Calls("sink"), 1, "the record arrived")
	assert.Equal(t, []time.Time{t0.Add(time.Millisecond), t0.Add(2 * time.Millisecond)}, spy.Dues())
}

func TestEnqueueErrors(t *testing.T) {
	q := newQueue(t, Config{Invoke: newFakes(nil).Invoke})
	for _, tc := range []struct {
		name    string
		target  string
		payload []byte
		want    error
	}{
		{"empty target", "", nil, ErrInvalidTarget},
		{"bad name", "a b", nil, ErrInvalidTarget},
		{"long name", strings.Repeat("a", 65), nil, ErrInvalidTarget},
		{"empty qualifier", "fn:", nil, ErrInvalidTarget},
		{"bad qualifier", "fn:v/1", nil, ErrInvalidTarget},
		{"ARN", arn("fn"), nil, ErrInvalidTarget},
		{"too large", "fn", make([]byte, MaxPayloadBytes+1), ErrPayloadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Enqueue(t.Context(), tc.target, tc.payload, EnqueueOptions{})
			require.ErrorIs(t, err, tc.want)
		})
	}
	for _, target := range []string{"fn", "fn:$LATEST", "fn:12", "Fn_1-x:live_2"} {
		_, err := q.Enqueue(t.Context(), target, make([]byte, MaxPayloadBytes), EnqueueOptions{})
		require.NoError(t, err, target)
	}
}

func TestNewErrors(t *testing.T) {
	s := store.NewMemory()
	t.Cleanup(func() { _ = s.Close() })
	invoke := newFakes(nil).Invoke
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"no store", Config{Invoke: invoke}, ErrInvalidConfig},
		{"no invoker", Config{Store: s}, ErrInvalidConfig},
		{"negative workers", Config{Store: s, Invoke: invoke, Workers: -1}, ErrInvalidConfig},
		{"negative delay", Config{Store: s, Invoke: invoke, RetryDelay: -time.Second}, ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, tc.want)
		})
	}
	closed := store.NewMemory()
	require.NoError(t, closed.Close())
	_, err := New(Config{Store: closed, Invoke: invoke})
	require.ErrorIs(t, err, store.ErrClosed)
}

func TestCallsAfterClose(t *testing.T) {
	s := store.NewMemory()
	t.Cleanup(func() { _ = s.Close() })
	q, err := New(Config{Store: s, Invoke: newFakes(nil).Invoke})
	require.NoError(t, err)
	require.NoError(t, q.Close(t.Context()))
	require.NoError(t, q.Close(t.Context()), "Close is idempotent")
	q.Start() // does nothing

	_, err = q.Enqueue(t.Context(), "fn", nil, EnqueueOptions{})
	assert.ErrorIs(t, err, ErrClosed)
	_, err = q.Stats(t.Context())
	assert.ErrorIs(t, err, ErrClosed)
	_, _, err = q.DeadLetters(t.Context(), "", 10)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = q.DeadLetter(t.Context(), "x")
	assert.ErrorIs(t, err, ErrClosed)
	_, err = q.Redrive(t.Context(), "x")
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, q.DeleteDeadLetter(t.Context(), "x"), ErrClosed)
}

// TestCloseWaitsForAttempts: Close lets the attempt in flight finish,
// and leaves the queued events in a durable store, where a new Queue finds
// them after a restart.
func TestCloseWaitsForAttempts(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	started, release := make(chan string, 10), make(chan struct{})
	first := newFakes(map[string]handler{
		"fn": func(p []byte, n int) (Outcome, error) {
			started <- string(p)
			<-release
			return Outcome{}, nil
		},
	})
	q, err := New(Config{Store: s, Invoke: first.Invoke, Workers: 1})
	require.NoError(t, err)
	const events = 5
	ids := map[string]bool{}
	for i := range events {
		id, err := q.Enqueue(t.Context(), "fn", fmt.Appendf(nil, "%d", i), EnqueueOptions{})
		require.NoError(t, err)
		ids[id] = true
	}
	q.Start()
	<-started

	closed := make(chan error, 1)
	go func() { closed <- q.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v with an attempt in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-closed)
	assert.Len(t, first.Calls("fn"), 1, "no event is received after Close")
	require.NoError(t, s.Close())

	// A restart: the other events are still there.
	s, err = store.Open(dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	second := newFakes(nil)
	q2 := newQueue(t, Config{Store: s, Invoke: second.Invoke})
	assert.Equal(t, events-1, stats(t, q2).Depth, "the queued events are still in the store")
	q2.Start()
	st := settled(t, q2, func(st Stats) bool { return st.Succeeded == events-1 })
	assert.Zero(t, st.DeadLetters)
	seen := map[string]bool{first.Calls("fn")[0].RequestID: true}
	for _, c := range second.Calls("fn") {
		assert.False(t, seen[c.RequestID], "invoked twice: %s", c.RequestID)
		seen[c.RequestID] = true
	}
	assert.Equal(t, ids, seen)
}

// TestCloseDeadline: when Close's context ends first, the attempt in
// flight is cancelled and its event put back, not counted as an attempt.
func TestCloseDeadline(t *testing.T) {
	started := make(chan struct{}, 1)
	fns := newFakes(map[string]handler{})
	s := store.NewMemory()
	t.Cleanup(func() { _ = s.Close() })
	cfg := Config{Store: s, Workers: 1, Now: frozen, Invoke: func(ctx context.Context, target string, payload []byte, id string) (Outcome, error) {
		_, _ = fns.Invoke(ctx, target, payload, id)
		started <- struct{}{}
		<-ctx.Done()
		return Outcome{Failed: true, ErrorType: "Runtime.Canceled"}, nil
	}}
	q, err := New(cfg)
	require.NoError(t, err)
	id, err := q.Enqueue(t.Context(), "fn", nil, EnqueueOptions{})
	require.NoError(t, err)
	q.Start()
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, q.Close(ctx), context.DeadlineExceeded)
	require.NoError(t, q.Close(t.Context()), "a second Close waits for the workers")

	sq, err := s.Queue(QueueName)
	require.NoError(t, err)
	m, err := sq.Receive(t.Context(), time.Minute)
	require.NoError(t, err, "the event is back in the queue, due at once")
	ev, err := decodeEvent(m.Body)
	require.NoError(t, err)
	assert.Equal(t, id, ev.RequestID)
	assert.Zero(t, ev.Attempts)
	assert.Nil(t, ev.LastError)
	assert.Equal(t, 1, ev.Deliveries, "the cancelled delivery is not a lost one")
}

// TestLeaseExtendedWhileRunning runs an attempt three times as long as the
// lease: the worker extends the lease while it runs, so the event is not
// delivered to a second worker meanwhile, and runs once.
func TestLeaseExtendedWhileRunning(t *testing.T) {
	const lease = 150 * time.Millisecond
	fns := newFakes(map[string]handler{"slow": func(payload []byte, n int) (Outcome, error) {
		time.Sleep(3 * lease)
		return Outcome{Payload: payload, ExecutedVersion: "$LATEST"}, nil
	}})
	q := start(t, Config{Invoke: fns.Invoke, Lease: lease, Workers: 2})
	_, err := q.Enqueue(t.Context(), "slow", []byte(`{}`), EnqueueOptions{})
	require.NoError(t, err)
	settled(t, q, func(st Stats) bool { return st.Succeeded == 1 })
	time.Sleep(lease) // a second delivery, were there one, would run now
	assert.Len(t, fns.Calls("slow"), 1, "one attempt, though it outlived its lease")
	st, err := q.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st.Delivered, "delivered once")
}
