package engine

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// DurationBuckets are the upper bounds of the duration histograms, in
// seconds (Prometheus' convention: each bucket counts observations at or
// below its bound).
var durationBuckets = [...]float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
}

// histogram counts durations in durationBuckets, lock-free.
type histogram struct {
	counts [len(durationBuckets) + 1]atomic.Uint64 // the last: above every bound
	sumNS  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(durationBuckets[:], s)
	h.counts[i].Add(1)
	h.sumNS.Add(int64(d))
}

// Histogram is a snapshot of a duration histogram: Counts[i] observations
// fell at or below Bounds[i] seconds (and above the previous bound); the
// last count is above every bound.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Sum    time.Duration
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Bounds: slices.Clone(durationBuckets[:]), Counts: make([]uint64, len(h.counts)), Sum: time.Duration(h.sumNS.Load())}
	for i := range h.counts {
		out.Counts[i] = h.counts[i].Load()
	}
	return out
}

// usageCounters meter a function's use as Lambda bills it.
type usageCounters struct {
	requests atomic.Uint64
	billedMS atomic.Uint64 // billed milliseconds
	mbMS     atomic.Uint64 // billed milliseconds × memory MB
}

func (u *usageCounters) add(billed time.Duration, memoryMB int) {
	ms := uint64(billed / time.Millisecond)
	u.requests.Add(1)
	u.billedMS.Add(ms)
	u.mbMS.Add(ms * uint64(memoryMB))
}

// Usage is a function's metered use since the engine started: Lambda's
// billing model of requests and GB-seconds (billed duration × memory size,
// 1 GB = 1024 MB).
type Usage struct {
	Function       string
	Requests       uint64
	BilledDuration time.Duration
	GBSeconds      float64
}

// Usage returns the metered use of every function, by name.
func (e *Engine) Usage() []Usage {
	e.mu.RLock()
	out := make([]Usage, 0, len(e.functions))
	for _, f := range e.functions {
		mbms := f.usage.mbMS.Load()
		out = append(out, Usage{
			Function:       f.name,
			Requests:       f.usage.requests.Load(),
			BilledDuration: time.Duration(f.usage.billedMS.Load()) * time.Millisecond,
			GBSeconds:      math.Round(float64(mbms)/1024/1000*1e9) / 1e9,
		})
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(a, b Usage) int { return strings.Compare(a.Function, b.Function) })
	return out
}

// VersionMetrics are one function version's counters.
type VersionMetrics struct {
	Function, Version string
	// Since is when these counters started: a redeployed $LATEST (or a
	// version loaded again after a restart) counts from zero, with a later
	// Since. A version unloaded to save memory keeps counting when it is
	// loaded again (Stats.Reloads).
	Since time.Time
	Stats
	// Duration counts the invocations' run times (init excluded).
	Duration Histogram
	// InitDuration counts the init times of the cold starts on the request
	// path (ColdStarts of them; an instance that failed its init counts
	// too), which Duration leaves out: Lambda's REPORT "Init Duration".
	InitDuration Histogram
}

// FunctionMetrics are one function's gauges and its versions' counters.
type FunctionMetrics struct {
	Function   string
	Concurrent int // invocations running now
	Throttles  uint64
	Versions   []VersionMetrics
}

// Metrics is a snapshot of the engine's counters, for monitoring.
type Metrics struct {
	Concurrent int // invocations running now, all functions
	// MemoryCacheBytes is the committed memory of released instances'
	// regions kept for reuse (at most Config.MemoryCacheBytes).
	MemoryCacheBytes uint64
	// ModuleBytes is what the loaded modules count against
	// Config.ModuleMemoryBytes, Modules how many distinct modules that is
	// (functions deploying the same code share one), and Unloads how many
	// times a version was unloaded to keep under it.
	ModuleBytes int64
	Modules     int
	Unloads     uint64
	Functions   []FunctionMetrics
	Async       AsyncStats
}

// Metrics returns a snapshot of every function's counters and the async
// queue's.
func (e *Engine) Metrics(ctx context.Context) Metrics {
	m := Metrics{Concurrent: e.limit.inUse(), MemoryCacheBytes: e.regions.heldBytes(), Unloads: e.unloads.Load()}
	m.ModuleBytes, m.Modules = e.modules.held()
	e.mu.RLock()
	fs := make([]*function, 0, len(e.functions))
	for _, f := range e.functions {
		fs = append(fs, f)
	}
	e.mu.RUnlock()
	for _, f := range fs {
		fm := FunctionMetrics{Function: f.name, Concurrent: f.limit.inUse(), Throttles: f.throttles.Load()}
		var vs []*version
		if v := f.latest.Load(); v != nil {
			vs = append(vs, v)
		}
		f.mu.RLock()
		for _, v := range f.runtimes {
			vs = append(vs, v)
		}
		f.mu.RUnlock()
		for _, v := range vs {
			st := v.stats()
			fm.Throttles += st.Throttles
			fm.Versions = append(fm.Versions, VersionMetrics{Function: f.name, Version: v.version, Since: v.created, Stats: st, Duration: v.duration.snapshot(),
				InitDuration: v.initDuration.snapshot()})
		}
		slices.SortFunc(fm.Versions, func(a, b VersionMetrics) int { return strings.Compare(a.Version, b.Version) })
		m.Functions = append(m.Functions, fm)
	}
	slices.SortFunc(m.Functions, func(a, b FunctionMetrics) int { return strings.Compare(a.Function, b.Function) })
	m.Async = e.asyncStats(ctx)
	return m
}
