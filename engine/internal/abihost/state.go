package abihost

import (
	"context"
	"io"
	"time"

	"github.com/flintfaas/flint/abi"

	"github.com/flintfaas/flint/abi/policy"
)

// Phase is what an instance is doing, which decides the host calls it may
// make: input_read, output_write and error_set only make sense in PhaseInvoke.
type Phase uint8

// Instance phases.
const (
	PhaseIdle Phase = iota
	PhaseInit
	PhaseInvoke
	PhaseShutdown
)

// Logger receives the lines a guest logs through the ABI. The message is
// only valid during the call.
type Logger interface {
	Log(level abi.Level, msg []byte)
}

// State is one instance's side of the ABI: what the host functions read and
// write while that instance runs. The engine owns one per instance and
// reuses it across invocations; host functions find it in the call's
// context (see WithState).
type State struct {
	Phase Phase

	// Input is the current invocation's payload.
	Input []byte
	// Output collects what the guest writes with output_write, at most
	// MaxOutput bytes; OutputTooLarge records an attempt to exceed it.
	Output         []byte
	MaxOutput      int
	OutputTooLarge bool

	// Stream, when set, receives the response as the guest flushes it
	// (output_flush): Output then holds what was written since the last
	// flush, Streamed counts what was flushed, and Streamed plus Output is
	// capped by MaxStream instead of MaxOutput. StreamFailed records a
	// Write that failed: later flushes fail with ErrnoUnavailable.
	Stream       io.Writer
	Streamed     int64
	MaxStream    int64
	StreamFailed bool

	// ErrorType and ErrorMessage are what the guest reported with error_set.
	ErrorSet     bool
	ErrorType    string
	ErrorMessage string

	// Invocation context, readable with context_get and deadline_ms.
	RequestID       string
	FunctionName    string
	FunctionVersion string
	// The invoked function ARN (context_get field 3) is ARNPrefix
	// ("arn:aws:lambda:REGION:ACCOUNT:function:") and InvokedTarget, what
	// the caller named ("name", "name:7", "name:live"), joined only when the
	// guest asks.
	ARNPrefix     string
	InvokedTarget string
	Deadline      time.Time
	// Tenant and Metadata are the invocation's context from its caller:
	// the tenant on whose behalf it runs and its metadata, encoded as
	// abi.EncodeMetadata encodes it (context_get fields FieldTenant and
	// FieldMetadata).
	Tenant   string
	Metadata []byte

	// Log receives ABI log lines.
	Log Logger

	// Policy is the function's execution policy; nil denies every
	// capability call. Caps performs the calls the policy allows; nil makes
	// them fail with ErrnoInternal.
	Policy *policy.Policy
	// Session are the invocation's own policies (engine.WithPolicy): a
	// call must be allowed by each of them too, so they can only narrow
	// what Policy allows.
	Session []*policy.Policy
	Caps    Capabilities
	// MaxAppPayload and MaxAppResult cap app_call's payload and the
	// result of the host capability it calls.
	MaxAppPayload int
	MaxAppResult  int
	// Pending is the result of the last capability call, for result_read.
	Pending []byte

	// Snapshotting marks an init whose state will be captured in a
	// snapshot: capability calls then fail (ErrnoState) and set
	// CalledCapability, and the engine discards the snapshot, since what
	// they did would be frozen into every instance.
	Snapshotting     bool
	CalledCapability bool

	// NoSpace records that a file operation just failed for want of room
	// in the instance's /tmp: the WASI call that made it reports ENOSPC.
	NoSpace bool
}

// Reset clears what one invocation left behind, keeping buffers.
func (s *State) Reset() {
	s.Input = nil
	s.Output = s.Output[:0]
	s.OutputTooLarge = false
	s.Stream, s.Streamed, s.MaxStream, s.StreamFailed = nil, 0, 0, false
	s.ErrorSet = false
	s.ErrorType = ""
	s.ErrorMessage = ""
	s.RequestID = ""
	s.InvokedTarget = ""
	s.Deadline = time.Time{}
	s.Tenant = ""
	s.Metadata = nil
	s.Session = nil
	s.Pending = nil
}

type stateKey struct{}

// WithState returns a context carrying s, for calls into the instance s
// belongs to.
func WithState(parent context.Context, s *State) context.Context {
	return context.WithValue(parent, stateKey{}, s)
}

// StateFrom returns the State carried by ctx, or nil.
func StateFrom(ctx context.Context) *State {
	s, _ := ctx.Value(stateKey{}).(*State)
	return s
}

// Flush writes what the guest wrote since the last flush to the response
// stream. It reports false when there is no stream or it failed, now or
// before (the bytes are then dropped).
func (s *State) Flush() bool {
	if s.Stream == nil || s.StreamFailed {
		s.Output = s.Output[:0]
		return false
	}
	if len(s.Output) > 0 {
		_, err := s.Stream.Write(s.Output)
		s.Streamed += int64(len(s.Output))
		s.Output = s.Output[:0]
		if err != nil {
			s.StreamFailed = true
			return false
		}
	}
	return true
}

// outputFits reports whether n more bytes of output stay within the limit.
func (s *State) outputFits(n int) bool {
	if s.Stream != nil {
		return s.Streamed+int64(len(s.Output))+int64(n) <= s.MaxStream
	}
	return len(s.Output)+n <= s.MaxOutput
}
