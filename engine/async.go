package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flintfaas/flint/engine/internal/queue"
)

// DeadLetter is an asynchronous event that failed (or expired) with the
// dead-letter store as its failure destination.
type DeadLetter = queue.DeadLetter

// AsyncStats are the async queue's gauges and counters.
type AsyncStats = queue.Stats

// Destination names for EventInvokeConfig.OnSuccess and OnFailure.
const (
	// DeadLetterDestination sends events to the engine's dead-letter store.
	DeadLetterDestination = "dead-letter"
	// FunctionDestinationPrefix starts a function destination:
	// "function:NAME" or "function:NAME:QUALIFIER".
	FunctionDestinationPrefix = "function:"
)

// startAsync starts the workers of the asynchronous invocation queue.
func (e *Engine) startAsync() error {
	q, err := queue.New(queue.Config{
		Store:         e.store,
		Invoke:        e.asyncInvoke,
		EventConfig:   e.queueEventConfig,
		IsThrottle:    func(err error) bool { return errors.Is(err, ErrThrottled) },
		Workers:       e.cfg.Async.Workers,
		RetryDelay:    e.cfg.Async.RetryDelay,
		ThrottleDelay: e.cfg.Async.ThrottleDelay,
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
	res, err := e.invoke(ctx, target, payload, 0, requestID)
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
	c, err := e.EventInvokeConfig(function)
	if err != nil {
		return queue.EventConfig{}
	}
	qc, _ := toQueueConfig(c)
	return qc
}

func toQueueConfig(c EventInvokeConfig) (queue.EventConfig, error) {
	qc := queue.EventConfig{MaximumEventAge: c.MaximumEventAge}
	if r := c.MaximumRetryAttempts; r != nil {
		qc.MaximumRetryAttempts = *r
		if *r == 0 {
			qc.MaximumRetryAttempts = queue.NoRetries
		}
	}
	var err error
	if qc.OnSuccess, err = destination("OnSuccess", c.OnSuccess); err != nil {
		return qc, err
	}
	qc.OnFailure, err = destination("OnFailure", c.OnFailure)
	return qc, err
}

func destination(field, d string) (*queue.Destination, error) {
	switch {
	case d == "":
		return nil, nil
	case d == DeadLetterDestination:
		return queue.ToDeadLetters(), nil
	case strings.HasPrefix(d, FunctionDestinationPrefix):
		return queue.ToFunction(strings.TrimPrefix(d, FunctionDestinationPrefix)), nil
	}
	return nil, invalid("%s destination %q: use %q or %q", field, d, DeadLetterDestination, FunctionDestinationPrefix+"NAME[:QUALIFIER]")
}

func (e *Engine) validateEventConfig(c EventInvokeConfig) error {
	if r := c.MaximumRetryAttempts; r != nil && (*r < 0 || *r > queue.MaxRetryAttempts) {
		return invalid("MaximumRetryAttempts %d: must be between 0 and %d", *r, queue.MaxRetryAttempts)
	}
	qc, err := toQueueConfig(c)
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
// the function's destinations (see SetEventInvokeConfig); async
// invocations wait for free concurrency rather than being dropped.
func (e *Engine) InvokeAsync(ctx context.Context, target string, payload []byte) (string, error) {
	if e.closed.Load() {
		return "", ErrClosed
	}
	if len(payload) > e.cfg.MaxAsyncPayloadBytes {
		return "", fmt.Errorf("%w: %d bytes, over the %d-byte limit for asynchronous invocations",
			ErrPayloadTooLarge, len(payload), e.cfg.MaxAsyncPayloadBytes)
	}
	if err := e.CheckInvoke(target); err != nil {
		return "", err
	}
	return e.async.Enqueue(ctx, target, payload)
}

// DeadLetters lists the dead-letter store, oldest first, after the id
// after (empty: from the start), at most limit, and whether more follow.
func (e *Engine) DeadLetters(ctx context.Context, after string, limit int) ([]DeadLetter, bool, error) {
	return e.async.DeadLetters(ctx, after, limit)
}

// DeadLetter returns one dead letter by its request id.
func (e *Engine) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	return e.async.DeadLetter(ctx, id)
}

// Redrive queues a dead letter's event again, with its attempts reset, and
// removes it from the dead-letter store.
func (e *Engine) Redrive(ctx context.Context, id string) (string, error) {
	return e.async.Redrive(ctx, id)
}

// DeleteDeadLetter removes a dead letter.
func (e *Engine) DeleteDeadLetter(ctx context.Context, id string) error {
	return e.async.DeleteDeadLetter(ctx, id)
}

func (e *Engine) asyncStats(ctx context.Context) AsyncStats {
	if e.async == nil {
		return AsyncStats{}
	}
	st, _ := e.async.Stats(ctx)
	return st
}
