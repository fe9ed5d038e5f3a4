package runner

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScenariosDoWhatTheirNamesSay checks the engine's counters over each
// Flint scenario's timed operations: cold makes an instance per call on
// the request path, warm none, pre-initialized takes the filler's,
// recycled resets the same one.
func TestScenariosDoWhatTheirNamesSay(t *testing.T) {
	g := guestOf(t, sharedRun(t), "reactor_echo")
	require.True(t, strings.HasPrefix(g.Snapshot, "ready") && strings.Contains(g.Snapshot, "mapped"),
		"the guest needs a mapped snapshot: %s", g.Snapshot)
	n := uint64(testIterations)
	tests := []struct {
		scenario string
		want     Counters
	}{
		{ScenarioCold, Counters{ColdStarts: n, ColdResults: n}},
		{ScenarioSnapshotCold, Counters{ColdStarts: n, ColdResults: n}},
		{ScenarioRecycled, Counters{Recycled: n}},
		{ScenarioPreInitialized, Counters{Prewarmed: n}},
		{ScenarioPreInitializedLazy, Counters{Prewarmed: n}},
		{ScenarioWarm, Counters{}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			s := scenarioOf(t, g, tt.scenario)
			require.Equal(t, StatusOK, s.Status, s.Reason)
			assert.Equal(t, testIterations, s.Iterations)
			require.NotNil(t, s.Engine)
			assert.Equal(t, tt.want, *s.Engine)
			assert.Positive(t, s.P50Ns)
			assert.LessOrEqual(t, s.MinNs, s.P50Ns)
			assert.LessOrEqual(t, s.P50Ns, s.P99Ns)
			assert.LessOrEqual(t, s.P99Ns, s.MaxNs)
			assert.NotEmpty(t, s.BatchMediansNs)
		})
	}
	t.Run("restart answers cold", func(t *testing.T) {
		s := scenarioOf(t, g, ScenarioRestart)
		require.Equal(t, StatusOK, s.Status, s.Reason)
		require.NotNil(t, s.Engine)
		assert.Equal(t, Counters{ColdStarts: n, ColdResults: n}, *s.Engine)
	})
}

func TestEveryScenarioRanOrSaysWhyNot(t *testing.T) {
	rep := sharedRun(t)
	for _, g := range rep.Guests {
		names := make([]string, len(g.Scenarios))
		for i, s := range g.Scenarios {
			names[i] = s.Name
			switch s.Status {
			case StatusOK:
				assert.Equal(t, testIterations, s.Iterations, "%s/%s", g.Name, s.Name)
				assert.NotEmpty(t, s.Description, s.Name)
			case StatusSkipped:
				assert.NotEmpty(t, s.Reason, "%s/%s", g.Name, s.Name)
			default:
				t.Errorf("%s/%s: %s: %s", g.Name, s.Name, s.Status, s.Reason)
			}
		}
		assert.Equal(t, scenarioOrder, names, "every guest has every row, in order")
	}
	wat := guestOf(t, rep, "wat-echo")
	for _, name := range []string{ScenarioSnapshotCold, ScenarioRecycled} {
		s := scenarioOf(t, wat, name)
		assert.Equal(t, StatusSkipped, s.Status, "wat-echo has no initializer, so no snapshot")
		assert.Contains(t, s.Reason, "no initializer")
	}
	for _, name := range []string{ScenarioExtismCold, ScenarioExtismWarm} {
		if ExtismIncluded {
			assert.Equal(t, StatusOK, scenarioOf(t, wat, name).Status, "wat-echo has its Extism twin")
		} else {
			s := scenarioOf(t, wat, name)
			assert.Equal(t, StatusSkipped, s.Status, "this build has no Extism")
			assert.Equal(t, ExtismHint, s.Reason, "the skip says how to include Extism")
		}
		s := scenarioOf(t, guestOf(t, rep, "reactor_echo"), name)
		assert.Equal(t, StatusSkipped, s.Status, "a file has no Extism twin")
		assert.Contains(t, s.Reason, "Extism plugins")
	}
}

func TestRatios(t *testing.T) {
	wat := guestOf(t, sharedRun(t), "wat-echo")
	warm := scenarioOf(t, wat, ScenarioWarm)
	native := scenarioOf(t, wat, ScenarioNative)
	require.NotNil(t, warm.VsNative)
	assert.InDelta(t, warm.P50Ns/native.P50Ns, *warm.VsNative, 1e-9)
	require.NotNil(t, warm.VsBestPeer)
	assert.Contains(t, []string{ScenarioWazeroReuse, ScenarioExtismWarm}, warm.BestPeer, "warm rows compare with warm peers")
	cold := scenarioOf(t, wat, ScenarioCold)
	require.NotNil(t, cold.VsBestPeer)
	assert.Contains(t, []string{ScenarioWazeroNaive, ScenarioExtismCold}, cold.BestPeer, "fresh rows compare with fresh peers")
	compile := scenarioOf(t, wat, ScenarioCompile)
	assert.Nil(t, compile.VsNative, "compiling has no native floor")
	assert.Nil(t, compile.VsBestPeer)
}

func TestConcurrencyLevels(t *testing.T) {
	g := guestOf(t, sharedRun(t), "wat-echo")
	require.Len(t, g.Concurrency, 2)
	total := uint64(0)
	for i, want := range []int{1, 2} {
		l := g.Concurrency[i]
		assert.Equal(t, want, l.Concurrency)
		assert.Equal(t, StatusOK, l.Status, l.Reason)
		assert.Equal(t, want*testIterations, l.Requests, "each caller makes Iterations calls")
		assert.Positive(t, l.ThroughputPerSec)
		total += l.ColdStarts
	}
	assert.Equal(t, uint64(1), g.Concurrency[0].ColdStarts, "one caller needs one instance")
	assert.LessOrEqual(t, total, uint64(2), "the pool never holds more instances than callers")
}

func TestMemory(t *testing.T) {
	g := guestOf(t, sharedRun(t), "wat-echo")
	require.NotNil(t, g.Memory)
	assert.Equal(t, 2, g.Memory.Instances)
	assert.Equal(t, uint64(65536), g.Memory.LinearBytesPerInstance, "one page")
}

func TestFunctionFailures(t *testing.T) {
	t.Run("fails in some scenarios", func(t *testing.T) {
		// flaky traps on an instance's fourth call: what reuses an
		// instance fails, what makes one per request does not.
		rep := runBench(t, Options{Guests: []GuestSpec{testdataSpec(t, "flaky")}})
		g := &rep.Guests[0]
		for _, name := range []string{ScenarioWarm, ScenarioWazeroReuse} {
			s := scenarioOf(t, g, name)
			assert.Equal(t, StatusFailed, s.Status, name)
			assert.NotEmpty(t, s.Reason, name)
		}
		assert.Contains(t, scenarioOf(t, g, ScenarioWarm).Reason, "function error")
		for _, name := range []string{ScenarioCold, ScenarioPreInitialized, ScenarioWazeroNaive, ScenarioRestart} {
			s := scenarioOf(t, g, name)
			assert.Equal(t, StatusOK, s.Status, "%s: %s", name, s.Reason)
			assert.Equal(t, testIterations, s.Iterations, name)
		}
	})
	t.Run("fails always", func(t *testing.T) {
		spec := GuestSpec{Name: "fail", Source: "file", Code: testguest.File(t, "engine/testdata/fail.wasm"), Payload: []byte("{}")}
		rep := runBench(t, Options{Guests: []GuestSpec{spec}, Concurrency: []int{1}})
		g := &rep.Guests[0]
		for _, s := range g.Scenarios {
			if s.Status == StatusSkipped {
				continue
			}
			assert.Equal(t, StatusFailed, s.Status, s.Name)
			assert.Contains(t, s.Reason, "failed on purpose", s.Name)
		}
		assert.Empty(t, g.Concurrency, "a guest that cannot be measured is not loaded either")
		assert.Contains(t, strings.Join(rep.Notes, " "), "fail could not be measured")
	})
	t.Run("times out", func(t *testing.T) {
		spec := GuestSpec{Name: "loop", Source: "file", Code: testguest.File(t, "engine/testdata/loop.wasm"), Payload: []byte("{}")}
		rep := runBench(t, Options{Guests: []GuestSpec{spec}, Timeout: 20 * time.Millisecond})
		s := scenarioOf(t, &rep.Guests[0], ScenarioWarm)
		assert.Equal(t, StatusFailed, s.Status)
		assert.Contains(t, s.Reason, "Timedout")
	})
}

func TestRefusedModuleIsAGuestError(t *testing.T) {
	spec := GuestSpec{Name: "bad", Source: "file", Code: []byte("\x00asm\x01\x00\x00\x00\xff"), Payload: []byte("{}")}
	_, err := Run(context.Background(), Options{Guests: []GuestSpec{spec}, Iterations: 1})
	var ge *GuestError
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, "bad", ge.Guest)
	var me *engine.ModuleError
	assert.ErrorAs(t, err, &me)
}

func TestHTTPWithoutWrk(t *testing.T) {
	rep := runBench(t, Options{Guests: []GuestSpec{watEchoSpec(t)}, Concurrency: []int{1}, HTTP: true,
		Wrk: "/nonexistent/wrk", Iterations: 2, Instances: -1})
	g := &rep.Guests[0]
	require.Len(t, g.HTTP, 3)
	for _, h := range g.HTTP {
		assert.Equal(t, StatusSkipped, h.Status)
		assert.Equal(t, "wrk is not installed", h.Reason)
	}
	assert.Contains(t, strings.Join(rep.Notes, " "), "HTTP scenarios skipped")
}

func TestHTTPWithWrk(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	rep := runBench(t, Options{Guests: []GuestSpec{watEchoSpec(t)}, Concurrency: []int{2}, HTTP: true,
		Iterations: 2, Instances: -1})
	g := &rep.Guests[0]
	require.Len(t, g.HTTP, 3)
	for i, target := range []string{TargetInvokeAPI, TargetFunctionURL, TargetBare} {
		h := g.HTTP[i]
		assert.Equal(t, target, h.Target)
		assert.Equal(t, StatusOK, h.Status, "%s: %s", target, h.Reason)
		assert.Equal(t, 2, h.Concurrency)
		assert.Positive(t, h.Requests, target)
		assert.Positive(t, h.RequestsPerSec, target)
		assert.Zero(t, h.Non2xx, target)
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 1s test @ http://127.0.0.1:41001/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   180.50us  400.00us  12.34ms   98.00%
    Req/Sec    20.00k     1.00k   22.00k    70.00%
  Latency Distribution
     50%  150.00us
     75%  190.00us
     90%    1.20ms
     99%    2.00s
  40123 requests in 1.00s, 5.00MB read
  Socket errors: connect 0, read 2, write 1, timeout 0
  Non-2xx or 3xx responses: 7
Requests/sec:  40100.50
Transfer/sec:      5.00MB
`
	var lvl HTTPLevel
	require.NoError(t, parseWrk(out, &lvl))
	assert.Equal(t, HTTPLevel{Requests: 40123, RequestsPerSec: 40100.5, P50Ns: 150e3, P90Ns: 1.2e6, P99Ns: 2e9,
		MaxNs: 12.34e6, Non2xx: 7, SocketErrors: 3}, lvl)

	require.Error(t, parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n", &HTTPLevel{}))
}

func TestExampleErrors(t *testing.T) {
	_, err := Example(context.Background(), "nope")
	require.ErrorIs(t, err, ErrUnknownExample)
	assert.Contains(t, err.Error(), "go-echo, go-hello, markdown, wat-echo")

	t.Chdir(t.TempDir())
	_, err = Example(context.Background(), "wat-echo")
	require.ErrorIs(t, err, ErrNoCheckout)
}

func TestExampleWAT(t *testing.T) {
	spec, err := Example(context.Background(), "wat-echo")
	require.NoError(t, err)
	assert.Equal(t, testguest.WATEcho(t), spec.Code)
	assert.True(t, spec.ExtismEcho)
}

func TestFileNotWasm(t *testing.T) {
	_, err := File(writeTemp(t, "x.wasm", []byte("hello")))
	require.ErrorIs(t, err, ErrNotWasm)
	_, err = File("/nonexistent/x.wasm")
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrNotWasm))
}

func TestNativeHelloMatchesTheGuest(t *testing.T) {
	out, err := nativeHello("Hello")([]byte(`{"name":"ana"}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"message":"Hello, ana!"}`, string(out))
	out, err = nativeHello("Hi")([]byte(`{}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"message":"Hi, world!"}`, string(out))
}

func TestExampleGoIsBuilt(t *testing.T) {
	spec, err := Example(context.Background(), "go-echo")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(spec.Code), "\x00asm"))
	assert.Equal(t, "example", spec.Source)
	again, err := Example(context.Background(), "go-echo")
	require.NoError(t, err)
	assert.Equal(t, spec.Path, again.Path, "the second time reuses the build")
}
