package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine/pool"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// LatestVersion names the mutable version of a function.
const LatestVersion = "$LATEST"

// Engine runs functions. It is safe for concurrent use.
type Engine struct {
	cfg       Config
	runtime   wazero.Runtime
	cache     wazero.CompilationCache
	ownCache  bool
	hostFuncs map[string]map[string]api.FunctionDefinition

	mu        sync.RWMutex
	functions map[string]*version
	closed    atomic.Bool
	retiring  sync.WaitGroup
	start     time.Time    // monotonic origin for instance watchdogs
	regions   *regionCache // released linear memories, for reuse
}

// New returns an engine configured by cfg; the zero Config is an in-memory
// engine with default limits. Close it to release its runtime.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	e := &Engine{cfg: cfg.withDefaults(), functions: map[string]*version{}, start: time.Now()}
	e.regions = newRegionCache(uint64(e.cfg.MemoryCacheBytes))
	switch {
	case cfg.CompilationCache != nil:
		e.cache = cfg.CompilationCache
	case cfg.CompilationCacheDir != "":
		c, err := wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir)
		if err != nil {
			return nil, fmt.Errorf("engine: compilation cache: %w", err)
		}
		e.cache, e.ownCache = c, true
	default:
		e.cache, e.ownCache = wazero.NewCompilationCache(), true
	}
	// Not WithCloseOnContextDone: it makes every loop iteration exit to Go
	// and every call start a goroutine. Modules are instrumented instead
	// (see wasmbin.Prepare and docs/RATIONALE.md).
	rc := wazero.NewRuntimeConfig().WithCompilationCache(e.cache)
	e.runtime = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := e.defineHost(ctx); err != nil {
		_ = e.closeRuntime(ctx)
		return nil, err
	}
	return e, nil
}

// defineHost instantiates WASI and the Flint host module, and records what
// they export so Deploy can check a module's imports against it.
func (e *Engine) defineHost(ctx context.Context) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.runtime); err != nil {
		return fmt.Errorf("engine: define WASI: %w", err)
	}
	if err := abi.Instantiate(ctx, e.runtime); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.hostFuncs = map[string]map[string]api.FunctionDefinition{}
	for _, name := range []string{abi.WASIModuleName, abi.ModuleName} {
		e.hostFuncs[name] = e.runtime.Module(name).ExportedFunctionDefinitions()
	}
	return nil
}

func (e *Engine) closeRuntime(ctx context.Context) error {
	err := e.runtime.Close(ctx)
	e.regions.close()
	if e.ownCache {
		err = errors.Join(err, e.cache.Close(ctx))
	}
	return err
}

// Close stops accepting invocations, lets in-flight ones finish (until ctx
// is done), retires every instance and releases the runtime. It is safe to
// call more than once.
func (e *Engine) Close(ctx context.Context) error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.mu.Lock()
	versions := slices.Collect(maps.Values(e.functions))
	e.functions = map[string]*version{}
	e.mu.Unlock()

	var errs []error
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, v := range versions {
		wg.Go(func() {
			if err := v.close(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("function %s: %w", v.name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { e.retiring.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	errs = append(errs, e.closeRuntime(ctx))
	return errors.Join(errs...)
}

// Deploy validates and compiles f's module and makes it the function's
// $LATEST version, replacing any earlier one: invocations in flight finish
// on the old version, whose instances are then retired. With MinIdle set,
// Deploy returns once that many instances are initialized, and fails if
// one cannot be. Errors: ErrInvalidFunction, ErrInvalidModule (a
// *ModuleError saying why), ErrInitFailed, ErrClosed.
func (e *Engine) Deploy(ctx context.Context, f Function) (*FunctionInfo, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	f, err := f.normalize()
	if err != nil {
		return nil, err
	}
	mod, err := e.compile(ctx, f)
	if err != nil {
		return nil, err
	}
	v := e.newVersion(f, mod, LatestVersion)
	if err := v.pool.Prefill(ctx); err != nil {
		_ = v.close(context.Background())
		return nil, fmt.Errorf("deploy %s: %w", f.Name, err)
	}

	e.mu.Lock()
	if e.closed.Load() {
		e.mu.Unlock()
		_ = v.close(context.Background())
		return nil, ErrClosed
	}
	old := e.functions[f.Name]
	e.functions[f.Name] = v
	e.mu.Unlock()
	if old != nil {
		e.retire(old)
	}
	info := v.info()
	return &info, nil
}

// retire drains v in the background: in-flight calls finish, then its
// instances and compiled code are released.
func (e *Engine) retire(v *version) {
	e.retiring.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), MaxTimeout+time.Minute)
		defer cancel()
		if err := v.close(ctx); err != nil {
			e.cfg.Logger.Warn("retiring function version", "function", v.name, "version", v.version, "err", err)
		}
	})
}

// Remove deletes a function. In-flight invocations finish first.
func (e *Engine) Remove(ctx context.Context, name string) error {
	e.mu.Lock()
	v, ok := e.functions[name]
	delete(e.functions, name)
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return v.close(ctx)
}

func (e *Engine) lookup(name string) (*version, error) {
	e.mu.RLock()
	v := e.functions[name]
	e.mu.RUnlock()
	if v == nil {
		if e.closed.Load() {
			return nil, ErrClosed
		}
		fn, qualifier, _ := strings.Cut(name, ":")
		if qualifier != "" && qualifier != LatestVersion {
			e.mu.RLock()
			_, exists := e.functions[fn]
			e.mu.RUnlock()
			if exists {
				return nil, fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, fn, qualifier)
			}
		} else if qualifier == LatestVersion {
			return e.lookup(fn)
		}
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return v, nil
}

// Function describes the deployed function name.
func (e *Engine) Function(name string) (FunctionInfo, error) {
	v, err := e.lookup(name)
	if err != nil {
		return FunctionInfo{}, err
	}
	return v.info(), nil
}

// Functions lists the deployed functions, sorted by name.
func (e *Engine) Functions() []FunctionInfo {
	e.mu.RLock()
	out := make([]FunctionInfo, 0, len(e.functions))
	for _, v := range e.functions {
		out = append(out, v.info())
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(a, b FunctionInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Stats returns the counters of function name.
func (e *Engine) Stats(name string) (Stats, error) {
	v, err := e.lookup(name)
	if err != nil {
		return Stats{}, err
	}
	return v.stats(), nil
}

// Invoke runs function name (optionally "name:$LATEST") on payload and
// waits for its result.
//
// The error is non-nil only when the function could not be run: ErrClosed,
// ErrFunctionNotFound, ErrPayloadTooLarge, ErrThrottled, or the context's
// error. Everything the function itself did wrong — a returned error, a
// trap, a timeout, a failed init — is in Result.FunctionError.
//
// Result.Logs holds the lines the function logged, through the ABI or
// its stdout and stderr, each tagged with the request id.
func (e *Engine) Invoke(ctx context.Context, name string, payload []byte) (*Result, error) {
	if len(payload) > e.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrPayloadTooLarge, len(payload), e.cfg.MaxRequestBytes)
	}
	for {
		v, err := e.lookup(name)
		if err != nil {
			return nil, err
		}
		res, err := v.invoke(ctx, payload)
		if errors.Is(err, pool.ErrClosed) && !e.closed.Load() {
			continue // redeployed between lookup and Get: take the new version
		}
		return res, err
	}
}

// version is one deployed version of a function: compiled code, its
// configuration and its pool of instances.
type version struct {
	engine  *Engine
	name    string
	version string
	cfg     Function // normalized; Code is dropped after compiling
	mod     *module
	modCfg  wazero.ModuleConfig
	pool    *pool.Pool[*instance]
	created time.Time

	invocations, errs, timeouts, throttles, initErrors atomic.Uint64
}

func (e *Engine) newVersion(f Function, mod *module, name string) *version {
	f.Code = nil
	f.Env = maps.Clone(f.Env) // the caller may change its map after Deploy
	v := &version{engine: e, name: f.Name, version: name, cfg: f, mod: mod, created: time.Now()}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithEnv("AWS_LAMBDA_FUNCTION_NAME", f.Name).
		WithEnv("AWS_LAMBDA_FUNCTION_VERSION", name).
		WithEnv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(f.MemoryMB)).
		WithEnv("_HANDLER", f.Handler)
	for _, k := range slices.Sorted(maps.Keys(f.Env)) {
		mc = mc.WithEnv(k, f.Env[k])
	}
	v.modCfg = mc
	v.pool = pool.New(pool.Config{
		MinIdle:        f.MinIdle,
		MaxInstances:   f.MaxInstances,
		AcquireTimeout: e.cfg.AcquireTimeout,
		IdleTTL:        e.cfg.IdleTTL,
	}, v)
	return v
}

// Create implements pool.Factory.
func (v *version) Create(ctx context.Context) (*instance, error) { return v.newInstance(ctx) }

// Destroy implements pool.Factory.
func (v *version) Destroy(in *instance, broken bool) { in.destroy(broken) }

// dropLogs receives log lines no invocation will carry: a retiring
// instance's shutdown output.
func (v *version) dropLogs(logs []byte) {
	if len(logs) > 0 {
		v.engine.cfg.Logger.Debug("function log outside an invocation", "function", v.name, "log", string(logs))
	}
}

func (v *version) invoke(ctx context.Context, payload []byte) (*Result, error) {
	in, start, err := v.pool.Get(ctx)
	if err != nil {
		var ie *initError
		switch {
		case errors.As(err, &ie):
			v.initErrors.Add(1)
			v.errs.Add(1)
			return &Result{RequestID: newRequestID(), Version: v.version, FunctionError: ie.fe,
				Cold: true, InitDuration: ie.duration, Logs: ie.logs}, nil
		case errors.Is(err, pool.ErrThrottled):
			v.throttles.Add(1)
			return nil, fmt.Errorf("%w: function %s is at its concurrency limit (%d)", ErrThrottled, v.name, v.cfg.MaxInstances)
		}
		return nil, err
	}
	res := &Result{RequestID: newRequestID(), Version: v.version, Cold: start == pool.Cold}
	if res.Cold {
		res.InitDuration = in.initDuration
	}
	switch broken := in.invoke(ctx, payload, res); {
	case broken:
		v.pool.Discard(in)
	case v.cfg.SingleUse:
		v.pool.Retire(in)
	default:
		v.pool.Put(in)
	}
	v.invocations.Add(1)
	if fe := res.FunctionError; fe != nil {
		v.errs.Add(1)
		if errors.Is(fe, ErrTimeout) {
			v.timeouts.Add(1)
		}
	}
	return res, nil
}

func (v *version) close(ctx context.Context) error {
	err := v.pool.Close(ctx)
	if err == nil {
		err = v.mod.compiled.Close(ctx)
	}
	return err
}

func (v *version) info() FunctionInfo {
	return FunctionInfo{
		Name: v.name, Version: v.version,
		CodeSHA256: v.mod.sha256, CodeSize: v.mod.size,
		Handler: v.cfg.Handler, Timeout: v.cfg.Timeout, MemoryMB: v.cfg.MemoryMB,
		Env:     maps.Clone(v.cfg.Env),
		MinIdle: v.cfg.MinIdle, MaxInstances: v.cfg.MaxInstances, SingleUse: v.cfg.SingleUse,
		LastModified: v.created,
	}
}

func (v *version) stats() Stats {
	p := v.pool.Stats()
	return Stats{
		Invocations: v.invocations.Load(), Errors: v.errs.Load(), Timeouts: v.timeouts.Load(),
		Throttles: v.throttles.Load(), InitErrors: v.initErrors.Load(),
		ColdStarts: p.ColdStarts, Prewarmed: p.Prewarmed, Discarded: p.Discarded, Retired: p.Retired,
		Idle: p.Idle, Busy: p.Busy,
	}
}
