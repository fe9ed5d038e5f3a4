package policy

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidPolicy is wrapped by every error Parse returns, so callers can
// tell a rejected document from other failures with errors.Is. Use
// errors.As with *ValidationError for the details.
var ErrInvalidPolicy = errors.New("invalid policy")

// ErrUnknownAction is wrapped by the error ParseAction returns for a name
// that is not one of the known actions.
var ErrUnknownAction = errors.New("unknown action")

// ValidationError says what is wrong with a policy document and where. It
// wraps ErrInvalidPolicy.
type ValidationError struct {
	// Statement is the index of the offending statement in the document's
	// Statement array, or -1 when the problem is with the document itself
	// (its JSON, Version, or a top-level field).
	Statement int
	// Sid is the offending statement's Sid, when it has a valid one.
	Sid string
	// Field names the element at fault: "Version", "Statement", "Sid",
	// "Effect", "Action", "Resource", the name of an unknown field, or ""
	// when the document is not valid JSON.
	Field string
	// Value is the offending value (an action or resource pattern, a
	// Version, an Effect), or "" when the field is missing or its value is
	// not a string.
	Value string
	// Reason says what is wrong and how to fix it.
	Reason string
}

// maxQuotedValue bounds how much of a value an error message repeats.
const maxQuotedValue = 120

// Error returns a message naming the statement (by index, and by Sid when it
// has one), the field, the value and the reason, for example:
//
//	policy: Statement[3] (Sid "admin"): Action "kv:Gte": unknown action; ...
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("policy: ")
	if e.Statement >= 0 {
		b.WriteString("Statement[")
		b.WriteString(strconv.Itoa(e.Statement))
		b.WriteString("]")
		if e.Sid != "" {
			b.WriteString(" (Sid ")
			b.WriteString(strconv.Quote(e.Sid))
			b.WriteString(")")
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Value != "" {
			v := e.Value
			if len(v) > maxQuotedValue {
				v = v[:maxQuotedValue] + "..."
			}
			b.WriteString(" ")
			b.WriteString(strconv.Quote(v))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns ErrInvalidPolicy.
func (e *ValidationError) Unwrap() error { return ErrInvalidPolicy }
