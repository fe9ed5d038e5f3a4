package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/engine/internal/pool"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/tetratelabs/wazero"
)

// version is the runtime of one function version: its compiled code,
// configuration and pool of instances.
type version struct {
	engine  *Engine
	fn      *function
	name    string
	version string
	cfg     Function // normalized; Code is dropped after compiling
	rev     revision
	mod     *module
	modCfg  wazero.ModuleConfig
	pool    *pool.Pool[*instance]

	snap       *snapshot // instances start from it, when set
	snapStatus string    // what the snapshot is, or why there is none

	// touch is what the first calls of fresh instances touched, for the
	// filler's prefault (prefault.go); learn serializes its updates.
	touch      atomic.Pointer[firstTouch]
	learn      sync.Mutex
	prefaulted atomic.Uint64 // instances prefaulted

	// lastUsed is when an invocation last took the version (UnixNano):
	// the least recently used are unloaded first (unload.go).
	lastUsed atomic.Int64
	// awaited marks a version loaded for an invocation that has not
	// reached its pool yet: unloading it then would make that invocation
	// load it again, and again.
	awaited atomic.Bool

	*counters // kept across an unload and the reload that follows
}

// counters are a version's figures since it was deployed: they outlive a
// runtime unloaded to save memory, and the runtime loaded again takes
// them over.
type counters struct {
	invocations, errs, timeouts, throttles, initErrors, denials atomic.Uint64
	duration                                                    histogram
	initDuration                                                histogram // of request-path cold starts
	created                                                     time.Time // when the counters started
	// unloaded sums the pool counters of the runtimes unloaded before this
	// one; reloads counts those runtimes.
	mu       sync.Mutex
	unloaded pool.Stats
	reloads  uint64
}

// add folds the final pool counters of an unloaded runtime in.
func (c *counters) add(p pool.Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := &c.unloaded
	u.ColdStarts += p.ColdStarts
	u.Prewarmed += p.Prewarmed
	u.Discarded += p.Discarded
	u.Retired += p.Retired
	u.Recycled += p.Recycled
}

// before returns what the unloaded runtimes counted.
func (c *counters) before() (pool.Stats, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unloaded, c.reloads
}

func (e *Engine) newVersion(ctx context.Context, fn *function, rev revision, mod *module, minIdle int) *version {
	f := rev.function(fn.name)
	v := &version{engine: e, fn: fn, name: fn.name, version: rev.Version, cfg: f, rev: rev, mod: mod,
		counters: fn.takeCounters(rev)}
	v.lastUsed.Store(time.Now().UnixNano())
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithEnv("AWS_LAMBDA_FUNCTION_NAME", f.Name).
		WithEnv("AWS_LAMBDA_FUNCTION_VERSION", rev.Version).
		WithEnv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(f.MemoryMB)).
		WithEnv("_HANDLER", f.Handler)
	for _, k := range slices.Sorted(maps.Keys(f.Env)) {
		mc = mc.WithEnv(k, f.Env[k])
	}
	v.modCfg = mc
	// Before the pool, whose filler starts at once.
	v.prepareSnapshot(ctx)
	v.pool = pool.New(pool.Config{MinIdle: minIdle, IdleTTL: e.cfg.IdleTTL, Spare: e.cfg.SpareInstances}, v)
	return v
}

// serves reports whether v runs revision r: a published version's number
// names different revisions once the function is removed and created
// again, and $LATEST changes with every deploy.
func (v *version) serves(r revision) bool {
	return v.rev.RevisionID == r.RevisionID && v.rev.LastModified.Equal(r.LastModified)
}

// Create implements pool.Factory.
func (v *version) Create(ctx context.Context) (*instance, error) { return v.newInstance(ctx) }

// Destroy implements pool.Factory.
func (v *version) Destroy(in *instance, broken bool) { in.destroy(broken) }

// dropLogs receives log lines no invocation carries: a retiring instance's
// shutdown output, or a prewarmed instance's init that failed.
func (v *version) dropLogs(logs []byte) {
	if len(logs) > 0 {
		v.fn.logs.add(logEntry{Time: time.Now(), Version: v.version, Kind: logShutdown, Lines: logs})
		v.engine.cfg.Logger.Debug("function log outside an invocation", "function", v.name, "version", v.version, "log", string(logs))
	}
}

// invoke runs one invocation on an instance of v.
func (v *version) invoke(ctx context.Context, payload []byte, inv invocation, o *invokeOptions) (*Result, error) {
	requestID := o.requestID
	if requestID == "" {
		requestID = uuid.New()
	}
	// An HTTP request message goes to a version that takes one, for a
	// buffered response; anything else gets the event.
	asHTTP := o.httpMsg != nil && v.mod.hasHTTPHandler && o.stream == nil
	if o.httpMsg != nil && !asHTTP && payload == nil && o.httpEvent != nil {
		payload = o.httpEvent()
		if len(payload) > v.engine.cfg.MaxRequestBytes {
			return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrPayloadTooLarge, len(payload), v.engine.cfg.MaxRequestBytes)
		}
	}
	in, start, err := v.pool.Get(ctx)
	if v.awaited.Load() { // a store only once, not on every warm call
		v.awaited.Store(false)
	}
	if err != nil {
		var ie *initError
		switch {
		case errors.As(err, &ie):
			v.initErrors.Add(1)
			v.errs.Add(1)
			res := &Result{RequestID: requestID, Version: v.version, FunctionError: ie.fe,
				Cold: true, InitDuration: ie.duration, Logs: ie.logs, MemoryMB: v.cfg.MemoryMB}
			v.record(res)
			return res, nil
		}
		return nil, err
	}
	res := &Result{RequestID: requestID, Version: v.version, Cold: start == pool.Cold, MemoryMB: v.cfg.MemoryMB}
	if st, ok := o.stream.(StreamStarter); ok {
		st.StartStream(v.version)
	}
	if res.Cold {
		res.InitDuration = in.initDuration
	}
	broken := in.invoke(ctx, payload, asHTTP, inv, res, o)
	if in.fresh {
		in.firstCallDone(broken || res.FunctionError != nil)
	}
	switch {
	case !broken && !v.cfg.SingleUse:
		v.pool.Put(in)
	case !v.engine.cfg.NoRecycle && in.recycle(broken):
		v.pool.PutFresh(in)
	case broken:
		v.pool.Discard(in)
	default:
		// Off the request path: a single-use instance's retirement
		// (closing the module, unmapping its memory) costs as much as a
		// warm call.
		v.pool.RetireLater(in)
	}
	v.record(res)
	return res, nil
}

// record counts an invocation in the version's metrics, the function's
// usage and its log ring.
func (v *version) record(res *Result) {
	v.invocations.Add(1)
	if fe := res.FunctionError; fe != nil {
		v.errs.Add(1)
		if errors.Is(fe, ErrTimeout) {
			v.timeouts.Add(1)
		}
	}
	v.duration.observe(res.Duration)
	if res.Cold {
		v.initDuration.observe(res.InitDuration)
	}
	v.fn.usage.add(res.BilledDuration(), v.cfg.MemoryMB)
	now := time.Now()
	v.lastUsed.Store(now.UnixNano())
	v.fn.logs.add(logEntry{
		Time: now, Kind: logInvocation, RequestID: res.RequestID, Version: v.version,
		Duration: res.Duration, InitDuration: res.InitDuration, Cold: res.Cold,
		MemoryMB: v.cfg.MemoryMB, MemoryUsed: res.MemoryUsed, Lines: bytes.Clone(res.Logs), Failed: res.FunctionError != nil,
	})
}

func (v *version) close(ctx context.Context) error {
	err := v.pool.Close(ctx)
	if err == nil {
		err = v.engine.releaseModule(ctx, v.mod)
	}
	return err
}

func (v *version) stats() Stats {
	st := v.counters.stats(v.pool.Stats(), v.snapStatus)
	if t := v.touch.Load(); t != nil {
		st.PrefaultPages = t.written.pages() + t.read.pages()
	}
	st.Prefaulted = v.prefaulted.Load()
	return st
}

// stats returns the counters with those of the pool now running.
func (c *counters) stats(p pool.Stats, snapshot string) Stats {
	u, reloads := c.before()
	return Stats{
		Invocations: c.invocations.Load(), Errors: c.errs.Load(), Timeouts: c.timeouts.Load(),
		Throttles: c.throttles.Load(), InitErrors: c.initErrors.Load(), Denials: c.denials.Load(),
		ColdStarts: u.ColdStarts + p.ColdStarts, Prewarmed: u.Prewarmed + p.Prewarmed, Discarded: u.Discarded + p.Discarded,
		Retired: u.Retired + p.Retired, Recycled: u.Recycled + p.Recycled, Reloads: reloads,
		Idle: p.Idle, Busy: p.Busy, Snapshot: snapshot,
	}
}
