package runner

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

// testIterations keeps the runs short: a few operations per scenario.
const testIterations = 12

// watEchoSpec is the wat-echo example as the runner gets it.
func watEchoSpec(t testing.TB) GuestSpec {
	return GuestSpec{Name: "wat-echo", Source: "example", Code: testguest.WATEcho(t), Native: nativeEcho,
		ExtismEcho: true, Payload: []byte(`{"name":"ana"}`)}
}

// testdataSpec is a module of testdata/ as a file guest.
func testdataSpec(t testing.TB, name string) GuestSpec {
	t.Helper()
	spec, err := File(filepath.Join("testdata", name+".wasm"))
	require.NoError(t, err)
	return spec
}

// reactorEchoSpec is an echo with an initializer, so it has a snapshot;
// echo work, so it gets the native floor.
func reactorEchoSpec(t testing.TB) GuestSpec {
	spec := testdataSpec(t, "reactor_echo")
	spec.Native = nativeEcho
	return spec
}

// runBench runs opts with the test defaults: few iterations, little
// memory measuring.
func runBench(t testing.TB, opts Options) *Report {
	t.Helper()
	if opts.Iterations == 0 {
		opts.Iterations = testIterations
	}
	if opts.Instances == 0 {
		opts.Instances = 2
	}
	// Small batches, so that the interleaving takes several rounds.
	opts.BatchTarget = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, opts)
	require.NoError(t, err)
	return rep
}

var (
	sharedOnce sync.Once
	shared     *Report
)

// sharedRun returns the report of one run over wat-echo and reactor-echo
// with two concurrency levels, made once for the tests that read it.
func sharedRun(t *testing.T) *Report {
	t.Helper()
	sharedOnce.Do(func() {
		shared = runBench(t, Options{
			Guests:      []GuestSpec{watEchoSpec(t), reactorEchoSpec(t)},
			Concurrency: []int{1, 2},
			Build:       Build{Version: "test", Commit: "abc1234", GoVersion: "go1", Wazero: "v1"},
		})
	})
	require.NotNil(t, shared, "the shared run failed in an earlier test")
	return shared
}

// guestOf returns the report's guest named name.
func guestOf(t *testing.T, r *Report, name string) *Guest {
	t.Helper()
	for i := range r.Guests {
		if r.Guests[i].Name == name {
			return &r.Guests[i]
		}
	}
	require.Failf(t, "no guest", "%s", name)
	return nil
}

// scenarioOf returns the guest's scenario named name.
func scenarioOf(t *testing.T, g *Guest, name string) *Scenario {
	t.Helper()
	for i := range g.Scenarios {
		if g.Scenarios[i].Name == name {
			return &g.Scenarios[i]
		}
	}
	require.Failf(t, "no scenario", "%s/%s", g.Name, name)
	return nil
}

// writeTemp writes b to a file in a temporary directory.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}
