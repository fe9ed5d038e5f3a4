package engine

import "time"

// Result is the outcome of one invocation that ran (or tried to start) the
// function. A failure of the function itself — an error it returned, a
// trap, a timeout — is reported in FunctionError, not as Invoke's error,
// as Lambda reports it in the response rather than failing the request.
type Result struct {
	// RequestID identifies the invocation in logs.
	RequestID string
	// Version is the function version that ran ("$LATEST").
	Version string
	// Payload is the function's response; nil when FunctionError is set.
	Payload []byte
	// FunctionError is set when the function failed.
	FunctionError *FunctionError
	// Duration is the handler's run time, init excluded.
	Duration time.Duration
	// Cold is true when the instance was created on the request path;
	// InitDuration is then how long that took.
	Cold         bool
	InitDuration time.Duration
	// MemoryUsed is the instance's linear memory size after the call, in
	// bytes (wasm memory never shrinks, so it is also the maximum).
	MemoryUsed uint64
	// Logs holds the invocation's log lines (see Engine.Invoke); for the
	// first call of an instance, its init lines come first.
	Logs []byte
}

// Err returns FunctionError as an error, or nil when the function
// succeeded.
func (r *Result) Err() error {
	if r.FunctionError == nil {
		return nil
	}
	return r.FunctionError
}

// FunctionInfo describes a deployed function version.
type FunctionInfo struct {
	Name         string
	Version      string
	CodeSHA256   string
	CodeSize     int
	Handler      string
	Timeout      time.Duration
	MemoryMB     int
	Env          map[string]string
	MinIdle      int
	MaxInstances int
	SingleUse    bool
	LastModified time.Time
}

// Stats are a function version's counters since it was deployed.
type Stats struct {
	Invocations uint64 // invocations that ran the handler
	Errors      uint64 // of which ended with a FunctionError
	Timeouts    uint64 // of which timed out
	Throttles   uint64 // invocations refused at the concurrency cap
	InitErrors  uint64 // failed instance creations

	ColdStarts uint64 // instances created on the request path
	Prewarmed  uint64 // instances created ahead by the filler
	Discarded  uint64 // broken instances thrown away
	Retired    uint64 // healthy instances retired (idle TTL, redeploy)
	Idle, Busy int    // instances now idle and busy
}
