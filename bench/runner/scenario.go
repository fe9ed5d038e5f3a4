package runner

import (
	"context"
	"runtime"
	"slices"
	"time"

	"github.com/flintfaas/flint/engine"
)

// scenario is one measured operation, with the hooks the runner calls
// around it. Only op is timed.
type scenario struct {
	guest *guestRun
	out   Scenario

	setup func(ctx context.Context) error
	// pre runs before each timed operation (and post after it), outside
	// the timing; a scenario with either is timed one operation a sample.
	pre, post func(ctx context.Context) error
	// op is the operation; it returns its response, which the runner
	// checks on the warm-up call unless noCheck.
	op      func(ctx context.Context) ([]byte, error)
	noCheck bool
	// settle runs after each batch, outside the timing: it waits for
	// background work the batch caused (the pool filler's refill) to end,
	// so that it does not fall on the next scenario's turn.
	settle func(ctx context.Context) error
	// stats reads the engine's counters, for Flint scenarios; those whose
	// operation makes its own engine count in post instead and set
	// ownCounters.
	stats       func() engine.Stats
	ownCounters bool
	close       func()

	// Measurement state.
	k, batch     int // operations per sample, per batch
	samples      []float64
	batchMedians []float64
	iterations   int
	wall         time.Duration // spent in batches, hooks included
	mallocs      uint64
	counters     Counters
	coldResults  uint64 // Result.Cold seen by op, reset after warm-up
	failed       bool
	done         bool
}

// fail marks the scenario failed with reason (the first reason wins).
func (s *scenario) fail(reason string) {
	if s.failed {
		return
	}
	s.failed, s.done = true, true
	s.out.Status, s.out.Reason = StatusFailed, reason
}

// skip marks the scenario skipped.
func (s *scenario) skip(reason string) {
	s.done = true
	s.out.Status, s.out.Reason = StatusSkipped, reason
}

func (s *scenario) active() bool { return !s.done }

// runBatch times one turn of the scenario: up to n operations, s.k per
// sample.
func (s *scenario) runBatch(ctx context.Context, n int) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	var before engine.Stats
	if s.stats != nil {
		before = s.stats()
	}
	// The operations get the context the gateway gives its invocations,
	// Background: one that can be done costs the engine a watch per call
	// (and others cost an allocation). ctx is checked between samples.
	opCtx := context.Background()
	start := time.Now()
	batch := make([]float64, 0, n/s.k+1)
	for done := 0; done < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(s.k, n-done)
		if s.pre != nil {
			if err := s.pre(ctx); err != nil {
				return err
			}
		}
		t := time.Now()
		for range k {
			if _, err := s.op(opCtx); err != nil {
				return err
			}
		}
		d := time.Since(t)
		if s.post != nil {
			if err := s.post(opCtx); err != nil {
				return err
			}
		}
		batch = append(batch, float64(d)/float64(k))
		done += k
		s.iterations += k
	}
	if s.settle != nil {
		if err := s.settle(ctx); err != nil {
			return err
		}
	}
	s.wall += time.Since(start)
	runtime.ReadMemStats(&ms)
	s.mallocs += ms.Mallocs - mallocs
	if s.stats != nil {
		after := s.stats()
		s.counters.ColdStarts += after.ColdStarts - before.ColdStarts
		s.counters.Prewarmed += after.Prewarmed - before.Prewarmed
		s.counters.Recycled += after.Recycled - before.Recycled
	}
	s.samples = append(s.samples, batch...)
	s.batchMedians = append(s.batchMedians, median(batch))
	return nil
}

// finish fills the report row from the measurements.
func (s *scenario) finish() {
	if s.out.Status == StatusSkipped {
		return
	}
	if !s.failed {
		s.out.Status = StatusOK
	}
	sum := summarize(s.samples)
	o := &s.out
	o.Iterations, o.OpsPerSample, o.Batches = s.iterations, s.k, len(s.batchMedians)
	o.MinNs, o.P25Ns, o.P50Ns, o.P75Ns = sum.min, sum.p25, sum.p50, sum.p75
	o.P90Ns, o.P99Ns, o.MaxNs, o.MeanNs = sum.p90, sum.p99, sum.max, sum.mean
	if s.iterations > 0 {
		o.AllocsPerOp = float64(s.mallocs) / float64(s.iterations)
	}
	if s.stats != nil || s.ownCounters {
		c := s.counters
		c.ColdResults = s.coldResults
		o.Engine = &c
	}
	o.BatchMediansNs = slices.Clone(s.batchMedians)
	o.SamplesNs = thin(s.samples, MaxSamples)
	if o.BatchMediansNs == nil {
		o.BatchMediansNs = []float64{}
	}
	if o.SamplesNs == nil {
		o.SamplesNs = []float64{}
	}
}
