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
