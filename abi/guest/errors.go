package guest

import (
	"errors"
	"strconv"

	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// Sentinel errors for the conditions a function branches on. Errors from
// capability calls match them with errors.Is: a *HostError by its code, a
// *DeniedError always matches ErrDenied.
var (
	// ErrNotFound: the key, function or configuration value does not exist.
	ErrNotFound = errors.New("flint: not found")
	// ErrDenied: the function's execution policy does not allow the call.
	ErrDenied = errors.New("flint: denied by the function's execution policy")
	// ErrLimit: a limit was reached, such as the depth of a chain of
	// invocations.
	ErrLimit = errors.New("flint: limit reached")
	// ErrUnavailable: the target could not be reached (network error,
	// timeout, throttled); trying again later may work.
	ErrUnavailable = errors.New("flint: unavailable")
	// ErrTooLarge: a value, request or response exceeded a size limit.
	ErrTooLarge = errors.New("flint: too large")
	// ErrInvalid: an argument was not valid, such as a payload a host
	// capability could not read.
	ErrInvalid = errors.New("flint: invalid argument")
)

// Error is a function error with an explicit type, as Lambda reports it
// (errorType, errorMessage). Return one from a handler to choose the type;
// Invoke returns one when the invoked function failed.
type Error struct {
	Type    string
	Message string
}

// Error returns the message, or the type when there is no message.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Message
}

// ErrorType returns Type.
func (e *Error) ErrorType() string { return e.Type }

// HostError is a failed host call: which call (its ABI name, such as
// "kv_get") and the ABI error code (abi/SPEC.md). It matches the sentinel
// of its code with errors.Is: ErrNotFound (4), ErrDenied (6), ErrLimit
// (9), ErrUnavailable (10), ErrTooLarge (2), ErrInvalid (3).
type HostError struct {
	Call  string
	Errno int32
}

// Error names the call and what its code means.
func (e *HostError) Error() string {
	return "flint: " + e.Call + ": " + errnoText(e.Errno)
}

// Is reports whether target is the sentinel of e's code.
func (e *HostError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Errno == host.NotFound
	case ErrDenied:
		return e.Errno == host.Denied
	case ErrLimit:
		return e.Errno == host.Limit
	case ErrUnavailable:
		return e.Errno == host.Unavailable
	case ErrTooLarge:
		return e.Errno == host.TooLarge
	case ErrInvalid:
		return e.Errno == host.Invalid
	}
	return false
}

func errnoText(errno int32) string {
	switch errno {
	case host.Bounds:
		return "a pointer or length lies outside linear memory"
	case host.TooLarge:
		return "too large: a size limit was exceeded"
	case host.Invalid:
		return "invalid argument"
	case host.NotFound:
		return "not found"
	case host.State:
		return "not allowed now (outside init and invocations, or no Flint host)"
	case host.Denied:
		return "denied by the function's execution policy"
	case host.Internal:
		return "the host failed; the invocation's log has the details"
	case host.Function:
		return "the invoked function failed"
	case host.Limit:
		return "limit reached (invocation depth or concurrency)"
	case host.Unavailable:
		return "unavailable: the target could not be reached (network error, timeout or throttling); trying again later may work"
	}
	return "error code " + strconv.Itoa(int(errno))
}

// DeniedError is a capability call the function's execution policy does
// not allow: the action and the resource it was checked on, built the way
// the host builds them (abi/POLICY.md), so the message names the statement
// to add. It matches ErrDenied with errors.Is, and a handler that returns
// it (or an error wrapping it) reports a handled error of type "Denied".
type DeniedError struct {
	Action   string // "kv:Get", "http:Fetch", "fn:Invoke", "config:Get", "app:orders.Get", ...
	Resource string // "kv:sessions/x", "https://api.example.com/v1/x", "fn:resize", "config:db-url", "app:orders/tenant-42/o-17"
	// Guard, when set, says the host's private-address guard refused the
	// call, not the policy: why ("127.0.0.1 is a loopback address; ...").
	// Fetching a loopback, private or link-local address needs the
	// operator to allow private networks and the policy to name the host
	// literally.
	Guard string
}

// Error says what was denied, and by what:
// "flint: kv:Get on kv:sessions/x denied by the function's execution policy",
// or "flint: http:Fetch on http://127.0.0.1:8080/ refused by the host's
// private-address guard (not the execution policy): ...".
func (e *DeniedError) Error() string {
	if e.Guard != "" {
		return "flint: " + e.Action + " on " + e.Resource + " refused by the host's private-address guard (not the execution policy): " + e.Guard
	}
	if e.Resource == "" {
		// A host capability that refused the call itself names none.
		return "flint: " + e.Action + " denied"
	}
	return "flint: " + e.Action + " on " + e.Resource + " denied by the function's execution policy"
}

// Is reports whether target is ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// ErrorType returns "Denied", the type a handler returning e reports.
func (e *DeniedError) ErrorType() string { return "Denied" }

// callError is the error of a capability call that failed with errno: a
// *DeniedError naming action and resource when the policy denied it, else
// a *HostError.
func callError(call string, errno int32, action, resource string) error {
	if errno == host.Denied {
		return &DeniedError{Action: action, Resource: resource}
	}
	return &HostError{Call: call, Errno: errno}
}
