package engine

import (
	"time"

	"github.com/flintfaas/flint/abi/policy"
)

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
	// HTTPResponse is true when the function took the invocation's HTTP
	// request message (WithHTTPRequest): Payload is then an HTTP/1.1
	// response message, not a payload format 2.0 response.
	HTTPResponse bool
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
	// MemoryMB is the function's configured memory size.
	MemoryMB int
	// Streamed is how many bytes of the response were written to the
	// invocation's response stream (WithResponseStream).
	Streamed int64
	// Logs holds the lines the function logged during the invocation (see
	// Engine.Invoke); for the first call of an instance, its init lines
	// come first. Log adds Lambda's START, END and REPORT lines.
	Logs []byte
}

// BilledDuration is Duration rounded up to the millisecond, as Lambda
// bills.
func (r *Result) BilledDuration() time.Duration {
	return billed(r.Duration)
}

func billed(d time.Duration) time.Duration {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return max(ms, 1) * time.Millisecond
}

// Log returns the invocation's complete log as Lambda writes it:
//
//	START RequestId: <id> Version: <version>
//	<the function's lines>
//	END RequestId: <id>
//	REPORT RequestId: <id>	Duration: 1.23 ms	Billed Duration: 2 ms	Memory Size: 128 MB	Max Memory Used: 3 MB	[Init Duration: 4.56 ms]
func (r *Result) Log() []byte {
	return formatInvocation(nil, logEntry{
		RequestID: r.RequestID, Version: r.Version, Duration: r.Duration, InitDuration: r.InitDuration,
		Cold: r.Cold, MemoryMB: r.MemoryMB, MemoryUsed: r.MemoryUsed, Lines: r.Logs,
	})
}

// Err returns FunctionError as an error, or nil when the function
// succeeded.
func (r *Result) Err() error {
	if r.FunctionError == nil {
		return nil
	}
	return r.FunctionError
}

// FunctionInfo describes a function version ($LATEST or published).
type FunctionInfo struct {
	Name         string
	Version      string
	CodeSHA256   string
	CodeSize     int
	Handler      string
	Timeout      time.Duration
	MemoryMB     int
	Env          map[string]string
	Policy       *policy.Policy
	Description  string
	Role         string
	SingleUse    bool
	NoSnapshot   bool // see Function.NoSnapshot
	SnapshotInit bool // see Function.SnapshotInit
	// EphemeralStorageMB caps each instance's /tmp (see Function).
	EphemeralStorageMB int
	RevisionID         string
	LastModified       time.Time
}

// Stats are a function version's counters since it was deployed.
type Stats struct {
	Invocations uint64 // invocations that ran the handler
	Errors      uint64 // of which ended with a FunctionError
	Timeouts    uint64 // of which timed out
	Throttles   uint64 // invocations refused at the concurrency cap
	InitErrors  uint64 // failed instance creations
	Denials     uint64 // capability calls the policy denied

	ColdStarts uint64 // instances created on the request path
	Prewarmed  uint64 // instances created ahead by the filler
	Discarded  uint64 // broken instances thrown away
	Retired    uint64 // healthy instances retired (idle TTL, redeploy)
	Recycled   uint64 // instances reset to their snapshot and reused as fresh
	// Prefaulted counts the instances the filler made whose first-call
	// pages it faulted in ahead (Config.PrefaultBytes); PrefaultPages is
	// how many pages of each it faults in (written and read), learned
	// from the first calls of earlier instances.
	Prefaulted    uint64
	PrefaultPages uint64
	Reloads       uint64 // loads of the version's code again after an unload (Config.ModuleMemoryBytes)
	// Snapshot says how the version's instances start: "ready: ..." from a
	// snapshot, or "off: <why not>"; "unloaded: ..." while the version is
	// unloaded (Config.ModuleMemoryBytes). Empty until the version first
	// runs.
	Snapshot   string
	Idle, Busy int // instances now idle and busy
}
