package queue

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is; the errors returned wrap them
// with the detail (which target, which field, which limit).
var (
	// ErrClosed: the Queue was closed; every call on it fails from then on.
	ErrClosed = errors.New("queue: closed")
	// ErrNotFound: no dead letter with that id (never dead-lettered, or
	// deleted or re-driven since).
	ErrNotFound = errors.New("queue: dead letter not found")
	// ErrInvalidConfig: a Config is missing its Store or Invoke, or has a
	// negative count or delay.
	ErrInvalidConfig = errors.New("queue: invalid configuration")
	// ErrInvalidEventConfig: an EventConfig is out of range; the error is
	// an *EventConfigError naming the field.
	ErrInvalidEventConfig = errors.New("queue: invalid event invoke configuration")
	// ErrInvalidTarget: a target or destination is not "name" or
	// "name:qualifier" with a valid function name and qualifier.
	ErrInvalidTarget = errors.New("queue: invalid target")
	// ErrPayloadTooLarge: an event's payload is over MaxPayloadBytes.
	ErrPayloadTooLarge = errors.New("queue: payload too large")
	// ErrInvalidRequestID: EnqueueOptions.RequestID is not a request id.
	ErrInvalidRequestID = errors.New("queue: invalid request id")
	// ErrNotRedrivable: a dead letter has no function to invoke again (it
	// holds a queue message that could not be decoded).
	ErrNotRedrivable = errors.New("queue: dead letter cannot be re-driven")
)

// EventConfigError says which field of an EventConfig is out of range and
// what it may be. It unwraps to ErrInvalidEventConfig.
type EventConfigError struct {
	// Field is the field's name, as in EventConfig ("MaximumRetryAttempts").
	Field string
	// Value is the rejected value, formatted.
	Value string
	// Allowed describes the values the field may take.
	Allowed string
}

// Error returns "queue: invalid event invoke configuration: Field = Value;
// allowed: Allowed".
func (e *EventConfigError) Error() string {
	return fmt.Sprintf("%v: %s = %s; allowed: %s", ErrInvalidEventConfig, e.Field, e.Value, e.Allowed)
}

// Unwrap returns ErrInvalidEventConfig.
func (e *EventConfigError) Unwrap() error { return ErrInvalidEventConfig }
