package engine

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"
)

// ModuleCostFactor estimates the memory a loaded module takes from its
// size: its decoded functions, the image of its data segments and its
// machine code each take about as much as the module (measured for Go
// guests: a 3.3 MB module holds ~5 MB of Go heap and ~4 MB of code).
const ModuleCostFactor = 3

// moduleCost is what a module counts against Config.ModuleMemoryBytes.
func moduleCost(m *module) int64 { return ModuleCostFactor * int64(m.size) }

// versionStash is what an unloaded version leaves behind for the runtime
// that loads it again: its counters.
type versionStash struct {
	revisionID string
	counters   *counters
}

// takeCounters returns the counters a new runtime of revision rev starts
// from: those its unloaded predecessor left, or new ones.
func (f *function) takeCounters(rev revision) *counters {
	f.mu.Lock()
	st, ok := f.stashed[rev.Version]
	delete(f.stashed, rev.Version)
	f.mu.Unlock()
	if !ok || st.revisionID != rev.RevisionID {
		return &counters{created: time.Now()}
	}
	st.counters.mu.Lock()
	st.counters.reloads++
	st.counters.mu.Unlock()
	return st.counters
}

// unloadOverBudget starts unloading least recently used versions when the
// loaded modules take more than Config.ModuleMemoryBytes; one sweep runs
// at a time, off the caller's path.
func (e *Engine) unloadOverBudget() {
	if e.cfg.ModuleMemoryBytes < 0 || e.modules.bytes() <= e.cfg.ModuleMemoryBytes || e.closed.Load() {
		return
	}
	e.sweepAgain.Store(true)
	if !e.sweeping.CompareAndSwap(false, true) {
		return // the sweep running sees sweepAgain
	}
	e.retiring.Go(func() {
		for {
			for tries := 0; ; {
				e.sweepAgain.Store(false)
				done := e.sweep()
				if e.sweepAgain.Load() {
					tries = 0 // more was loaded meanwhile
					continue
				}
				if tries++; done || tries > sweepTries {
					break
				}
				// Versions busy a moment ago (running, being deployed) may
				// be free now.
				time.Sleep(sweepPause)
			}
			e.sweeping.Store(false)
			// A trigger between the last look and the store above left its
			// sweepAgain to no one: take it up, unless another sweep did.
			if !e.sweepAgain.Load() || !e.sweeping.CompareAndSwap(false, true) {
				return
			}
		}
	})
}

// A sweep that left the modules over budget because the versions it
// could unload were busy tries again, up to sweepTries times in a row,
// sweepPause apart.
const (
	sweepTries = 20
	sweepPause = 50 * time.Millisecond
)

// sweep unloads the versions invoked least recently until the modules fit
// the budget, or none is left that may go. It reports whether it is done:
// under budget, or nothing left to try (closed, or every version loaded is
// provisioned or waited for).
func (e *Engine) sweep() bool {
	budget := e.cfg.ModuleMemoryBytes
	if e.modules.bytes() <= budget {
		return true
	}
	e.mu.RLock()
	fns := slices.Collect(maps.Values(e.functions))
	e.mu.RUnlock()
	type candidate struct {
		v    *version
		used int64
	}
	var cands []candidate
	for _, f := range fns {
		for _, v := range f.loaded() {
			cands = append(cands, candidate{v, v.lastUsed.Load()})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.used, b.used) })
	skipped := false
	for _, c := range cands {
		if e.modules.bytes() <= budget || e.closed.Load() {
			return true
		}
		if !e.unload(c.v) {
			skipped = true
		}
	}
	return !skipped || e.modules.bytes() <= budget
}

// loaded returns the function's runtimes that may be unloaded: loaded,
// with no provisioned instances to keep.
func (f *function) loaded() []*version {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []*version
	add := func(v *version) {
		if v != nil && provisionedTotal(f.rec, v.version) == 0 {
			out = append(out, v)
		}
	}
	add(f.latest.Load())
	for _, v := range f.runtimes {
		add(v)
	}
	return out
}

// unload takes v out of its function and closes it: its next invocation
// loads the version again. It reports false when v was busy (running,
// awaited, its function being deployed) and stays; a v already replaced
// or unloaded counts as gone.
func (e *Engine) unload(v *version) bool {
	if st := v.pool.Stats(); st.Busy > 0 || st.Creating > 0 || v.awaited.Load() {
		return false
	}
	f := v.fn
	// Holding f.deploy keeps makeRuntime and deploys out while v goes.
	if !f.deploy.TryLock() {
		return false
	}
	f.mu.Lock()
	switch {
	case provisionedTotal(f.rec, v.version) > 0:
		// Provisioned since the sweep listed it: it stays. Settings are
		// written under f.mu, so a change after this look finds v gone
		// and loads the version again for its instances.
		f.mu.Unlock()
		f.deploy.Unlock()
		return true
	case v.version == LatestVersion && f.latest.CompareAndSwap(v, nil):
	case v.version != LatestVersion && f.runtimes[v.version] == v:
		delete(f.runtimes, v.version)
	default:
		f.mu.Unlock()
		f.deploy.Unlock()
		return true
	}
	// The pool's counters are final but for the idle instances that
	// closing it retires (and an invocation that took v just before it
	// went): folded in now, before the next runtime can take them over.
	p := v.pool.Stats()
	p.Retired += uint64(p.Idle)
	v.counters.add(p)
	if f.stashed == nil {
		f.stashed = map[string]versionStash{}
	}
	f.stashed[v.version] = versionStash{revisionID: v.rev.RevisionID, counters: v.counters}
	f.mu.Unlock()
	f.deploy.Unlock()
	// An invocation that resolved v just before finishes on it; one that
	// reaches its closed pool resolves again and loads a new runtime.
	ctx, cancel := context.WithTimeout(context.Background(), MaxTimeout+time.Minute)
	defer cancel()
	if err := v.close(ctx); err != nil {
		e.cfg.Logger.Warn("unloading function version", "function", v.name, "version", v.version, "err", err)
	}
	e.unloads.Add(1)
	e.cfg.Logger.Debug("unloaded function version", "function", v.name, "version", v.version)
	return true
}
