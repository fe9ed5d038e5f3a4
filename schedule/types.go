package schedule

import (
	"context"
	"time"

	"github.com/flintfaas/flint/engine"
)

// Limits and defaults of EventBridge Scheduler's API, which the Scheduler
// checks alike.
const (
	// DefaultGroup is the schedule group every Scheduler has, and the group
	// of a schedule that names none. It cannot be deleted.
	DefaultGroup = "default"
	// MaxNameLength is the longest schedule or group name, in characters.
	MaxNameLength = 64
	// MaxDescriptionLength is the longest Description.
	MaxDescriptionLength = 512
	// MaxInputLength is the longest Target.Input.
	MaxInputLength = 8192
	// MaxArnLength is the longest Target.Arn, Target.RoleArn and
	// DeadLetterConfig.Arn.
	MaxArnLength = 1600
	// MaxKmsKeyArnLength is the longest KmsKeyArn.
	MaxKmsKeyArnLength = 2048
	// MaxClientTokenLength is the longest ClientToken.
	MaxClientTokenLength = 64
	// MaxWindowMinutes is the largest FlexibleTimeWindow.
	MaxWindowMinutes = 1440
	// MaxRetryAttempts is the largest RetryPolicy.MaximumRetryAttempts,
	// and its default.
	MaxRetryAttempts = 185
	// MinEventAgeSeconds and MaxEventAgeSeconds bound
	// RetryPolicy.MaximumEventAgeInSeconds; the maximum is the default.
	MinEventAgeSeconds = 60
	MaxEventAgeSeconds = 86400
	// MaxTags is the most tags a schedule group has; a key is 1 to
	// MaxTagKeyLength characters, a value up to MaxTagValueLength.
	MaxTags           = 200
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
	// MaxResults is the largest page of List and ListGroups, and the size
	// of a page when none is asked for.
	MaxResults = 100
)

// DeadLetterStoreArn is the DeadLetterConfig.Arn that names Flint's
// dead-letter store (flint dlq). A Lambda function ARN names a function,
// which receives the failure record; a NATS stream ARN
// (arn:aws:nats:REGION:ACCOUNT:stream/NAME) a stream, when the server
// delivers to streams (Config.Destinations).
const DeadLetterStoreArn = "flint:dead-letter"

// State is whether a schedule fires.
type State string

// The states of a schedule.
const (
	StateEnabled  State = "ENABLED"
	StateDisabled State = "DISABLED"
)

// FlexibleMode says whether a schedule fires at its time or within a window
// after it.
type FlexibleMode string

// The modes of a FlexibleTimeWindow.
const (
	FlexibleOff FlexibleMode = "OFF"
	Flexible    FlexibleMode = "FLEXIBLE"
)

// ActionAfterCompletion is what happens to a schedule after its last fire.
type ActionAfterCompletion string

// The actions after completion.
const (
	// ActionNone keeps the schedule, which fires no more.
	ActionNone ActionAfterCompletion = "NONE"
	// ActionDelete deletes the schedule after its last fire (or after its
	// last due time was dropped).
	ActionDelete ActionAfterCompletion = "DELETE"
)

// Schedule is an EventBridge Scheduler schedule: when it fires and which
// function it invokes. The fields are CreateSchedule's; the zero value of
// an optional field means it was not given, and Get returns the defaults
// it took.
type Schedule struct {
	// Name is 1 to 64 letters, digits, '-', '_' and '.'; unique within its
	// group. Required.
	Name string
	// GroupName is the schedule's group; empty: DefaultGroup.
	GroupName string
	// Description is up to 512 characters.
	Description string
	// ScheduleExpression is at(...), rate(...) or cron(...), as
	// schedule/expression parses it. Required.
	ScheduleExpression string
	// ScheduleExpressionTimezone is the IANA zone cron and at() times are
	// in; empty: UTC.
	ScheduleExpressionTimezone string
	// StartDate and EndDate bound when a recurring schedule fires (zero:
	// unbounded); one-time schedules ignore them. EndDate must be after
	// StartDate and in the future.
	StartDate, EndDate time.Time
	// State is StateEnabled (the default when empty) or StateDisabled.
	State State
	// FlexibleTimeWindow spreads each fire over a window after its time.
	// Required: Mode FlexibleOff, or Flexible with a window.
	FlexibleTimeWindow FlexibleTimeWindow
	// ActionAfterCompletion is ActionNone (the default when empty) or
	// ActionDelete.
	ActionAfterCompletion ActionAfterCompletion
	// KmsKeyArn is kept and returned, and otherwise unused: Flint does not
	// encrypt schedules with a customer key.
	KmsKeyArn string
	// ClientToken is accepted for compatibility; it is not kept.
	ClientToken string
	// Target is the function the schedule invokes. Required.
	Target Target

	// Arn, CreationDate and LastModificationDate are set by the Scheduler;
	// what a caller puts in them is ignored.
	Arn                                string
	CreationDate, LastModificationDate time.Time
}

// FlexibleTimeWindow is a schedule's FlexibleTimeWindow.
type FlexibleTimeWindow struct {
	// Mode is FlexibleOff or Flexible. Required.
	Mode FlexibleMode
	// MaximumWindowInMinutes is 1 to 1440 with Flexible, 0 with
	// FlexibleOff: each fire happens at a moment within that many minutes
	// after its due time, the same moment for the same due time.
	MaximumWindowInMinutes int
}

// Target is the function a schedule invokes, and how.
type Target struct {
	// Arn is the function's ARN, unqualified or with a version or alias:
	// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]. Required.
	Arn string
	// RoleArn is an IAM role ARN, required as EventBridge Scheduler
	// requires it, and kept; Flint invokes the function with the
	// function's own execution policy.
	RoleArn string
	// Input is the event the function receives: well-formed JSON of up to
	// 8192 characters, in which the context attributes
	// <aws.scheduler.schedule-arn>, <aws.scheduler.scheduled-time>,
	// <aws.scheduler.execution-id> and <aws.scheduler.attempt-number> are
	// replaced at each fire. Empty: the function receives {}.
	Input string
	// RetryPolicy bounds the retries of a failed invocation; nil: 185
	// retries within 86400 seconds, EventBridge Scheduler's defaults.
	RetryPolicy *RetryPolicy
	// DeadLetterConfig is where an invocation that failed for good goes;
	// nil: the function's own failure destination, or Flint's dead-letter
	// store.
	DeadLetterConfig *DeadLetterConfig
}

// RetryPolicy is a target's RetryPolicy. A nil field takes its default.
type RetryPolicy struct {
	// MaximumEventAgeInSeconds is 60 to 86400 (the default): how old a fire
	// may grow, counted from its due time, and still be invoked.
	MaximumEventAgeInSeconds *int
	// MaximumRetryAttempts is 0 to 185 (the default).
	MaximumRetryAttempts *int
}

// DeadLetterConfig names a target's failure destination.
type DeadLetterConfig struct {
	// Arn is a Lambda function ARN, a NATS stream ARN
	// (arn:aws:nats:REGION:ACCOUNT:stream/NAME) or DeadLetterStoreArn.
	Arn string
}

// Group is a schedule group.
type Group struct {
	// Name is 1 to 64 letters, digits, '-', '_' and '.'.
	Name string
	// Arn is arn:aws:scheduler:REGION:ACCOUNT:schedule-group/NAME.
	Arn string
	// State is "ACTIVE": Flint deletes a group and its schedules at once.
	State string
	// CreationDate and LastModificationDate are when the group was created
	// and last changed (its tags).
	CreationDate, LastModificationDate time.Time
	// Tags are the group's tags, by key.
	Tags []Tag
}

// Tag is a key and a value.
type Tag struct {
	Key, Value string
}

// ListOptions select a page of List or ListGroups.
type ListOptions struct {
	// GroupName keeps the schedules of one group (List only; empty: all).
	GroupName string
	// NamePrefix keeps the names that start with it.
	NamePrefix string
	// State keeps the schedules in that state (List only; empty: both).
	State State
	// MaxResults is the page's size, 1 to MaxResults; 0: MaxResults.
	MaxResults int
	// NextToken continues a listing where the page that returned it ended.
	NextToken string
}

// Invoker queues asynchronous invocations: *engine.Engine is one. The
// Scheduler passes each fire's request id (WithRequestID), retry policy
// (WithRetryPolicy) and, when the target has one, failure destination
// (WithFailureDestination).
type Invoker interface {
	InvokeAsync(ctx context.Context, target string, payload []byte, opts ...engine.InvokeOption) (string, error)
}

// Compile-time check: the engine is an Invoker.
var _ Invoker = (*engine.Engine)(nil)

// Stats count what a Scheduler did since it started.
type Stats struct {
	// Schedules counts the schedules it keeps, Waiting those with a due
	// time it waits for (enabled and not complete), Firing those a worker
	// is firing now.
	Schedules, Waiting, Firing int
	// NextFire is when the next fire is planned (zero: none waits).
	NextFire time.Time
	// Fired counts due times handed to the async path: queued durably.
	Fired uint64
	// Dropped counts due times given up because they were older than
	// their schedule's maximum event age when they could be fired
	// (missed while the server was down, or stuck behind failures).
	Dropped uint64
	// Failed counts due times the async path refused for good (the target
	// function does not exist, its failure destination is unknown): they
	// are consumed, not retried.
	Failed uint64
	// Errors counts fire attempts that failed for a reason that may pass
	// (a store error) and were tried again.
	Errors uint64
	// Deleted counts schedules deleted after completion (ActionDelete).
	Deleted uint64
	// Recovered counts due times fired again after a claim expired: the
	// fire may have been queued already, by a process that died before
	// recording it.
	Recovered uint64
}
