//go:build !extism

package runner

// ExtismIncluded says whether this build runs Extism's rows: it does not,
// so that the flint binary does not link Extism's SDK for a comparison
// only benchmarks make. ExtismHint says how to include them.
const ExtismIncluded = false

// extismScenarios are Extism's rows, skipped in this build.
func (r *runner) extismScenarios(g *guestRun) []*scenario {
	cold := newScenario(g, ScenarioExtismCold, KindPeer, ClassFresh)
	warm := newScenario(g, ScenarioExtismWarm, KindPeer, ClassWarm)
	reason := noExtismTwin(g)
	if reason == "" {
		reason = ExtismHint
	}
	cold.skip(reason)
	warm.skip(reason)
	return []*scenario{cold, warm}
}
