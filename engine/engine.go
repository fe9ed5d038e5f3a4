package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/engine/internal/abihost"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine/internal/egress"
	"github.com/flintfaas/flint/engine/internal/pool"
	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/names"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// LatestVersion names the mutable version of a function.
const LatestVersion = "$LATEST"

// Engine runs functions. It is safe for concurrent use.
//
// Lock order: Engine.mu, then function.deploy, then function.mu; pool and
// store locks are leaves.
type Engine struct {
	cfg       Config
	runtime   wazero.Runtime
	cache     wazero.CompilationCache
	ownCache  bool
	store     store.Store
	ownStore  bool
	hostFuncs map[string]map[string]api.FunctionDefinition
	limit     *limiter // MaxConcurrency
	egress    *egress.Client
	async     *queue.Queue
	// hostCaps are Config.HostCapabilities, by name.
	hostCaps map[string]*hostCapability

	mu        sync.RWMutex
	functions map[string]*function
	// Following the changes of engines sharing the store (watch.go).
	watching     sync.RWMutex // a reload holds it shared, Close alone
	stopWatching context.CancelFunc
	closed       atomic.Bool
	retiring     sync.WaitGroup
	start        time.Time    // monotonic origin for instance watchdogs
	regions      *regionCache // released linear memories, for reuse
	prefaulted   atomic.Int64 // bytes idle instances hold prefaulted (Config.PrefaultBytes)
	modules      moduleCache  // compiled modules, shared by code
	// Unloading versions over Config.ModuleMemoryBytes (unload.go).
	sweeping, sweepAgain atomic.Bool
	unloads              atomic.Uint64
	arnPrefix            string // "arn:aws:lambda:REGION:ACCOUNT:function:"
	// Instances' /tmp directories are made under tmpBase, a temporary
	// directory of the engine's own when tmpBaseTemp.
	tmpBase     string
	tmpBaseTemp bool
	// Snapshot images, by path, open for mapping.
	snapDirOnce sync.Once
	snapDir     string
	snapDirErr  error
	snapDirTemp bool
	imagesMu    sync.Mutex
	images      map[string]*imageFile
}

// function is a deployed function: its record and the runtimes (compiled
// code and instance pools) of the versions that have been invoked.
type function struct {
	name   string
	limit  *limiter                // reserved concurrency
	latest atomic.Pointer[version] // $LATEST's runtime, nil until needed
	deploy sync.Mutex              // serializes changes of $LATEST and making runtimes
	write  sync.Mutex              // serializes writes of the record, and adopting others'
	logs   *logRing
	usage  usageCounters
	// throttles counts the function-wide throttles that came while $LATEST
	// had no runtime to count them (after a restart, until it runs).
	throttles atomic.Uint64

	mu       sync.RWMutex
	rec      *functionRecord
	raw      []byte              // rec as the store has it; nil when unknown
	runtimes map[string]*version // published versions, by number
	// stashed keeps the counters of versions unloaded to save memory, by
	// version, for the runtime that loads them again.
	stashed map[string]versionStash
}

// New returns an engine configured by cfg; the zero Config is an in-memory
// engine with default limits. With cfg.DataDir set, it serves the
// functions it finds there. Close it to release its runtime.
func New(ctx context.Context, cfg Config) (_ *Engine, err error) {
	e := &Engine{cfg: cfg.withDefaults(), functions: map[string]*function{}, start: time.Now(),
		images: map[string]*imageFile{}}
	if e.hostCaps, err = hostCapabilities(cfg.HostCapabilities); err != nil {
		return nil, err
	}
	e.regions = newRegionCache(uint64(e.cfg.MemoryCacheBytes))
	e.arnPrefix = "arn:aws:lambda:" + e.cfg.Region + ":" + e.cfg.AccountID + ":function:"
	e.limit = newLimiter(e.cfg.MaxConcurrency)
	// A step that fails undoes every one before it: the runtimes (and
	// their pools' fillers) load made, the store, the caches.
	defer func() {
		if err != nil {
			e.closed.Store(true)
			if e.stopWatching != nil {
				e.stopWatching()
			}
			_ = e.closeFunctions(ctx)
			_ = e.closeRuntime(ctx)
		}
	}()

	cacheDir := cfg.CompilationCacheDir
	if cacheDir == "" && cfg.DataDir != "" {
		cacheDir = filepath.Join(cfg.DataDir, "compile-cache")
	}
	switch {
	case cfg.CompilationCache != nil:
		e.cache = cfg.CompilationCache
	case cacheDir != "":
		c, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("engine: compilation cache: %w", err)
		}
		e.cache, e.ownCache = c, true
	default:
		e.cache, e.ownCache = wazero.NewCompilationCache(), true
	}
	switch {
	case cfg.Store != nil:
		e.store = cfg.Store
	case cfg.DataDir != "":
		s, err := store.Open(cfg.DataDir, store.Options{})
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		e.store, e.ownStore = s, true
	default:
		e.store, e.ownStore = store.NewMemory(), true
	}

	// Not WithCloseOnContextDone: it makes every loop iteration exit to Go
	// and every call start a goroutine. Modules are instrumented instead
	// (see wasmbin.Prepare and docs/RATIONALE.md).
	for _, m := range cfg.Mounts {
		if path.Clean(m.GuestPath) == tmpPath {
			return nil, fmt.Errorf("%w: a mount at %s: every instance has its own %s", ErrInvalidFunction, tmpPath, tmpPath)
		}
	}
	if err := e.openTmpBase(); err != nil {
		return nil, err
	}
	rc := wazero.NewRuntimeConfig().WithCompilationCache(e.cache)
	e.runtime = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := e.defineHost(ctx); err != nil {
		return nil, err
	}
	e.egress = egress.New(egress.Config{
		MaxResponseBytes: int64(e.cfg.MaxFetchBytes),
		Blocked:          e.cfg.BlockedNetworks,
	})
	if err := e.watch(ctx); err != nil {
		return nil, err
	}
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	if err := e.startAsync(); err != nil {
		return nil, err
	}
	return e, nil
}

// defineHost instantiates WASI and the Flint host module, and records what
// they export so Deploy can check a module's imports against it.
func (e *Engine) defineHost(ctx context.Context) error {
	if err := instantiateWASI(ctx, e.runtime); err != nil {
		return fmt.Errorf("engine: define WASI: %w", err)
	}
	if err := abihost.Instantiate(ctx, e.runtime); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.hostFuncs = map[string]map[string]api.FunctionDefinition{}
	for _, name := range []string{abi.WASIModuleName, abi.ModuleName} {
		e.hostFuncs[name] = e.runtime.Module(name).ExportedFunctionDefinitions()
	}
	return nil
}

// load reads the functions persisted in the store. Their runtimes are made
// when first needed, except those with provisioned instances, which start
// filling now.
func (e *Engine) load(ctx context.Context) error {
	recs, raws, err := e.loadRecords(ctx)
	if err != nil {
		return fmt.Errorf("engine: load functions: %w", err)
	}
	e.mu.Lock()
	for i, rec := range recs {
		if e.functions[rec.Name] == nil { // a watch may have been first
			e.functions[rec.Name] = e.newFunction(rec, raws[i])
		}
	}
	e.mu.Unlock()
	for _, rec := range recs {
		if err := e.refreshProvisioned(ctx, rec.Name, false); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) newFunction(rec *functionRecord, raw []byte) *function {
	return &function{
		name:     rec.Name,
		rec:      rec,
		raw:      raw,
		limit:    newLimiter(e.reservedCap(rec)),
		runtimes: map[string]*version{},
		logs:     newLogRing(e.cfg.LogRingSize),
	}
}

func (e *Engine) closeRuntime(ctx context.Context) error {
	var err error
	if e.runtime != nil {
		err = e.runtime.Close(ctx)
	}
	e.regions.close()
	e.closeImages()
	err = errors.Join(err, e.closeTmpBase())
	if e.ownCache && e.cache != nil {
		err = errors.Join(err, e.cache.Close(ctx))
	}
	if e.ownStore && e.store != nil {
		err = errors.Join(err, e.store.Close())
	}
	return err
}

// Close stops accepting invocations, stops the async workers (queued events
// stay in the store), lets in-flight invocations finish (until ctx is
// done), retires every instance and releases the runtime. It is safe to
// call more than once.
func (e *Engine) Close(ctx context.Context) error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.stopWatching()
	var errs []error
	if e.async != nil {
		if err := e.async.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("async queue: %w", err))
		}
	}
	if err := e.closeFunctions(ctx); err != nil {
		errs = append(errs, err)
	}
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

// closeFunctions forgets every function and closes their runtimes, in
// parallel, letting calls in flight finish (until ctx is done).
func (e *Engine) closeFunctions(ctx context.Context) error {
	e.mu.Lock()
	functions := slices.Collect(maps.Values(e.functions))
	e.functions = map[string]*function{}
	e.mu.Unlock()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, f := range functions {
		for _, v := range f.allRuntimes() {
			wg.Go(func() {
				if err := v.close(ctx); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("function %s:%s: %w", v.name, v.version, err))
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// allRuntimes returns the function's runtimes and forgets them.
func (f *function) allRuntimes() []*version {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Collect(maps.Values(f.runtimes))
	f.runtimes = map[string]*version{}
	if v := f.latest.Swap(nil); v != nil {
		out = append(out, v)
	}
	return out
}

// Deploy validates and compiles f's module and makes it, with f's
// configuration, the function's $LATEST version, creating the function if
// needed. Invocations in flight finish on the old $LATEST, whose instances
// are then retired; new ones get the new code and configuration. The
// function's settings are kept; Deploy returns once $LATEST's provisioned
// instances (Settings.ProvisionedConcurrency) are ready, and fails if one
// cannot be made. Errors: ErrInvalidFunction, ErrInvalidModule (a
// *ModuleError saying why), ErrInitFailed, ErrClosed.
func (e *Engine) Deploy(ctx context.Context, f Function) (*FunctionInfo, error) {
	p, err := e.prepare(ctx, f, f.Code)
	if err != nil {
		return nil, err
	}
	fn, created := e.functionForDeploy(p.f.Name, p.rev)
	defer e.unloadOverBudget() // once fn.deploy is released
	fn.deploy.Lock()
	defer fn.deploy.Unlock()
	info, err := e.install(ctx, fn, p)
	if err != nil && created {
		e.forget(fn)
	}
	return info, err
}

// Update changes a function's $LATEST: change receives its current
// configuration, with Code nil, and edits it; setting Code replaces the
// code, leaving it nil keeps it. The change is installed as Deploy
// installs, and updates of one function are serialized, so none is lost.
// An error change returns aborts the update and is returned as it is.
func (e *Engine) Update(ctx context.Context, name string, change func(*Function) error) (*FunctionInfo, error) {
	fn, err := e.function(name)
	if err != nil {
		return nil, err
	}
	defer e.unloadOverBudget() // once fn.deploy is released
	fn.deploy.Lock()
	defer fn.deploy.Unlock()
	fn.mu.RLock()
	rev := fn.rec.Latest
	fn.mu.RUnlock()
	// Another engine sharing the store may change $LATEST meanwhile: the
	// change is then made again, on that $LATEST.
	for range maxUpdateAttempts {
		f := rev.function(name)
		if err := change(&f); err != nil {
			return nil, err
		}
		f.Name = name
		code := f.Code
		if code == nil {
			if code, err = e.store.Blobs().Get(ctx, rev.CodeSHA256); err != nil {
				return nil, fmt.Errorf("engine: code of %s: %w", name, err)
			}
		}
		p, err := e.prepare(ctx, f, code)
		if err != nil {
			return nil, err
		}
		p.base = rev.RevisionID
		info, err := e.install(ctx, fn, p)
		var stale staleError
		if !errors.As(err, &stale) {
			return info, err
		}
		rev = stale.latest
		// Let the other writer finish before trying again.
		select {
		case <-time.After(rand.N(10 * time.Millisecond)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("%w: %s changed %d times during the update; try again", ErrConflict, name, maxUpdateAttempts)
}

// maxUpdateAttempts is how many times Update makes its change when others
// keep changing $LATEST under it.
const maxUpdateAttempts = 10

// staleError is install's answer when $LATEST is no longer the revision a
// change was made to.
type staleError struct{ latest revision }

func (staleError) Error() string { return "engine: $LATEST changed" }

// Code returns the module of a function version ("name", "name:VERSION"
// or "name:ALIAS", which names the alias's primary version), as deployed.
func (e *Engine) Code(ctx context.Context, target string) ([]byte, error) {
	info, err := e.Function(target)
	if err != nil {
		return nil, err
	}
	code, err := e.store.Blobs().Get(ctx, info.CodeSHA256)
	if err != nil {
		return nil, fmt.Errorf("engine: code of %s: %w", target, err)
	}
	return code, nil
}

// prepared is a function's new $LATEST, checked, compiled and stored,
// ready to install.
type prepared struct {
	f   Function
	mod *module
	rev revision
	// base is the RevisionID of the $LATEST the change was made to; empty
	// when it replaces whatever is there (Deploy).
	base string
}

// prepare checks f, compiles code and stores it.
func (e *Engine) prepare(ctx context.Context, f Function, code []byte) (prepared, error) {
	if e.closed.Load() {
		return prepared{}, ErrClosed
	}
	f.Code = code
	f, err := f.normalize()
	if err != nil {
		return prepared{}, err
	}
	mod, err := e.compile(ctx, f)
	if err != nil {
		return prepared{}, err
	}
	digest, err := e.store.Blobs().Put(ctx, code)
	if err != nil {
		_ = e.releaseModule(ctx, mod)
		return prepared{}, fmt.Errorf("engine: store code of %s: %w", f.Name, err)
	}
	rev := revision{
		Version: LatestVersion, CodeSHA256: digest, CodeSize: len(code), Config: configOf(f),
		RevisionID: uuid.New(), LastModified: time.Now().UTC(),
	}
	return prepared{f: f, mod: mod, rev: rev}, nil
}

// install makes a prepared revision the $LATEST of fn: its provisioned
// instances made, its record saved, the old $LATEST retired. Callers hold
// fn.deploy.
func (e *Engine) install(ctx context.Context, fn *function, p prepared) (*FunctionInfo, error) {
	fn.mu.RLock()
	provisioned := e.provisionedFor(fn.rec, LatestVersion)
	fn.mu.RUnlock()
	v := e.newVersion(ctx, fn, p.rev, p.mod, provisioned)
	if err := v.pool.Prefill(ctx); err != nil {
		_ = v.close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("deploy %s: %w", p.f.Name, err)
	}
	create := &functionRecord{Name: fn.name, Created: time.Now().UTC(), NextVersion: 1}
	if p.base != "" {
		create = nil // Update: the function must still exist
	}
	fn.write.Lock()
	rec, raw, err := e.writeRecord(ctx, fn, create, func(rec *functionRecord) error {
		if p.base != "" && rec.Latest.RevisionID != p.base {
			return staleError{latest: rec.Latest}
		}
		rec.Latest = p.rev
		return nil
	})
	refresh := false
	if err == nil {
		refresh = e.adopt(fn, rec, raw, v)
	}
	fn.write.Unlock()
	if err != nil {
		_ = v.close(context.WithoutCancel(ctx))
		var stale staleError
		if errors.As(err, &stale) || errors.Is(err, ErrFunctionNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("engine: save %s: %w", p.f.Name, err)
	}
	e.register(fn)
	if refresh {
		_ = e.refreshProvisioned(ctx, fn.name, false)
	}
	if e.closed.Load() { // closed meanwhile: Close may have missed v
		e.retire(v)
		return nil, ErrClosed
	}
	info := infoOf(rec, p.rev)
	return &info, nil
}

// register makes fn, whose record was just saved, the engine's function of
// its name again if another engine's removal, seen through the store's
// watch, dropped it meanwhile.
func (e *Engine) register(fn *function) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.functions[fn.name] == nil && !e.closed.Load() {
		e.functions[fn.name] = fn
	}
}

// functionForDeploy returns the function named name, creating it (with a
// record holding rev) if it does not exist.
func (e *Engine) functionForDeploy(name string, rev revision) (*function, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if fn := e.functions[name]; fn != nil {
		return fn, false
	}
	fn := e.newFunction(&functionRecord{Name: name, Created: time.Now().UTC(), Latest: rev, NextVersion: 1}, nil)
	e.functions[name] = fn
	return fn, true
}

// forget removes a function whose creation failed.
func (e *Engine) forget(fn *function) {
	e.mu.Lock()
	if e.functions[fn.name] == fn {
		delete(e.functions, fn.name)
	}
	e.mu.Unlock()
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

// Remove deletes a function, all its versions and aliases. In-flight
// invocations finish first.
func (e *Engine) Remove(ctx context.Context, name string) error {
	e.mu.Lock()
	f, ok := e.functions[name]
	delete(e.functions, name)
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	f.write.Lock()
	bucket, err := e.bucket()
	if err == nil {
		err = bucket.Delete(ctx, name)
	}
	f.write.Unlock()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, v := range f.allRuntimes() {
		errs = append(errs, v.close(ctx))
	}
	return errors.Join(errs...)
}

// function returns the deployed function name (unqualified).
func (e *Engine) function(name string) (*function, error) {
	e.mu.RLock()
	f := e.functions[name]
	e.mu.RUnlock()
	if f == nil {
		if e.closed.Load() {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	return f, nil
}

// Function describes function name: its $LATEST, or, for "name:qualifier",
// that version or the version an alias points to.
func (e *Engine) Function(target string) (FunctionInfo, error) {
	name, q, err := splitTarget(target)
	if err != nil {
		return FunctionInfo{}, err
	}
	f, err := e.function(name)
	if err != nil {
		return FunctionInfo{}, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if q == "" {
		q = LatestVersion
	}
	if a, ok := f.rec.Aliases[q]; ok {
		q = a.FunctionVersion
	}
	rev, ok := f.rec.version(q)
	if !ok {
		return FunctionInfo{}, fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, name, q)
	}
	return infoOf(f.rec, rev), nil
}

// Functions lists the deployed functions' $LATEST, sorted by name.
func (e *Engine) Functions() []FunctionInfo {
	e.mu.RLock()
	fs := slices.Collect(maps.Values(e.functions))
	e.mu.RUnlock()
	out := make([]FunctionInfo, 0, len(fs))
	for _, f := range fs {
		f.mu.RLock()
		out = append(out, infoOf(f.rec, f.rec.Latest))
		f.mu.RUnlock()
	}
	slices.SortFunc(out, func(a, b FunctionInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Stats returns the counters of a function version ("name" for $LATEST,
// "name:7", "name:alias" for the alias's primary version).
func (e *Engine) Stats(target string) (Stats, error) {
	name, q, err := splitTarget(target)
	if err != nil {
		return Stats{}, err
	}
	f, err := e.function(name)
	if err != nil {
		return Stats{}, err
	}
	f.mu.RLock()
	if a, ok := f.rec.Aliases[q]; ok {
		q = a.FunctionVersion
	}
	rev, exists := f.rec.version(cmpOr(q, LatestVersion))
	st, unloaded := f.stashed[rev.Version]
	f.mu.RUnlock()
	if !exists {
		return Stats{}, fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, name, q)
	}
	if v := f.runtimeIfAny(q); v != nil {
		return v.stats(), nil
	}
	if unloaded && st.revisionID == rev.RevisionID {
		return st.counters.stats(pool.Stats{}, "unloaded: loaded again on its next invocation"), nil
	}
	return Stats{}, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// runtimeIfAny returns a version's runtime if it exists.
func (f *function) runtimeIfAny(q string) *version {
	if q == "" || q == LatestVersion {
		return f.latest.Load()
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.runtimes[q]
}

// resolve returns the runtime that runs an invocation of qualifier
// ("", $LATEST, a version number or an alias), creating it if needed.
func (e *Engine) resolve(ctx context.Context, f *function, q string) (*version, error) {
	if q == "" || q == LatestVersion {
		if v := f.latest.Load(); v != nil {
			return v, nil
		}
		return e.makeRuntime(ctx, f, LatestVersion)
	}
	if !names.Version(q) {
		f.mu.RLock()
		a, ok := f.rec.Aliases[q]
		f.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, f.name, q)
		}
		return e.resolve(ctx, f, a.pick())
	}
	f.mu.RLock()
	v := f.runtimes[q]
	f.mu.RUnlock()
	if v != nil {
		return v, nil
	}
	return e.makeRuntime(ctx, f, q)
}

// makeRuntime compiles a version's code (a compilation-cache hit after the
// first time) and makes its pool.
func (e *Engine) makeRuntime(ctx context.Context, f *function, version string) (*version, error) {
	// Once f.deploy is released: the sweep may unload f's other versions.
	defer e.unloadOverBudget()
	f.deploy.Lock()
	defer f.deploy.Unlock()
	// The record may change while the code compiles (another engine
	// sharing the store redeployed): the runtime is then made again.
	for range maxUpdateAttempts {
		if v := f.runtimeIfAny(version); v != nil {
			return v, nil
		}
		f.mu.RLock()
		rec := f.rec
		f.mu.RUnlock()
		rev, ok := rec.version(version)
		if !ok {
			return nil, fmt.Errorf("%w: %s has no version %q", ErrFunctionNotFound, f.name, version)
		}
		code, err := e.store.Blobs().Get(ctx, rev.CodeSHA256)
		if err != nil {
			return nil, fmt.Errorf("engine: code of %s:%s: %w", f.name, version, err)
		}
		fn := rev.function(f.name)
		fn.Code = code
		mod, err := e.compile(ctx, fn)
		if err != nil {
			return nil, err
		}
		v := e.newVersion(ctx, f, rev, mod, e.provisionedFor(rec, version))
		v.awaited.Store(true)
		f.mu.Lock()
		cur, ok := f.rec.version(version)
		current := ok && v.serves(cur)
		if current && version == LatestVersion {
			f.latest.Store(v)
		} else if current {
			f.runtimes[version] = v
		}
		f.mu.Unlock()
		if !current {
			_ = v.close(ctx)
			continue
		}
		if e.closed.Load() {
			e.retire(v)
			return nil, ErrClosed
		}
		return v, nil
	}
	return nil, fmt.Errorf("%w: %s:%s changed %d times while its code compiled", ErrConflict, f.name, version, maxUpdateAttempts)
}

// provisionedFor is how many idle instances a version keeps here: this
// engine's share of its provisioned concurrency.
func (e *Engine) provisionedFor(rec *functionRecord, version string) int {
	n := provisionedTotal(rec, version)
	if e.cfg.Shares == nil || n == 0 {
		return n
	}
	return e.cfg.Shares.Share(rec.Name, n)
}

// reservedCap is the limiter cap for a function's reserved concurrency
// here: none (-1), or this engine's share of it.
func (e *Engine) reservedCap(rec *functionRecord) int {
	n := reservedCap(rec.Reserved)
	if e.cfg.Shares == nil || n <= 0 {
		return n
	}
	return e.cfg.Shares.Share(rec.Name, n)
}

// Reshare applies Config.Shares again to every function's reserved and
// provisioned concurrency: a node joined or left the cluster. Instances
// a smaller share no longer needs retire as they idle out.
func (e *Engine) Reshare(ctx context.Context) {
	e.mu.RLock()
	fs := slices.Collect(maps.Values(e.functions))
	e.mu.RUnlock()
	for _, f := range fs {
		f.mu.RLock()
		rec := f.rec
		f.mu.RUnlock()
		f.limit.setCap(e.reservedCap(rec))
		_ = e.refreshProvisioned(ctx, f.name, false)
	}
}

// provisionedTotal is how many idle instances a version keeps: its own
// setting plus those of the aliases whose primary version it is.
func provisionedTotal(rec *functionRecord, version string) int {
	n := rec.Provisioned[version]
	for name, a := range rec.Aliases {
		if a.FunctionVersion == version {
			n += rec.Provisioned[name]
		}
	}
	return n
}

// refreshProvisioned applies a function's provisioned concurrency to its
// runtimes, making those that should have idle instances. With wait, it
// returns once they are ready, or with the first error making one;
// without, the pools fill in the background.
func (e *Engine) refreshProvisioned(ctx context.Context, name string, wait bool) error {
	f, err := e.function(name)
	if err != nil {
		return err
	}
	f.mu.RLock()
	rec := f.rec
	f.mu.RUnlock()
	versions := []string{LatestVersion}
	for _, r := range rec.Versions {
		versions = append(versions, r.Version)
	}
	var errs []error
	for _, ver := range versions {
		n := e.provisionedFor(rec, ver)
		v := f.runtimeIfAny(ver)
		if v == nil && n > 0 {
			v, err = e.makeRuntime(ctx, f, ver)
			if err != nil {
				errs = append(errs, fmt.Errorf("provisioning %s:%s: %w", name, ver, err))
				continue
			}
			v.awaited.Store(false) // loaded for its provisioned instances
		}
		if v == nil {
			continue
		}
		v.pool.SetMinIdle(n)
		if wait && n > 0 {
			if err := v.pool.Prefill(ctx); err != nil {
				errs = append(errs, fmt.Errorf("provisioning %s:%s: %w", name, ver, err))
			}
		}
	}
	err = errors.Join(errs...)
	if err != nil && !wait {
		e.cfg.Logger.Warn("provisioning instances", "function", name, "err", err)
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return err
		}
		return nil
	}
	return err
}

// Invoke runs a function on payload and waits for its result. target is
// "name", "name:VERSION" or "name:ALIAS"; Result.Version says which
// version ran. Options adjust the invocation: WithRequestID,
// WithResponseStream, and the context the function and the host
// application's capabilities see:
// WithTenant, WithMetadata and WithPolicy. Called with a host
// capability's context, Invoke continues that capability's invocation:
// it inherits its context, and fails with ErrInvokeDepth past
// Config.MaxInvokeDepth.
//
// The error is non-nil only when the function could not be run: ErrClosed,
// ErrFunctionNotFound, ErrPayloadTooLarge, ErrThrottled, or the context's
// error. Everything the function itself did wrong — a returned error, a
// trap, a timeout, a failed init — is in Result.FunctionError.
//
// Result.Logs holds the lines the function logged, through the ABI or its
// stdout and stderr, each tagged with the request id; Result.Log adds
// Lambda's START, END and REPORT lines.
func (e *Engine) Invoke(ctx context.Context, target string, payload []byte, opts ...InvokeOption) (*Result, error) {
	o, err := invokeOptionsOf(opts)
	if err != nil {
		return nil, err
	}
	inv, err := e.invocationOf(ctx, o)
	if err != nil {
		return nil, err
	}
	return e.invoke(ctx, target, payload, inv, o)
}

// invoke runs an invocation: inv says how deep in a chain of nested
// invocations, and what context it carries; o has its caller's options.
func (e *Engine) invoke(ctx context.Context, target string, payload []byte, inv invocation, o invokeOptions) (*Result, error) {
	if len(payload) > e.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrPayloadTooLarge, len(payload), e.cfg.MaxRequestBytes)
	}
	if len(o.httpMsg) > e.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("%w: the HTTP request message is %d bytes, over the %d-byte limit", ErrPayloadTooLarge, len(o.httpMsg), e.cfg.MaxRequestBytes)
	}
	name, q, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	f, err := e.function(name)
	if err != nil {
		return nil, err
	}
	if !e.limit.acquire(ctx, e.cfg.AcquireTimeout) {
		return nil, e.throttled(ctx, f, "the engine is at its concurrency limit", e.cfg.MaxConcurrency)
	}
	defer e.limit.release()
	if !f.limit.acquire(ctx, e.cfg.AcquireTimeout) {
		what := "the function is at its reserved concurrency limit"
		if e.cfg.Shares != nil {
			what = "the function is at this node's share of its reserved concurrency limit"
		}
		return nil, e.throttled(ctx, f, what, int(f.limit.max.Load()))
	}
	defer f.limit.release()
	for {
		v, err := e.resolve(ctx, f, q)
		if err != nil {
			return nil, err
		}
		o.target = target
		res, err := v.invoke(ctx, payload, inv, &o)
		if errors.Is(err, pool.ErrClosed) && !e.closed.Load() {
			continue // redeployed between resolve and Get: take the new runtime
		}
		return res, err
	}
}

func (e *Engine) throttled(ctx context.Context, f *function, what string, limit int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v := f.latest.Load(); v != nil {
		v.throttles.Add(1)
	} else {
		f.throttles.Add(1)
	}
	return fmt.Errorf("%w: %s: %s (%d)", ErrThrottled, f.name, what, limit)
}
