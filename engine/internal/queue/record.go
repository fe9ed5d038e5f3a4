package queue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Conditions: why an invocation record was sent, as in its
// requestContext.condition. The first three are Lambda's.
const (
	// ConditionSuccess: an attempt succeeded.
	ConditionSuccess = "Success"
	// ConditionRetriesExhausted: the last allowed attempt failed.
	ConditionRetriesExhausted = "RetriesExhausted"
	// ConditionEventAgeExceeded: the event was older than its
	// MaximumEventAge when it was due; it was not invoked again.
	ConditionEventAgeExceeded = "EventAgeExceeded"
	// ConditionInvocationFailed (Flint's own): the Invoker could not run
	// the function at all, for a reason other than a throttle (it was
	// deleted, say); the event is not retried.
	ConditionInvocationFailed = "InvocationFailed"
	// ConditionMalformed (Flint's own, dead letters only): a queue message
	// could not be decoded; the dead letter holds its body and no record.
	ConditionMalformed = "MalformedEvent"
)

func knownCondition(c string) bool {
	switch c {
	case ConditionSuccess, ConditionRetriesExhausted, ConditionEventAgeExceeded, ConditionInvocationFailed:
		return true
	}
	return false
}

// functionARNPrefix makes a function's ARN in records: Flint has one
// region and one account.
const functionARNPrefix = "arn:aws:lambda:local:000000000000:function:"

// recordTimeLayout is RFC 3339 in UTC with milliseconds, as Lambda writes
// a record's timestamp.
const recordTimeLayout = "2006-01-02T15:04:05.000Z"

// Record is an invocation record, the payload a destination function
// receives and DeadLetter.Record, shaped as Lambda's.
type Record struct {
	Version        string        `json:"version"`   // "1.0"
	Timestamp      string        `json:"timestamp"` // RFC 3339, UTC, milliseconds
	RequestContext RecordRequest `json:"requestContext"`
	// RequestPayload is the event's payload: as is when it is JSON, else
	// a JSON string of it.
	RequestPayload json.RawMessage `json:"requestPayload"`
	// ResponseContext is present when the last attempt ran the function.
	ResponseContext *RecordResponse `json:"responseContext,omitempty"`
	// ResponsePayload is the function's response on success (as is when
	// JSON, else a string; null when empty), else the last error as
	// {"errorType":...,"errorMessage":...}; absent when there was none.
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

// RecordRequest is a record's requestContext.
type RecordRequest struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"` // with the qualifier invoked, "$LATEST" when none
	Condition   string `json:"condition"`
	// ApproximateInvokeCount counts the attempts that ran the function (or
	// may have: a lost delivery counts).
	ApproximateInvokeCount int `json:"approximateInvokeCount"`
}

// RecordResponse is a record's responseContext.
type RecordResponse struct {
	StatusCode      int    `json:"statusCode"` // 200: the function ran
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"` // "Handled" or "Unhandled"; absent on success
}

// verdict is how an event ended: everything its record is made of besides
// the event itself. It is kept in the event (event.Pending) while its
// delivery is outstanding, and in a dead letter.
type verdict struct {
	Condition string    `json:"condition"`
	Time      time.Time `json:"time"`
	Attempts  int       `json:"attempts"`
	// Ran: the attempt that decided ran the function.
	Ran             bool   `json:"ran,omitempty"`
	ExecutedVersion string `json:"executedVersion,omitempty"`
	FunctionError   string `json:"functionError,omitempty"`
	// Response is a successful attempt's response; ResponseOmitted that it
	// was too large to keep (of that many bytes).
	Response        []byte     `json:"response,omitempty"`
	ResponseOmitted int        `json:"responseOmitted,omitempty"`
	Error           *ErrorInfo `json:"error,omitempty"`
}

// record returns the invocation record of ev's verdict v, as JSON.
func record(ev *event, v *verdict) json.RawMessage {
	name, qualifier := splitTarget(ev.Target)
	r := Record{
		Version:   "1.0",
		Timestamp: v.Time.UTC().Format(recordTimeLayout),
		RequestContext: RecordRequest{
			RequestID:              ev.RequestID,
			FunctionARN:            functionARNPrefix + name + ":" + qualifier,
			Condition:              v.Condition,
			ApproximateInvokeCount: v.Attempts,
		},
		RequestPayload: jsonValue(ev.Payload),
	}
	if v.Ran {
		r.ResponseContext = &RecordResponse{StatusCode: 200, ExecutedVersion: v.ExecutedVersion, FunctionError: v.FunctionError}
	}
	switch {
	case v.Error != nil:
		r.ResponsePayload = marshal(v.Error)
	case v.ResponseOmitted > 0:
		r.ResponsePayload = marshal(fmt.Sprintf("(a response of %d bytes, too large to keep)", v.ResponseOmitted))
	case v.Ran:
		if len(v.Response) == 0 {
			r.ResponsePayload = json.RawMessage("null")
		} else {
			r.ResponsePayload = jsonValue(v.Response)
		}
	}
	return marshal(r)
}

// jsonValue returns b as a JSON value: itself (compacted) when it is
// valid JSON, else a JSON string of it (invalid UTF-8 replaced by U+FFFD).
func jsonValue(b []byte) json.RawMessage {
	if json.Valid(b) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err == nil {
			return buf.Bytes()
		}
	}
	return marshal(string(b))
}

// marshal encodes v without HTML escaping ('<' stays '<', as Lambda
// writes it). Its values are all encodable.
func marshal(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("queue: encode %T: %v", v, err)) // unreachable: strings, ints and valid raw JSON
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
