package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/tetratelabs/wazero"
)

// Defaults of Options' zero fields.
const (
	DefaultDuration     = 2 * time.Second
	DefaultInstances    = 32
	DefaultBatchTarget  = 25 * time.Millisecond
	DefaultSampleTarget = 20 * time.Microsecond
	// minIterations is the fewest operations a scenario is timed for in
	// duration mode, however slow they are.
	minIterations = 3
	// warmupTarget is how long a scenario runs before it is timed, to
	// warm caches and estimate its speed.
	warmupTarget = 10 * time.Millisecond
)

// Options configure a run. Zero fields take the defaults named beside
// them.
type Options struct {
	// Guests are the modules to measure.
	Guests []GuestSpec
	// Payload, when set, is sent to every guest instead of its own.
	Payload []byte
	// Duration is how long each scenario is measured (DefaultDuration),
	// unless Iterations is set: then each scenario is timed for that many
	// operations (and each concurrency level's callers make that many
	// calls each).
	Duration   time.Duration
	Iterations int
	// Concurrency lists the numbers of concurrent callers to measure
	// throughput at; empty: none.
	Concurrency []int
	// HTTP adds the HTTP scenarios (gateway and a bare server, driven by
	// wrk) at each Concurrency level.
	HTTP bool
	// Wrk is the wrk command ("wrk" on PATH when empty).
	Wrk string
	// Instances is how many idle instances memory is measured over
	// (DefaultInstances); negative: do not measure memory.
	Instances int
	// Timeout bounds one invocation (engine.DefaultTimeout).
	Timeout time.Duration
	// Build describes the Flint being measured, for the report.
	Build Build
	// Progress, when set, is told how far the run is (0 to 1) and what it
	// is doing; it is called from the goroutine that called Run.
	Progress func(fraction float64, label string)
	// BatchTarget and SampleTarget tune the sampling
	// (DefaultBatchTarget, DefaultSampleTarget).
	BatchTarget, SampleTarget time.Duration
}

func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Instances == 0 {
		o.Instances = DefaultInstances
	}
	if o.Timeout <= 0 {
		o.Timeout = engine.DefaultTimeout
	}
	if o.BatchTarget <= 0 {
		o.BatchTarget = DefaultBatchTarget
	}
	if o.SampleTarget <= 0 {
		o.SampleTarget = DefaultSampleTarget
	}
	if o.Progress == nil {
		o.Progress = func(float64, string) {}
	}
	o.Concurrency = slices.Clone(o.Concurrency)
	slices.Sort(o.Concurrency)
	o.Concurrency = slices.Compact(o.Concurrency)
	return o
}

// GuestError is a guest the engine refused to deploy: bad input, reported
// before anything is measured.
type GuestError struct {
	Guest, Path string
	Err         error
}

func (e *GuestError) Error() string {
	if e.Path != "" {
		return e.Path + ": " + e.Err.Error()
	}
	return e.Guest + ": " + e.Err.Error()
}
func (e *GuestError) Unwrap() error { return e.Err }

// runner is one run's state.
type runner struct {
	opts  Options
	cache wazero.CompilationCache // shared by the engines that are not measuring compilation
	rep   *Report
	// progress accounting: units done and in all.
	unitsDone, units float64
}

// guestRun is one guest being measured.
type guestRun struct {
	spec      GuestSpec
	out       *Guest
	payload   []byte
	want      []byte // the expected response, when the guest has a native twin
	failure   string // why the guest could not be measured at all
	snapshot  string
	scenarios []*scenario
}

// fnName is the name the guest's function is deployed under.
const fnName = "bench"

// Run measures the guests and returns the report. Its error is non-nil
// only when nothing could be measured: a guest the engine refuses
// (*GuestError), or ctx done. Functions that fail while measured are
// reported in the scenarios they failed, and the run goes on.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	r := &runner{opts: opts, cache: wazero.NewCompilationCache()}
	defer r.cache.Close(context.WithoutCancel(ctx))
	r.rep = &Report{
		Schema: SchemaID, Date: time.Now().UTC().Truncate(time.Second), Flint: opts.Build,
		Machine: describeMachine(),
		Settings: Settings{
			Iterations: opts.Iterations, Concurrency: opts.Concurrency, HTTP: opts.HTTP,
			Instances: max(opts.Instances, 0), SampleTargetNs: int64(opts.SampleTarget),
			BatchTargetNs: int64(opts.BatchTarget),
		},
		Notes: []string{},
	}
	if opts.Iterations == 0 {
		r.rep.Settings.DurationNs = int64(opts.Duration)
	}
	if r.rep.Settings.Concurrency == nil {
		r.rep.Settings.Concurrency = []int{}
	}

	guests := make([]*guestRun, len(opts.Guests))
	for i, spec := range opts.Guests {
		g, err := r.check(ctx, spec)
		if err != nil {
			return nil, err
		}
		guests[i] = g
	}
	for _, g := range guests {
		g.scenarios = r.scenarios(g)
	}
	var all []*scenario
	for _, g := range guests {
		all = append(all, g.scenarios...)
	}
	for _, s := range all {
		if s.active() {
			r.units++
		}
	}
	for _, g := range guests {
		if g.failure == "" {
			r.units += float64(len(opts.Concurrency))
			if opts.HTTP {
				r.units += float64(3 * len(opts.Concurrency))
			}
		}
	}

	for _, g := range guests {
		if g.failure == "" && opts.Instances > 0 {
			r.opts.Progress(0, g.spec.Name+": memory")
			g.out.Memory = r.measureMemory(ctx, g)
		}
	}
	err := r.interleave(ctx, all)
	for _, s := range all {
		if s.close != nil {
			s.close()
		}
		s.finish()
	}
	if err != nil {
		return nil, err
	}
	for _, g := range guests {
		g.out.Scenarios = make([]Scenario, len(g.scenarios))
		for i, s := range g.scenarios {
			g.out.Scenarios[i] = s.out
		}
		ratios(g.out)
	}
	for _, g := range guests {
		if g.failure != "" {
			continue
		}
		if err := r.concurrency(ctx, g); err != nil {
			return nil, err
		}
	}
	if opts.HTTP {
		if err := r.httpAll(ctx, guests); err != nil {
			return nil, err
		}
	}
	for _, g := range guests {
		r.rep.Guests = append(r.rep.Guests, *g.out)
	}
	r.notes(guests)
	r.opts.Progress(1, "done")
	return r.rep, nil
}

// progress reports the units done plus the current unit's share.
func (r *runner) progress(partial float64, label string) {
	if r.units == 0 {
		return
	}
	r.opts.Progress(math.Min(1, (r.unitsDone+partial)/r.units), label)
}

// newEngine starts an engine sharing the run's compilation cache.
func (r *runner) newEngine(ctx context.Context, cfg engine.Config) (*engine.Engine, error) {
	if cfg.CompilationCache == nil && cfg.CompilationCacheDir == "" && cfg.DataDir == "" {
		cfg.CompilationCache = r.cache
	}
	return engine.New(ctx, cfg)
}

// function is the guest's engine.Function with fn's settings added.
func (g *guestRun) function(r *runner, fn engine.Function) engine.Function {
	fn.Name, fn.Code, fn.Env, fn.Handler, fn.Timeout = fnName, g.spec.Code, g.spec.Env, g.spec.Handler, r.opts.Timeout
	return fn
}

// check deploys the guest on a default engine and invokes it once. A
// module the engine refuses is a *GuestError; a function that fails marks
// the guest failed.
func (r *runner) check(ctx context.Context, spec GuestSpec) (*guestRun, error) {
	g := &guestRun{spec: spec, payload: spec.Payload}
	if r.opts.Payload != nil {
		g.payload = r.opts.Payload
	}
	g.out = &Guest{Name: spec.Name, Source: spec.Source, Path: spec.Path, CodeBytes: len(spec.Code),
		PayloadBytes: len(g.payload), Scenarios: []Scenario{}, Concurrency: []Level{}, HTTP: []HTTPLevel{}}
	if spec.Native != nil {
		if want, err := spec.Native(g.payload); err == nil {
			g.want = want
		}
	}
	r.opts.Progress(0, spec.Name+": check")
	eng, err := r.newEngine(ctx, engine.Config{})
	if err != nil {
		return nil, fmt.Errorf("start an engine: %w", err)
	}
	defer eng.Close(context.WithoutCancel(ctx))
	if _, err := eng.Deploy(ctx, g.function(r, engine.Function{})); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &GuestError{Guest: spec.Name, Path: spec.Path, Err: err}
	}
	res, err := eng.Invoke(ctx, fnName, g.payload)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		g.failure = err.Error()
	default:
		if _, err := g.checkResult(res); err != nil {
			g.failure = err.Error()
		}
	}
	st, _ := eng.Stats(fnName)
	g.snapshot = st.Snapshot
	g.out.Snapshot = st.Snapshot
	return g, nil
}

// checkResult returns the result's payload, or an error if the function
// failed.
func (g *guestRun) checkResult(res *engine.Result) ([]byte, error) {
	if fe := res.FunctionError; fe != nil {
		return nil, fmt.Errorf("function error (%s): %s", fe.Type, oneLine(fe.Message))
	}
	return res.Payload, nil
}

// checkOutput compares a response with the native twin's.
func (g *guestRun) checkOutput(out []byte) error {
	if g.want != nil && !bytes.Equal(out, g.want) {
		return fmt.Errorf("wrong response %s, want %s", clip(out), clip(g.want))
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 60 {
		return fmt.Sprintf("%q...", b[:60])
	}
	return fmt.Sprintf("%q", b)
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}

// interleave times the scenarios round-robin, a batch each per turn, so
// that whatever the machine does meanwhile falls on all of them alike.
func (r *runner) interleave(ctx context.Context, all []*scenario) error {
	var measured []*scenario
	for _, s := range all {
		if !s.active() {
			continue
		}
		measured = append(measured, s)
		r.progress(0, s.guest.spec.Name+"/"+s.out.Name+": setup")
		if err := r.prepare(ctx, s); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.fail(oneLine(err.Error()))
		}
	}
	for round := 0; ; round++ {
		var active []*scenario
		for _, s := range measured {
			if s.active() {
				active = append(active, s)
			}
		}
		if len(active) == 0 {
			break
		}
		// Start each round one further along, so that no scenario always
		// follows the same one.
		off := round % len(active)
		active = append(active[off:], active[:off]...)
		for _, s := range active {
			n := s.batch
			if r.opts.Iterations > 0 {
				n = min(n, r.opts.Iterations-s.iterations)
			}
			if err := s.runBatch(ctx, n); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.fail(oneLine(err.Error()))
			}
			if r.opts.Iterations > 0 {
				s.done = s.done || s.iterations >= r.opts.Iterations
			} else {
				s.done = s.done || (s.wall >= r.opts.Duration && s.iterations >= minIterations)
			}
			r.reportInterleave(measured, s)
		}
	}
	r.unitsDone += float64(len(measured))
	return nil
}

func (r *runner) reportInterleave(all []*scenario, cur *scenario) {
	sum := 0.0
	for _, s := range all {
		switch {
		case s.done:
			sum++
		case r.opts.Iterations > 0:
			sum += float64(s.iterations) / float64(r.opts.Iterations)
		default:
			sum += math.Min(1, float64(s.wall)/float64(r.opts.Duration))
		}
	}
	r.progress(sum, cur.guest.spec.Name+"/"+cur.out.Name)
}

// prepare sets a scenario up, runs it untimed until warm, checks its
// response, and sizes its samples and batches.
func (r *runner) prepare(ctx context.Context, s *scenario) error {
	if s.setup != nil {
		if err := s.setup(ctx); err != nil {
			return err
		}
	}
	var opTime time.Duration
	count := 0
	opCtx := context.Background() // as in runBatch
	start := time.Now()
	for count == 0 || (time.Since(start) < warmupTarget && count < 1000) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.pre != nil {
			if err := s.pre(ctx); err != nil {
				return err
			}
		}
		t := time.Now()
		out, err := s.op(opCtx)
		opTime += time.Since(t)
		if err != nil {
			return err
		}
		if count == 0 && !s.noCheck {
			if err := s.guest.checkOutput(out); err != nil {
				return err
			}
		}
		if s.post != nil {
			if err := s.post(opCtx); err != nil {
				return err
			}
		}
		count++
	}
	if s.settle != nil {
		if err := s.settle(ctx); err != nil {
			return err
		}
	}
	wall := time.Since(start) / time.Duration(count)
	per := opTime / time.Duration(count)
	s.k = 1
	if s.pre == nil && s.post == nil && per < r.opts.SampleTarget {
		s.k = int(math.Ceil(float64(r.opts.SampleTarget) / float64(max(per, 1))))
	}
	s.batch = max(1, int(r.opts.BatchTarget/max(wall, 1)))
	s.batch = max(s.k, (s.batch+s.k-1)/s.k*s.k)
	if r.opts.Iterations > 0 {
		s.k = min(s.k, r.opts.Iterations)
		s.batch = min(s.batch, r.opts.Iterations)
	}
	s.coldResults, s.counters = 0, Counters{}
	return nil
}

// ratios fills the rows' ratios to the native floor and the best peer.
func ratios(g *Guest) {
	native := -1.0
	best := map[string]Scenario{}
	for _, s := range g.Scenarios {
		if s.Status != StatusOK || s.P50Ns <= 0 {
			continue
		}
		switch s.Kind {
		case KindNative:
			native = s.P50Ns
		case KindPeer:
			if b, ok := best[s.Class]; !ok || s.P50Ns < b.P50Ns {
				best[s.Class] = s
			}
		}
	}
	for i := range g.Scenarios {
		s := &g.Scenarios[i]
		if s.Status != StatusOK || s.P50Ns <= 0 {
			continue
		}
		if native > 0 && s.Class != ClassCompile {
			v := s.P50Ns / native
			s.VsNative = &v
		}
		if b, ok := best[s.Class]; ok && s.Kind != KindNative {
			v := s.P50Ns / b.P50Ns
			s.VsBestPeer, s.BestPeer = &v, b.Name
		}
	}
}

// notes adds the run's explanations.
func (r *runner) notes(guests []*guestRun) {
	n := &r.rep.Notes
	*n = append(*n, fmt.Sprintf("Scenarios ran interleaved: round-robin, about %v per turn, so machine noise falls on all of them alike.", r.opts.BatchTarget))
	*n = append(*n, fmt.Sprintf("Operations faster than %v are timed in groups, each sample the group's mean (reading the clock costs %.0f ns here); percentiles of those rows are of group means.",
		r.opts.SampleTarget, r.rep.Machine.ClockReadNs))
	*n = append(*n, "Allocations per operation count the whole process's heap allocations during the scenario's turns, including background work it causes (the pool filler's refill).")
	for _, g := range guests {
		if g.failure != "" {
			*n = append(*n, fmt.Sprintf("%s could not be measured: %s.", g.spec.Name, g.failure))
		}
	}
}

// invokeErr returns why an invocation failed, or nil: the engine refused
// it, or the function failed.
func invokeErr(res *engine.Result, err error) error {
	if err != nil {
		return err
	}
	if fe := res.FunctionError; fe != nil {
		return errors.New("function error (" + fe.Type + "): " + oneLine(fe.Message))
	}
	return nil
}
