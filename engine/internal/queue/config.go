package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine/store"
)

// Names inside the Store, and limits.
const (
	// QueueName is the store queue that holds pending events.
	QueueName = "async"
	// DeadLetterBucket is the store bucket that holds dead letters.
	DeadLetterBucket = "dead-letters"

	// MaxPayloadBytes is the largest event payload Enqueue takes (512 KiB,
	// twice Lambda's 256 KiB): base64 in a JSON body, it leaves room in a
	// store message (store.MaxMessageBytes) for the event's retry state.
	MaxPayloadBytes = 512 << 10
	// MaxDestinationDepth is how many destination deliveries may follow
	// one another (a function's failure record sent to a function whose
	// failure record is sent on ...). The event that would go further goes
	// to the dead-letter store instead if it failed, and nowhere if it
	// succeeded: this stops destination loops, as Lambda stops recursive
	// loops after 16 invocations.
	MaxDestinationDepth = 16
)

// Defaults applied to zero fields of Config.
const (
	// DefaultWorkers is how many events run at once. A worker of a quick
	// function spends its time waiting for two store commits per event
	// (the lease, the ack), not running it; a durable store commits the
	// writes of concurrent workers together, so the drain rate grows with
	// the worker count until the store's single writer is busy
	// (BenchmarkAsyncDrain in engine, a backlog of wat-echo events on
	// bbolt: medians of ~550 events/s with 4 workers and ~25,500 with 64
	// in the same run on 2 shared cores; see RATIONALE.md).
	DefaultWorkers          = 64
	DefaultRetryDelay       = time.Minute // Lambda: 1 minute, then 2
	DefaultThrottleDelay    = time.Second // Lambda: from 1 second ...
	DefaultMaxThrottleDelay = 5 * time.Minute
	// DefaultLease is how long a worker holds an event between
	// extensions: a worker extends it every third of it while the attempt
	// runs (up to Lambda's 15-minute maximum timeout), so the event of a
	// worker that died — a node killed, on a shared store — is delivered
	// again within a minute.
	DefaultLease = time.Minute
)

// Limits and defaults of EventConfig, Lambda's.
const (
	// MaxRetryAttempts is the most retries after a failed attempt.
	MaxRetryAttempts = 2
	// DefaultRetryAttempts is what a zero MaximumRetryAttempts means.
	DefaultRetryAttempts = 2
	// NoRetries, as MaximumRetryAttempts, means one attempt only (Lambda's
	// MaximumRetryAttempts 0; a zero field means the default, 2).
	NoRetries = -1
	// MinEventAge and MaxEventAge bound MaximumEventAge.
	MinEventAge = time.Minute
	MaxEventAge = 6 * time.Hour
	// DefaultEventAge is what a zero MaximumEventAge means.
	DefaultEventAge = MaxEventAge
)

// Invoker runs one attempt of an event: it invokes target ("name" or
// "name:qualifier") with payload under requestID, the same for every
// attempt of one event.
//
// A function that ran and failed (returned an error, trapped, timed out)
// is an Outcome with Failed set and a nil error: it uses up an attempt. A
// non-nil error means the function could not be run at all: a throttle
// (see Config.IsThrottle), which is retried without using up an attempt,
// or anything else (the function was deleted, say), which sends the event
// to its failure destination at once. An engine that is closing should
// close its Queue first, or report its closing as a throttle, so that
// events in flight wait for the next process instead of failing.
type Invoker func(ctx context.Context, target string, payload []byte, requestID string) (Outcome, error)

// Outcome is what one attempt that ran the function produced.
type Outcome struct {
	// Payload is the function's response (nil when Failed).
	Payload []byte
	// Failed reports that the function failed; ErrorType and ErrorMessage
	// say how, and Unhandled that it was a crash (timeout, trap, exit)
	// rather than an error the function returned.
	Failed       bool
	ErrorType    string
	ErrorMessage string
	Unhandled    bool
	// ExecutedVersion is the version that ran ("$LATEST", "3").
	ExecutedVersion string
}

// DestinationKind says where a Destination sends invocation records.
type DestinationKind int

const (
	// DestinationDeadLetters stores the record in the dead-letter store,
	// where it can be listed, inspected, re-driven and deleted. Only for
	// OnFailure.
	DestinationDeadLetters DestinationKind = iota + 1
	// DestinationFunction invokes a function asynchronously with the
	// record as its payload.
	DestinationFunction
	// DestinationExternal hands the record to Config.Deliver, with the
	// destination's Name: a destination the queue does not know (a
	// message stream, say).
	DestinationExternal
)

// String returns "dead-letters" or "function".
func (k DestinationKind) String() string {
	switch k {
	case DestinationDeadLetters:
		return "dead-letters"
	case DestinationFunction:
		return "function"
	case DestinationExternal:
		return "external"
	}
	return fmt.Sprintf("DestinationKind(%d)", int(k))
}

// Destination is where the invocation record of an event goes once the
// event is done with (Lambda's OnSuccess and OnFailure destinations).
type Destination struct {
	// Kind is where the record goes.
	Kind DestinationKind `json:"kind"`
	// Function is "name" or "name:qualifier", for DestinationFunction.
	Function string `json:"function,omitempty"`
	// Name names a DestinationExternal, for Config.Deliver.
	Name string `json:"name,omitempty"`
}

// ToExternal returns a destination that hands the record to Config.Deliver
// with name.
func ToExternal(name string) *Destination {
	return &Destination{Kind: DestinationExternal, Name: name}
}

// Bounds of an Override: wider than a function's EventConfig, as
// EventBridge Scheduler's retry policy is wider than Lambda's.
const (
	MaxOverrideRetryAttempts = 185
	MaxOverrideEventAge      = 24 * time.Hour
)

// Override replaces, for one event, parts of its function's EventConfig.
// Nil and zero fields keep the function's.
type Override struct {
	// MaximumRetryAttempts: 0 (none) to MaxOverrideRetryAttempts.
	MaximumRetryAttempts *int `json:"retries,omitempty"`
	// MaximumEventAge: MinEventAge to MaxOverrideEventAge.
	MaximumEventAge time.Duration `json:"maxAge,omitempty"`
	// OnFailure receives the event's record when it fails.
	OnFailure *Destination `json:"onFailure,omitempty"`
}

// Validate reports an override field out of range (nil is valid).
func (o *Override) Validate() error {
	if o == nil {
		return nil
	}
	if r := o.MaximumRetryAttempts; r != nil && (*r < 0 || *r > MaxOverrideRetryAttempts) {
		return &EventConfigError{Field: "MaximumRetryAttempts", Value: strconv.Itoa(*r),
			Allowed: fmt.Sprintf("0 to %d", MaxOverrideRetryAttempts)}
	}
	if a := o.MaximumEventAge; a != 0 && (a < MinEventAge || a > MaxOverrideEventAge) {
		return &EventConfigError{Field: "MaximumEventAge", Value: a.String(),
			Allowed: fmt.Sprintf("%v to %v", MinEventAge, MaxOverrideEventAge)}
	}
	if d := o.OnFailure; d != nil {
		if err := checkDestination("OnFailure", d); err != nil {
			return err
		}
	}
	return nil
}

// ToFunction returns a destination that invokes function ("name" or
// "name:qualifier") with the record.
func ToFunction(function string) *Destination {
	return &Destination{Kind: DestinationFunction, Function: function}
}

// ToDeadLetters returns a destination that stores the record in the
// dead-letter store.
func ToDeadLetters() *Destination {
	return &Destination{Kind: DestinationDeadLetters}
}

// EventConfig is a function's asynchronous invocation configuration
// (Lambda's function event invoke config). The zero value is Lambda's
// default, with one difference: failed events are kept.
type EventConfig struct {
	// MaximumRetryAttempts is how many times a failed event is retried:
	// 1 or 2; zero means DefaultRetryAttempts (2) and NoRetries (any
	// negative value) none. A caller taking Lambda's API field, where 0
	// means none, maps 0 to NoRetries.
	MaximumRetryAttempts int
	// MaximumEventAge is how long an event may wait, from its first
	// enqueue, for an attempt that succeeds: MinEventAge to MaxEventAge;
	// zero means DefaultEventAge (6 hours). An event older than that when
	// it is due again is not invoked but sent to OnFailure
	// ("EventAgeExceeded").
	MaximumEventAge time.Duration
	// OnSuccess, when set, receives the record of a successful event. It
	// must be a DestinationFunction.
	OnSuccess *Destination
	// OnFailure receives the record of a failed event. Nil means the
	// dead-letter store: unlike Lambda, which discards a failed event that
	// has no destination, Flint loses nothing by default.
	OnFailure *Destination
}

// Validate reports the first field out of range as an *EventConfigError
// (errors.Is ErrInvalidEventConfig).
func (c EventConfig) Validate() error {
	if c.MaximumRetryAttempts > MaxRetryAttempts {
		return &EventConfigError{
			Field:   "MaximumRetryAttempts",
			Value:   fmt.Sprint(c.MaximumRetryAttempts),
			Allowed: fmt.Sprintf("0 (the default, %d), 1 to %d, or NoRetries", DefaultRetryAttempts, MaxRetryAttempts),
		}
	}
	if c.MaximumEventAge != 0 && (c.MaximumEventAge < MinEventAge || c.MaximumEventAge > MaxEventAge) {
		return &EventConfigError{
			Field:   "MaximumEventAge",
			Value:   c.MaximumEventAge.String(),
			Allowed: fmt.Sprintf("0 (the default, %v) or %v to %v", DefaultEventAge, MinEventAge, MaxEventAge),
		}
	}
	if d := c.OnSuccess; d != nil {
		if d.Kind == DestinationDeadLetters {
			return &EventConfigError{
				Field:   "OnSuccess.Kind",
				Value:   d.Kind.String(),
				Allowed: "function or external (the dead-letter store is for failures)",
			}
		}
		if err := checkDestination("OnSuccess", d); err != nil {
			return err
		}
	}
	if d := c.OnFailure; d != nil {
		if err := checkDestination("OnFailure", d); err != nil {
			return err
		}
	}
	return nil
}

func checkDestination(field string, d *Destination) error {
	switch d.Kind {
	case DestinationFunction:
		if err := checkTarget(d.Function); err != nil {
			return &EventConfigError{
				Field:   field + ".Function",
				Value:   fmt.Sprintf("%q", d.Function),
				Allowed: `"name" or "name:qualifier": a name of 1 to 64 letters, digits, '-' and '_', a qualifier "$LATEST", a version or an alias`,
			}
		}
	case DestinationDeadLetters:
		if d.Function != "" {
			return &EventConfigError{
				Field:   field + ".Function",
				Value:   fmt.Sprintf("%q", d.Function),
				Allowed: `"" for the dead-letter store`,
			}
		}
	case DestinationExternal:
		if d.Name == "" || len(d.Name) > 1024 {
			return &EventConfigError{
				Field:   field + ".Name",
				Value:   fmt.Sprintf("%q", d.Name),
				Allowed: "1 to 1024 bytes naming a destination Config.Deliver knows",
			}
		}
	default:
		return &EventConfigError{
			Field:   field + ".Kind",
			Value:   d.Kind.String(),
			Allowed: "DestinationFunction, DestinationDeadLetters or DestinationExternal",
		}
	}
	return nil
}

// eventConfig is an EventConfig with its defaults applied.
type eventConfig struct {
	retries   int
	maxAge    time.Duration
	onSuccess *Destination
	onFailure *Destination // never nil
}

func (c EventConfig) resolve() eventConfig {
	r := eventConfig{retries: c.MaximumRetryAttempts, maxAge: c.MaximumEventAge, onSuccess: c.OnSuccess, onFailure: c.OnFailure}
	switch {
	case r.retries == 0:
		r.retries = DefaultRetryAttempts
	case r.retries < 0:
		r.retries = 0
	}
	if r.maxAge == 0 {
		r.maxAge = DefaultEventAge
	}
	if r.onFailure == nil {
		r.onFailure = ToDeadLetters()
	}
	return r
}

// Config configures a Queue. Store and Invoke are required; every other
// zero field takes the default named beside it.
type Config struct {
	// Store holds the queue (QueueName) and the dead-letter store
	// (DeadLetterBucket). The Queue does not close it.
	Store store.Store
	// Invoke runs one attempt of an event.
	Invoke Invoker
	// EventConfig returns a function's asynchronous configuration, by its
	// name without a qualifier; it is called for every delivery, so a
	// change applies to events already queued. It must be quick. Nil, or
	// a configuration that does not Validate (logged), means the default.
	EventConfig func(function string) EventConfig
	// IsThrottle reports which errors from Invoke are throttles, or other
	// passing conditions of the platform (Lambda treats its 500-series
	// errors alike): the event
	// waits and is tried again, without using up an attempt, until it is
	// older than its MaximumEventAge (asynchronous invocations respect
	// concurrency limits by waiting, not by failing). Nil: none are.
	IsThrottle func(error) bool
	// Deliver sends a record to a DestinationExternal, by its name. An error
	// keeps the event, and the delivery is tried again later. Nil: records
	// for external destinations go to the dead-letter store.
	Deliver func(ctx context.Context, destination string, record []byte) error

	// Workers is how many events are invoked at once (DefaultWorkers).
	Workers int
	// RetryDelay is the delay before the first retry of a failed event,
	// doubling for each later one (DefaultRetryDelay).
	RetryDelay time.Duration
	// ThrottleDelay is the delay before trying a throttled event again,
	// doubling for each throttle in a row up to MaxThrottleDelay
	// (DefaultThrottleDelay, DefaultMaxThrottleDelay). It also spaces out
	// attempts to deliver a record when the store fails.
	ThrottleDelay    time.Duration
	MaxThrottleDelay time.Duration
	// Lease is how long a worker holds an event before the store delivers
	// it again, to this process or another, unless the worker extends it,
	// which it does every third of it while it works on the event
	// (DefaultLease).
	Lease time.Duration

	// Logger receives the queue's operational messages (retries, dead
	// letters, store errors), prefixed "async:". Nil discards them.
	Logger *slog.Logger
	// Now is the clock for event ages, record timestamps and retry due
	// times (time.Now). The store schedules by the wall clock: a Now
	// behind it makes retries due at once, one ahead of it delays them.
	// Tests freeze it, or set it, in the past.
	Now func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, fmt.Errorf("%w: Store is required", ErrInvalidConfig)
	}
	if c.Invoke == nil {
		return c, fmt.Errorf("%w: Invoke is required", ErrInvalidConfig)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"Workers", int64(c.Workers)},
		{"RetryDelay", int64(c.RetryDelay)},
		{"ThrottleDelay", int64(c.ThrottleDelay)},
		{"MaxThrottleDelay", int64(c.MaxThrottleDelay)},
		{"Lease", int64(c.Lease)},
	} {
		if f.v < 0 {
			return c, fmt.Errorf("%w: %s is negative", ErrInvalidConfig, f.name)
		}
	}
	if c.EventConfig == nil {
		c.EventConfig = func(string) EventConfig { return EventConfig{} }
	}
	if c.IsThrottle == nil {
		c.IsThrottle = func(error) bool { return false }
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.ThrottleDelay == 0 {
		c.ThrottleDelay = DefaultThrottleDelay
	}
	if c.MaxThrottleDelay == 0 {
		c.MaxThrottleDelay = max(DefaultMaxThrottleDelay, c.ThrottleDelay)
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// checkTarget checks "name" or "name:qualifier".
func checkTarget(target string) error {
	name, qualifier, qualified := strings.Cut(target, ":")
	if !validName(name, 64) {
		return fmt.Errorf("%w: %q: a function name is 1 to 64 letters, digits, '-' and '_'", ErrInvalidTarget, target)
	}
	if qualified && qualifier != "$LATEST" && !validName(qualifier, 128) {
		return fmt.Errorf("%w: %q: a qualifier is \"$LATEST\", a version or an alias (1 to 128 letters, digits, '-' and '_')", ErrInvalidTarget, target)
	}
	return nil
}

func validName(s string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// splitTarget returns target's function name and qualifier ("$LATEST"
// when it has none).
func splitTarget(target string) (name, qualifier string) {
	name, qualifier, ok := strings.Cut(target, ":")
	if !ok {
		qualifier = "$LATEST"
	}
	return name, qualifier
}
