package engine_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envOf returns the environment that engine/testdata/env.wasm wrote as its
// response (NAME=value lines), requiring the invocation to have succeeded.
func envOf(t testing.TB, res *engine.Result) map[string]string {
	t.Helper()
	require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
	env := map[string]string{}
	for line := range strings.Lines(string(res.Payload)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		require.True(t, ok, "an environment line is NAME=value: %q", line)
		env[k] = v
	}
	return env
}

// publish publishes the $LATEST of function name and returns the version.
func publish(t testing.TB, eng *engine.Engine, name string) string {
	t.Helper()
	info, err := eng.PublishVersion(context.Background(), name, "")
	require.NoError(t, err, "publish %s", name)
	return info.Version
}

// setEnv replaces the environment of function name's $LATEST.
func setEnv(t testing.TB, eng *engine.Engine, name string, env map[string]string) {
	t.Helper()
	_, err := eng.Update(context.Background(), name, func(f *engine.Function) error {
		f.Env = env
		return nil
	})
	require.NoError(t, err, "update the environment of %s", name)
}

// invokeInBackground starts an invocation of target and returns where its
// result arrives (nil if Invoke failed, which fails the test).
func invokeInBackground(t testing.TB, eng *engine.Engine, target, payload string) <-chan *engine.Result {
	done := make(chan *engine.Result, 1)
	go func() {
		res, err := eng.Invoke(context.Background(), target, []byte(payload))
		assert.NoError(t, err, "invoke %s", target)
		done <- res
	}()
	return done
}

// busy waits until target has an invocation running.
func busy(t testing.TB, eng *engine.Engine, target string) {
	t.Helper()
	require.Eventually(t, func() bool { return stats(t, eng, target).Busy == 1 },
		10*time.Second, time.Millisecond, "%s is running", target)
}

func TestVersionsAreImmutable(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{
		Name: "fn", Code: wat(t, "env"), Env: map[string]string{"COLOR": "red"},
		Timeout: 5 * time.Second, MemoryMB: 64, Description: "first",
	})
	require.Equal(t, "1", publish(t, eng, "fn"))
	v1, err := eng.Function("fn:1")
	require.NoError(t, err)
	assert.Equal(t, "1", v1.Version)

	checkV1 := func(t *testing.T) {
		t.Helper()
		info, err := eng.Function("fn:1")
		require.NoError(t, err)
		assert.Equal(t, v1, info, "a published version never changes")
		// 200 ms is past $LATEST's new timeout, within version 1's.
		res := mustSucceed(t, eng, "fn:1", "200")
		assert.Equal(t, "1", res.Version)
		assert.Equal(t, 64, res.MemoryMB)
		env := envOf(t, res)
		assert.Equal(t, "red", env["COLOR"])
		assert.Equal(t, "1", env["AWS_LAMBDA_FUNCTION_VERSION"])
		assert.Equal(t, "64", env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	}
	checkV1(t)

	t.Run("configuration change of $LATEST", func(t *testing.T) {
		_, err := eng.Update(ctx, "fn", func(f *engine.Function) error {
			f.Env = map[string]string{"COLOR": "blue"}
			f.Timeout = 50 * time.Millisecond
			f.MemoryMB = 32
			f.Description = "second"
			return nil
		})
		require.NoError(t, err)

		res := mustSucceed(t, eng, "fn", "")
		env := envOf(t, res)
		assert.Equal(t, "blue", env["COLOR"])
		assert.Equal(t, "$LATEST", env["AWS_LAMBDA_FUNCTION_VERSION"])
		assert.Equal(t, "32", env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
		res = invoke(t, eng, "fn", "1500") // far past the timeout, even on a loaded machine
		require.NotNil(t, res.FunctionError, "$LATEST has the new 50ms timeout")
		assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout)

		checkV1(t)
	})

	t.Run("code change of $LATEST", func(t *testing.T) {
		_, err := eng.Update(ctx, "fn", withCode(testguest.WATEcho(t)))
		require.NoError(t, err)
		assert.Equal(t, "new code", string(mustSucceed(t, eng, "fn", "new code").Payload))
		latest, err := eng.Function("fn")
		require.NoError(t, err)
		assert.NotEqual(t, v1.CodeSHA256, latest.CodeSHA256)
		assert.Equal(t, "blue", latest.Env["COLOR"], "UpdateCode keeps the configuration")

		checkV1(t)
	})

	t.Run("publishing an unchanged $LATEST returns the last version", func(t *testing.T) {
		v2, err := eng.PublishVersion(ctx, "fn", "echo")
		require.NoError(t, err)
		assert.Equal(t, "2", v2.Version)
		assert.Equal(t, "echo", v2.Description, "the description given replaces $LATEST's")
		again, err := eng.PublishVersion(ctx, "fn", "")
		require.NoError(t, err)
		assert.Equal(t, *v2, *again)

		versions, err := eng.Versions("fn")
		require.NoError(t, err)
		require.Len(t, versions, 3)
		assert.Equal(t, []string{"$LATEST", "1", "2"}, []string{versions[0].Version, versions[1].Version, versions[2].Version})
		assert.Equal(t, v1, versions[1])
		assert.Equal(t, *v2, versions[2])
	})

	t.Run("version numbers are never reused", func(t *testing.T) {
		require.NoError(t, eng.DeleteVersion(ctx, "fn", "2"))
		_, err := eng.Function("fn:2")
		require.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Invoke(ctx, "fn:2", nil)
		require.ErrorIs(t, err, engine.ErrFunctionNotFound)

		assert.Equal(t, "3", publish(t, eng, "fn"), "the number of a deleted version is not given again")
		require.NoError(t, eng.DeleteVersion(ctx, "fn", "3"))
		require.NoError(t, eng.DeleteVersion(ctx, "fn", "1"))
		setEnv(t, eng, "fn", map[string]string{"COLOR": "green"})
		assert.Equal(t, "4", publish(t, eng, "fn"), "not even when no version is left")

		versions, err := eng.Versions("fn")
		require.NoError(t, err)
		require.Len(t, versions, 2)
		assert.Equal(t, "4", versions[1].Version)
		assert.Equal(t, "green", versions[1].Env["COLOR"])
	})
}

func TestInvokeVersionNumber(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env")})
	for i := 1; i <= 7; i++ {
		setEnv(t, eng, "fn", map[string]string{"N": fmt.Sprint(i)})
		require.Equal(t, fmt.Sprint(i), publish(t, eng, "fn"))
	}
	setEnv(t, eng, "fn", map[string]string{"N": "latest"})

	tests := []struct{ target, version, n string }{
		{"fn:7", "7", "7"},
		{"fn:1", "1", "1"},
		{"fn:4", "4", "4"},
		{"fn", "$LATEST", "latest"},
		{"fn:$LATEST", "$LATEST", "latest"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res := mustSucceed(t, eng, tt.target, "")
			assert.Equal(t, tt.version, res.Version)
			env := envOf(t, res)
			assert.Equal(t, tt.n, env["N"])
			assert.Equal(t, tt.version, env["AWS_LAMBDA_FUNCTION_VERSION"])
			_, err := eng.Function(tt.target)
			require.NoError(t, err)
		})
	}
}

func TestAliasWeightedRouting(t *testing.T) {
	const (
		calls   = 2000
		workers = 4
		weight  = 0.2
	)
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env"), Env: map[string]string{"V": "one"}})
	require.Equal(t, "1", publish(t, eng, "fn"))
	setEnv(t, eng, "fn", map[string]string{"V": "two"})
	require.Equal(t, "2", publish(t, eng, "fn"))
	a, err := eng.SetAlias(ctx, "fn", engine.Alias{Name: "live", FunctionVersion: "1", AdditionalVersion: "2", AdditionalWeight: weight})
	require.NoError(t, err)
	assert.NotEmpty(t, a.RevisionID)

	want := map[string]string{"1": "one", "2": "two"}
	var (
		mu    sync.Mutex
		count = map[string]int{}
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range calls / workers {
				res, err := eng.Invoke(ctx, "fn:live", nil)
				if !assert.NoError(t, err) || !assert.Nil(t, res.FunctionError) {
					return
				}
				env := envOf(t, res)
				// Result.Version names the version whose code and
				// configuration actually ran.
				assert.Equal(t, res.Version, env["AWS_LAMBDA_FUNCTION_VERSION"])
				assert.Equal(t, want[res.Version], env["V"], "version %s", res.Version)
				mu.Lock()
				count[res.Version]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	require.Equal(t, calls, count["1"]+count["2"], "every invocation ran version 1 or 2: %v", count)
	mean := calls * weight
	sigma := math.Sqrt(calls * weight * (1 - weight))
	assert.InDelta(t, mean, count["2"], 4*sigma, "version 2 gets %v of %d invocations (binomial, 4 sigma)", weight, calls)
	assert.Equal(t, uint64(count["1"]), stats(t, eng, "fn:1").Invocations)
	assert.Equal(t, uint64(count["2"]), stats(t, eng, "fn:2").Invocations)
	assert.Equal(t, uint64(count["1"]), stats(t, eng, "fn:live").Invocations, "an alias's stats are its primary version's")

	t.Run("an alias without routing runs its one version", func(t *testing.T) {
		_, err := eng.SetAlias(ctx, "fn", engine.Alias{Name: "live", FunctionVersion: "2"})
		require.NoError(t, err)
		for range 20 {
			assert.Equal(t, "2", mustSucceed(t, eng, "fn:live", "").Version)
		}
	})
}

func TestAliases(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env"), Env: map[string]string{"V": "one"}})
	require.Equal(t, "1", publish(t, eng, "fn"))
	setEnv(t, eng, "fn", map[string]string{"V": "two"})
	require.Equal(t, "2", publish(t, eng, "fn"))

	live, err := eng.SetAlias(ctx, "fn", engine.Alias{Name: "live", FunctionVersion: "1", AdditionalVersion: "2", AdditionalWeight: 0.5, Description: "canary"})
	require.NoError(t, err)
	_, err = eng.SetAlias(ctx, "fn", engine.Alias{Name: "dev", FunctionVersion: engine.LatestVersion})
	require.NoError(t, err)

	got, err := eng.Alias("fn", "live")
	require.NoError(t, err)
	assert.Equal(t, live, got)
	all, err := eng.Aliases("fn")
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "dev", all[0].Name, "sorted by name")
	assert.Equal(t, "live", all[1].Name)

	info, err := eng.Function("fn:dev")
	require.NoError(t, err)
	assert.Equal(t, engine.LatestVersion, info.Version, "an alias describes the version it points to")
	assert.Equal(t, "$LATEST", mustSucceed(t, eng, "fn:dev", "").Version)

	t.Run("deleting a version an alias uses is refused", func(t *testing.T) {
		for _, v := range []string{"1", "2"} { // primary and additional
			err := eng.DeleteVersion(ctx, "fn", v)
			require.ErrorIs(t, err, engine.ErrConflict, "version %s", v)
			assert.Contains(t, err.Error(), `alias "live"`)
			_, err = eng.Function("fn:" + v)
			assert.NoError(t, err, "version %s is kept", v)
		}
	})
	t.Run("deleting versions: bad input", func(t *testing.T) {
		err := eng.DeleteVersion(ctx, "fn", engine.LatestVersion)
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		assert.Contains(t, err.Error(), "only published versions")
		assert.ErrorIs(t, eng.DeleteVersion(ctx, "fn", "9"), engine.ErrFunctionNotFound)
		assert.ErrorIs(t, eng.DeleteVersion(ctx, "fn", "live"), engine.ErrInvalidFunction)
		assert.ErrorIs(t, eng.DeleteVersion(ctx, "nope", "1"), engine.ErrFunctionNotFound)
	})
	t.Run("after the alias goes, so can the version", func(t *testing.T) {
		require.NoError(t, eng.DeleteAlias(ctx, "fn", "live"))
		_, err := eng.Alias("fn", "live")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Invoke(ctx, "fn:live", nil)
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		assert.ErrorIs(t, eng.DeleteAlias(ctx, "fn", "live"), engine.ErrFunctionNotFound)
		require.NoError(t, eng.DeleteVersion(ctx, "fn", "1"))
	})
}

func TestAliasValidation(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env")})
	require.Equal(t, "1", publish(t, eng, "fn"))
	setEnv(t, eng, "fn", map[string]string{"V": "two"})
	require.Equal(t, "2", publish(t, eng, "fn"))

	routed := func(primary, additional string, w float64) engine.Alias {
		return engine.Alias{Name: "live", FunctionVersion: primary, AdditionalVersion: additional, AdditionalWeight: w}
	}
	tests := []struct {
		name     string
		function string
		alias    engine.Alias
		want     error
		msg      string
	}{
		{"empty name", "fn", engine.Alias{FunctionVersion: "1"}, engine.ErrInvalidFunction, `alias name ""`},
		{"only digits", "fn", engine.Alias{Name: "123", FunctionVersion: "1"}, engine.ErrInvalidFunction, "not only digits"},
		{"$LATEST", "fn", engine.Alias{Name: "$LATEST", FunctionVersion: "1"}, engine.ErrInvalidFunction, `alias name "$LATEST"`},
		{"a space", "fn", engine.Alias{Name: "my alias", FunctionVersion: "1"}, engine.ErrInvalidFunction, `alias name "my alias"`},
		{"a colon", "fn", engine.Alias{Name: "a:b", FunctionVersion: "1"}, engine.ErrInvalidFunction, `alias name "a:b"`},
		{"over 128 characters", "fn", engine.Alias{Name: strings.Repeat("a", 129), FunctionVersion: "1"}, engine.ErrInvalidFunction, "1 to 128"},
		{"no version", "fn", engine.Alias{Name: "live"}, engine.ErrInvalidFunction, "FunctionVersion"},
		{"weight 0", "fn", routed("1", "2", 0), engine.ErrInvalidFunction, "weight 0 must be more than 0 and less than 1"},
		{"weight 1", "fn", routed("1", "2", 1), engine.ErrInvalidFunction, "weight 1 must be more than 0 and less than 1"},
		{"negative weight", "fn", routed("1", "2", -0.1), engine.ErrInvalidFunction, "weight -0.1 must be more than 0 and less than 1"},
		{"weight over 1", "fn", routed("1", "2", 1.5), engine.ErrInvalidFunction, "weight 1.5 must be more than 0 and less than 1"},
		{"weight NaN", "fn", routed("1", "2", math.NaN()), engine.ErrInvalidFunction, "must be more than 0 and less than 1"},
		{"weight without a version", "fn", routed("1", "", 0.5), engine.ErrInvalidFunction, "needs an additional version"},
		{"routing from $LATEST", "fn", routed(engine.LatestVersion, "2", 0.5), engine.ErrInvalidFunction, "not $LATEST"},
		{"routing to $LATEST", "fn", routed("1", engine.LatestVersion, 0.5), engine.ErrInvalidFunction, "not $LATEST"},
		{"the same version twice", "fn", routed("1", "1", 0.5), engine.ErrInvalidFunction, "must differ from the primary"},
		{"unknown version", "fn", engine.Alias{Name: "live", FunctionVersion: "9"}, engine.ErrFunctionNotFound, `no version "9" for alias live`},
		{"unknown additional version", "fn", routed("1", "9", 0.5), engine.ErrFunctionNotFound, `no version "9" for alias live`},
		{"not a version", "fn", engine.Alias{Name: "live", FunctionVersion: "latest"}, engine.ErrFunctionNotFound, `no version "latest"`},
		{"unknown function", "nope", engine.Alias{Name: "live", FunctionVersion: "1"}, engine.ErrFunctionNotFound, "nope"},
		{"description over 256 bytes", "fn", engine.Alias{Name: "live", FunctionVersion: "1", Description: strings.Repeat("d", 257)}, engine.ErrInvalidFunction, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.SetAlias(ctx, tt.function, tt.alias)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
			aliases, err := eng.Aliases("fn")
			require.NoError(t, err)
			assert.Empty(t, aliases, "a refused alias is not created")
		})
	}

	t.Run("bounds are valid", func(t *testing.T) {
		for _, a := range []engine.Alias{
			{Name: strings.Repeat("a", 128), FunctionVersion: "1"},
			{Name: "v1", FunctionVersion: "1"},
			{Name: "-_", FunctionVersion: engine.LatestVersion},
			routed("1", "2", 0.001),
			routed("2", "1", 0.999),
		} {
			_, err := eng.SetAlias(ctx, "fn", a)
			assert.NoError(t, err, "alias %+v", a)
		}
	})
}

func TestConfigChangeDuringInvocation(t *testing.T) {
	const sleep = 1000 // ms, well past the new timeout
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env"), Env: map[string]string{"COLOR": "red"}, Timeout: 10 * time.Second})

	inflight := invokeInBackground(t, eng, "fn", fmt.Sprint(sleep))
	busy(t, eng, "fn")
	_, err := eng.Update(ctx, "fn", func(f *engine.Function) error {
		f.Env = map[string]string{"COLOR": "blue"}
		f.Timeout = 100 * time.Millisecond
		return nil
	})
	require.NoError(t, err)
	select {
	case <-inflight:
		t.Fatal("the in-flight invocation was expected to outlast the update")
	default:
	}

	res := mustSucceed(t, eng, "fn", "")
	assert.Equal(t, "blue", envOf(t, res)["COLOR"], "a new invocation has the new configuration")
	res = invoke(t, eng, "fn", fmt.Sprint(sleep))
	require.NotNil(t, res.FunctionError)
	assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout, "and the new timeout")

	old := <-inflight
	require.NotNil(t, old)
	assert.Equal(t, "red", envOf(t, old)["COLOR"], "the in-flight invocation finishes on the old configuration")
	assert.GreaterOrEqual(t, old.Duration, sleep*time.Millisecond, "under its old timeout")
}

func TestReservedConcurrencyAcrossVersions(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{AcquireTimeout: -1})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "sleep")})
	require.Equal(t, "1", publish(t, eng, "fn"))
	require.NoError(t, setReserved(ctx, eng, "fn", ptr(1)))
	s, err := eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, ptr(1), s.ReservedConcurrency, "reserved concurrency is the function's, every version's")

	inflight := invokeInBackground(t, eng, "fn:1", "1000")
	busy(t, eng, "fn:1")
	for _, target := range []string{"fn", "fn:1", "fn:$LATEST"} {
		_, err := eng.Invoke(ctx, target, []byte("0"))
		require.ErrorIs(t, err, engine.ErrThrottled, target)
		assert.Contains(t, err.Error(), "reserved concurrency limit (1)")
	}
	require.NotNil(t, <-inflight)
	mustSucceed(t, eng, "fn", "0")

	t.Run("zero throttles every invocation", func(t *testing.T) {
		eng := newEngine(t, engine.Config{AcquireTimeout: time.Minute})
		deploy(t, eng, engine.Function{Name: "off", Code: testguest.WATEcho(t)})
		require.NoError(t, setReserved(ctx, eng, "off", ptr(0)))
		for _, target := range []string{"off", "off:$LATEST"} {
			start := time.Now()
			_, err := eng.Invoke(ctx, target, nil)
			require.ErrorIs(t, err, engine.ErrThrottled, target)
			assert.Contains(t, err.Error(), "reserved concurrency limit (0)")
			assert.Less(t, time.Since(start), 10*time.Second, "a cap of 0 throttles at once, without waiting AcquireTimeout")
		}
		_, err := eng.InvokeAsync(ctx, "off", nil)
		require.NoError(t, err, "an asynchronous invocation is accepted, and waits for the function to be switched on")
		require.NoError(t, setReserved(ctx, eng, "off", nil))
		mustSucceed(t, eng, "off", "on again")
	})
	t.Run("nil removes the cap", func(t *testing.T) {
		require.NoError(t, setReserved(ctx, eng, "fn", nil))
		inflight := invokeInBackground(t, eng, "fn:1", "300")
		busy(t, eng, "fn:1")
		assert.Equal(t, "slept", string(mustSucceed(t, eng, "fn", "0").Payload))
		require.NotNil(t, <-inflight)
	})
	t.Run("bad input", func(t *testing.T) {
		err := setReserved(ctx, eng, "fn", ptr(-1))
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		assert.Contains(t, err.Error(), "reserved concurrency -1")
		err = setReserved(ctx, eng, "fn", ptr(engine.DefaultMaxConcurrency+1))
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		assert.Contains(t, err.Error(), "between 0 and the engine's 1000")
		assert.ErrorIs(t, setReserved(ctx, eng, "nope", ptr(1)), engine.ErrFunctionNotFound)
	})
}

func TestEngineMaxConcurrency(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{MaxConcurrency: 1, AcquireTimeout: -1})
	deploy(t, eng, engine.Function{Name: "slow", Code: wat(t, "sleep")})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})

	inflight := invokeInBackground(t, eng, "slow", "1000")
	require.Eventually(t, func() bool { return eng.Metrics(ctx).Concurrent == 1 }, 10*time.Second, time.Millisecond)
	_, err := eng.Invoke(ctx, "echo", nil)
	require.ErrorIs(t, err, engine.ErrThrottled, "another function is throttled too")
	assert.Contains(t, err.Error(), "the engine is at its concurrency limit (1)")
	require.NotNil(t, <-inflight)
	mustSucceed(t, eng, "echo", "")

	err = setReserved(ctx, eng, "echo", ptr(2))
	assert.ErrorIs(t, err, engine.ErrInvalidFunction, "reserved concurrency above the engine's is refused")
}

func TestProvisionedConcurrency(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "env")})
	require.Equal(t, "1", publish(t, eng, "fn"))
	setEnv(t, eng, "fn", map[string]string{"V": "two"})
	require.Equal(t, "2", publish(t, eng, "fn"))
	_, err := eng.SetAlias(ctx, "fn", engine.Alias{Name: "live", FunctionVersion: "2"})
	require.NoError(t, err)

	tests := []struct {
		name, qualifier, version string
		n                        int
	}{
		{"on a version", "1", "1", 2},
		{"on an alias", "live", "2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "fn:" + tt.qualifier
			require.NoError(t, setProvisioned(ctx, eng, "fn", tt.qualifier, tt.n))
			require.Eventually(t, func() bool {
				s := stats(t, eng, target)
				return s.Prewarmed >= uint64(tt.n) && s.Idle >= tt.n
			}, 10*time.Second, time.Millisecond, "%d instances of %s are prepared", tt.n, target)

			res := mustSucceed(t, eng, target, "")
			assert.Equal(t, tt.version, res.Version)
			assert.False(t, res.Cold, "a provisioned instance serves the first invocation")
			assert.Zero(t, res.InitDuration)
			assert.Zero(t, stats(t, eng, target).ColdStarts)
		})
	}
	s, err := eng.Settings("fn")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"1": 2, "live": 1}, s.ProvisionedConcurrency)

	t.Run("zero removes the setting", func(t *testing.T) {
		require.NoError(t, setProvisioned(ctx, eng, "fn", "1", 0))
		s, err := eng.Settings("fn")
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"live": 1}, s.ProvisionedConcurrency)
	})
	t.Run("bad input", func(t *testing.T) {
		err := setProvisioned(ctx, eng, "fn", "9", 1)
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		assert.Contains(t, err.Error(), `no version or alias "9"`)
		assert.ErrorIs(t, setProvisioned(ctx, eng, "fn", "nope", 1), engine.ErrFunctionNotFound)
		assert.ErrorIs(t, setProvisioned(ctx, eng, "nope", "1", 1), engine.ErrFunctionNotFound)
		assert.ErrorIs(t, setProvisioned(ctx, eng, "fn", "1", -1), engine.ErrInvalidFunction)
		require.NoError(t, setReserved(ctx, eng, "fn", ptr(2)))
		err = setProvisioned(ctx, eng, "fn", "1", 3)
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		assert.Contains(t, err.Error(), "over the reserved 2")
	})
}

func TestBadTargets(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t, engine.Config{MaxRequestBytes: 1024, MaxAsyncPayloadBytes: 512})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	require.Equal(t, "1", publish(t, eng, "fn"))

	tests := []struct{ target, msg string }{
		{"nope", "nope"},
		{"nope:1", "nope"},
		{"fn:9", `"9"`},
		{"fn:nope", `no version or alias "nope"`},
		{"fn:", "empty qualifier"},
		{"fn:1:2", `"1:2"`},
		{"", "function not found"},
		{"bad name!", "bad name!"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.target), func(t *testing.T) {
			_, err := eng.Invoke(ctx, tt.target, nil)
			require.ErrorIs(t, err, engine.ErrFunctionNotFound, "Invoke")
			assert.Contains(t, err.Error(), tt.msg)
			_, err = eng.Function(tt.target)
			require.ErrorIs(t, err, engine.ErrFunctionNotFound, "Function")
			assert.Contains(t, err.Error(), tt.msg)
			_, err = eng.InvokeAsync(ctx, tt.target, nil)
			require.ErrorIs(t, err, engine.ErrFunctionNotFound, "InvokeAsync")
			assert.Contains(t, err.Error(), tt.msg)
			_, err = eng.Stats(tt.target)
			assert.ErrorIs(t, err, engine.ErrFunctionNotFound, "Stats")
		})
	}

	t.Run("payloads over the limits", func(t *testing.T) {
		_, err := eng.Invoke(ctx, "fn", make([]byte, 1025))
		require.ErrorIs(t, err, engine.ErrPayloadTooLarge)
		assert.Contains(t, err.Error(), "1025 bytes, over the 1024-byte limit")
		mustSucceed(t, eng, "fn", strings.Repeat("x", 1024))

		_, err = eng.InvokeAsync(ctx, "fn", make([]byte, 513))
		require.ErrorIs(t, err, engine.ErrPayloadTooLarge)
		assert.Contains(t, err.Error(), "513 bytes, over the 512-byte limit for asynchronous invocations")
		_, err = eng.InvokeAsync(ctx, "fn", make([]byte, 512))
		assert.NoError(t, err)
	})
	t.Run("function names", func(t *testing.T) {
		for _, name := range []string{"", "a b", "fn:1", "$LATEST", strings.Repeat("n", 65), "é"} {
			_, err := eng.Deploy(ctx, engine.Function{Name: name, Code: testguest.WATEcho(t)})
			assert.ErrorIs(t, err, engine.ErrInvalidFunction, "%q", name)
		}
	})
	t.Run("versioning calls on a missing function", func(t *testing.T) {
		_, err := eng.PublishVersion(ctx, "nope", "")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Versions("nope")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Aliases("nope")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Update(ctx, "nope", withCode(testguest.WATEcho(t)))
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Update(ctx, "nope", func(*engine.Function) error { return nil })
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
	})
}
