package console

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine"
)

// history keeps, per function, a bounded ring of figures sampled from the
// engine's counters (engine.Metrics): one point per step, at most points
// of them (the window), so that charts and "the last hour" need no store.
// A point holds the deltas of the counters over its step and the most
// concurrent executions seen at a sample in it. Points are allocated only
// for steps in which something happened: an idle function costs its ring
// of nil pointers.
type history struct {
	eng    *engine.Engine
	step   time.Duration
	points int

	mu       sync.Mutex
	sampled  bool      // the first sample (the baseline) was taken
	last     time.Time // when the last sample was taken
	bounds   []float64 // the engine's histogram bounds, in seconds
	prev     map[versionKey]cumulative
	prevOwn  map[string]uint64   // function-level throttles (not in a version's)
	series   map[string][]*point // by function: a ring indexed by slot % points
	scratchV map[versionKey]bool
}

// versionKey names a function version.
type versionKey struct{ function, version string }

// cumulative are a version's counters at the last sample, and since when
// the engine has been counting them.
type cumulative struct {
	since                                time.Time
	invocations, errors, throttles, cold uint64
	duration, init                       []uint64
}

// point is one step of one function's figures.
type point struct {
	slot                                 int64 // unix time / step
	invocations, errors, throttles, cold uint64
	concurrent                           int // the most seen at a sample
	duration, init                       []uint64
}

func newHistory(eng *engine.Engine, step time.Duration, points int) *history {
	return &history{eng: eng, step: step, points: points, prev: map[versionKey]cumulative{},
		prevOwn: map[string]uint64{}, series: map[string][]*point{}, scratchV: map[versionKey]bool{}}
}

// slotOf is the step a time falls in.
func (h *history) slotOf(t time.Time) int64 { return t.UnixNano() / int64(h.step) }

// delta is how much a counter grew since the last sample; a counter that
// went down was reset (a belt to the braces of VersionMetrics.Since).
func delta(cur, prev uint64) uint64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}

func deltas(dst, cur, prev []uint64) {
	for i := range dst {
		var p uint64
		if i < len(prev) {
			p = prev[i]
		}
		if len(prev) == len(cur) && cur[i] >= p {
			dst[i] += cur[i] - p
		} else {
			dst[i] += cur[i]
		}
	}
}

// sample reads the engine's counters and adds what changed since the last
// sample to the point of now's step. The first sample is the baseline:
// what happened before the history started is not charted.
func (h *history) sample(ctx context.Context, now time.Time) engine.Metrics {
	m := h.eng.Metrics(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	first := !h.sampled
	h.sampled, h.last = true, now
	slot := h.slotOf(now)
	clear(h.scratchV)
	for _, fm := range m.Functions {
		own := fm.Throttles
		var p *point
		at := func() *point {
			if p == nil {
				p = h.pointAt(fm.Function, slot)
			}
			return p
		}
		for _, vm := range fm.Versions {
			k := versionKey{vm.Function, vm.Version}
			h.scratchV[k] = true
			own -= min(own, vm.Throttles)
			if h.bounds == nil {
				h.bounds = slices.Clone(vm.Duration.Bounds)
			}
			cur := cumulative{since: vm.Since, invocations: vm.Invocations, errors: vm.Errors, throttles: vm.Throttles, cold: vm.ColdStarts,
				duration: vm.Duration.Counts, init: vm.InitDuration.Counts}
			old, seen := h.prev[k]
			h.prev[k] = cumulative{since: cur.since, invocations: cur.invocations, errors: cur.errors, throttles: cur.throttles, cold: cur.cold,
				duration: slices.Clone(cur.duration), init: slices.Clone(cur.init)}
			if first {
				continue
			}
			if !seen || !old.since.Equal(cur.since) {
				// New, or counting again from zero (a redeployed $LATEST).
				old = cumulative{}
			}
			inv, errs, thr, cold := delta(cur.invocations, old.invocations), delta(cur.errors, old.errors),
				delta(cur.throttles, old.throttles), delta(cur.cold, old.cold)
			if inv == 0 && errs == 0 && thr == 0 && cold == 0 {
				continue
			}
			pt := at()
			pt.invocations += inv
			pt.errors += errs
			pt.throttles += thr
			pt.cold += cold
			deltas(pt.duration, cur.duration, old.duration)
			deltas(pt.init, cur.init, old.init)
		}
		prevOwn, seen := h.prevOwn[fm.Function]
		h.prevOwn[fm.Function] = own
		if first {
			continue
		}
		if !seen {
			prevOwn = 0
		}
		if d := delta(own, prevOwn); d > 0 {
			at().throttles += d
		}
		if fm.Concurrent > 0 {
			at().concurrent = max(at().concurrent, fm.Concurrent)
		}
	}
	// Forget what the engine no longer has.
	for k := range h.prev {
		if !h.scratchV[k] {
			delete(h.prev, k)
		}
	}
	live := make(map[string]bool, len(m.Functions))
	for _, fm := range m.Functions {
		live[fm.Function] = true
	}
	for name := range h.series {
		if !live[name] {
			delete(h.series, name)
			delete(h.prevOwn, name)
		}
	}
	return m
}

// pointAt returns function's point for slot, making it (or reusing a
// stale one in its place in the ring) when needed. h.mu is held.
func (h *history) pointAt(function string, slot int64) *point {
	ring := h.series[function]
	if ring == nil {
		ring = make([]*point, h.points)
		h.series[function] = ring
	}
	i := int(slot % int64(h.points))
	p := ring[i]
	n := len(h.bounds) + 1
	switch {
	case p == nil:
		p = &point{duration: make([]uint64, n), init: make([]uint64, n)}
		ring[i] = p
	case p.slot == slot:
		return p
	default:
		*p = point{duration: p.duration, init: p.init}
		clear(p.duration)
		clear(p.init)
	}
	p.slot = slot
	return p
}

// window returns function's points for the n steps up to now's, oldest
// first; a step with nothing is a zero point with its slot set.
func (h *history) window(function string, now time.Time, n int) []point {
	n = min(n, h.points)
	end := h.slotOf(now)
	out := make([]point, n)
	h.mu.Lock()
	defer h.mu.Unlock()
	ring := h.series[function]
	for i := range out {
		slot := end - int64(n-1-i)
		out[i].slot = slot
		if ring == nil {
			continue
		}
		if p := ring[int(slot%int64(h.points))]; p != nil && p.slot == slot {
			out[i] = *p
			out[i].duration = slices.Clone(p.duration)
			out[i].init = slices.Clone(p.init)
		}
	}
	return out
}

// summary is a function's figures over a window.
type summary struct {
	Invocations, Errors, Throttles, Cold uint64
	MaxConcurrent                        int
	// P50 and P99 are duration percentiles estimated from the engine's
	// histogram buckets; ok is false when nothing ran.
	P50, P99 time.Duration
	HasP     bool
}

// ColdShare is the share of invocations that were cold starts, in percent.
func (s summary) ColdShare() float64 {
	if s.Invocations == 0 {
		return 0
	}
	return 100 * float64(s.Cold) / float64(s.Invocations)
}

// summaries returns every charted function's figures over the n steps up
// to now's.
func (h *history) summaries(now time.Time, n int) map[string]summary {
	n = min(n, h.points)
	end := h.slotOf(now)
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]summary, len(h.series))
	merged := make([]uint64, len(h.bounds)+1)
	for name, ring := range h.series {
		var s summary
		clear(merged)
		for _, p := range ring {
			if p == nil || p.slot > end || p.slot <= end-int64(n) {
				continue
			}
			s.Invocations += p.invocations
			s.Errors += p.errors
			s.Throttles += p.throttles
			s.Cold += p.cold
			s.MaxConcurrent = max(s.MaxConcurrent, p.concurrent)
			for i, c := range p.duration {
				merged[i] += c
			}
		}
		if p50, ok := quantile(h.bounds, merged, 0.5); ok {
			p99, _ := quantile(h.bounds, merged, 0.99)
			s.P50, s.P99, s.HasP = seconds(p50), seconds(p99), true
		}
		out[name] = s
	}
	return out
}

// histogramBounds returns the engine's bucket bounds (nil before the first
// sample that saw a version).
func (h *history) histogramBounds() []float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bounds
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// quantile estimates the q-quantile of a histogram (counts[i] fell at or
// below bounds[i], the last count above every bound) by linear
// interpolation inside the bucket it falls in, as Prometheus'
// histogram_quantile does; above the last bound it answers the last
// bound. ok is false for an empty histogram.
func quantile(bounds []float64, counts []uint64, q float64) (v float64, ok bool) {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(bounds) == 0 {
		return 0, false
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			if i >= len(bounds) {
				return bounds[len(bounds)-1], true
			}
			lower := 0.0
			if i > 0 {
				lower = bounds[i-1]
			}
			return lower + (bounds[i]-lower)*(rank-cum)/float64(c), true
		}
		cum += float64(c)
	}
	return bounds[len(bounds)-1], true
}
