//go:build extism

package runner

import (
	"context"

	"github.com/flintfaas/flint/bench/peers"
)

// ExtismIncluded says whether this build runs Extism's rows: it does, built
// with the extism tag (make bench builds flint so).
const ExtismIncluded = true

// extismScenarios are Extism's rows, for guests whose work its echo plugin
// does.
func (r *runner) extismScenarios(g *guestRun) []*scenario {
	cold := newScenario(g, ScenarioExtismCold, KindPeer, ClassFresh)
	warm := newScenario(g, ScenarioExtismWarm, KindPeer, ClassWarm)
	if reason := noExtismTwin(g); reason != "" {
		cold.skip(reason)
		warm.skip(reason)
		return []*scenario{cold, warm}
	}
	var x *peers.Extism
	setup := func(ctx context.Context) error {
		if x != nil {
			return nil
		}
		var err error
		x, err = peers.NewExtismEcho(ctx)
		return err
	}
	cold.setup = setup
	cold.op = func(ctx context.Context) ([]byte, error) { return x.Cold(ctx, g.payload) }
	var in *peers.ExtismInstance
	warm.setup = func(ctx context.Context) error {
		if err := setup(ctx); err != nil {
			return err
		}
		var err error
		in, err = x.Instance(ctx)
		return err
	}
	warm.op = func(ctx context.Context) ([]byte, error) { return in.Call(ctx, g.payload) }
	warm.close = func() {
		if in != nil {
			_ = in.Close(context.Background())
		}
		if x != nil {
			_ = x.Close(context.Background())
		}
	}
	return []*scenario{cold, warm}
}
