package eventsource

import "errors"

// Sentinel errors; the errors returned are *Error values that match them
// with errors.Is.
var (
	// ErrInvalid: a mapping's field is missing, malformed or out of range.
	ErrInvalid = errors.New("invalid event source mapping")
	// ErrNotFound: no mapping by that UUID.
	ErrNotFound = errors.New("event source mapping not found")
	// ErrFunctionNotFound: the mapping's function does not exist.
	ErrFunctionNotFound = errors.New("function not found")
	// ErrStreamNotFound: the mapping's stream does not exist.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrConflict: the change conflicts with the mapping's state (it is
	// being deleted, or a mapping of that function and stream exists).
	ErrConflict = errors.New("event source mapping conflict")
	// ErrClosed: the manager was closed.
	ErrClosed = errors.New("event sources closed")
)

// Error is a failure with the sentinel it matches and a message that says
// what to do, fit for the API's error message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }
