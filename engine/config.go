package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/names"
	"github.com/tetratelabs/wazero"
)

// Defaults applied to zero fields of Config and Function.
const (
	DefaultMaxModuleBytes     = 64 << 20
	DefaultMaxRequestBytes    = 6 << 20 // Lambda's synchronous limit
	DefaultMaxResponseBytes   = 6 << 20
	DefaultMaxStreamBytes     = 20 << 20 // Lambda's limit for streamed responses
	DefaultMaxLogBytes        = 256 << 10
	DefaultMemoryCacheBytes   = 256 << 20
	DefaultPrefaultBytes      = 64 << 20
	DefaultModuleMemoryBytes  = 1 << 30
	DefaultAcquireTimeout     = time.Second
	DefaultIdleTTL            = 10 * time.Minute
	DefaultInitTimeout        = 10 * time.Second // Lambda's init phase limit
	DefaultShutdownTimeout    = 2 * time.Second
	DefaultTimeout            = 3 * time.Second // Lambda's default
	DefaultMemoryMB           = 128
	DefaultMaxConcurrency     = 1000 // Lambda's default account limit
	DefaultMaxInvokeDepth     = 16   // Lambda stops recursive loops after 16
	DefaultMaxAsyncBytes      = 256 << 10
	DefaultLogRingSize        = 1000
	DefaultMaxFetchBytes      = 6 << 20
	MaxTimeout                = 15 * time.Minute
	MaxMemoryMB               = 4096 // all of a 32-bit linear memory
	MaxEnvBytes               = 4 << 10
	DefaultEphemeralStorageMB = 512   // Lambda's default and minimum /tmp
	MaxEphemeralStorageMB     = 10240 // Lambda's largest /tmp
	DefaultRegion             = "us-east-1"
	DefaultAccountID          = "000000000000"
)

// Config configures an Engine. The zero value is a working in-memory
// engine: every zero field takes the default named beside it.
type Config struct {
	// DataDir keeps everything on disk: functions, versions, aliases, code,
	// guest key-value data and the async queue (engine/store, bbolt), and
	// the compilation cache (DataDir/compile-cache), so a restarted engine
	// loses nothing and recompiles nothing. Empty: all in memory.
	DataDir string
	// Store, when set, is used instead of DataDir's or the memory store,
	// and is not closed by the engine.
	Store store.Store

	// CompilationCacheDir keeps compiled machine code on disk, so a new
	// engine (a restarted process) does not recompile. Empty: in memory.
	CompilationCacheDir string
	// CompilationCache, when set, is used instead of CompilationCacheDir
	// and is not closed by the engine: share one between engines.
	CompilationCache wazero.CompilationCache

	// MaxModuleBytes caps deployed code (DefaultMaxModuleBytes).
	MaxModuleBytes int
	// MaxRequestBytes and MaxResponseBytes cap payloads
	// (DefaultMaxRequestBytes, DefaultMaxResponseBytes).
	MaxRequestBytes  int
	MaxResponseBytes int
	// MaxStreamBytes caps a streamed response (WithResponseStream), all
	// of its flushes together (DefaultMaxStreamBytes).
	MaxStreamBytes int
	// MaxLogBytes caps one invocation's captured log; the rest is dropped
	// and a marker line says how much (DefaultMaxLogBytes).
	MaxLogBytes int

	// MemoryCacheBytes caps the committed memory of released instance
	// memories kept, zeroed, for new instances to reuse: it saves their page
	// faults, most of a cold start (DefaultMemoryCacheBytes). Negative:
	// keep none.
	MemoryCacheBytes int

	// PrefaultBytes caps the memory that pre-initialized instances hold
	// faulted in ahead of their first call, all functions together
	// (DefaultPrefaultBytes). The engine learns which pages a function's
	// first calls write; the pool filler makes those pages of a new
	// instance resident (copied from the snapshot's image) before any
	// request takes it, so that the first call does not pay a page fault
	// for each. Each such instance costs those pages until its first call;
	// past the cap, instances are made without. Negative: never prefault.
	PrefaultBytes int

	// ModuleMemoryBytes is how much memory the compiled code of the
	// function versions loaded at once may take, reckoned as
	// ModuleCostFactor × the module's size (a module that several
	// functions deploy counts once). Past it, the versions invoked least
	// recently — none running and none with provisioned concurrency — are
	// unloaded: their compiled module and idle instances are dropped, their
	// counters kept, and their next invocation loads them again from the
	// compilation cache (Stats.Reloads; a cold start of its own). 0 means
	// DefaultModuleMemoryBytes; negative, no limit.
	ModuleMemoryBytes int64

	// AcquireTimeout is how long an invocation waits for a free slot when
	// its function's reserved concurrency (or MaxConcurrency) is in use,
	// before ErrThrottled (DefaultAcquireTimeout). Negative: throttle at
	// once.
	AcquireTimeout time.Duration
	// IdleTTL retires instances idle for longer (DefaultIdleTTL).
	// Negative: never.
	IdleTTL time.Duration
	// SpareInstances is how many idle instances each function version
	// keeps ready while it is in use (invoked within IdleTTL), made by the
	// pool's filler in the background: when the stock runs low — on a cold
	// start too — the filler makes more, so that a rise in concurrency
	// takes instances made ahead instead of creating them on the request
	// path. Each spare costs an idle instance's memory (see
	// bench/RESULTS.md) and is retired with IdleTTL once the version is
	// out of use. Provisioned concurrency, when larger, wins. Zero (the
	// default) keeps no spares.
	SpareInstances int
	// InitTimeout bounds an instance's init: the language runtime's
	// initialization plus the guest's init hook (DefaultInitTimeout).
	InitTimeout time.Duration
	// ShutdownTimeout bounds the guest's shutdown hook
	// (DefaultShutdownTimeout).
	ShutdownTimeout time.Duration

	// MaxConcurrency caps invocations running at once across all functions
	// (DefaultMaxConcurrency); past it an invocation waits AcquireTimeout,
	// then is throttled.
	MaxConcurrency int
	// MaxInvokeDepth caps chains of functions invoking functions
	// (DefaultMaxInvokeDepth): deeper calls fail, which stops loops.
	MaxInvokeDepth int
	// MaxAsyncPayloadBytes caps an asynchronous invocation's payload
	// (DefaultMaxAsyncBytes, Lambda's 256 KiB); it is at most
	// queue.MaxPayloadBytes, the most the async queue stores.
	MaxAsyncPayloadBytes int
	// LogRingSize is how many invocation logs each function keeps
	// (DefaultLogRingSize).
	LogRingSize int

	// Async configures asynchronous invocations' workers and delays.
	Async AsyncConfig
	// Destinations delivers asynchronous invocation records to
	// destinations the engine does not know itself (neither "dead-letter"
	// nor "function:..."): the server routes a stream's ARN to NATS, say.
	// Nil: such destinations are refused.
	Destinations Destinations
	// Shares divides cluster-wide limits among the engines sharing Store
	// (the nodes of a Flint cluster): each function's reserved and
	// provisioned concurrency become this engine's share of them. Nil:
	// this engine has them whole. Call Engine.Reshare when the shares
	// change.
	Shares Shares

	// HostCapabilities are the host application's own capabilities, which
	// functions call by name (app_call; guest.Call in the Go SDK), each
	// call checked first by their execution policy as app:NAME on the
	// resource the capability names. See HostCapability.
	HostCapabilities []HostCapability

	// Parameters are named configuration values and secrets functions read
	// with config_get, when their policy allows config:Get on config:NAME.
	Parameters map[string]string
	// Mounts expose host directories to functions as WASI preopens; every
	// file operation is checked against the function's policy (fs:Read,
	// fs:Write on fs:PATH).
	Mounts []Mount
	// AllowPrivateNetworks lets functions fetch from loopback, private and
	// link-local addresses, but only hosts their policy names literally.
	AllowPrivateNetworks bool
	// BlockedNetworks are refused to outbound requests even then (the
	// gateway's own addresses, say).
	BlockedNetworks []netip.Prefix
	// MaxFetchBytes caps an outbound response's body (DefaultMaxFetchBytes).
	MaxFetchBytes int

	// Snapshots says how instances start (SnapshotsDefault: from a
	// snapshot of each version's state after init, its memory mapped
	// copy-on-write where the platform allows). Snapshot files live in
	// DataDir/snapshots, or a temporary directory without DataDir.
	Snapshots SnapshotMode
	// NoRecycle discards instances that must not be reused as they are
	// (after a trap or timeout; single-use functions) instead of resetting
	// them to their snapshot, which costs two system calls where a new
	// instance costs an instantiation.
	NoRecycle bool

	// Region and AccountID make the function ARNs a guest reads as its
	// invoked function ARN (context_get field 3), as Lambda's
	// "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]"
	// (DefaultRegion, DefaultAccountID). The server sets them to its own.
	Region, AccountID string

	// TmpDir is where instances' /tmp directories live, one directory each
	// (see Function.EphemeralStorageMB). Empty: DataDir/tmp, or without
	// DataDir a temporary directory removed by Close. What it holds when
	// the engine starts is removed: it belonged to instances of an earlier
	// process.
	TmpDir string

	// Logger receives the engine's own operational messages (not guest
	// logs). Nil discards them.
	Logger *slog.Logger
}

// Mount exposes the host directory HostDir to functions at GuestPath
// (absolute, e.g. "/data").
type Mount struct {
	HostDir   string
	GuestPath string
}

// AsyncConfig configures the workers that run asynchronous invocations.
// Zero fields take queue's defaults.
type AsyncConfig struct {
	// Workers is how many events are invoked at once (64: enough that a
	// durable Store's group commit, not the workers' waits on it, bounds
	// how fast a quick function drains the queue).
	Workers int
	// RetryDelay is the delay before the first retry of a failed event,
	// doubling for each later one (Lambda waits 1 minute, then 2).
	RetryDelay time.Duration
	// ThrottleDelay is the first delay before retrying a throttled event.
	ThrottleDelay time.Duration
	// Lease is how long a worker holds an event between extensions, which
	// it makes every third of it while the attempt runs (1 minute): the
	// event of a worker that died unawares (its process killed) is
	// delivered again after at most a lease. A Store on JetStream works
	// best with its own lease (jsstore.Options.Lease) the same.
	Lease time.Duration
}

// DefaultAsyncLease is AsyncConfig.Lease's default.
const DefaultAsyncLease = queue.DefaultLease

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxModuleBytes, DefaultMaxModuleBytes)
	def(&c.MaxRequestBytes, DefaultMaxRequestBytes)
	def(&c.MaxResponseBytes, DefaultMaxResponseBytes)
	def(&c.MaxStreamBytes, DefaultMaxStreamBytes)
	def(&c.MaxLogBytes, DefaultMaxLogBytes)
	def(&c.MaxConcurrency, DefaultMaxConcurrency)
	def(&c.MaxInvokeDepth, DefaultMaxInvokeDepth)
	def(&c.MaxAsyncPayloadBytes, DefaultMaxAsyncBytes)
	c.MaxAsyncPayloadBytes = min(c.MaxAsyncPayloadBytes, queue.MaxPayloadBytes)
	def(&c.LogRingSize, DefaultLogRingSize)
	def(&c.MaxFetchBytes, DefaultMaxFetchBytes)
	if c.ModuleMemoryBytes == 0 {
		c.ModuleMemoryBytes = DefaultModuleMemoryBytes
	}
	switch {
	case c.MemoryCacheBytes == 0:
		c.MemoryCacheBytes = DefaultMemoryCacheBytes
	case c.MemoryCacheBytes < 0:
		c.MemoryCacheBytes = 0
	}
	switch {
	case c.PrefaultBytes == 0:
		c.PrefaultBytes = DefaultPrefaultBytes
	case c.PrefaultBytes < 0:
		c.PrefaultBytes = 0
	}
	dur := func(v *time.Duration, d time.Duration) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	c.SpareInstances = max(c.SpareInstances, 0)
	dur(&c.AcquireTimeout, DefaultAcquireTimeout)
	dur(&c.IdleTTL, DefaultIdleTTL)
	if c.InitTimeout <= 0 {
		c.InitTimeout = DefaultInitTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.AccountID == "" {
		c.AccountID = DefaultAccountID
	}
	return c
}

// Function is what Deploy installs: a module and its configuration. Zero
// fields take the defaults named beside them.
type Function struct {
	// Name: 1 to 64 letters, digits, hyphens and underscores.
	Name string
	// Code is the WebAssembly module.
	Code []byte
	// Handler is the export called per invocation (abi.DefaultHandler).
	Handler string
	// Timeout bounds one invocation (DefaultTimeout, at most MaxTimeout).
	Timeout time.Duration
	// MemoryMB caps the function's linear memory (DefaultMemoryMB, at most
	// MaxMemoryMB).
	MemoryMB int
	// Env is the function's environment, read by the guest through WASI
	// (os.Getenv in Go). Keys are letters, digits and underscores, starting
	// with a letter; keys starting with AWS_ or FLINT_ are reserved.
	Env map[string]string
	// Policy is the function's execution policy: what it may reach through
	// the ABI's capabilities. Nil denies everything.
	Policy *policy.Policy
	// Description is free text, kept with the function and its versions.
	Description string
	// Role names where Policy came from (a gateway role's ARN); the engine
	// only keeps it.
	Role string
	// NoSnapshot starts this function's instances by running their
	// initializers rather than from a snapshot.
	NoSnapshot bool
	// SnapshotInit runs the guest's flint_init before the snapshot is
	// taken, so instances skip it too. Only for an init whose result may be
	// shared by every instance: no capability calls, no per-instance
	// randomness.
	SnapshotInit bool
	// SingleUse runs every invocation on a fresh instance, retired after
	// the call: no state survives between invocations, at the price of a
	// cold start each time. Provisioned instances are still prepared ahead.
	SingleUse bool
	// EphemeralStorageMB caps each instance's writable /tmp, Lambda's
	// EphemeralStorage.Size (DefaultEphemeralStorageMB, at most
	// MaxEphemeralStorageMB). Every instance has its own /tmp, empty when
	// it starts and removed when it goes; no policy is needed, since it is
	// the function's own. Past the cap, writes fail with ENOSPC.
	EphemeralStorageMB int
}

var (
	envKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	exportRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.$-]{0,127}$`)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidFunction, fmt.Sprintf(format, args...))
}

// normalize checks f and fills its defaults.
func (f Function) normalize() (Function, error) {
	if !names.Function(f.Name) {
		return f, invalid("name %q: use 1 to 64 letters, digits, hyphens or underscores", f.Name)
	}
	if f.Handler == "" {
		f.Handler = abi.DefaultHandler
	} else if !exportRE.MatchString(f.Handler) {
		return f, invalid("handler %q is not a valid export name", f.Handler)
	}
	switch {
	case f.Timeout == 0:
		f.Timeout = DefaultTimeout
	case f.Timeout < time.Millisecond || f.Timeout > MaxTimeout:
		return f, invalid("timeout %v: must be between 1ms and %v", f.Timeout, MaxTimeout)
	}
	switch {
	case f.MemoryMB == 0:
		f.MemoryMB = DefaultMemoryMB
	case f.MemoryMB < 1 || f.MemoryMB > MaxMemoryMB:
		return f, invalid("memory %d MB: must be between 1 and %d", f.MemoryMB, MaxMemoryMB)
	}
	size := 0
	for k, v := range f.Env {
		if !envKeyRE.MatchString(k) {
			return f, invalid("environment key %q: use letters, digits and underscores, starting with a letter", k)
		}
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "FLINT_") {
			return f, invalid("environment key %q is reserved (AWS_ and FLINT_ prefixes)", k)
		}
		size += len(k) + len(v)
	}
	if size > MaxEnvBytes {
		return f, invalid("environment is %d bytes, over the %d-byte limit", size, MaxEnvBytes)
	}
	switch {
	case f.EphemeralStorageMB == 0:
		f.EphemeralStorageMB = DefaultEphemeralStorageMB
	case f.EphemeralStorageMB < DefaultEphemeralStorageMB || f.EphemeralStorageMB > MaxEphemeralStorageMB:
		return f, invalid("ephemeral storage %d MB: must be between %d and %d, as on Lambda", f.EphemeralStorageMB,
			DefaultEphemeralStorageMB, MaxEphemeralStorageMB)
	}
	if len(f.Role) > 2048 {
		return f, invalid("role is %d bytes, over the 2048-byte limit", len(f.Role))
	}
	if len(f.Description) > 256 {
		return f, invalid("description is %d bytes, over the 256-byte limit", len(f.Description))
	}
	return f, nil
}

// Shares divides a cluster-wide limit among the engines that share it.
type Shares interface {
	// Share returns this engine's part of a limit of n for function: from
	// 0 to n, the parts of all the engines adding up to n.
	Share(function string, n int) int
}

// Destinations deliver asynchronous invocation records to destinations of
// the embedder's (see Config.Destinations).
type Destinations interface {
	// Check reports whether destination is one it delivers to, when a
	// configuration names it; the error says what is wrong with it.
	Check(destination string) error
	// Deliver sends one record, a JSON document in Lambda's invocation
	// record shape. An error keeps the event, and the delivery is tried
	// again later, with backoff.
	Deliver(ctx context.Context, destination string, record []byte) error
}
