package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
)

// DeadLetter is a failed event kept in the dead-letter store: what was
// invoked, how it ended, and its invocation record.
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
	// would have received it (nil for a malformed message).
	Record json.RawMessage
	// Condition is why the event failed (ConditionRetriesExhausted,
	// ConditionEventAgeExceeded, ConditionInvocationFailed,
	// ConditionMalformed).
	Condition string
	// Attempts counts the attempts that ran the function (or may have).
	Attempts int
	// FirstEnqueued is when the event was enqueued.
	FirstEnqueued time.Time
	// LastError is the last attempt's error (zero when there was none).
	LastError ErrorInfo
	// Time is when the event was dead-lettered.
	Time time.Time
}

// The dead-letter bucket's keys: records under "t/<unix ns, 20 digits>/<id>",
// so they list in the order they were written, and an index from id to
// record key under "i/<id>".
const (
	dlRecordPrefix = "t/"
	dlIndexPrefix  = "i/"
)

// storedDeadLetter is a dead letter's value in the bucket: the event and
// its verdict, from which the record is rebuilt on read (so that the
// payload is stored once).
type storedDeadLetter struct {
	V       int       `json:"v"`
	Event   *event    `json:"event"`
	Verdict *verdict  `json:"verdict"`
	Time    time.Time `json:"time"`
}

// putDeadLetter stores ev with its verdict v. An event stored before (a
// redelivery after a crash) keeps its key, so it is listed once.
//
// The index is written before the record: a crash between the two leaves
// an index to nothing, which a lookup reports as not found and the
// redelivery of the event overwrites, instead of a record that listing
// shows twice.
func (q *Queue) putDeadLetter(ctx context.Context, ev *event, v *verdict) error {
	now := q.cfg.Now()
	idx := dlIndexPrefix + ev.RequestID
	var key string
	switch old, err := q.dl.Get(ctx, idx); {
	case err == nil && strings.HasPrefix(string(old), dlRecordPrefix):
		key = string(old)
	case err == nil, errors.Is(err, store.ErrNotFound):
		key = fmt.Sprintf("%s%020d/%s", dlRecordPrefix, max(0, now.UnixNano()), ev.RequestID)
		if err := q.dl.Put(ctx, idx, []byte(key)); err != nil {
			return fmt.Errorf("queue: store dead letter %s: %w", ev.RequestID, err)
		}
	default:
		return fmt.Errorf("queue: store dead letter %s: %w", ev.RequestID, err)
	}

	stored := ev.withoutProgress()
	vv := *v
	sd := storedDeadLetter{V: eventVersion, Event: stored, Verdict: &vv, Time: now}
	body, err := json.Marshal(sd)
	if err == nil && len(body) > store.MaxValueBytes && len(vv.Response) > 0 {
		vv.ResponseOmitted, vv.Response = len(vv.Response), nil
		body, err = json.Marshal(sd)
	}
	if err != nil {
		return fmt.Errorf("queue: encode dead letter %s: %w", ev.RequestID, err)
	}
	if err := q.dl.Put(ctx, key, body); err != nil {
		return fmt.Errorf("queue: store dead letter %s: %w", ev.RequestID, err)
	}
	q.deadLettered.Add(1)
	q.log.Info("async: dead-lettered", "requestId", ev.RequestID, "function", ev.Target, "condition", v.Condition, "attempts", v.Attempts)
	return nil
}

// withoutProgress returns a copy of e without its delivery state, which
// means nothing in a dead letter.
func (e *event) withoutProgress() *event {
	c := *e
	c.Pending, c.DeliveryErrors, c.Throttles, c.Deliveries = nil, 0, 0, 0
	return &c
}

func decodeDeadLetter(key string, b []byte) (DeadLetter, error) {
	var sd storedDeadLetter
	if err := json.Unmarshal(b, &sd); err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %s: %w: %v", key, store.ErrCorrupt, err)
	}
	if sd.V != eventVersion || sd.Event == nil || sd.Verdict == nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %s: %w: version %d", key, store.ErrCorrupt, sd.V)
	}
	ev, v := sd.Event, sd.Verdict
	d := DeadLetter{
		Key:           key,
		ID:            ev.RequestID,
		Function:      ev.Target,
		Payload:       ev.Payload,
		Condition:     v.Condition,
		Attempts:      v.Attempts,
		FirstEnqueued: ev.Enqueued,
		Time:          sd.Time,
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	switch {
	case v.Error != nil:
		d.LastError = *v.Error
	case ev.LastError != nil:
		d.LastError = *ev.LastError
	}
	if v.Condition != ConditionMalformed {
		d.Record = record(ev, v)
	}
	return d, nil
}

// DeadLetters lists up to limit dead letters (at most store.MaxListKeys),
// oldest first, starting after the one whose Key is after ("" for the
// first), and reports whether more follow.
func (q *Queue) DeadLetters(ctx context.Context, after string, limit int) ([]DeadLetter, bool, error) {
	if err := q.check(); err != nil {
		return nil, false, err
	}
	keys, more, err := q.dl.List(ctx, dlRecordPrefix, after, limit)
	if err != nil {
		return nil, false, fmt.Errorf("queue: list dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(keys))
	for _, k := range keys {
		b, err := q.dl.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted or re-driven meanwhile
		}
		if err != nil {
			return nil, false, fmt.Errorf("queue: list dead letters: %w", err)
		}
		d, err := decodeDeadLetter(k, b)
		if err != nil {
			return nil, false, err
		}
		out = append(out, d)
	}
	return out, more, nil
}

// DeadLetter returns the dead letter of the event with request id id, or
// ErrNotFound.
func (q *Queue) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	if err := q.check(); err != nil {
		return DeadLetter{}, err
	}
	key, err := q.deadLetterKey(ctx, id)
	if err != nil {
		return DeadLetter{}, err
	}
	b, err := q.dl.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return DeadLetter{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %s: %w", id, err)
	}
	return decodeDeadLetter(key, b)
}

func (q *Queue) deadLetterKey(ctx context.Context, id string) (string, error) {
	if id == "" || len(id) > store.MaxKeyBytes-len(dlIndexPrefix) {
		return "", fmt.Errorf("%w: %q", ErrNotFound, truncate(id, 80))
	}
	b, err := q.dl.Get(ctx, dlIndexPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return "", fmt.Errorf("queue: dead letter %s: %w", id, err)
	}
	return string(b), nil
}

// Redrive enqueues the dead-lettered event id again, as a new event (a new
// request id, which it returns, no attempts made, enqueued now), and then
// removes the dead letter. A crash in between leaves both: the event may
// be re-driven twice, never lost. Concurrent calls for one id in one
// process re-drive it once; the others get ErrNotFound.
func (q *Queue) Redrive(ctx context.Context, id string) (requestID string, err error) {
	if err := q.check(); err != nil {
		return "", err
	}
	q.redriveMu.Lock()
	defer q.redriveMu.Unlock()
	d, err := q.DeadLetter(ctx, id)
	if err != nil {
		return "", err
	}
	if d.Condition == ConditionMalformed || checkTarget(d.Function) != nil {
		return "", fmt.Errorf("%w: %s has no function to invoke (%s)", ErrNotRedrivable, id, d.Condition)
	}
	ev := &event{RequestID: uuid.New(), Target: d.Function, Payload: d.Payload, Enqueued: q.cfg.Now()}
	if err := q.enqueue(ctx, ev); err != nil {
		return "", err
	}
	if err := q.deleteDeadLetter(ctx, id, d.Key); err != nil {
		return ev.RequestID, fmt.Errorf("queue: redrive %s: enqueued as %s, but: %w", id, ev.RequestID, err)
	}
	q.redriven.Add(1)
	q.log.Info("async: re-driven", "requestId", id, "newRequestId", ev.RequestID, "function", d.Function)
	return ev.RequestID, nil
}

// DeleteDeadLetter removes the dead letter id, or returns ErrNotFound.
func (q *Queue) DeleteDeadLetter(ctx context.Context, id string) error {
	if err := q.check(); err != nil {
		return err
	}
	q.redriveMu.Lock()
	defer q.redriveMu.Unlock()
	key, err := q.deadLetterKey(ctx, id)
	if err != nil {
		return err
	}
	return q.deleteDeadLetter(ctx, id, key)
}

// deleteDeadLetter removes the record, then the index: a crash in between
// leaves an index to nothing, which reads as not found.
func (q *Queue) deleteDeadLetter(ctx context.Context, id, key string) error {
	if err := q.dl.Delete(ctx, key); err != nil {
		return fmt.Errorf("queue: delete dead letter %s: %w", id, err)
	}
	if err := q.dl.Delete(ctx, dlIndexPrefix+id); err != nil {
		return fmt.Errorf("queue: delete dead letter %s: %w", id, err)
	}
	return nil
}

// countDeadLetters counts the records in the dead-letter store.
func (q *Queue) countDeadLetters(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		keys, more, err := q.dl.List(ctx, dlRecordPrefix, after, store.MaxListKeys)
		if err != nil {
			return 0, fmt.Errorf("queue: count dead letters: %w", err)
		}
		n += len(keys)
		if !more || len(keys) == 0 {
			return n, nil
		}
		after = keys[len(keys)-1]
	}
}

// Bury stores in the dead-letter store an event that failed outside the
// queue (an event source's record, say): d's Function, Payload, Condition,
// Attempts, FirstEnqueued and LastError; ID is made when empty. It can
// then be listed, inspected and re-driven like the queue's own. The
// dead letter is returned as stored.
func (q *Queue) Bury(ctx context.Context, d DeadLetter) (DeadLetter, error) {
	if err := q.check(); err != nil {
		return DeadLetter{}, err
	}
	if err := checkTarget(d.Function); err != nil {
		return DeadLetter{}, err
	}
	if d.ID == "" {
		d.ID = uuid.New()
	}
	if !validName(d.ID, 64) {
		return DeadLetter{}, fmt.Errorf("%w: %q", ErrInvalidRequestID, truncate(d.ID, 80))
	}
	switch d.Condition {
	case ConditionRetriesExhausted, ConditionEventAgeExceeded, ConditionInvocationFailed:
	default:
		return DeadLetter{}, fmt.Errorf("%w: condition %q: use %s, %s or %s", ErrInvalidEventConfig,
			truncate(d.Condition, 80), ConditionRetriesExhausted, ConditionEventAgeExceeded, ConditionInvocationFailed)
	}
	if len(d.Payload) > MaxPayloadBytes {
		return DeadLetter{}, fmt.Errorf("%w: %d bytes, over %d", ErrPayloadTooLarge, len(d.Payload), MaxPayloadBytes)
	}
	now := q.cfg.Now()
	if d.FirstEnqueued.IsZero() {
		d.FirstEnqueued = now
	}
	ev := &event{RequestID: d.ID, Target: d.Function, Payload: d.Payload, Enqueued: d.FirstEnqueued, Attempts: d.Attempts}
	v := &verdict{Condition: d.Condition, Time: now, Attempts: d.Attempts}
	if d.LastError != (ErrorInfo{}) {
		e := d.LastError
		v.Error, v.Ran, v.FunctionError = &e, true, "Unhandled"
	}
	if err := q.putDeadLetter(ctx, ev, v); err != nil {
		return DeadLetter{}, err
	}
	return q.DeadLetter(ctx, d.ID)
}
