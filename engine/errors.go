package engine

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is; the errors returned wrap them
// with the detail (which function, which limit).
var (
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("engine closed")
	// ErrFunctionNotFound: no function (or version) by that name.
	ErrFunctionNotFound = errors.New("function not found")
	// ErrInvalidFunction: a Function's configuration is not valid.
	ErrInvalidFunction = errors.New("invalid function configuration")
	// ErrInvalidModule: the code is not a module Flint can run.
	ErrInvalidModule = errors.New("invalid module")
	// ErrThrottled: the function's concurrency limit was reached and no
	// instance freed up in time.
	ErrThrottled = errors.New("throttled")
	// ErrConflict: the change conflicts with the state (deleting a version
	// an alias points to).
	ErrConflict = errors.New("conflict")
	// ErrPayloadTooLarge: a request payload is over the configured limit.
	ErrPayloadTooLarge = errors.New("request payload too large")
	// ErrDeadLetterNotFound: no dead letter by that request id.
	ErrDeadLetterNotFound = errors.New("dead letter not found")
	// ErrInvalidConfig: the engine's Config is not valid (a host
	// capability without a name or handler, say).
	ErrInvalidConfig = errors.New("invalid engine configuration")
	// ErrInvokeDepth: a chain of invocations (functions invoking
	// functions, host capabilities invoking functions) reached
	// Config.MaxInvokeDepth: a recursive loop, most likely.
	ErrInvokeDepth = errors.New("invocation depth limit reached")

	// Errors for host capabilities (HostFunc) to return, alone or wrapped
	// with detail for the embedder's log: each chooses the ABI's error
	// code the calling function sees. ErrFunctionNotFound,
	// ErrPayloadTooLarge, ErrResponseTooLarge, ErrThrottled and
	// ErrInvokeDepth, from a nested Invoke, are mapped too.

	// ErrNotFound: what the call asked for does not exist (NOT_FOUND).
	ErrNotFound = errors.New("not found")
	// ErrDenied: the capability refuses the call, beyond what the
	// execution policy already checked (DENIED).
	ErrDenied = errors.New("denied")
	// ErrInvalidArgument: the call's payload is not valid (INVALID).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnavailable: something the capability needs could not be
	// reached; trying again later may work (UNAVAILABLE).
	ErrUnavailable = errors.New("unavailable")

	// The causes of unhandled function errors; FunctionError unwraps to one.

	// ErrTimeout: the invocation ran past its function's timeout.
	ErrTimeout = errors.New("function timed out")
	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, ...).
	ErrTrap = errors.New("function trapped")
	// ErrExit: the guest exited (a Go guest's panic exits with status 2).
	ErrExit = errors.New("function exited")
	// ErrMemoryLimit: the guest tried to grow its memory past MemoryMB.
	ErrMemoryLimit = errors.New("function exceeded its memory limit")
	// ErrInitFailed: creating the instance failed (init trapped, timed out,
	// or the guest's init hook reported an error).
	ErrInitFailed = errors.New("function init failed")
	// ErrResponseTooLarge: the guest wrote more output than allowed.
	ErrResponseTooLarge = errors.New("response payload too large")
	// ErrCanceled: the caller's context was cancelled during the call.
	ErrCanceled = errors.New("invocation canceled")
)

// Error types reported in FunctionError.Type for unhandled errors, named as
// Lambda names its own.
const (
	ErrorTypeTimeout          = "Sandbox.Timedout"
	ErrorTypeTrap             = "Runtime.Trap"
	ErrorTypeExit             = "Runtime.ExitError"
	ErrorTypeMemory           = "Runtime.OutOfMemory"
	ErrorTypeInit             = "Runtime.InitError"
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	ErrorTypeCanceled         = "Runtime.Canceled"
	ErrorTypeUnknown          = "Runtime.Unknown"
	// ErrorTypeRequestTooLarge: a function declined an HTTP request
	// message (WithHTTPRequest) and the event made for it instead is over
	// Config.MaxRequestBytes.
	ErrorTypeRequestTooLarge = "Function.RequestSizeTooLarge"
)

// FunctionError is a function's failure, reported in Result.FunctionError.
// A handled error is one the guest returned (its type and message are the
// guest's); an unhandled one is a crash the platform saw (timeout, trap,
// exit, memory limit, failed init) and unwraps to its cause: ErrTimeout,
// ErrTrap, ErrExit, ErrMemoryLimit, ErrInitFailed, ErrResponseTooLarge or
// ErrCanceled.
type FunctionError struct {
	Type      string
	Message   string
	Unhandled bool
	cause     error
}

// Error returns "Type: Message".
func (e *FunctionError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// Unwrap returns the cause of an unhandled error, nil for a handled one.
func (e *FunctionError) Unwrap() error { return e.cause }

func unhandled(cause error, typ, format string, args ...any) *FunctionError {
	return &FunctionError{Type: typ, Message: fmt.Sprintf(format, args...), Unhandled: true, cause: cause}
}

// CapabilityError is a host capability's failure that the calling
// function sees with a type and a message, as it sees a failed function
// it invoked: the ABI's FUNCTION code, with {"errorType", "errorMessage"}
// as the pending result (in the Go SDK, a *guest.Error). Return one from a
// HostFunc when the guest should know why ("OrderLocked", "order o-17 is
// being shipped"). A *FunctionError (a nested invocation's failure) is
// passed on the same way.
type CapabilityError struct {
	Type    string
	Message string
}

// Error returns "Type: Message".
func (e *CapabilityError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// ModuleError says why a module was refused at deploy. It unwraps to
// ErrInvalidModule.
type ModuleError struct {
	Function string
	Reason   string
}

// Error returns the reason, with the function's name.
func (e *ModuleError) Error() string {
	return fmt.Sprintf("invalid module for function %q: %s", e.Function, e.Reason)
}

// Unwrap returns ErrInvalidModule.
func (e *ModuleError) Unwrap() error { return ErrInvalidModule }
