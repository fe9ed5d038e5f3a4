package eventsource

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flintfaas/flint/eventsource/filter"
	"github.com/flintfaas/flint/internal/names"
)

// Limits and defaults of a Mapping's fields, as Lambda's for SQS.
const (
	DefaultBatchSize     = 10
	MaxBatchSize         = 10000
	MaxBatchingWindow    = 300 * time.Second
	DefaultConcurrency   = 5
	MinConcurrency       = 2
	MaxConcurrency       = 1000
	MaxRetryAttempts     = 10000
	MinRecordAge         = 60 * time.Second
	MaxRecordAge         = 7 * 24 * time.Hour
	MaxSubjects          = 10
	MaxBatchBytes        = 6 << 20 // Lambda's synchronous payload limit
	ReportBatchItemFails = "ReportBatchItemFailures"
)

// Mapping states, as Lambda names them.
const (
	StateCreating  = "Creating"
	StateEnabling  = "Enabling"
	StateEnabled   = "Enabled"
	StateDisabling = "Disabling"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
)

// Starting positions: where a new mapping starts reading its stream.
const (
	// TrimHorizon starts at the oldest message the stream keeps, as a queue
	// delivers what was sent before its consumer came: the default.
	TrimHorizon = "TRIM_HORIZON"
	// Latest starts with the messages published after the mapping.
	Latest = "LATEST"
	// AtTimestamp starts at StartingPositionTimestamp.
	AtTimestamp = "AT_TIMESTAMP"
)

// DeadLetterDestination, as a Mapping's OnFailure, sends records that ran
// out of retries to the engine's dead-letter store (the default).
const DeadLetterDestination = "flint:dead-letter"

// Mapping is an event source mapping: records of a JetStream stream handed
// to a function in batches, as Lambda's SQS mappings hand it messages.
type Mapping struct {
	// UUID identifies the mapping; made by Create.
	UUID string
	// Function is the target: "name", "name:VERSION" or "name:ALIAS".
	Function string
	// Stream is the JetStream stream read.
	Stream string
	// Subjects filter the stream's messages by subject (NATS wildcards
	// allowed; Lambda's Topics field); empty: every message.
	Subjects []string
	// BatchSize is the most records one invocation gets: 1 to 10,000
	// (DefaultBatchSize).
	BatchSize int
	// MaximumBatchingWindow is how long records are gathered before a
	// batch that is not full is sent: 0 to 300 s. A batch goes when it is
	// full, when the window ends, or when one more record would take its
	// event over 6 MB. Above 10 records a batch needs a window of at least
	// a second, as on Lambda.
	MaximumBatchingWindow time.Duration
	// Enabled pauses (false) and resumes (true) the mapping; it keeps its
	// place in the stream.
	Enabled bool
	// Filters are event-filtering patterns (FilterCriteria): a record that
	// matches none is acknowledged and dropped, and counted. Empty: every
	// record goes to the function.
	Filters []string
	// ReportBatchItemFailures lets the function name the records that
	// failed (FunctionResponseTypes: ["ReportBatchItemFailures"]), so that
	// only those are retried.
	ReportBatchItemFailures bool
	// MaximumConcurrency is how many batches may be invoked at once: 2 to
	// 1,000 (0: DefaultConcurrency). The function's reserved concurrency
	// limits it further: a throttled function slows the mapping down.
	MaximumConcurrency int
	// MaximumRetryAttempts is how many times a failed record is retried
	// before it goes to OnFailure: 0 to 10,000, or -1 (the default) to
	// retry until MaximumRecordAge.
	MaximumRetryAttempts int
	// MaximumRecordAge is how old a record may be (since it was published)
	// and still be invoked: 60 s to 7 days, or 0 (the default) for no
	// limit. An older one goes to OnFailure.
	MaximumRecordAge time.Duration
	// OnFailure is where a record that ran out of retries, or grew too old,
	// goes: DeadLetterDestination (the default, Flint's dead-letter
	// store) or a stream's ARN, whose first subject gets a failure record.
	OnFailure string
	// StartingPosition is where a new mapping starts in its stream:
	// TrimHorizon (the default), Latest or AtTimestamp with
	// StartingPositionTimestamp.
	StartingPosition          string
	StartingPositionTimestamp time.Time

	// Kept by the manager.
	State                 string
	StateTransitionReason string
	LastModified          time.Time
	// LastProcessingResult is Lambda's: "No records processed", "OK", or
	// "PROBLEM: ..." saying what went wrong last.
	LastProcessingResult string
}

// concurrency is the mapping's MaximumConcurrency with its default.
func (m *Mapping) concurrency() int {
	if m.MaximumConcurrency == 0 {
		return DefaultConcurrency
	}
	return m.MaximumConcurrency
}

// normalize fills m's defaults and checks its fields, with messages that
// name the field as Lambda's API does.
func (m *Mapping) normalize() error {
	if m.Function == "" {
		return invalid("FunctionName is required")
	}
	name, q, _ := strings.Cut(m.Function, ":")
	if !names.Function(name) || (strings.Contains(m.Function, ":") && !names.Qualifier(q)) {
		return invalid("FunctionName %q: use NAME, NAME:VERSION or NAME:ALIAS", truncate(m.Function, 200))
	}
	if !ValidStreamName(m.Stream) {
		return invalid("EventSourceArn: stream name %q: use 1 to 255 printable characters without spaces, '.', '*', '>', '/' or '\\'", truncate(m.Stream, 200))
	}
	if m.BatchSize == 0 {
		m.BatchSize = DefaultBatchSize
	}
	switch {
	case m.BatchSize < 1 || m.BatchSize > MaxBatchSize:
		return invalid("BatchSize %d: must be between 1 and %d", m.BatchSize, MaxBatchSize)
	case m.MaximumBatchingWindow < 0 || m.MaximumBatchingWindow > MaxBatchingWindow || m.MaximumBatchingWindow%time.Second != 0:
		return invalid("MaximumBatchingWindowInSeconds %v: must be 0 to 300 whole seconds", m.MaximumBatchingWindow.Seconds())
	case m.BatchSize > 10 && m.MaximumBatchingWindow < time.Second:
		return invalid("BatchSize %d: a batch size over 10 needs MaximumBatchingWindowInSeconds of at least 1", m.BatchSize)
	case m.MaximumConcurrency != 0 && (m.MaximumConcurrency < MinConcurrency || m.MaximumConcurrency > MaxConcurrency):
		return invalid("ScalingConfig.MaximumConcurrency %d: must be between %d and %d", m.MaximumConcurrency, MinConcurrency, MaxConcurrency)
	case m.MaximumRetryAttempts < -1 || m.MaximumRetryAttempts > MaxRetryAttempts:
		return invalid("MaximumRetryAttempts %d: must be -1 (retry until the record is too old) or 0 to %d", m.MaximumRetryAttempts, MaxRetryAttempts)
	case m.MaximumRecordAge != 0 && (m.MaximumRecordAge < MinRecordAge || m.MaximumRecordAge > MaxRecordAge):
		return invalid("MaximumRecordAgeInSeconds %v: must be -1 (no limit) or 60 to 604800", m.MaximumRecordAge.Seconds())
	case len(m.Subjects) > MaxSubjects:
		return invalid("Topics: %d subject filters, at most %d", len(m.Subjects), MaxSubjects)
	}
	for i, s := range m.Subjects {
		if !ValidSubject(s) {
			return invalid("Topics: subject %q is not a NATS subject: tokens separated by '.', with '*' or a final '>' as wildcards", truncate(s, 200))
		}
		if slices.Contains(m.Subjects[:i], s) {
			return invalid("Topics: subject %q is given twice", truncate(s, 200))
		}
	}
	switch m.StartingPosition {
	case "":
		m.StartingPosition = TrimHorizon
	case TrimHorizon, Latest:
	case AtTimestamp:
		if m.StartingPositionTimestamp.IsZero() {
			return invalid("StartingPositionTimestamp is required with StartingPosition AT_TIMESTAMP")
		}
	default:
		return invalid("StartingPosition %q: use TRIM_HORIZON, LATEST or AT_TIMESTAMP", truncate(m.StartingPosition, 50))
	}
	if m.OnFailure == "" {
		m.OnFailure = DeadLetterDestination
	}
	if _, err := filter.CompileCriteria(m.Filters); err != nil {
		return invalid("FilterCriteria: %v", err)
	}
	return nil
}

// ValidStreamName reports whether s can name a JetStream stream.
func ValidStreamName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(".*>/\\", c) >= 0 {
			return false
		}
	}
	return true
}

// ValidSubject reports whether s is a NATS subject, wildcards allowed.
func ValidSubject(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return false
		case t == ">":
			if i != len(tokens)-1 {
				return false
			}
		case t == "*":
		default:
			for j := 0; j < len(t); j++ {
				if c := t[j]; c <= ' ' || c >= 0x7f || c == '*' || c == '>' {
					return false
				}
			}
		}
	}
	return true
}

// StreamARN is a stream's ARN, in Lambda's pattern for event sources.
func StreamARN(region, account, stream string) string {
	return "arn:aws:nats:" + region + ":" + account + ":stream/" + stream
}

// ParseStreamARN returns the stream an ARN of StreamARN's form names.
func ParseStreamARN(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "nats" {
		return "", invalid("EventSourceArn %q: use arn:aws:nats:REGION:ACCOUNT:stream/STREAM", truncate(arn, 200))
	}
	stream, ok := strings.CutPrefix(parts[5], "stream/")
	if !ok || !ValidStreamName(stream) {
		return "", invalid("EventSourceArn %q: use arn:aws:nats:REGION:ACCOUNT:stream/STREAM, with a stream name of 1 to 255 printable characters without spaces, '.', '*', '>', '/' or '\\'", truncate(arn, 200))
	}
	return stream, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// invalid is an *Error of ErrInvalid.
func invalid(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}
