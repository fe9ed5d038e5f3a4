package console

import (
	"context"
	"time"
)

// Sources is where the console reads what triggers functions besides
// their callers: event source mappings and schedules, which the server
// keeps outside the engine. The console shows an "Event sources" page and
// a section on each function's page when Options.Sources is set, and
// neither when it is nil; a Sources with nothing to list shows empty
// tables. Implementations must be safe for concurrent use; the console
// calls them while rendering a page, so they should answer from memory.
type Sources interface {
	// Mappings returns the event source mappings that invoke function,
	// or every mapping when function is "".
	Mappings(ctx context.Context, function string) ([]Mapping, error)
	// Schedules returns the schedules whose target is function, or every
	// schedule when function is "".
	Schedules(ctx context.Context, function string) ([]Schedule, error)
}

// Mapping is an event source mapping as the console shows it.
type Mapping struct {
	// UUID identifies the mapping (Lambda's EventSourceMapping UUID).
	UUID string
	// Function is the function it invokes ("name" or "name:qualifier").
	Function string
	// Source is what it reads: a stream's ARN or name.
	Source string
	// State is Lambda's: Enabled, Disabled, Creating, Updating...
	State string
	// BatchSize is the most records per invocation.
	BatchSize int
	// Lag counts the records waiting to be processed.
	Lag int64
	// LastError is the last failure's message, "" when none.
	LastError string
	// LastProcessed is when a batch last finished (zero: never).
	LastProcessed time.Time
}

// Schedule is a schedule as the console shows it.
type Schedule struct {
	// Name and Group name it (EventBridge Scheduler's).
	Name, Group string
	// Target is the function it invokes.
	Target string
	// Expression is its at(), rate() or cron() expression, and TimeZone
	// the zone a cron expression is read in.
	Expression, TimeZone string
	// State is ENABLED or DISABLED.
	State string
	// Next are its next fire times, soonest first (a few of them).
	Next []time.Time
}
