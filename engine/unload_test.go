package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleMetrics returns the engine's module figures.
func moduleMetrics(eng *engine.Engine) (bytes int64, modules int, unloads uint64) {
	m := eng.Metrics(context.Background())
	return m.ModuleBytes, m.Modules, m.Unloads
}

func TestFunctionsWithTheSameCodeShareOneModule(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	code := testguest.WATEcho(t)
	for i := range 50 {
		deploy(t, eng, engine.Function{Name: fmt.Sprintf("echo-%d", i), Code: code})
	}
	deploy(t, eng, engine.Function{Name: "other", Code: testguest.WithCustomSection(code, "other")})
	b, n, _ := moduleMetrics(eng)
	assert.Equal(t, 2, n, "51 functions, two codes")
	assert.Equal(t, int64(engine.ModuleCostFactor*(len(code)+len(testguest.WithCustomSection(code, "other")))), b)
	for i := range 50 {
		mustSucceed(t, eng, fmt.Sprintf("echo-%d", i), `{"n":1}`)
	}
	// The module goes with its last function.
	for i := range 50 {
		require.NoError(t, eng.Remove(context.Background(), fmt.Sprintf("echo-%d", i)))
	}
	require.Eventually(t, func() bool { _, n, _ := moduleMetrics(eng); return n == 1 }, 10*time.Second, 5*time.Millisecond)
	mustSucceed(t, eng, "other", `{}`)
}

func TestLeastRecentlyUsedVersionsAreUnloadedOverTheBudget(t *testing.T) {
	code := testguest.WATEcho(t)
	cost := int64(engine.ModuleCostFactor * len(testguest.WithCustomSection(code, "a")))
	// Room for two of the three modules.
	eng := newEngine(t, engine.Config{ModuleMemoryBytes: 2*cost + cost/2})
	for _, name := range []string{"a", "b", "c"} {
		deploy(t, eng, engine.Function{Name: name, Code: testguest.WithCustomSection(code, name)})
		mustSucceed(t, eng, name, `{"x":1}`)
	}
	// c's load put three modules over the budget: a, used least recently,
	// goes.
	require.Eventually(t, func() bool { _, n, u := moduleMetrics(eng); return n == 2 && u == 1 }, 10*time.Second, 5*time.Millisecond)
	st := stats(t, eng, "a")
	assert.Zero(t, st.Idle, "a's instances went with it")

	// a comes back on its next invocation, with its counters, and b, now
	// the least recently used, goes.
	res := mustSucceed(t, eng, "a", `{"x":2}`)
	assert.JSONEq(t, `{"x":2}`, string(res.Payload))
	assert.True(t, res.Cold, "a reload is a cold start")
	st = stats(t, eng, "a")
	assert.Equal(t, uint64(2), st.Invocations, "the counters outlive the unload")
	assert.Equal(t, uint64(1), st.Reloads)
	assert.GreaterOrEqual(t, st.ColdStarts, uint64(2))
	require.Eventually(t, func() bool { _, n, u := moduleMetrics(eng); return n == 2 && u == 2 }, 10*time.Second, 5*time.Millisecond)
	mc := eng.Metrics(context.Background())
	loaded := map[string]bool{}
	for _, f := range mc.Functions {
		loaded[f.Function] = len(f.Versions) > 0
	}
	assert.Equal(t, map[string]bool{"a": true, "b": false, "c": true}, loaded)
}

func TestProvisionedVersionsStayLoaded(t *testing.T) {
	code := testguest.WATEcho(t)
	eng := newEngine(t, engine.Config{ModuleMemoryBytes: 1}) // every module is over it
	deploy(t, eng, engine.Function{Name: "kept", Code: testguest.WithCustomSection(code, "kept")})
	_, err := eng.UpdateSettings(context.Background(), "kept", func(s *engine.Settings) error {
		s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: 1}
		return nil
	})
	require.NoError(t, err)
	// Deployed over the budget, kept may have gone before its setting
	// came: it was loaded again for it.
	reloads := stats(t, eng, "kept").Reloads
	for _, name := range []string{"x", "y"} {
		deploy(t, eng, engine.Function{Name: name, Code: testguest.WithCustomSection(code, name)})
		mustSucceed(t, eng, name, `{}`)
	}
	require.Eventually(t, func() bool { _, _, u := moduleMetrics(eng); return u >= 2 }, 10*time.Second, 5*time.Millisecond)
	st := stats(t, eng, "kept")
	assert.Equal(t, 1, st.Idle, "its provisioned instance is still there")
	assert.Equal(t, reloads, st.Reloads, "not unloaded since")
	res := mustSucceed(t, eng, "kept", `{}`)
	assert.False(t, res.Cold)
}

// TestInvocationsSurviveUnloadsUnderLoad invokes functions whose modules
// do not fit together from several goroutines: each invocation succeeds,
// on a runtime loaded again as often as it takes.
func TestInvocationsSurviveUnloadsUnderLoad(t *testing.T) {
	code := testguest.WATEcho(t)
	eng := newEngine(t, engine.Config{ModuleMemoryBytes: 1})
	names := []string{"p", "q", "r", "s"}
	for _, name := range names {
		deploy(t, eng, engine.Function{Name: name, Code: testguest.WithCustomSection(code, name)})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				name := names[(g+i)%len(names)]
				res, err := eng.Invoke(context.Background(), name, []byte(`{"i":1}`))
				if !assert.NoError(t, err) || !assert.Nil(t, res.FunctionError) {
					return
				}
			}
		})
	}
	wg.Wait()
	var total uint64
	for _, name := range names {
		total += stats(t, eng, name).Invocations
	}
	assert.Equal(t, uint64(8*40), total, "every invocation ran, and was counted once")
	_, _, unloads := moduleMetrics(eng)
	assert.Positive(t, unloads)
}
