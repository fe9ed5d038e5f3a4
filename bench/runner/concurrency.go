package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine"
)

// concurrency invokes g in-process from each level's number of callers at
// once, on one function (default configuration) whose pool grows with the
// levels.
func (r *runner) concurrency(ctx context.Context, g *guestRun) error {
	if len(r.opts.Concurrency) == 0 {
		return nil
	}
	eng, err := r.newEngine(ctx, engine.Config{})
	if err != nil {
		return fmt.Errorf("start an engine: %w", err)
	}
	defer eng.Close(context.WithoutCancel(ctx))
	fail := func(reason string) {
		for _, c := range r.opts.Concurrency {
			g.out.Concurrency = append(g.out.Concurrency, Level{Concurrency: c, Status: StatusFailed, Reason: reason})
		}
		r.unitsDone += float64(len(r.opts.Concurrency))
	}
	if _, err := eng.Deploy(ctx, g.function(r, engine.Function{})); err != nil {
		fail(oneLine(err.Error()))
		return nil
	}
	for _, c := range r.opts.Concurrency {
		r.progress(0, fmt.Sprintf("%s: %d callers", g.spec.Name, c))
		lvl := r.level(ctx, eng, g, c)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g.out.Concurrency = append(g.out.Concurrency, lvl)
		r.unitsDone++
	}
	return nil
}

// level runs c callers for the run's duration (or Iterations calls each).
func (r *runner) level(ctx context.Context, eng *engine.Engine, g *guestRun, c int) Level {
	before, _ := eng.Stats(fnName)
	lat := make([][]float64, c)
	errs := make([]int, c)
	firstErr := make([]error, c)
	var wg sync.WaitGroup
	opCtx := context.Background() // as in runBatch; ctx is checked between calls
	start := time.Now()
	deadline := start.Add(r.opts.Duration)
	for w := range c {
		wg.Go(func() {
			for i := 0; ; i++ {
				if r.opts.Iterations > 0 && i >= r.opts.Iterations {
					return
				}
				if r.opts.Iterations == 0 && i%16 == 0 && time.Now().After(deadline) {
					return
				}
				if ctx.Err() != nil {
					return
				}
				t := time.Now()
				res, err := eng.Invoke(opCtx, fnName, g.payload)
				d := time.Since(t)
				if err := invokeErr(res, err); err != nil {
					errs[w]++
					if firstErr[w] == nil {
						firstErr[w] = err
					}
					continue
				}
				lat[w] = append(lat[w], float64(d))
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	after, _ := eng.Stats(fnName)
	var all []float64
	lvl := Level{Concurrency: c, Status: StatusOK, ColdStarts: after.ColdStarts - before.ColdStarts}
	var reason error
	for w := range c {
		all = append(all, lat[w]...)
		lvl.Errors += errs[w]
		if reason == nil {
			reason = firstErr[w]
		}
	}
	lvl.Requests = len(all) + lvl.Errors
	if len(all) == 0 {
		lvl.Status = StatusFailed
		if reason != nil {
			lvl.Reason = oneLine(reason.Error())
		}
		return lvl
	}
	if reason != nil {
		lvl.Reason = fmt.Sprintf("%d of %d calls failed: %s", lvl.Errors, lvl.Requests, oneLine(reason.Error()))
	}
	s := summarize(all)
	lvl.ThroughputPerSec = float64(len(all)) / wall.Seconds()
	lvl.P50Ns, lvl.P90Ns, lvl.P99Ns, lvl.MaxNs, lvl.MeanNs = s.p50, s.p90, s.p99, s.max, s.mean
	return lvl
}
