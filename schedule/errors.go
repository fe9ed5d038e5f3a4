package schedule

import "errors"

// Sentinel errors. Match them with errors.Is; the Scheduler's methods
// return an *Error that unwraps to one of the first three, with
// EventBridge Scheduler's wording in its message.
var (
	// ErrNotFound: no schedule or schedule group by that name
	// (ResourceNotFoundException).
	ErrNotFound = errors.New("schedule: not found")
	// ErrConflict: a schedule or group by that name exists already, or the
	// group is in use (ConflictException).
	ErrConflict = errors.New("schedule: conflict")
	// ErrInvalid: a field is missing, malformed or out of range
	// (ValidationException); Error.Field names it.
	ErrInvalid = errors.New("schedule: invalid")
	// ErrClosed: the Scheduler was closed.
	ErrClosed = errors.New("schedule: scheduler closed")
)

// Error is why a Scheduler refused a request, in the terms EventBridge
// Scheduler uses: a server sends Message as the error's message, with the
// error code Err stands for.
type Error struct {
	// Err is ErrNotFound, ErrConflict or ErrInvalid.
	Err error
	// Field is the request field at fault, as the API spells it
	// ("Target.RetryPolicy.MaximumRetryAttempts"); empty when Err is not
	// ErrInvalid.
	Field string
	// Message says what is wrong ("Schedule nightly does not exist.", "1
	// validation error detected: Value '186' at
	// 'Target.RetryPolicy.MaximumRetryAttempts' failed to satisfy
	// constraint: Member must have value less than or equal to 185").
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns Err, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

func notFound(msg string) *Error { return &Error{Err: ErrNotFound, Message: msg} }

func conflict(msg string) *Error { return &Error{Err: ErrConflict, Message: msg} }

func invalid(field, msg string) *Error { return &Error{Err: ErrInvalid, Field: field, Message: msg} }
