package runner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flintfaas/flint/bench/peers"
	"github.com/flintfaas/flint/engine"
)

// Scenario names.
const (
	ScenarioCompile        = "compile"
	ScenarioRestart        = "restart"
	ScenarioReload         = "reload"
	ScenarioCold           = "cold"
	ScenarioSnapshotCold   = "snapshot-cold"
	ScenarioRecycled       = "recycled"
	ScenarioPreInitialized = "pre-initialized"
	// ScenarioPreInitializedLazy is pre-initialized without the filler's
	// prefault (engine.Config.PrefaultBytes < 0), for the same-run
	// comparison.
	ScenarioPreInitializedLazy = "pre-initialized-lazy"
	ScenarioWarm               = "warm"
	ScenarioNative             = "native"
	ScenarioWazeroNaive        = "wazero-naive"
	ScenarioWazeroReuse        = "wazero-reuse"
	ScenarioExtismCold         = "extism-cold"
	ScenarioExtismWarm         = "extism-warm"
)

// scenarioOrder is the order of a guest's scenarios.
var scenarioOrder = []string{
	ScenarioCompile, ScenarioRestart, ScenarioReload, ScenarioCold, ScenarioSnapshotCold, ScenarioRecycled,
	ScenarioPreInitialized, ScenarioPreInitializedLazy, ScenarioWarm, ScenarioNative,
	ScenarioWazeroNaive, ScenarioWazeroReuse, ScenarioExtismCold, ScenarioExtismWarm,
}

// descriptions say what each scenario measures, for the output's legend.
var descriptions = map[string]string{
	ScenarioCompile: "a fresh engine with an empty in-memory compilation cache deploys the module: " +
		"validation, Flint's rewrite, wazero's compiler (snapshots off, so no instance is made)",
	ScenarioRestart: "a new engine over a data directory that already holds the function, its compiled code " +
		"and its snapshot (a process restart): engine start, then the first invocation",
	ScenarioReload: "the first invocation of a version unloaded to keep the engine's compiled modules under their " +
		"memory budget (--module-memory): its code loaded again from the compilation cache, its snapshot mapped, a new instance",
	ScenarioCold: "a new instance per request, created and initialized on the request path " +
		"(instantiate, start function, _initialize, flint_init), invoked, discarded (no snapshot, no recycling)",
	ScenarioSnapshotCold: "a new instance per request, started from the version's snapshot " +
		"(memory image mapped copy-on-write, no initializer runs), invoked, discarded (no recycling)",
	ScenarioRecycled: "a fresh instance per request by recycling: after each call the instance is reset " +
		"to the snapshot on the request path, and the next request takes it",
	ScenarioPreInitialized: "an instance the pool filler prepared ahead (provisioned concurrency 1), the pages earlier first calls " +
		"touched faulted in, taken and invoked for its first and only call; its retirement and the refill happen off the request path " +
		"(the refill starts when the call takes the instance, and may share the CPU with it)",
	ScenarioPreInitializedLazy: "pre-initialized without the filler's prefault (PrefaultBytes < 0): the first call faults in " +
		"every page it touches",
	ScenarioWarm:        "an instance that has served before, invoked again: Flint's steady state",
	ScenarioNative:      "the same work as a plain Go function call: the floor",
	ScenarioWazeroNaive: "a hand-rolled wazero host on the same module: compiled once, then per request instantiate, _initialize, flint_init, handler, close",
	ScenarioWazeroReuse: "the hand-rolled wazero host calling the handler again on one instance (its function handle cached)",
	ScenarioExtismCold:  "Extism's Go SDK, an echo plugin (WAT, kernel imports): a new plugin instance per call",
	ScenarioExtismWarm:  "Extism's Go SDK, the echo plugin: one plugin instance reused for every call",
}

// Description says what the named scenario measures.
func Description(name string) string { return descriptions[name] }

// newScenario returns a scenario row for g.
func newScenario(g *guestRun, name, kind, class string) *scenario {
	return &scenario{guest: g, out: Scenario{Name: name, Kind: kind, Class: class, Description: descriptions[name],
		BatchMediansNs: []float64{}, SamplesNs: []float64{}}}
}

// scenarios returns the guest's scenarios, set up lazily by the runner.
func (r *runner) scenarios(g *guestRun) []*scenario {
	list := []*scenario{
		r.compileScenario(g),
		r.restartScenario(g),
		r.reloadScenario(g),
		r.invokeScenario(g, ScenarioCold, ClassFresh, engine.Config{NoRecycle: true},
			engine.Function{SingleUse: true, NoSnapshot: true}, 0),
		r.invokeScenario(g, ScenarioSnapshotCold, ClassFresh, engine.Config{NoRecycle: true},
			engine.Function{SingleUse: true}, 0),
		r.invokeScenario(g, ScenarioRecycled, ClassFresh, engine.Config{}, engine.Function{SingleUse: true}, 0),
		r.invokeScenario(g, ScenarioPreInitialized, ClassFresh, engine.Config{NoRecycle: true},
			engine.Function{SingleUse: true}, 1),
		r.invokeScenario(g, ScenarioPreInitializedLazy, ClassFresh, engine.Config{NoRecycle: true, PrefaultBytes: -1},
			engine.Function{SingleUse: true}, 1),
		r.invokeScenario(g, ScenarioWarm, ClassWarm, engine.Config{}, engine.Function{}, 0),
	}
	if g.spec.Native != nil {
		s := newScenario(g, ScenarioNative, KindNative, ClassFloor)
		native := g.spec.Native
		s.op = func(context.Context) ([]byte, error) { return native(g.payload) }
		list = append(list, s)
	}
	list = append(list, r.naiveScenarios(g)...)
	list = append(list, r.extismScenarios(g)...)

	snapReady := strings.HasPrefix(g.snapshot, "ready")
	for _, s := range list {
		switch {
		case g.failure != "":
			s.fail(g.failure)
		case s.out.Name == ScenarioSnapshotCold && !snapReady:
			s.skip("no snapshot: " + strings.TrimPrefix(g.snapshot, "off: ") + " (cold covers it)")
		case s.out.Name == ScenarioRecycled && !(snapReady && strings.Contains(g.snapshot, "mapped")):
			s.skip("recycling resets an instance to a mapped snapshot, and this guest has none: " +
				strings.TrimPrefix(g.snapshot, "off: "))
		}
	}
	return list
}

// invokeScenario times engine.Invoke on an engine configured by cfg with
// the guest deployed as fn, with provisioned instances of $LATEST.
func (r *runner) invokeScenario(g *guestRun, name, class string, cfg engine.Config, fn engine.Function, provisioned int) *scenario {
	s := newScenario(g, name, KindFlint, class)
	var eng *engine.Engine
	s.setup = func(ctx context.Context) error {
		var err error
		if eng, err = r.newEngine(ctx, cfg); err != nil {
			return err
		}
		if _, err := eng.Deploy(ctx, g.function(r, fn)); err != nil {
			return err
		}
		if provisioned > 0 {
			_, err := eng.UpdateSettings(ctx, fnName, func(s *engine.Settings) error {
				s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: provisioned}
				return nil
			})
			return err
		}
		return nil
	}
	s.close = func() {
		if eng != nil {
			_ = eng.Close(context.Background())
		}
	}
	s.stats = func() engine.Stats {
		st, _ := eng.Stats(fnName)
		return st
	}
	s.op = func(ctx context.Context) ([]byte, error) {
		res, err := eng.Invoke(ctx, fnName, g.payload)
		if err := invokeErr(res, err); err != nil {
			return nil, err
		}
		if res.Cold {
			s.coldResults++
		}
		return res.Payload, nil
	}
	if provisioned > 0 {
		// Wait, untimed, for the filler to have an instance ready.
		idle := func(ctx context.Context) error { return waitIdle(ctx, eng, provisioned) }
		s.pre, s.settle = idle, idle
	}
	return s
}

// waitIdle waits until the function has n idle instances and none busy
// (a single-use instance counts busy until the filler has retired it).
func waitIdle(ctx context.Context, eng *engine.Engine, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for wait := time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
		st, err := eng.Stats(fnName)
		if err != nil {
			return err
		}
		if st.Idle >= n && st.Busy == 0 { // Busy: a retirement still under way
			return nil
		}
		if st.InitErrors > 0 && st.Idle == 0 && st.Busy == 0 && time.Now().After(deadline) {
			return fmt.Errorf("the pool filler failed to prepare an instance")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no idle instance after 30s (%d idle, %d init errors)", st.Idle, st.InitErrors)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// compileScenario times a fresh engine deploying the module.
func (r *runner) compileScenario(g *guestRun) *scenario {
	s := newScenario(g, ScenarioCompile, KindFlint, ClassCompile)
	var eng *engine.Engine
	s.op = func(ctx context.Context) ([]byte, error) {
		var err error
		// Its own in-memory compilation cache, empty.
		eng, err = engine.New(ctx, engine.Config{Snapshots: engine.SnapshotsOff})
		if err != nil {
			return nil, err
		}
		_, err = eng.Deploy(ctx, g.function(r, engine.Function{}))
		return nil, err
	}
	s.post = func(ctx context.Context) error {
		if eng == nil {
			return nil
		}
		err := eng.Close(ctx)
		eng = nil
		return err
	}
	s.close = func() { _ = s.post(context.Background()) }
	s.noCheck = true // nothing is invoked
	return s
}

// reloadScenario times the invocation of a version that was unloaded: on
// an engine whose module budget no module fits, a version goes once its
// invocation ends, and the next one loads it again.
func (r *runner) reloadScenario(g *guestRun) *scenario {
	s := r.invokeScenario(g, ScenarioReload, ClassFresh, engine.Config{ModuleMemoryBytes: 1}, engine.Function{}, 0)
	// Untimed: wait for the version to be unloaded after its last call.
	s.pre = func(ctx context.Context) error {
		deadline := time.Now().Add(30 * time.Second)
		for wait := time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
			st := s.stats()
			if strings.HasPrefix(st.Snapshot, "unloaded") {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the version was not unloaded after its call (%+v)", st)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	return s
}

// restartScenario times a new engine over a data directory, up to the
// first response.
func (r *runner) restartScenario(g *guestRun) *scenario {
	s := newScenario(g, ScenarioRestart, KindFlint, ClassCompile)
	var dir string
	var eng *engine.Engine
	s.setup = func(ctx context.Context) error {
		var err error
		if dir, err = os.MkdirTemp("", "flint-bench-restart-"); err != nil {
			return err
		}
		e, err := engine.New(ctx, engine.Config{DataDir: dir})
		if err != nil {
			return err
		}
		defer e.Close(ctx)
		if _, err := e.Deploy(ctx, g.function(r, engine.Function{})); err != nil {
			return err
		}
		res, err := e.Invoke(ctx, fnName, g.payload)
		return invokeErr(res, err)
	}
	s.op = func(ctx context.Context) ([]byte, error) {
		var err error
		if eng, err = engine.New(ctx, engine.Config{DataDir: dir}); err != nil {
			return nil, err
		}
		res, err := eng.Invoke(ctx, fnName, g.payload)
		if err := invokeErr(res, err); err != nil {
			return nil, err
		}
		if res.Cold {
			s.coldResults++
		}
		return res.Payload, nil
	}
	s.ownCounters = true
	s.post = func(ctx context.Context) error {
		if eng == nil {
			return nil
		}
		if st, err := eng.Stats(fnName); err == nil {
			s.counters.ColdStarts += st.ColdStarts
			s.counters.Prewarmed += st.Prewarmed
			s.counters.Recycled += st.Recycled
		}
		err := eng.Close(ctx)
		eng = nil
		return err
	}
	s.close = func() {
		_ = s.post(context.Background())
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	return s
}

// naiveScenarios are the hand-rolled wazero host's rows.
func (r *runner) naiveScenarios(g *guestRun) []*scenario {
	handler := g.spec.Handler
	if handler == "" {
		handler = "handle"
	}
	var n *peers.Naive
	setup := func(ctx context.Context) error {
		if n != nil {
			return nil
		}
		var err error
		n, err = peers.NewNaive(ctx, g.spec.Code, handler, g.spec.Env)
		return err
	}
	cold := newScenario(g, ScenarioWazeroNaive, KindPeer, ClassFresh)
	cold.setup = setup
	cold.op = func(ctx context.Context) ([]byte, error) { return n.Cold(ctx, g.payload) }

	reuse := newScenario(g, ScenarioWazeroReuse, KindPeer, ClassWarm)
	var in *peers.NaiveInstance
	reuse.setup = func(ctx context.Context) error {
		if err := setup(ctx); err != nil {
			return err
		}
		var err error
		in, err = n.Instance(ctx)
		return err
	}
	reuse.op = func(context.Context) ([]byte, error) { return in.Call(g.payload) }
	// The two rows share the runtime: the last one's close releases it.
	reuse.close = func() {
		if n != nil {
			_ = n.Close(context.Background())
		}
	}
	return []*scenario{cold, reuse}
}

// ExtismHint says how to build flint with Extism's rows, when
// ExtismIncluded is false.
const ExtismHint = "Extism's rows need a flint built with -tags extism: make bench builds it so (go build -tags extism ./cmd/flint)"

// noExtismTwin says why Extism has no row for a guest ("" when its echo
// plugin does the guest's work).
func noExtismTwin(g *guestRun) string {
	switch {
	case g.spec.ExtismEcho:
		return ""
	case g.spec.Source == "file":
		return "Extism runs Extism plugins, not Flint modules: only the wat-echo example has an Extism twin"
	}
	return "no Extism plugin does this guest's work: the one here is a WAT echo (wat-echo's twin); " +
		"Go plugins need github.com/extism/go-pdk, which the module proxy does not serve"
}
