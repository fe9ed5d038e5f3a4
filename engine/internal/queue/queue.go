package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
)

// Queue runs asynchronous invocations: Enqueue stores an event, workers
// (Start) invoke it, retry it, and send its record to its destinations.
// It is safe for concurrent use.
type Queue struct {
	cfg Config
	q   store.Queue
	dl  store.Bucket
	log *slog.Logger

	// recv is cancelled when Close begins (workers stop receiving); run
	// when in-flight attempts must stop too (Close's context is done, or
	// every worker has returned).
	recv, run           context.Context
	stopRecv, stopRun   context.CancelFunc
	closeOnce           sync.Once
	closed              atomic.Bool
	workersDone         chan struct{} // closed when every worker has returned, after Close
	mu                  sync.Mutex    // guards started, and wg.Add against Close
	started             bool
	wg                  sync.WaitGroup
	redriveMu           sync.Mutex // serializes Redrive and DeleteDeadLetter
	enqueued, delivered atomic.Uint64
	succeeded, retried  atomic.Uint64
	failed, throttled   atomic.Uint64
	deadLettered        atomic.Uint64
	expired, redriven   atomic.Uint64
	destinationErrors   atomic.Uint64
}

// New returns a Queue on cfg.Store's queue QueueName and bucket
// DeadLetterBucket. Its workers run once Start is called; until then
// Enqueue stores events and nothing runs them.
func New(cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sq, err := cfg.Store.Queue(QueueName)
	if err != nil {
		return nil, fmt.Errorf("queue: open queue %s: %w", QueueName, err)
	}
	dl, err := cfg.Store.Bucket(DeadLetterBucket)
	if err != nil {
		return nil, fmt.Errorf("queue: open bucket %s: %w", DeadLetterBucket, err)
	}
	q := &Queue{cfg: cfg, q: sq, dl: dl, log: cfg.Logger, workersDone: make(chan struct{})}
	q.recv, q.stopRecv = context.WithCancel(context.Background())
	q.run, q.stopRun = context.WithCancel(context.Background())
	return q, nil
}

// Start starts the workers. Calling it again, or after Close, does
// nothing.
func (q *Queue) Start() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.closed.Load() {
		return
	}
	q.started = true
	for range q.cfg.Workers {
		q.wg.Go(q.work)
	}
}

// Close stops the workers: they receive no more events, and Close waits
// for the attempts in flight to end and their outcomes to be stored. When
// ctx is done first, those attempts are cancelled (their events are put
// back in the queue, not counted as attempts) and Close returns ctx's
// error. Queued events stay in the Store for the next Queue on it.
//
// Every later call on the Queue fails with ErrClosed, except Close, which
// waits again for the workers (until its own ctx) and returns nil once
// they have returned. The Store is not closed.
func (q *Queue) Close(ctx context.Context) error {
	q.closeOnce.Do(func() {
		q.mu.Lock()
		q.closed.Store(true)
		q.mu.Unlock()
		q.stopRecv()
		go func() {
			q.wg.Wait()
			q.stopRun()
			close(q.workersDone)
		}()
	})
	select {
	case <-q.workersDone:
		return nil
	case <-ctx.Done():
		q.stopRun()
		return fmt.Errorf("queue: close: attempts in flight were cancelled: %w", ctx.Err())
	}
}

func (q *Queue) check() error {
	if q.closed.Load() {
		return ErrClosed
	}
	return nil
}

// EnqueueOptions adjust one event; the zero value takes the defaults.
type EnqueueOptions struct {
	// RequestID is the event's request id; empty: a random UUID.
	RequestID string
	// Override, when set, replaces parts of the function's EventConfig for
	// this event, within the wider bounds Override.Validate allows.
	Override *Override
}

// Enqueue stores an asynchronous invocation of target ("name" or
// "name:qualifier") with payload (at most MaxPayloadBytes) and returns
// its request id, which every attempt is invoked with. The event is in
// the Store when Enqueue returns: for a durable Store, a crash after that
// does not lose it.
func (q *Queue) Enqueue(ctx context.Context, target string, payload []byte, o EnqueueOptions) (requestID string, err error) {
	if err := q.check(); err != nil {
		return "", err
	}
	if err := checkTarget(target); err != nil {
		return "", err
	}
	if len(payload) > MaxPayloadBytes {
		return "", fmt.Errorf("%w: %d bytes, over %d", ErrPayloadTooLarge, len(payload), MaxPayloadBytes)
	}
	if err := o.Override.Validate(); err != nil {
		return "", err
	}
	if o.RequestID != "" && !validName(o.RequestID, 64) {
		return "", fmt.Errorf("%w: %q: use 1 to 64 letters, digits, '-' and '_'", ErrInvalidRequestID, truncate(o.RequestID, 80))
	}
	ev := &event{RequestID: cmp.Or(o.RequestID, uuid.New()), Target: target, Payload: payload, Enqueued: q.cfg.Now(), Override: o.Override}
	if err := q.enqueue(ctx, ev); err != nil {
		return "", err
	}
	return ev.RequestID, nil
}

func (q *Queue) enqueue(ctx context.Context, ev *event) error {
	body, err := ev.encode()
	if err != nil {
		return err
	}
	if _, err := q.q.Enqueue(ctx, body, time.Time{}); err != nil {
		return fmt.Errorf("queue: enqueue %s for %s: %w", ev.RequestID, ev.Target, err)
	}
	q.enqueued.Add(1)
	return nil
}

// Stats describes the queue and counts what its workers did since New.
type Stats struct {
	// Depth counts the events in the queue: due, waiting for a retry, and
	// in flight (InFlight of them). Destination deliveries are events too.
	Depth, InFlight int
	// OldestAge is the age of the oldest event in the queue (zero when it
	// is empty): how far behind the workers are.
	OldestAge time.Duration
	// DeadLetters counts the dead letters stored.
	DeadLetters int

	// Enqueued counts events stored: by Enqueue, Redrive and destination
	// deliveries.
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

// Stats returns the queue's state and counters. It lists the dead-letter
// store to count it: it is meant for metrics and health checks, not a hot
// path.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	if err := q.check(); err != nil {
		return Stats{}, err
	}
	qs, err := q.q.Stats(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("queue: stats: %w", err)
	}
	n, err := q.countDeadLetters(ctx)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{
		Depth:             qs.Depth,
		InFlight:          qs.Leased,
		DeadLetters:       n,
		Enqueued:          q.enqueued.Load(),
		Delivered:         q.delivered.Load(),
		Succeeded:         q.succeeded.Load(),
		Retried:           q.retried.Load(),
		Failed:            q.failed.Load(),
		Expired:           q.expired.Load(),
		Throttled:         q.throttled.Load(),
		DeadLettered:      q.deadLettered.Load(),
		Redriven:          q.redriven.Load(),
		DestinationErrors: q.destinationErrors.Load(),
	}
	if !qs.OldestEnqueued.IsZero() {
		st.OldestAge = max(0, q.cfg.Now().Sub(qs.OldestEnqueued))
	}
	return st, nil
}

// work is a worker: it receives events and handles them until Close.
func (q *Queue) work() {
	errs := 0
	for {
		m, err := q.q.Receive(q.recv, q.cfg.Lease)
		if err != nil {
			if q.recv.Err() != nil {
				return
			}
			if errors.Is(err, store.ErrClosed) {
				q.log.Error("async: the store was closed; worker stops")
				return
			}
			errs++
			q.log.Error("async: receive failed", "err", err)
			if !q.wait(q.recv, backoff(q.cfg.ThrottleDelay, q.cfg.MaxThrottleDelay, errs)) {
				return
			}
			continue
		}
		errs = 0
		q.handle(m)
	}
}

// keepLeased extends the lease of message id every third of it until the
// function it returns is called.
func (q *Queue) keepLeased(id string) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(q.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				err := q.q.Extend(context.WithoutCancel(q.run), id, q.cfg.Lease)
				if errors.Is(err, store.ErrNotFound) {
					return // acked or retried meanwhile
				}
				if err != nil {
					q.log.Warn("async: extending a lease failed", "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// wait waits for d, and reports false when ctx was done first.
func (q *Queue) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// handle runs one delivery of an event: the attempt, then the retry or
// the record's delivery and the Ack.
func (q *Queue) handle(m store.Message) {
	q.delivered.Add(1)
	defer q.keepLeased(m.ID)()
	// Store writes after the attempt are not cancelled with it: an outcome
	// reached is worth storing, even while Close gives up waiting.
	ctx := context.WithoutCancel(q.run)
	ev, err := decodeEvent(m.Body)
	if err != nil {
		q.malformed(ctx, m, err)
		return
	}
	lost := m.Deliveries - 1 - ev.Deliveries
	ev.Deliveries = m.Deliveries
	if ev.Pending != nil {
		q.finish(ctx, m.ID, ev, ev.Pending)
		return
	}
	if lost > 0 {
		ev.Attempts += lost
		ev.LastError = newErrorInfo(ErrorTypeDeliveryLost, fmt.Sprintf(
			"%d delivery(ies) of the event ended without an outcome (the process stopped, or the %v lease expired during the attempt); the function may have run",
			lost, q.cfg.Lease))
		q.log.Warn("async: delivery lost", "requestId", ev.RequestID, "function", ev.Target, "lost", lost)
	}

	cfg := q.eventConfig(ev)
	now := q.cfg.Now()
	if age := now.Sub(ev.Enqueued); age > cfg.maxAge {
		q.failed.Add(1)
		q.expired.Add(1)
		q.log.Warn("async: event too old", "requestId", ev.RequestID, "function", ev.Target, "age", age, "maximumEventAge", cfg.maxAge)
		q.finish(ctx, m.ID, ev, &verdict{Condition: ConditionEventAgeExceeded, Time: now, Attempts: ev.Attempts, Error: ev.LastError})
		return
	}
	if ev.Attempts > cfg.retries { // lost deliveries used them up
		q.failed.Add(1)
		q.finish(ctx, m.ID, ev, &verdict{Condition: ConditionRetriesExhausted, Time: now, Attempts: ev.Attempts, Error: ev.LastError})
		return
	}

	out, err := q.cfg.Invoke(q.run, ev.Target, ev.Payload, ev.RequestID)
	if q.run.Err() != nil {
		// Close cancelled the attempt: its outcome says nothing about the
		// function. Put the event back, unchanged, for the next Queue.
		q.retry(ctx, m.ID, ev, time.Time{})
		return
	}
	now = q.cfg.Now()
	switch {
	case err != nil && q.cfg.IsThrottle(err):
		q.throttled.Add(1)
		ev.Throttles++
		delay := backoff(q.cfg.ThrottleDelay, q.cfg.MaxThrottleDelay, ev.Throttles)
		q.log.Debug("async: throttled", "requestId", ev.RequestID, "function", ev.Target, "delay", delay)
		q.retry(ctx, m.ID, ev, now.Add(delay))
	case err != nil:
		q.failed.Add(1)
		q.log.Warn("async: invoke failed", "requestId", ev.RequestID, "function", ev.Target, "err", err)
		q.finish(ctx, m.ID, ev, &verdict{Condition: ConditionInvocationFailed, Time: now, Attempts: ev.Attempts,
			Error: newErrorInfo(ErrorTypeInvoke, err.Error())})
	case out.Failed:
		ev.Attempts++
		ev.Throttles = 0
		ev.LastError = newErrorInfo(out.ErrorType, out.ErrorMessage)
		ev.LastVersion = out.ExecutedVersion
		if ev.Attempts <= cfg.retries {
			q.retried.Add(1)
			delay := backoff(q.cfg.RetryDelay, math.MaxInt64, ev.Attempts)
			q.log.Info("async: attempt failed; retrying", "requestId", ev.RequestID, "function", ev.Target,
				"attempt", ev.Attempts, "errorType", ev.LastError.Type, "delay", delay)
			q.retry(ctx, m.ID, ev, now.Add(delay))
			return
		}
		q.failed.Add(1)
		q.finish(ctx, m.ID, ev, &verdict{Condition: ConditionRetriesExhausted, Time: now, Attempts: ev.Attempts,
			Ran: true, ExecutedVersion: out.ExecutedVersion, FunctionError: functionError(out.Unhandled), Error: ev.LastError})
	default:
		ev.Attempts++
		q.succeeded.Add(1)
		q.finish(ctx, m.ID, ev, &verdict{Condition: ConditionSuccess, Time: now, Attempts: ev.Attempts,
			Ran: true, ExecutedVersion: out.ExecutedVersion, Response: out.Payload})
	}
}

func functionError(unhandled bool) string {
	if unhandled {
		return "Unhandled"
	}
	return "Handled"
}

// eventConfig returns the configuration an event follows: its function's
// EventConfig, with defaults applied, and the event's own override.
func (q *Queue) eventConfig(ev *event) eventConfig {
	function, _ := splitTarget(ev.Target)
	c := q.cfg.EventConfig(function)
	if err := c.Validate(); err != nil {
		q.log.Error("async: invalid event invoke configuration; using the default", "function", function, "err", err)
		c = EventConfig{}
	}
	r := c.resolve()
	if o := ev.Override; o != nil {
		if o.MaximumRetryAttempts != nil {
			r.retries = *o.MaximumRetryAttempts
		}
		if o.MaximumEventAge != 0 {
			r.maxAge = o.MaximumEventAge
		}
		if o.OnFailure != nil {
			r.onFailure = o.OnFailure
		}
	}
	return r
}

// finish sends ev's record where v's condition says, then acks the
// message: in that order, so that a crash in between delivers the record
// again rather than never. When the delivery fails, the verdict is kept in
// the event (Pending), and the next delivery retries it without invoking
// again.
func (q *Queue) finish(ctx context.Context, id string, ev *event, v *verdict) {
	if err := q.deliver(ctx, ev, v); err != nil {
		q.destinationErrors.Add(1)
		ev.Pending = v
		ev.DeliveryErrors++
		delay := backoff(q.cfg.ThrottleDelay, q.cfg.MaxThrottleDelay, ev.DeliveryErrors)
		q.log.Error("async: delivering the record failed; will try again", "requestId", ev.RequestID, "function", ev.Target,
			"condition", v.Condition, "delay", delay, "err", err)
		q.retry(ctx, id, ev, q.cfg.Now().Add(delay))
		return
	}
	if err := q.q.Ack(ctx, id); err != nil {
		// The event stays leased; when the lease expires it is delivered
		// again, and may run, and its record be sent, twice.
		q.log.Error("async: ack failed", "requestId", ev.RequestID, "function", ev.Target, "err", err)
	}
}

// deliver sends ev's record to the destination for v.
func (q *Queue) deliver(ctx context.Context, ev *event, v *verdict) error {
	cfg := q.eventConfig(ev)
	success := v.Condition == ConditionSuccess
	dest := cfg.onFailure
	if success {
		dest = cfg.onSuccess
		if dest == nil {
			return nil
		}
	}
	switch {
	case dest.Kind == DestinationExternal && q.cfg.Deliver != nil:
		if err := q.cfg.Deliver(ctx, dest.Name, record(ev, v)); err != nil {
			return fmt.Errorf("destination %s: %w", dest.Name, err)
		}
		return nil
	case dest.Kind == DestinationExternal && success:
		q.log.Warn("async: success record not sent: nothing delivers to "+dest.Name, "requestId", ev.RequestID, "function", ev.Target)
		return nil
	case dest.Kind != DestinationFunction:
		return q.putDeadLetter(ctx, ev, v)
	}
	rec := record(ev, v)
	var why string
	switch {
	case ev.Depth >= MaxDestinationDepth:
		why = fmt.Sprintf("it is the %dth destination delivery in a row", ev.Depth+1)
	case len(rec) > MaxPayloadBytes:
		why = fmt.Sprintf("its record is %d bytes, over %d", len(rec), MaxPayloadBytes)
	default:
		child := &event{
			RequestID: uuid.New(),
			Target:    dest.Function,
			Payload:   rec,
			Enqueued:  q.cfg.Now(),
			Depth:     ev.Depth + 1,
			Source:    &source{RequestID: ev.RequestID, Function: ev.Target, Condition: v.Condition},
		}
		return q.enqueue(ctx, child)
	}
	if success {
		q.log.Warn("async: success record not sent to "+dest.Function+": "+why, "requestId", ev.RequestID, "function", ev.Target)
		return nil
	}
	q.log.Warn("async: failure record stored as a dead letter instead of sent to "+dest.Function+": "+why,
		"requestId", ev.RequestID, "function", ev.Target)
	return q.putDeadLetter(ctx, ev, v)
}

// retry stores ev as the message's new body, due at due (zero: now). On
// failure the message stays leased, and is delivered again when the lease
// expires (counted as a lost delivery).
func (q *Queue) retry(ctx context.Context, id string, ev *event, due time.Time) {
	body, err := ev.encode()
	if errors.Is(err, ErrPayloadTooLarge) && ev.Pending != nil && len(ev.Pending.Response) > 0 {
		ev.Pending.ResponseOmitted, ev.Pending.Response = len(ev.Pending.Response), nil
		body, err = ev.encode()
	}
	if err == nil {
		err = q.q.Retry(ctx, id, body, due)
	}
	if err != nil {
		q.log.Error("async: storing the event for later failed; it is delivered again when its lease expires",
			"requestId", ev.RequestID, "function", ev.Target, "lease", q.cfg.Lease, "err", err)
	}
}

// malformed moves a message that is not an event to the dead-letter store.
func (q *Queue) malformed(ctx context.Context, m store.Message, cause error) {
	q.failed.Add(1)
	ev := &event{RequestID: "malformed-" + m.ID, Payload: m.Body, Enqueued: m.Enqueued, Deliveries: m.Deliveries}
	v := &verdict{Condition: ConditionMalformed, Time: q.cfg.Now(), Error: newErrorInfo(ErrorTypeMalformed, cause.Error())}
	q.log.Error("async: malformed event moved to the dead-letter store", "id", ev.RequestID, "err", cause)
	if err := q.putDeadLetter(ctx, ev, v); err != nil {
		q.log.Error("async: storing a malformed event failed; it is delivered again when its lease expires",
			"id", ev.RequestID, "lease", q.cfg.Lease, "err", err)
		return
	}
	if err := q.q.Ack(ctx, m.ID); err != nil {
		q.log.Error("async: ack failed", "id", ev.RequestID, "err", err)
	}
}

// backoff returns base doubled n-1 times, at most limit.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		if d > math.MaxInt64/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}
