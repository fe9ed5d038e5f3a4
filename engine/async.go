package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
)

// DeadLetter is an asynchronous event that failed (or expired) with the
// dead-letter store as its failure destination.
type DeadLetter struct {
	// Key is its place in the dead-letter store, in the order events were
	// dead-lettered: pass the last Key of a page as DeadLetters' after to
	// get the next.
	Key string
	// ID is the event's request id ("malformed-N" for a queue message that
	// was not an event).
	ID string
	// Function is the event's target, "name" or "name:qualifier".
	Function string
	// Payload is the event's payload, as it was enqueued.
	Payload []byte
	// Record is the invocation record, as a failure destination function
	// would have received it (Lambda's shape; nil for a malformed message).
	Record json.RawMessage
	// Condition is why the event failed: "RetriesExhausted",
	// "EventAgeExceeded", "InvocationFailed" or "Malformed".
	Condition string
	// Attempts counts the attempts that ran the function (or may have).
	Attempts int
	// FirstEnqueued is when the event was enqueued, Time when it was
	// dead-lettered.
	FirstEnqueued, Time time.Time
	// LastErrorType and LastErrorMessage are the last attempt's error
	// (empty when there was none).
	LastErrorType, LastErrorMessage string
}

func deadLetterOf(d queue.DeadLetter) DeadLetter {
	return DeadLetter{Key: d.Key, ID: d.ID, Function: d.Function, Payload: d.Payload, Record: d.Record,
		Condition: d.Condition, Attempts: d.Attempts, FirstEnqueued: d.FirstEnqueued, Time: d.Time,
		LastErrorType: d.LastError.Type, LastErrorMessage: d.LastError.Message}
}

// AsyncStats describe the asynchronous invocation queue and count what its
// workers did since the engine started.
type AsyncStats struct {
	// Depth counts the events in the queue: due, waiting for a retry, and
	// in flight (InFlight of them). Destination deliveries are events too.
	Depth, InFlight int
	// OldestAge is the age of the oldest event in the queue (zero when it
	// is empty): how far behind the workers are.
	OldestAge time.Duration
	// DeadLetters counts the dead letters stored.
	DeadLetters int

	// Enqueued counts events stored: by InvokeAsync, Redrive and
	// destination deliveries.
	Enqueued uint64
	// Delivered counts events received by workers (each attempt, throttle
	// and redelivery is one).
	Delivered uint64
	// Succeeded counts attempts that succeeded.
	Succeeded uint64
	// Retried counts failed attempts scheduled to run again.
	Retried uint64
	// Failed counts events given up on: retries exhausted, too old (of
	// which Expired), not invocable, or malformed.
	Failed, Expired uint64
	// Throttled counts attempts throttled and scheduled to run again.
	Throttled uint64
	// DeadLettered counts records written to the dead-letter store.
	DeadLettered uint64
	// Redriven counts dead letters re-driven.
	Redriven uint64
	// DestinationErrors counts failed deliveries of records to their
	// destinations (store errors), each retried later.
	DestinationErrors uint64
}

// Destination names for EventInvokeConfig.OnSuccess and OnFailure.
const (
	// DeadLetterDestination sends events to the engine's dead-letter store.
	DeadLetterDestination = "dead-letter"
	// FunctionDestinationPrefix starts a function destination:
	// "function:NAME" or "function:NAME:QUALIFIER".
	FunctionDestinationPrefix = "function:"
)

// IsPassing reports whether an error from Invoke is a passing condition of
// the platform, not a failure of the function, which never ran: a throttle
// (ErrThrottled), or a store that cannot be reached now (the function's
// code could not be read while a cluster elects new stream leaders, say).
// An asynchronous event or an event source's batch then waits and is
// tried again without using up an attempt, as Lambda retries its own
// 500-series errors; counting it as a failure would report one that never
// happened.
func IsPassing(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, store.ErrUnavailable)
}

// startAsync starts the workers of the asynchronous invocation queue.
func (e *Engine) startAsync() error {
	q, err := queue.New(queue.Config{
		Store:         e.store,
		Invoke:        e.asyncInvoke,
		EventConfig:   e.queueEventConfig,
		IsThrottle:    IsPassing,
		Workers:       e.cfg.Async.Workers,
		RetryDelay:    e.cfg.Async.RetryDelay,
		ThrottleDelay: e.cfg.Async.ThrottleDelay,
		Lease:         e.cfg.Async.Lease,
		Deliver:       e.deliverExternal,
		Logger:        e.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("engine: async queue: %w", err)
	}
	e.async = q
	q.Start()
	return nil
}

func (e *Engine) asyncInvoke(ctx context.Context, target string, payload []byte, requestID string) (queue.Outcome, error) {
	res, err := e.invoke(ctx, target, payload, invocation{}, invokeOptions{requestID: requestID})
	if err != nil {
		return queue.Outcome{}, err
	}
	out := queue.Outcome{Payload: res.Payload, ExecutedVersion: res.Version}
	if fe := res.FunctionError; fe != nil {
		out.Failed, out.ErrorType, out.ErrorMessage, out.Unhandled = true, fe.Type, fe.Message, fe.Unhandled
	}
	return out, nil
}

// queueEventConfig gives the queue a function's async settings.
func (e *Engine) queueEventConfig(function string) queue.EventConfig {
	f, err := e.function(function)
	if err != nil {
		return queue.EventConfig{}
	}
	f.mu.RLock()
	c := f.rec.EventConfig
	f.mu.RUnlock()
	if c == nil {
		return queue.EventConfig{}
	}
	qc, _ := e.toQueueConfig(EventInvokeConfig{MaximumRetryAttempts: c.MaximumRetryAttempts,
		MaximumEventAge: c.MaximumEventAge, OnSuccess: c.OnSuccess, OnFailure: c.OnFailure})
	return qc
}

// deliverExternal hands a record to Config.Destinations.
func (e *Engine) deliverExternal(ctx context.Context, destination string, record []byte) error {
	if e.cfg.Destinations == nil {
		return fmt.Errorf("no destination %s", destination)
	}
	return e.cfg.Destinations.Deliver(ctx, destination, record)
}

func (e *Engine) toQueueConfig(c EventInvokeConfig) (queue.EventConfig, error) {
	qc := queue.EventConfig{MaximumEventAge: c.MaximumEventAge}
	if r := c.MaximumRetryAttempts; r != nil {
		qc.MaximumRetryAttempts = *r
		if *r == 0 {
			qc.MaximumRetryAttempts = queue.NoRetries
		}
	}
	var err error
	if qc.OnSuccess, err = e.destination("OnSuccess", c.OnSuccess); err != nil {
		return qc, err
	}
	qc.OnFailure, err = e.destination("OnFailure", c.OnFailure)
	return qc, err
}

// destination parses a destination: the dead-letter store, a function, or
// one Config.Destinations delivers to.
func (e *Engine) destination(field, d string) (*queue.Destination, error) {
	switch {
	case d == "":
		return nil, nil
	case d == DeadLetterDestination:
		return queue.ToDeadLetters(), nil
	case strings.HasPrefix(d, FunctionDestinationPrefix):
		return queue.ToFunction(strings.TrimPrefix(d, FunctionDestinationPrefix)), nil
	case e.cfg.Destinations != nil:
		if err := e.cfg.Destinations.Check(d); err != nil {
			return nil, invalid("%s destination %q: %v", field, d, err)
		}
		return queue.ToExternal(d), nil
	}
	return nil, invalid("%s destination %q: use %q or %q", field, d, DeadLetterDestination, FunctionDestinationPrefix+"NAME[:QUALIFIER]")
}

func (e *Engine) validateEventConfig(c EventInvokeConfig) error {
	if r := c.MaximumRetryAttempts; r != nil && (*r < 0 || *r > queue.MaxRetryAttempts) {
		return invalid("MaximumRetryAttempts %d: must be between 0 and %d", *r, queue.MaxRetryAttempts)
	}
	qc, err := e.toQueueConfig(c)
	if err != nil {
		return err
	}
	if err := qc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidFunction, err)
	}
	for _, d := range []*queue.Destination{qc.OnSuccess, qc.OnFailure} {
		if d != nil && d.Kind == queue.DestinationFunction {
			if _, err := e.Function(d.Function); err != nil {
				return fmt.Errorf("destination: %w", err)
			}
		}
	}
	return nil
}

// InvokeAsync queues an asynchronous invocation of target (Lambda's Event
// invocation type) and returns its request id once the event is stored
// durably. Workers invoke it, retry failures and deliver the outcome to
// the function's destinations (Settings.EventInvokeConfig); async
// invocations wait for free concurrency rather than being dropped.
// Options give the event its own request id (WithRequestID), retry policy
// (WithRetryPolicy) and failure destination (WithFailureDestination); the
// context options of synchronous invocations (WithTenant, WithMetadata,
// WithPolicy) are refused, and an event queued by a host capability runs
// as an invocation of its own, outside the chain that queued it.
func (e *Engine) InvokeAsync(ctx context.Context, target string, payload []byte, opts ...InvokeOption) (string, error) {
	if e.closed.Load() {
		return "", ErrClosed
	}
	if len(payload) > e.cfg.MaxAsyncPayloadBytes {
		return "", fmt.Errorf("%w: %d bytes, over the %d-byte limit for asynchronous invocations",
			ErrPayloadTooLarge, len(payload), e.cfg.MaxAsyncPayloadBytes)
	}
	if _, err := e.Function(target); err != nil {
		return "", err
	}
	o, err := invokeOptionsOf(opts)
	if err != nil {
		return "", err
	}
	if o.hasContext() {
		// The queue does not keep them, and a policy dropped on the way
		// would widen what the function may do.
		return "", invalid("WithTenant, WithMetadata and WithPolicy are for synchronous invocations (Invoke)")
	}
	if o.httpMsg != nil {
		return "", invalid("WithHTTPRequest is for synchronous invocations (Invoke)")
	}
	qo := queue.EnqueueOptions{RequestID: o.requestID}
	if o.retries != nil || o.maxAge != 0 || o.onFailure != "" {
		qo.Override = &queue.Override{MaximumRetryAttempts: o.retries, MaximumEventAge: o.maxAge}
		dest, err := e.destination("OnFailure", o.onFailure)
		if err != nil {
			return "", err
		}
		qo.Override.OnFailure = dest
		if err := qo.Override.Validate(); err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalidFunction, err)
		}
	}
	id, err := e.async.Enqueue(ctx, target, payload, qo)
	return id, asyncErr(err)
}

// DeadLetters lists the dead-letter store, oldest first, after the id
// after (empty: from the start), at most limit, and whether more follow.
func (e *Engine) DeadLetters(ctx context.Context, after string, limit int) ([]DeadLetter, bool, error) {
	dls, more, err := e.async.DeadLetters(ctx, after, limit)
	if err != nil {
		return nil, false, asyncErr(err)
	}
	out := make([]DeadLetter, len(dls))
	for i, d := range dls {
		out[i] = deadLetterOf(d)
	}
	return out, more, nil
}

// DeadLetter returns one dead letter by its request id.
func (e *Engine) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	d, err := e.async.DeadLetter(ctx, id)
	if err != nil {
		return DeadLetter{}, asyncErr(err)
	}
	return deadLetterOf(d), nil
}

// Redrive queues a dead letter's event again, with its attempts reset, and
// removes it from the dead-letter store.
func (e *Engine) Redrive(ctx context.Context, id string) (string, error) {
	newID, err := e.async.Redrive(ctx, id)
	return newID, asyncErr(err)
}

// DeleteDeadLetter removes a dead letter.
func (e *Engine) DeleteDeadLetter(ctx context.Context, id string) error {
	return asyncErr(e.async.DeleteDeadLetter(ctx, id))
}

// asyncErr gives an error of the async queue the engine's sentinel, keeping
// its message.
func asyncErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, queue.ErrNotFound):
		return &wrapped{sentinel: ErrDeadLetterNotFound, err: err}
	case errors.Is(err, queue.ErrNotRedrivable):
		return &wrapped{sentinel: ErrConflict, err: err}
	case errors.Is(err, queue.ErrClosed):
		return &wrapped{sentinel: ErrClosed, err: err}
	}
	return err
}

// wrapped is an error that matches an engine sentinel as well as the error
// it wraps, and says what the latter says.
type wrapped struct{ sentinel, err error }

func (w *wrapped) Error() string   { return w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.err} }

func (e *Engine) asyncStats(ctx context.Context) AsyncStats {
	if e.async == nil {
		return AsyncStats{}
	}
	st, _ := e.async.Stats(ctx)
	return AsyncStats(st)
}

// AddDeadLetter stores in the dead-letter store an event that failed
// outside the async queue: an event source mapping's record that ran out
// of retries, say. d's Function ("name[:qualifier]"), Payload, Condition
// ("RetriesExhausted", "EventAgeExceeded" or "InvocationFailed"), Attempts,
// FirstEnqueued and LastErrorType/LastErrorMessage are kept; ID is made
// when empty. Like the queue's own, it can be listed, inspected, deleted
// and re-driven (as an asynchronous invocation of Function with Payload).
func (e *Engine) AddDeadLetter(ctx context.Context, d DeadLetter) (DeadLetter, error) {
	if e.closed.Load() {
		return DeadLetter{}, ErrClosed
	}
	stored, err := e.async.Bury(ctx, queue.DeadLetter{ID: d.ID, Function: d.Function, Payload: d.Payload,
		Condition: d.Condition, Attempts: d.Attempts, FirstEnqueued: d.FirstEnqueued,
		LastError: queue.ErrorInfo{Type: d.LastErrorType, Message: d.LastErrorMessage}})
	if err != nil {
		if errors.Is(err, queue.ErrInvalidEventConfig) || errors.Is(err, queue.ErrInvalidTarget) ||
			errors.Is(err, queue.ErrInvalidRequestID) || errors.Is(err, queue.ErrPayloadTooLarge) {
			return DeadLetter{}, fmt.Errorf("%w: %v", ErrInvalidFunction, err)
		}
		return DeadLetter{}, asyncErr(err)
	}
	return deadLetterOf(stored), nil
}
