package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsage(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	functions := []struct {
		name     string
		code     []byte
		memoryMB int
		payloads []string
	}{
		{"big", wat(t, "sleep"), 512, []string{"3", "12", "0"}},
		{"echo", testguest.WATEcho(t), 128, []string{"a", "b", "c", "d"}},
		{"fails", wat(t, "fail"), 64, []string{"x", "y"}}, // failures are billed too
		{"idle", testguest.WATEcho(t), 1024, nil},
	}
	type usage struct {
		requests uint64
		billed   time.Duration
		mbMS     int64
	}
	want := map[string]usage{}
	for _, f := range functions {
		deploy(t, eng, engine.Function{Name: f.name, Code: f.code, MemoryMB: f.memoryMB})
		var u usage
		for _, p := range f.payloads {
			res := invoke(t, eng, f.name, p)
			b := res.BilledDuration()
			require.Zero(t, b%time.Millisecond, "billed in whole milliseconds")
			require.GreaterOrEqual(t, b, res.Duration)
			require.Less(t, b-res.Duration, time.Millisecond+time.Nanosecond)
			u.requests++
			u.billed += b
			u.mbMS += b.Milliseconds() * int64(f.memoryMB)
		}
		want[f.name] = u
	}

	got := eng.Usage()
	require.Len(t, got, len(functions))
	for i, f := range functions {
		u := got[i]
		assert.Equal(t, f.name, u.Function, "sorted by name")
		assert.Equal(t, want[f.name].requests, u.Requests, f.name)
		assert.Equal(t, want[f.name].billed, u.BilledDuration, f.name)
		gbs := float64(want[f.name].mbMS) / 1024 / 1000 // MB·ms to GB·s
		assert.InDelta(t, gbs, u.GBSeconds, 1e-9, f.name)
	}
	assert.GreaterOrEqual(t, got[0].BilledDuration, 15*time.Millisecond, "big slept 15 ms in all")
	assert.Zero(t, got[3].Requests)
	assert.Zero(t, got[3].GBSeconds)
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{AcquireTimeout: -1})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})
	deploy(t, eng, engine.Function{Name: "fails", Code: wat(t, "fail")})
	deploy(t, eng, engine.Function{Name: "loop", Code: wat(t, "loop"), Timeout: 50 * time.Millisecond})
	deploy(t, eng, engine.Function{Name: "denied", Code: wat(t, "markdone")}) // no policy: kv:Put is denied
	deploy(t, eng, engine.Function{Name: "slow", Code: wat(t, "sleep")})
	reserve(t, eng, "slow", 1)

	for _, p := range []string{"a", "b", "c"} {
		mustSucceed(t, eng, "echo", p)
	}
	require.Equal(t, "1", publish(t, eng, "echo"))
	mustSucceed(t, eng, "echo:1", "d")
	mustSucceed(t, eng, "echo:1", "e")
	for range 2 {
		require.NotNil(t, invoke(t, eng, "fails", "").FunctionError)
	}
	res := invoke(t, eng, "loop", "")
	require.NotNil(t, res.FunctionError)
	require.ErrorIs(t, res.FunctionError, engine.ErrTimeout)
	res = invoke(t, eng, "denied", "key")
	require.NotNil(t, res.FunctionError)
	require.Equal(t, "PutFailed", res.FunctionError.Type)

	inflight := invokeInBackground(t, eng, "slow", "1000")
	busy(t, eng, "slow")
	m := eng.Metrics(ctx)
	assert.Equal(t, 1, m.Concurrent, "the engine's concurrency gauge")
	assert.Equal(t, 1, functionMetrics(t, m, "slow").Concurrent, "the function's")
	_, err := eng.Invoke(ctx, "slow", []byte("0"))
	require.ErrorIs(t, err, engine.ErrThrottled)
	require.NotNil(t, <-inflight)

	setEventConfig(t, eng, "fails", engine.EventInvokeConfig{MaximumRetryAttempts: retries(0)})
	deadLetter(t, eng, invokeAsync(t, eng, "fails", "async"))
	asyncIdle(t, eng)

	m = eng.Metrics(ctx)
	assert.Zero(t, m.Concurrent)
	require.Len(t, m.Functions, 5)
	tests := []struct {
		function, version string
		want              engine.Stats
	}{
		{"denied", "$LATEST", engine.Stats{Invocations: 1, Errors: 1, Denials: 1, ColdStarts: 1, Idle: 1}},
		{"echo", "$LATEST", engine.Stats{Invocations: 3, ColdStarts: 1, Idle: 1}},
		{"echo", "1", engine.Stats{Invocations: 2, ColdStarts: 1, Idle: 1}},
		{"fails", "$LATEST", engine.Stats{Invocations: 3, Errors: 3, ColdStarts: 1, Idle: 1}},
		{"loop", "$LATEST", engine.Stats{Invocations: 1, Errors: 1, Timeouts: 1, ColdStarts: 1, Discarded: 1}},
		{"slow", "$LATEST", engine.Stats{Invocations: 1, Throttles: 1, ColdStarts: 1, Idle: 1}},
	}
	var i int
	for _, fm := range m.Functions {
		assert.Zero(t, fm.Concurrent, fm.Function)
		for _, vm := range fm.Versions {
			require.Less(t, i, len(tests), "an unexpected version %s:%s", vm.Function, vm.Version)
			tt := tests[i]
			i++
			t.Run(tt.function+":"+tt.version, func(t *testing.T) {
				assert.Equal(t, tt.function, vm.Function)
				assert.Equal(t, tt.version, vm.Version)
				got := vm.Stats
				got.Snapshot = "" // how instances start is snapshot_test.go's matter
				assert.Equal(t, tt.want, got)
				var n uint64
				for _, c := range vm.Duration.Counts {
					n += c
				}
				assert.Equal(t, vm.Invocations, n, "the duration histogram counts every invocation")
				assert.Len(t, vm.Duration.Counts, len(vm.Duration.Bounds)+1)
				assert.Positive(t, vm.Duration.Sum)
				var inits uint64
				for _, c := range vm.InitDuration.Counts {
					inits += c
				}
				assert.Equal(t, vm.ColdStarts, inits, "the init histogram counts every request-path cold start")
				assert.False(t, vm.Since.IsZero())
				assert.False(t, vm.Since.After(time.Now()))
			})
		}
	}
	assert.Equal(t, len(tests), i)
	assert.Equal(t, uint64(1), functionMetrics(t, m, "slow").Throttles)

	// The loop's invocation ran 50 ms: its histogram has it above 0.025 s.
	loop := functionMetrics(t, m, "loop").Versions[0].Duration
	var above uint64
	for j, b := range loop.Bounds {
		if b > 0.025 {
			above += loop.Counts[j]
		}
	}
	above += loop.Counts[len(loop.Bounds)]
	assert.Equal(t, uint64(1), above)
	assert.GreaterOrEqual(t, loop.Sum, 50*time.Millisecond)

	assert.Zero(t, m.Async.Depth)
	assert.Zero(t, m.Async.InFlight)
	assert.Equal(t, 1, m.Async.DeadLetters)
	assert.Equal(t, uint64(1), m.Async.Enqueued)
	assert.Equal(t, uint64(1), m.Async.Delivered)
	assert.Equal(t, uint64(1), m.Async.Failed)
	assert.Equal(t, uint64(1), m.Async.DeadLettered)
}

// functionMetrics returns the metrics of function name in m.
func functionMetrics(t testing.TB, m engine.Metrics, name string) engine.FunctionMetrics {
	t.Helper()
	for _, fm := range m.Functions {
		if fm.Function == name {
			return fm
		}
	}
	require.Failf(t, "no metrics", "function %s", name)
	return engine.FunctionMetrics{}
}
