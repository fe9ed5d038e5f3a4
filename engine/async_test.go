package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/storetest"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asyncWait bounds how long a test waits for the async workers.
const asyncWait = 20 * time.Second

// retries returns n as an EventInvokeConfig's MaximumRetryAttempts.
func retries(n int) *int { return &n }

// setEventConfig sets function name's asynchronous invocation settings.
func setEventConfig(t testing.TB, eng *engine.Engine, name string, c engine.EventInvokeConfig) {
	t.Helper()
	require.NoError(t, putEventConfig(context.Background(), eng, name, c))
}

// invokeAsync queues an event for target and returns its request id.
func invokeAsync(t testing.TB, eng *engine.Engine, target, payload string) string {
	t.Helper()
	id, err := eng.InvokeAsync(context.Background(), target, []byte(payload))
	require.NoError(t, err, "invoke %s asynchronously", target)
	return id
}

// deadLetter waits for the dead letter of event id and returns it.
func deadLetter(t testing.TB, eng *engine.Engine, id string) engine.DeadLetter {
	t.Helper()
	var d engine.DeadLetter
	require.Eventually(t, func() bool {
		var err error
		d, err = eng.DeadLetter(context.Background(), id)
		return err == nil
	}, asyncWait, time.Millisecond, "event %s is dead-lettered", id)
	return d
}

// logsOf returns the log records of function name for request id.
func logsOf(t testing.TB, eng *engine.Engine, name, id string) []engine.LogRecord {
	t.Helper()
	recs, err := eng.Logs(name, 0)
	require.NoError(t, err)
	var out []engine.LogRecord
	for _, r := range recs {
		if r.RequestID == id {
			out = append(out, r)
		}
	}
	return out
}

// asyncIdle waits until the async queue is empty.
func asyncIdle(t testing.TB, eng *engine.Engine) {
	t.Helper()
	require.Eventually(t, func() bool { return eng.Metrics(context.Background()).Async.Depth == 0 },
		asyncWait, time.Millisecond, "the async queue empties")
}

// invocationRecord is the record a destination receives, as Lambda shapes
// it.
type invocationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext *struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

func TestAsyncRetries(t *testing.T) {
	const delay = 100 * time.Millisecond
	tests := []struct {
		name     string
		retries  *int
		attempts int
	}{
		{"default: 2 retries", nil, 3},
		{"1 retry", retries(1), 2},
		{"no retries", retries(0), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eng := newEngine(t, engine.Config{Async: engine.AsyncConfig{RetryDelay: delay}})
			deploy(t, eng, engine.Function{Name: "fails", Code: wat(t, "fail")})
			setEventConfig(t, eng, "fails", engine.EventInvokeConfig{MaximumRetryAttempts: tt.retries})

			id := invokeAsync(t, eng, "fails", `{"n":1}`)
			require.Regexp(t, uuidRE, id)
			d := deadLetter(t, eng, id)
			asyncIdle(t, eng)

			// Every attempt runs with the event's request id.
			recs := logsOf(t, eng, "fails", id)
			require.Len(t, recs, tt.attempts, "the function ran once plus once per retry")
			assert.Equal(t, uint64(tt.attempts), stats(t, eng, "fails").Invocations)
			for i, r := range recs {
				assert.True(t, r.Failed)
				if i > 0 {
					// Retry i waits delay × 2^(i-1) after attempt i failed.
					want := delay << (i - 1)
					assert.GreaterOrEqual(t, r.Time.Sub(recs[i-1].Time), want, "gap before attempt %d", i+1)
				}
			}

			assert.Equal(t, id, d.ID)
			assert.Equal(t, "fails", d.Function)
			assert.JSONEq(t, `{"n":1}`, string(d.Payload))
			assert.Equal(t, queue.ConditionRetriesExhausted, d.Condition)
			assert.Equal(t, tt.attempts, d.Attempts)
			assert.Equal(t, "Boom", d.LastErrorType)
			assert.Equal(t, "failed on purpose", d.LastErrorMessage)

			var rec invocationRecord
			require.NoError(t, json.Unmarshal(d.Record, &rec), "%s", d.Record)
			assert.Equal(t, "RetriesExhausted", rec.RequestContext.Condition)
			assert.Equal(t, id, rec.RequestContext.RequestID)
			assert.Equal(t, tt.attempts, rec.RequestContext.ApproximateInvokeCount)
			assert.True(t, strings.HasSuffix(rec.RequestContext.FunctionARN, ":function:fails:$LATEST"), rec.RequestContext.FunctionARN)
			assert.JSONEq(t, `{"n":1}`, string(rec.RequestPayload))
			require.NotNil(t, rec.ResponseContext)
			assert.Equal(t, "Handled", rec.ResponseContext.FunctionError)
			assert.Equal(t, "$LATEST", rec.ResponseContext.ExecutedVersion)
			assert.JSONEq(t, `{"errorType":"Boom","errorMessage":"failed on purpose"}`, string(rec.ResponsePayload))
		})
	}
}

func TestAsyncDestinations(t *testing.T) {
	tests := []struct {
		name      string
		code      string // of the source function
		config    engine.EventInvokeConfig
		condition string
		response  string
		fnError   string
	}{
		{
			name:      "success",
			code:      "echo",
			config:    engine.EventInvokeConfig{OnSuccess: "function:dest"},
			condition: "Success",
			response:  `{"order":42}`,
		},
		{
			name:      "failure",
			code:      "fail",
			config:    engine.EventInvokeConfig{MaximumRetryAttempts: retries(0), OnFailure: "function:dest:$LATEST"},
			condition: "RetriesExhausted",
			response:  `{"errorType":"Boom","errorMessage":"failed on purpose"}`,
			fnError:   "Handled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eng := newEngine(t, engine.Config{})
			code := testguest.WATEcho(t)
			if tt.code != "echo" {
				code = wat(t, tt.code)
			}
			deploy(t, eng, engine.Function{Name: "src", Code: code})
			require.Equal(t, "1", publish(t, eng, "src"))
			deploy(t, eng, engine.Function{Name: "dest", Code: wat(t, "logpayload")})
			setEventConfig(t, eng, "src", tt.config)

			id := invokeAsync(t, eng, "src:1", `{"order": 42}`)
			var recs []engine.LogRecord
			require.Eventually(t, func() bool {
				var err error
				recs, err = eng.Logs("dest", 0)
				require.NoError(t, err)
				return len(recs) > 0
			}, asyncWait, time.Millisecond, "the destination is invoked")
			asyncIdle(t, eng)
			recs, err := eng.Logs("dest", 0)
			require.NoError(t, err)
			require.Len(t, recs, 1, "the destination is invoked once")
			require.False(t, recs[0].Failed)
			assert.NotEqual(t, id, recs[0].RequestID, "the delivery is an event of its own")

			lines := parseLogs(t, functionLines(t, recs[0].Text))
			require.Len(t, lines, 1)
			var rec invocationRecord
			require.NoError(t, json.Unmarshal([]byte(lines[0].Message), &rec), "%s", lines[0].Message)
			assert.Equal(t, "1.0", rec.Version)
			ts, err := time.Parse("2006-01-02T15:04:05.000Z", rec.Timestamp)
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now(), ts, time.Minute)
			assert.Equal(t, id, rec.RequestContext.RequestID)
			assert.Equal(t, "arn:aws:lambda:local:000000000000:function:src:1", rec.RequestContext.FunctionARN)
			assert.Equal(t, tt.condition, rec.RequestContext.Condition)
			assert.Equal(t, 1, rec.RequestContext.ApproximateInvokeCount)
			assert.JSONEq(t, `{"order":42}`, string(rec.RequestPayload))
			require.NotNil(t, rec.ResponseContext)
			assert.Equal(t, 200, rec.ResponseContext.StatusCode)
			assert.Equal(t, "1", rec.ResponseContext.ExecutedVersion)
			assert.Equal(t, tt.fnError, rec.ResponseContext.FunctionError)
			assert.JSONEq(t, tt.response, string(rec.ResponsePayload))

			dls, _, err := eng.DeadLetters(context.Background(), "", 10)
			require.NoError(t, err)
			assert.Empty(t, dls, "a failure sent to a function is not also dead-lettered")
		})
	}
}

// functionLines returns the function's own lines of an invocation's log
// text: those between START and END.
func functionLines(t testing.TB, text []byte) []byte {
	t.Helper()
	s := string(text)
	start := strings.Index(s, "\n")
	end := strings.Index(s, "END RequestId: ")
	require.True(t, strings.HasPrefix(s, "START RequestId: ") && start >= 0 && end > start, "an invocation log: %q", s)
	return []byte(s[start+1 : end])
}

func TestAsyncDeadLettersAndRedrive(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "fail")})
	setEventConfig(t, eng, "fn", engine.EventInvokeConfig{MaximumRetryAttempts: retries(0)})

	var ids []string
	for i := range 3 {
		id := invokeAsync(t, eng, "fn", fmt.Sprintf("event %d", i))
		deadLetter(t, eng, id) // one at a time: dead letters list in the order they failed
		ids = append(ids, id)
	}
	asyncIdle(t, eng)
	m := eng.Metrics(ctx).Async
	assert.Equal(t, 3, m.DeadLetters)
	assert.Equal(t, uint64(3), m.DeadLettered)

	dls, more, err := eng.DeadLetters(ctx, "", 2)
	require.NoError(t, err)
	assert.True(t, more)
	require.Len(t, dls, 2)
	rest, more, err := eng.DeadLetters(ctx, dls[1].Key, 10)
	require.NoError(t, err)
	assert.False(t, more)
	dls = append(dls, rest...)
	require.Len(t, dls, 3)
	for i, d := range dls {
		assert.Equal(t, ids[i], d.ID)
		assert.Equal(t, fmt.Sprintf("event %d", i), string(d.Payload))
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, queue.ConditionRetriesExhausted, d.Condition)
		got, err := eng.DeadLetter(ctx, d.ID)
		require.NoError(t, err)
		assert.Equal(t, d, got)
	}

	// Fix the function, then re-drive the first event.
	_, err = eng.Update(ctx, "fn", withCode(testguest.WATEcho(t)))
	require.NoError(t, err)
	newID, err := eng.Redrive(ctx, ids[0])
	require.NoError(t, err)
	assert.NotEqual(t, ids[0], newID, "a re-driven event is a new event")
	_, err = eng.DeadLetter(ctx, ids[0])
	assert.ErrorIs(t, err, queue.ErrNotFound, "a re-driven event leaves the dead-letter store")
	require.Eventually(t, func() bool {
		recs := logsOf(t, eng, "fn", newID)
		return len(recs) == 1 && !recs[0].Failed
	}, asyncWait, time.Millisecond, "the re-driven event runs the fixed function and succeeds")
	asyncIdle(t, eng)

	require.NoError(t, eng.DeleteDeadLetter(ctx, ids[1]))
	_, err = eng.DeadLetter(ctx, ids[1])
	assert.ErrorIs(t, err, queue.ErrNotFound)
	dls, _, err = eng.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, ids[2], dls[0].ID)
	m = eng.Metrics(ctx).Async
	assert.Equal(t, 1, m.DeadLetters)
	assert.Equal(t, uint64(1), m.Redriven)

	t.Run("unknown ids", func(t *testing.T) {
		_, err := eng.DeadLetter(ctx, "nope")
		assert.ErrorIs(t, err, queue.ErrNotFound)
		_, err = eng.Redrive(ctx, "nope")
		assert.ErrorIs(t, err, queue.ErrNotFound)
		assert.ErrorIs(t, eng.DeleteDeadLetter(ctx, ids[1]), queue.ErrNotFound)
	})
}

// An event older than its MaximumEventAge is not run again but sent to its
// failure destination as EventAgeExceeded. The shortest age allowed is 60
// seconds and the engine's clock cannot be moved, so that is tested in
// engine/internal/queue (TestEventAgeExceeded, with an injected clock); here, the
// engine's checks of the settings.
func TestEventInvokeConfigValidation(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	deploy(t, eng, engine.Function{Name: "dest", Code: testguest.WATEcho(t)})

	tests := []struct {
		name   string
		config engine.EventInvokeConfig
		want   error
		msg    string
	}{
		{"3 retries", engine.EventInvokeConfig{MaximumRetryAttempts: retries(3)}, engine.ErrInvalidFunction, "MaximumRetryAttempts 3: must be between 0 and 2"},
		{"-1 retries", engine.EventInvokeConfig{MaximumRetryAttempts: retries(-1)}, engine.ErrInvalidFunction, "MaximumRetryAttempts -1: must be between 0 and 2"},
		{"age 59s", engine.EventInvokeConfig{MaximumEventAge: 59 * time.Second}, engine.ErrInvalidFunction, "MaximumEventAge"},
		{"age 7h", engine.EventInvokeConfig{MaximumEventAge: 7 * time.Hour}, engine.ErrInvalidFunction, "MaximumEventAge"},
		{"negative age", engine.EventInvokeConfig{MaximumEventAge: -time.Minute}, engine.ErrInvalidFunction, "MaximumEventAge"},
		{"unknown destination kind", engine.EventInvokeConfig{OnFailure: "queue:x"}, engine.ErrInvalidFunction, `OnFailure destination "queue:x"`},
		{"success to the dead-letter store", engine.EventInvokeConfig{OnSuccess: "dead-letter"}, engine.ErrInvalidFunction, "OnSuccess"},
		{"missing destination function", engine.EventInvokeConfig{OnSuccess: "function:nope"}, engine.ErrFunctionNotFound, "nope"},
		{"missing destination version", engine.EventInvokeConfig{OnFailure: "function:dest:9"}, engine.ErrFunctionNotFound, `"9"`},
		{"destination without a name", engine.EventInvokeConfig{OnFailure: "function:"}, engine.ErrInvalidFunction, "OnFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := putEventConfig(ctx, eng, "fn", tt.config)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
			c, err := eventConfig(eng, "fn")
			require.NoError(t, err)
			assert.Equal(t, engine.EventInvokeConfig{}, c, "a refused configuration is not kept")
		})
	}

	t.Run("bounds are valid", func(t *testing.T) {
		for _, c := range []engine.EventInvokeConfig{
			{MaximumRetryAttempts: retries(0), MaximumEventAge: time.Minute},
			{MaximumRetryAttempts: retries(2), MaximumEventAge: 6 * time.Hour},
			{OnSuccess: "function:dest", OnFailure: "dead-letter"},
			{OnSuccess: "function:dest:$LATEST", OnFailure: "function:dest"},
		} {
			require.NoError(t, putEventConfig(ctx, eng, "fn", c), "%+v", c)
			got, err := eventConfig(eng, "fn")
			require.NoError(t, err)
			assert.Equal(t, c, got)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		assert.ErrorIs(t, putEventConfig(ctx, eng, "nope", engine.EventInvokeConfig{}), engine.ErrFunctionNotFound)
		_, err := eventConfig(eng, "nope")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
	})
}

func TestInvokeAsyncBadInput(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{MaxAsyncPayloadBytes: 100})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})

	tests := []struct {
		name, target string
		payload      int
		want         error
	}{
		{"missing function", "nope", 0, engine.ErrFunctionNotFound},
		{"missing version", "fn:3", 0, engine.ErrFunctionNotFound},
		{"missing alias", "fn:live", 0, engine.ErrFunctionNotFound},
		{"empty qualifier", "fn:", 0, engine.ErrFunctionNotFound},
		{"payload over the limit", "fn", 101, engine.ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.InvokeAsync(ctx, tt.target, make([]byte, tt.payload))
			assert.ErrorIs(t, err, tt.want)
		})
	}
	assert.Zero(t, eng.Metrics(ctx).Async.Enqueued, "nothing refused was queued")

	require.NoError(t, eng.Close(ctx))
	_, err := eng.InvokeAsync(ctx, "fn", nil)
	assert.ErrorIs(t, err, engine.ErrClosed)
}

func TestAsyncPayloadLimitAboveTheQueues(t *testing.T) {
	eng := newEngine(t, engine.Config{MaxAsyncPayloadBytes: 1 << 20})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	_, err := eng.InvokeAsync(context.Background(), "fn", make([]byte, queue.MaxPayloadBytes+1))
	require.ErrorIs(t, err, engine.ErrPayloadTooLarge, "a limit above the queue's is the queue's")
	assert.Contains(t, err.Error(), fmt.Sprintf("over the %d-byte limit", queue.MaxPayloadBytes))
	_, err = eng.InvokeAsync(context.Background(), "fn", make([]byte, queue.MaxPayloadBytes))
	assert.NoError(t, err)
}

// streams is a fake Config.Destinations: it delivers to "stream:NAME".
type streams struct {
	mu      sync.Mutex
	records map[string][]string
}

func (s *streams) Check(d string) error {
	if !strings.HasPrefix(d, "stream:") {
		return errors.New(`use "stream:NAME"`)
	}
	return nil
}

func (s *streams) Deliver(_ context.Context, d string, record []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.records == nil {
		s.records = map[string][]string{}
	}
	s.records[d] = append(s.records[d], string(record))
	return nil
}

func (s *streams) Records(d string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[d]
}

func TestInvokeAsyncOptions(t *testing.T) {
	ctx := context.Background()
	out := &streams{}
	eng := newEngine(t, engine.Config{Destinations: out, Async: engine.AsyncConfig{RetryDelay: time.Millisecond}})
	deploy(t, eng, engine.Function{Name: "fails", Code: wat(t, "fail")})
	setEventConfig(t, eng, "fails", engine.EventInvokeConfig{MaximumRetryAttempts: retries(0)})

	id, err := eng.InvokeAsync(ctx, "fails", []byte(`{"n":1}`), engine.WithRequestID("fire-20261206T1200"),
		engine.WithRetryPolicy(3, time.Hour), engine.WithFailureDestination("stream:failures"))
	require.NoError(t, err)
	assert.Equal(t, "fire-20261206T1200", id)
	require.Eventually(t, func() bool { return len(out.Records("stream:failures")) == 1 }, 30*time.Second, time.Millisecond)
	asyncIdle(t, eng)
	assert.Len(t, logsOf(t, eng, "fails", id), 4, "three retries, over the function's none")
	var rec invocationRecord
	require.NoError(t, json.Unmarshal([]byte(out.Records("stream:failures")[0]), &rec))
	assert.Equal(t, "RetriesExhausted", rec.RequestContext.Condition)
	assert.Equal(t, id, rec.RequestContext.RequestID)
	dls, _, err := eng.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, dls, "the record went to the stream, not the dead-letter store")

	t.Run("a function's own destination", func(t *testing.T) {
		setEventConfig(t, eng, "fails", engine.EventInvokeConfig{MaximumRetryAttempts: retries(0), OnFailure: "stream:own"})
		invokeAsync(t, eng, "fails", `2`)
		require.Eventually(t, func() bool { return len(out.Records("stream:own")) == 1 }, 30*time.Second, time.Millisecond)
	})
	t.Run("bad options", func(t *testing.T) {
		for name, opt := range map[string]engine.InvokeOption{
			"186 retries":         engine.WithRetryPolicy(186, 0),
			"an age of a second":  engine.WithRetryPolicy(-1, time.Second),
			"an age over a day":   engine.WithRetryPolicy(-1, 25*time.Hour),
			"an unknown stream":   engine.WithFailureDestination("queue:nope"),
			"an unknown dead end": engine.WithFailureDestination("/dev/null"),
		} {
			_, err := eng.InvokeAsync(ctx, "fails", nil, opt)
			assert.ErrorIs(t, err, engine.ErrInvalidFunction, name)
		}
	})
	t.Run("a bad request id for Invoke", func(t *testing.T) {
		_, err := eng.Invoke(ctx, "fails", nil, engine.WithRequestID("not an id!"))
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
	})
	t.Run("without Destinations", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "fail")})
		err := putEventConfig(ctx, eng, "fn", engine.EventInvokeConfig{OnFailure: "stream:x"})
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		_, err = eng.InvokeAsync(ctx, "fn", nil, engine.WithFailureDestination("stream:x"))
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
	})
}

func TestAddDeadLetter(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})
	first := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	d, err := eng.AddDeadLetter(ctx, engine.DeadLetter{Function: "echo", Payload: []byte(`{"Records":[]}`),
		Condition: "RetriesExhausted", Attempts: 4, FirstEnqueued: first, LastErrorType: "Boom", LastErrorMessage: "bad record"})
	require.NoError(t, err)
	assert.Regexp(t, uuidRE, d.ID)
	assert.Equal(t, "echo", d.Function)
	assert.Equal(t, 4, d.Attempts)
	assert.Equal(t, "Boom", d.LastErrorType)
	assert.True(t, d.FirstEnqueued.Equal(first))
	got := deadLetter(t, eng, d.ID)
	assert.JSONEq(t, `{"Records":[]}`, string(got.Payload))

	id, err := eng.Redrive(ctx, d.ID)
	require.NoError(t, err)
	asyncIdle(t, eng)
	recs := logsOf(t, eng, "echo", id)
	require.Len(t, recs, 1, "the re-driven event ran")
	assert.False(t, recs[0].Failed)

	for name, bad := range map[string]engine.DeadLetter{
		"no function":       {Condition: "RetriesExhausted"},
		"a bad condition":   {Function: "echo", Condition: "Whatever"},
		"a bad id":          {ID: "has spaces", Function: "echo", Condition: "RetriesExhausted"},
		"a payload too big": {Function: "echo", Condition: "RetriesExhausted", Payload: make([]byte, 1<<20)},
	} {
		_, err := eng.AddDeadLetter(ctx, bad)
		assert.ErrorIs(t, err, engine.ErrInvalidFunction, name)
	}
}

// TestAsyncWaitsOutAnUnavailableStore checks that an event whose function
// could not be loaded because the store was unreachable waits and runs
// once the store is back, without using up an attempt, instead of being
// dead-lettered as a failure of a function that never ran (a clean CI run
// of TestClusterSurvivesKill found one such dead letter).
func TestAsyncWaitsOutAnUnavailableStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := newEngine(t, engine.Config{DataDir: dir})
	deploy(t, first, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})
	require.NoError(t, first.Close(ctx))

	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	unreachable := &storetest.Unreachable{Store: st}
	unreachable.Down.Store(true)
	eng := newEngine(t, engine.Config{Store: unreachable,
		Async: engine.AsyncConfig{ThrottleDelay: 10 * time.Millisecond}})

	id := invokeAsync(t, eng, "echo", `{"n":1}`)
	require.Eventually(t, func() bool { return unreachable.Refused.Load() >= 3 }, asyncWait, time.Millisecond,
		"the worker tries to load the function's code")
	_, err = eng.DeadLetter(ctx, id)
	require.ErrorIs(t, err, engine.ErrDeadLetterNotFound, "dead-lettered while the store was down")

	unreachable.Down.Store(false)
	asyncIdle(t, eng)
	recs := logsOf(t, eng, "echo", id)
	require.Len(t, recs, 1, "the event ran once the store was back")
	assert.False(t, recs[0].Failed)
	_, err = eng.DeadLetter(ctx, id)
	assert.ErrorIs(t, err, engine.ErrDeadLetterNotFound, "nothing dead-lettered")
}
