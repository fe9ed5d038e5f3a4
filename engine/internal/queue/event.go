package queue

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flintfaas/flint/engine/store"
)

// eventVersion is the version of the event body's format; a body of
// another version is not decoded (see doc.go, "Formats").
const eventVersion = 1

// event is the body of a store message: one asynchronous invocation and
// its progress, rewritten by every Retry.
type event struct {
	V         int       `json:"v"`
	RequestID string    `json:"requestId"`
	Target    string    `json:"target"`
	Payload   []byte    `json:"payload"` // base64
	Enqueued  time.Time `json:"enqueued"`
	// Attempts counts attempts that ran the function, or may have (see
	// Deliveries).
	Attempts int `json:"attempts,omitempty"`
	// Throttles counts throttles since the last attempt, for backoff.
	Throttles int `json:"throttles,omitempty"`
	// Deliveries is the store's delivery count when the event was last
	// retried or released: a delivery beyond it that did not end that way
	// was lost (the process stopped, or the lease ran out) and counts as
	// an attempt, so an event that kills its worker is not retried
	// forever.
	Deliveries int `json:"deliveries,omitempty"`
	// LastError is the last failed attempt's error; LastVersion the
	// version that ran.
	LastError   *ErrorInfo `json:"lastError,omitempty"`
	LastVersion string     `json:"lastVersion,omitempty"`
	// Depth counts the destination deliveries that led to this event: 0
	// for an event from Enqueue or Redrive.
	Depth int `json:"depth,omitempty"`
	// Source, for a destination delivery (whose payload is the record),
	// is the event the record is about.
	Source *source `json:"source,omitempty"`
	// Pending is set when the event's outcome is decided but delivering
	// its record to the destination failed: the next delivery retries
	// that, without invoking again. DeliveryErrors counts such failures,
	// for backoff.
	Pending        *verdict `json:"pending,omitempty"`
	DeliveryErrors int      `json:"deliveryErrors,omitempty"`
	// Override is the event's own configuration (EnqueueOptions).
	Override *Override `json:"override,omitempty"`
}

// source names the event a destination delivery's record is about.
type source struct {
	RequestID string `json:"requestId"`
	Function  string `json:"function"`
	Condition string `json:"condition"`
}

// ErrorInfo is a failed attempt's error: the function's error type and
// message (as Lambda reports them), or one of Flint's (ErrorTypeInvoke,
// ErrorTypeDeliveryLost).
type ErrorInfo struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

// Error types that Flint reports for what is not the function's own error.
const (
	// ErrorTypeInvoke: the Invoker could not run the function at all (it
	// was deleted, say); Message is the Invoker's error.
	ErrorTypeInvoke = "Flint.InvokeError"
	// ErrorTypeDeliveryLost: a delivery of the event ended without an
	// outcome (the process stopped, or the lease expired during the
	// attempt); the function may have run.
	ErrorTypeDeliveryLost = "Flint.DeliveryLost"
	// ErrorTypeMalformed: a queue message could not be decoded as an
	// event; the dead letter's Payload is the message's body.
	ErrorTypeMalformed = "Flint.MalformedEvent"
)

// maxErrorBytes caps an error type and message kept in an event or a
// record, so that retry state stays small beside the payload.
const (
	maxErrorTypeBytes    = 256
	maxErrorMessageBytes = 16 << 10
)

func newErrorInfo(typ, msg string) *ErrorInfo {
	return &ErrorInfo{Type: truncate(typ, maxErrorTypeBytes), Message: truncate(msg, maxErrorMessageBytes)}
}

// truncate cuts s to at most n bytes, on a UTF-8 boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "... (truncated)"
	cut := n - len(mark)
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + mark
}

func (e *event) encode() ([]byte, error) {
	e.V = eventVersion
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("queue: encode event %s: %w", e.RequestID, err)
	}
	if len(b) > store.MaxMessageBytes {
		return nil, fmt.Errorf("%w: event %s is %d bytes encoded, over %d", ErrPayloadTooLarge, e.RequestID, len(b), store.MaxMessageBytes)
	}
	return b, nil
}

func decodeEvent(body []byte) (*event, error) {
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if e.V != eventVersion {
		return nil, fmt.Errorf("decode event: format version %d, want %d", e.V, eventVersion)
	}
	if !validName(e.RequestID, 64) {
		return nil, fmt.Errorf("decode event: request id %q", truncate(e.RequestID, 80))
	}
	if err := checkTarget(e.Target); err != nil {
		return nil, fmt.Errorf("decode event %s: %w", e.RequestID, err)
	}
	if e.Attempts < 0 || e.Throttles < 0 || e.Deliveries < 0 || e.Depth < 0 || e.DeliveryErrors < 0 {
		return nil, fmt.Errorf("decode event %s: negative count", e.RequestID)
	}
	if e.Pending != nil && !knownCondition(e.Pending.Condition) {
		return nil, fmt.Errorf("decode event %s: pending condition %q", e.RequestID, e.Pending.Condition)
	}
	return &e, nil
}
