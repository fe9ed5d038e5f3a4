package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestDeployRejectsModules(t *testing.T) {
	eng := newEngine(t, engine.Config{MaxModuleBytes: 64 << 10})
	echo := testguest.WATEcho(t)
	header := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}

	tests := []struct {
		name string
		fn   engine.Function
		want []string // substrings of the reason
	}{
		{
			name: "no code",
			fn:   engine.Function{},
			want: []string{"no code"},
		},
		{
			name: "not wasm",
			fn:   engine.Function{Code: []byte("#!/bin/sh\necho hello\n")},
			want: []string{"not a WebAssembly module"},
		},
		{
			name: "unsupported binary version",
			fn:   engine.Function{Code: []byte{0x00, 'a', 's', 'm', 2, 0, 0, 0}},
			want: []string{"unsupported WebAssembly binary version"},
		},
		{
			name: "truncated",
			fn:   engine.Function{Code: echo[:len(echo)-3]},
			want: []string{"unexpected end of data"},
		},
		{
			name: "section size overflows LEB128",
			fn:   engine.Function{Code: append(bytes.Clone(header), 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f)},
			want: []string{"section 1: size", "LEB128"},
		},
		{
			name: "invalid function body",
			fn:   engine.Function{Code: wat(t, "invalid")},
			want: []string{"handle", "i64"},
		},
		{
			name: "imports from an unknown module",
			fn:   engine.Function{Code: wat(t, "import_env")},
			want: []string{`imports func "env"."foo"`, `"wasi_snapshot_preview1"`, `"flint"`},
		},
		{
			name: "imports an unknown flint function",
			fn:   engine.Function{Code: wat(t, "import_unknown_flint")},
			want: []string{`imports "flint"."no_such_call", which this host does not provide (Flint ABI v1)`},
		},
		{
			name: "imports a flint function with the wrong signature",
			fn:   engine.Function{Code: wat(t, "import_bad_signature")},
			want: []string{`imports "flint"."input_read" with signature (i64) -> (i32); the host defines (i32, i32) -> (i32)`},
		},
		{
			name: "imports a memory",
			fn:   engine.Function{Code: wat(t, "import_memory")},
			want: []string{`imports memory "flint"."memory"`, "only functions can be imported"},
		},
		{
			name: "imports a table",
			fn:   engine.Function{Code: wat(t, "import_table")},
			want: []string{`imports table "flint"."table"`, "only functions can be imported"},
		},
		{
			name: "imports a global",
			fn:   engine.Function{Code: wat(t, "import_global")},
			want: []string{`imports global "wasi_snapshot_preview1"."counter"`, "only functions can be imported"},
		},
		{
			name: "missing the handler export",
			fn:   engine.Function{Code: wat(t, "no_handler")},
			want: []string{`missing the handler export "handle" with signature (i32) -> (i32)`},
		},
		{
			name: "missing a configured handler",
			fn:   engine.Function{Code: echo, Handler: "run"},
			want: []string{`missing the handler export "run"`},
		},
		{
			name: "handler with the wrong signature",
			fn:   engine.Function{Code: wat(t, "handler_bad_signature")},
			want: []string{`export "handle" has signature () -> (i32), want (i32) -> (i32)`},
		},
		{
			name: "missing the memory export",
			fn:   engine.Function{Code: wat(t, "no_memory")},
			want: []string{`missing the memory export "memory"`},
		},
		{
			name: "missing the ABI marker",
			fn:   engine.Function{Code: wat(t, "no_abi_marker")},
			want: []string{`missing the export "flint_abi_version_1"`},
		},
		{
			name: "built for another ABI version",
			fn:   engine.Function{Code: wat(t, "abi_v2")},
			want: []string{"built for Flint ABI v2; this host speaks v1"},
		},
		{
			name: "WASI command",
			fn:   engine.Function{Code: wat(t, "wasi_command")},
			want: []string{`exports "_start"`, "reactor"},
		},
		{
			name: "exports a name reserved for the host",
			fn:   engine.Function{Code: wat(t, "reserved_export")},
			want: []string{`export "__flint_interrupt" is reserved for the host`},
		},
		{
			name: "over MaxModuleBytes",
			fn:   engine.Function{Code: append(bytes.Clone(echo), make([]byte, 64<<10)...)},
			want: []string{fmt.Sprintf("module is %d bytes, over the 65536-byte limit", len(echo)+64<<10)},
		},
		{
			name: "initial memory over MemoryMB",
			fn:   engine.Function{Code: wat(t, "big_memory"), MemoryMB: 1},
			want: []string{"declares 17 pages (1088 KiB) of initial memory, over the function's 1 MB limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn.Name = "bad"
			_, err := eng.Deploy(context.Background(), tt.fn)
			require.Error(t, err)
			assert.ErrorIs(t, err, engine.ErrInvalidModule)
			assert.NotErrorIs(t, err, engine.ErrInvalidFunction)
			var me *engine.ModuleError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "bad", me.Function)
			for _, w := range tt.want {
				assert.Contains(t, me.Reason, w)
				assert.Contains(t, err.Error(), w)
			}
			_, err = eng.Function("bad")
			assert.ErrorIs(t, err, engine.ErrFunctionNotFound, "a refused module is not deployed")
		})
	}

	t.Run("initial memory within MemoryMB", func(t *testing.T) {
		info := deploy(t, eng, engine.Function{Name: "big", Code: wat(t, "big_memory"), MemoryMB: 2})
		assert.Equal(t, 2, info.MemoryMB)
	})
}

func TestDeployRejectsTruncatedModules(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	for _, mod := range []string{"echo", "abuse"} {
		code := testguest.WATEcho(t)
		if mod != "echo" {
			code = wat(t, mod)
		}
		for n := range len(code) {
			_, err := eng.Deploy(context.Background(), engine.Function{Name: "cut", Code: code[:n]})
			require.ErrorIs(t, err, engine.ErrInvalidModule, "%s cut to %d of %d bytes", mod, n, len(code))
		}
	}
}

func TestDeployRejectsConfig(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	echo := testguest.WATEcho(t)
	tests := []struct {
		name string
		edit func(f *engine.Function)
		want string
	}{
		{"empty name", func(f *engine.Function) { f.Name = "" }, `name ""`},
		{"name with a space", func(f *engine.Function) { f.Name = "my fn" }, `name "my fn"`},
		{"name with a colon", func(f *engine.Function) { f.Name = "fn:1" }, `name "fn:1"`},
		{"name with a slash", func(f *engine.Function) { f.Name = "a/b" }, `name "a/b"`},
		{"name over 64 characters", func(f *engine.Function) { f.Name = strings.Repeat("n", 65) }, "1 to 64"},
		{"handler not an export name", func(f *engine.Function) { f.Handler = "run me" }, `handler "run me"`},
		{"negative timeout", func(f *engine.Function) { f.Timeout = -time.Second }, "timeout -1s"},
		{"timeout under 1ms", func(f *engine.Function) { f.Timeout = time.Microsecond }, "between 1ms and 15m0s"},
		{"timeout over 15 minutes", func(f *engine.Function) { f.Timeout = 16 * time.Minute }, "timeout 16m0s"},
		{"negative memory", func(f *engine.Function) { f.MemoryMB = -1 }, "memory -1 MB"},
		{"memory over 4096 MB", func(f *engine.Function) { f.MemoryMB = 4097 }, "memory 4097 MB: must be between 1 and 4096"},
		{"reserved AWS_ env key", func(f *engine.Function) { f.Env = map[string]string{"AWS_REGION": "x"} }, `"AWS_REGION" is reserved`},
		{"reserved FLINT_ env key", func(f *engine.Function) { f.Env = map[string]string{"FLINT_MODE": "x"} }, `"FLINT_MODE" is reserved`},
		{"env key with a hyphen", func(f *engine.Function) { f.Env = map[string]string{"MY-KEY": "x"} }, `environment key "MY-KEY"`},
		{"env key starting with a digit", func(f *engine.Function) { f.Env = map[string]string{"1KEY": "x"} }, `environment key "1KEY"`},
		{"empty env key", func(f *engine.Function) { f.Env = map[string]string{"": "x"} }, `environment key ""`},
		{"env too large", func(f *engine.Function) { f.Env = map[string]string{"BIG": strings.Repeat("x", engine.MaxEnvBytes)} }, "over the 4096-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := engine.Function{Name: "fn", Code: echo}
			tt.edit(&f)
			_, err := eng.Deploy(context.Background(), f)
			require.Error(t, err)
			assert.ErrorIs(t, err, engine.ErrInvalidFunction)
			assert.NotErrorIs(t, err, engine.ErrInvalidModule)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	t.Run("limits at their bounds are valid", func(t *testing.T) {
		deploy(t, eng, engine.Function{
			Name: strings.Repeat("n", 64), Code: echo,
			Timeout: engine.MaxTimeout, MemoryMB: 1,
			Env: map[string]string{"KEY_1": strings.Repeat("x", engine.MaxEnvBytes-len("KEY_1"))},
		})
	})
}

func TestInvoke(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	tests := []struct {
		name    string
		fn      engine.Function
		payload string
		want    string
	}{
		{
			name:    "wat echo",
			fn:      engine.Function{Code: testguest.WATEcho(t)},
			payload: "hello, flint",
			want:    "hello, flint",
		},
		{
			name:    "wat echo of an empty payload",
			fn:      engine.Function{Code: testguest.WATEcho(t)},
			payload: "",
			want:    "",
		},
		{
			name:    "wat echo growing memory",
			fn:      engine.Function{Code: testguest.WATEcho(t)},
			payload: strings.Repeat("0123456789abcdef", 10<<10),
			want:    strings.Repeat("0123456789abcdef", 10<<10),
		},
		{
			name:    "go hello with env",
			fn:      engine.Function{Code: testguest.Go(t, "hello"), Env: map[string]string{"GREETING": "hi"}},
			payload: `{"name":"ana"}`,
			want:    `{"message":"hi, ana!"}`,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("fn%d", i)
			tt.fn.Name = name
			info := deploy(t, eng, tt.fn)
			assert.Equal(t, engine.LatestVersion, info.Version)

			start := time.Now()
			first := mustSucceed(t, eng, name, tt.payload)
			elapsed := time.Since(start)
			assert.Equal(t, tt.want, string(first.Payload))
			assert.NoError(t, first.Err())
			assert.Regexp(t, uuidRE, first.RequestID)
			assert.Equal(t, "$LATEST", first.Version)
			assert.True(t, first.Cold, "first invocation is a cold start")
			assert.Positive(t, first.InitDuration, "a cold start reports its init")
			assert.Positive(t, first.Duration)
			assert.Less(t, first.Duration+first.InitDuration, elapsed+time.Millisecond)
			assert.Positive(t, first.MemoryUsed)
			assert.Zero(t, first.MemoryUsed%(64<<10), "memory is whole pages")

			second := mustSucceed(t, eng, name, tt.payload)
			assert.Equal(t, tt.want, string(second.Payload))
			assert.False(t, second.Cold, "second invocation reuses the instance")
			assert.Zero(t, second.InitDuration, "a warm start has no init")
			assert.Positive(t, second.Duration)
			assert.Regexp(t, uuidRE, second.RequestID)
			assert.NotEqual(t, first.RequestID, second.RequestID)

			s := stats(t, eng, name)
			assert.Equal(t, uint64(2), s.Invocations)
			assert.Equal(t, uint64(1), s.ColdStarts)
			assert.Zero(t, s.Errors)
			assert.Equal(t, 1, s.Idle)
			assert.Zero(t, s.Busy)
		})
	}
}

func TestHandledError(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fail", Code: testguest.Go(t, "fail")})

	for i, payload := range []string{"bad input", "worse input"} {
		res := invoke(t, eng, "fail", payload)
		fe := res.FunctionError
		require.NotNil(t, fe)
		assert.Equal(t, "ValidationError", fe.Type)
		assert.Equal(t, "the event is not acceptable: "+payload, fe.Message)
		assert.Equal(t, "ValidationError: the event is not acceptable: "+payload, fe.Error())
		assert.False(t, fe.Unhandled)
		assert.NoError(t, errors.Unwrap(fe), "a handled error has no platform cause")
		assert.Equal(t, fe, res.Err())
		assert.Nil(t, res.Payload)
		assert.Equal(t, i == 0, res.Cold, "the instance survives a handled error")

		lines := parseLogs(t, res.Logs)
		require.Len(t, lines, 1)
		assert.Equal(t, logLine{Time: lines[0].Time, RequestID: res.RequestID, Level: "WARN", Message: "rejecting the event"}, lines[0])
	}
	s := stats(t, eng, "fail")
	assert.Zero(t, s.Discarded)
	assert.Equal(t, uint64(2), s.Errors)
	assert.Equal(t, uint64(1), s.ColdStarts)
}

func TestTrap(t *testing.T) {
	// Without recycling, a crashed instance is discarded (with it, it is
	// reset to its snapshot: see snapshot_test.go).
	eng := newEngine(t, engine.Config{NoRecycle: true})
	tests := []struct {
		name     string
		code     []byte
		payload  string
		cause    error
		typ      string
		message  string
		logs     string // a line expected in the logs
		next     string // the payload of the invocation that follows
		nextFail bool   // whether it fails too
	}{
		{
			name:     "go panic",
			code:     testguest.Go(t, "panic"),
			cause:    engine.ErrTrap, // Go aborts a panicking export with unreachable
			typ:      "Runtime.Panic",
			message:  "boom (wasm error: unreachable)",
			logs:     "\tSTDERR\tpanic: boom",
			nextFail: true,
		},
		{
			name:    "wat unreachable",
			code:    wat(t, "unreachable"),
			payload: "trap",
			cause:   engine.ErrTrap,
			typ:     engine.ErrorTypeTrap,
			message: "unreachable",
			logs:    "\tERROR\twasm error: unreachable",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("trap%d", i)
			deploy(t, eng, engine.Function{Name: name, Code: tt.code})

			res := invoke(t, eng, name, tt.payload)
			fe := res.FunctionError
			require.NotNil(t, fe, "logs:\n%s", res.Logs)
			assert.True(t, fe.Unhandled)
			assert.ErrorIs(t, fe, tt.cause)
			assert.Equal(t, tt.typ, fe.Type)
			assert.Contains(t, fe.Message, tt.message)
			assert.Nil(t, res.Payload)
			assert.Contains(t, string(res.Logs), res.RequestID+tt.logs)
			parseLogs(t, res.Logs)

			s := stats(t, eng, name)
			assert.Equal(t, uint64(1), s.Discarded, "a crashed instance is discarded")
			assert.Zero(t, s.Idle)
			assert.Zero(t, s.Busy)

			next := invoke(t, eng, name, tt.next)
			assert.True(t, next.Cold, "the next invocation gets a new instance")
			if tt.nextFail {
				require.NotNil(t, next.FunctionError)
				assert.ErrorIs(t, next.FunctionError, tt.cause)
				assert.Equal(t, uint64(2), stats(t, eng, name).Discarded)
			} else {
				require.Nil(t, next.FunctionError)
				assert.Equal(t, "ok", string(next.Payload))
				s := stats(t, eng, name)
				assert.Equal(t, uint64(1), s.Discarded)
				assert.Equal(t, 1, s.Idle)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	eng := newEngine(t, engine.Config{NoRecycle: true})
	const timeout = 200 * time.Millisecond
	deploy(t, eng, engine.Function{Name: "spin", Code: testguest.Go(t, "spin"), Timeout: timeout})
	deploy(t, eng, engine.Function{Name: "sleep", Code: wat(t, "sleep"), Timeout: timeout})
	deploy(t, eng, engine.Function{Name: "recurse", Code: wat(t, "recurse"), Timeout: timeout})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})

	tests := []struct {
		name, function, payload string
	}{
		{"go busy loop", "spin", ""},
		{"go sleep", "spin", `{"sleep_ms":60000}`},
		{"wasi sleep without a loop after it", "sleep", "60000"},
		{"recursion without a loop", "recurse", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stats(t, eng, tt.function)
			start := time.Now()
			res := invoke(t, eng, tt.function, tt.payload)
			elapsed := time.Since(start)

			assert.Less(t, elapsed, 2*time.Second, "the guest is stopped at its timeout")
			assert.GreaterOrEqual(t, res.Duration, timeout)
			fe := res.FunctionError
			require.NotNil(t, fe, "a timed out invocation fails (payload %q)", res.Payload)
			assert.ErrorIs(t, fe, engine.ErrTimeout)
			assert.Equal(t, "Sandbox.Timedout", fe.Type)
			assert.Contains(t, fe.Message, "timed out after 0.20 seconds")
			assert.True(t, fe.Unhandled)
			assert.Nil(t, res.Payload)

			after := stats(t, eng, tt.function)
			assert.Equal(t, before.Discarded+1, after.Discarded, "a timed out instance is discarded")
			assert.Equal(t, before.Timeouts+1, after.Timeouts)
			assert.Zero(t, after.Idle)

			assert.Equal(t, "still here", string(mustSucceed(t, eng, "echo", "still here").Payload))
		})
	}

	t.Run("a finished sleep is not a timeout", func(t *testing.T) {
		res := mustSucceed(t, eng, "sleep", "10")
		assert.Equal(t, "slept", string(res.Payload))
		assert.GreaterOrEqual(t, res.Duration, 10*time.Millisecond)
	})

	t.Run("each invocation gets its full timeout", func(t *testing.T) {
		// The first call leaves a timer set for its own deadline; the
		// second, on the same instance, must not be stopped by it.
		first := mustSucceed(t, eng, "sleep", "100")
		second := invoke(t, eng, "sleep", "60000")
		assert.False(t, second.Cold)
		require.NotNil(t, second.FunctionError)
		assert.ErrorIs(t, second.FunctionError, engine.ErrTimeout)
		assert.GreaterOrEqual(t, second.Duration, timeout, "first call took %v", first.Duration)
		assert.Less(t, second.Duration, 2*time.Second)
	})
}

// TestTimeoutWithEveryProcessorBusy runs more guests that loop forever
// than the Go runtime has processors (GOMAXPROCS=1, in a child process, as
// a hang there must not hang this one): their timeouts must still fire,
// although the runtime cannot preempt a goroutine running guest code.
func TestTimeoutWithEveryProcessorBusy(t *testing.T) {
	if os.Getenv("FLINT_TEST_BUSY_CHILD") == "1" {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "loop", Code: wat(t, "loop"), Timeout: 200 * time.Millisecond})
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				res, err := eng.Invoke(context.Background(), "loop", nil)
				if assert.NoError(t, err) {
					assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout)
				}
			})
		}
		wg.Wait()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestTimeoutWithEveryProcessorBusy$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FLINT_TEST_BUSY_CHILD=1", "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "the child hung: guests that never yield kept the timers from firing")
	require.NoError(t, err, "child output:\n%s", out)
}

func TestCallerContext(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "loop", Code: wat(t, "loop"), Timeout: time.Minute})
	deploy(t, eng, engine.Function{Name: "sleep", Code: wat(t, "sleep"), Timeout: time.Minute})

	for _, tt := range []struct{ name, function, payload string }{
		{"cancel a busy loop", "loop", ""},
		{"cancel a sleep", "sleep", "60000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type outcome struct {
				res *engine.Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := eng.Invoke(ctx, tt.function, []byte(tt.payload))
				done <- outcome{res, err}
			}()
			require.Eventually(t, func() bool { return stats(t, eng, tt.function).Busy == 1 },
				10*time.Second, time.Millisecond, "the invocation starts")
			cancel()
			var out outcome
			select {
			case out = <-done:
			case <-time.After(5 * time.Second):
				require.FailNow(t, "the invocation did not stop when its context was cancelled")
			}
			require.NoError(t, out.err)
			fe := out.res.FunctionError
			require.NotNil(t, fe)
			assert.ErrorIs(t, fe, engine.ErrCanceled)
			assert.NotErrorIs(t, fe, engine.ErrTimeout)
			assert.Equal(t, engine.ErrorTypeCanceled, fe.Type)
			assert.True(t, fe.Unhandled)
			s := stats(t, eng, tt.function)
			assert.Zero(t, s.Busy)
			assert.Zero(t, s.Idle, "a cancelled instance is discarded")
		})
	}

	t.Run("caller deadline before the function timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, err := eng.Invoke(ctx, "loop", nil)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 2*time.Second)
		require.NotNil(t, res.FunctionError)
		assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout)
	})
}

func TestInitTimeout(t *testing.T) {
	eng := newEngine(t, engine.Config{InitTimeout: 200 * time.Millisecond})
	for _, mod := range []string{"init_loop", "start_loop"} {
		t.Run(mod, func(t *testing.T) {
			deploy(t, eng, engine.Function{Name: mod, Code: wat(t, mod)})
			start := time.Now()
			res := invoke(t, eng, mod, "")
			assert.Less(t, time.Since(start), 2*time.Second)
			fe := res.FunctionError
			require.NotNil(t, fe)
			assert.ErrorIs(t, fe, engine.ErrInitFailed)
			assert.ErrorIs(t, fe, engine.ErrTimeout)
			assert.Equal(t, engine.ErrorTypeInit, fe.Type)
			assert.Contains(t, fe.Message, "init timed out after 0.20 seconds")
			assert.True(t, fe.Unhandled)
			assert.True(t, res.Cold)
			assert.GreaterOrEqual(t, res.InitDuration, 200*time.Millisecond)
			assert.Regexp(t, uuidRE, res.RequestID)
			s := stats(t, eng, mod)
			assert.Equal(t, uint64(1), s.InitErrors)
			assert.Zero(t, s.Idle+s.Busy)

			ctx := context.Background()
			deploy(t, eng, engine.Function{Name: mod + "_warm", Code: wat(t, mod)})
			err := setProvisioned(ctx, eng, mod+"_warm", engine.LatestVersion, 1)
			require.Error(t, err, "UpdateSettings fails when its provisioned instances cannot init")
			assert.ErrorIs(t, err, engine.ErrInitFailed)
			assert.ErrorIs(t, err, engine.ErrTimeout)
			_, err = eng.Deploy(ctx, engine.Function{Name: mod + "_warm", Code: wat(t, mod)})
			require.Error(t, err, "Deploy fails when $LATEST's provisioned instances cannot init")
			assert.ErrorIs(t, err, engine.ErrInitFailed)
		})
	}
}

func TestInitHookFailure(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "initfail", Code: wat(t, "init_fail")})

	res := invoke(t, eng, "initfail", "")
	fe := res.FunctionError
	require.NotNil(t, fe)
	assert.ErrorIs(t, fe, engine.ErrInitFailed)
	assert.NotErrorIs(t, fe, engine.ErrTimeout)
	assert.Equal(t, engine.ErrorTypeInit, fe.Type)
	assert.Equal(t, "ConfigError: DATABASE_URL is not set", fe.Message)
	assert.True(t, fe.Unhandled)
	assert.True(t, res.Cold)
	lines := parseLogs(t, res.Logs)
	require.Len(t, lines, 1, "the init log comes with the failure")
	assert.Equal(t, "checking config", lines[0].Message)
	assert.Equal(t, uint64(1), stats(t, eng, "initfail").InitErrors)

	deploy(t, eng, engine.Function{Name: "initfail_warm", Code: wat(t, "init_fail")})
	err := setProvisioned(context.Background(), eng, "initfail_warm", engine.LatestVersion, 1)
	assert.ErrorIs(t, err, engine.ErrInitFailed)
	assert.ErrorContains(t, err, "DATABASE_URL is not set")
}

func TestMemoryLimit(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	memhog := testguest.Go(t, "memhog")
	deploy(t, eng, engine.Function{Name: "hog32", Code: memhog, MemoryMB: 32})
	deploy(t, eng, engine.Function{Name: "hog64", Code: memhog, MemoryMB: 64})

	t.Run("allocating forever hits the cap", func(t *testing.T) {
		res := invoke(t, eng, "hog32", "")
		fe := res.FunctionError
		require.NotNil(t, fe)
		assert.ErrorIs(t, fe, engine.ErrMemoryLimit)
		assert.Equal(t, engine.ErrorTypeMemory, fe.Type)
		assert.Contains(t, fe.Message, "memory limit of 32 MB")
		assert.True(t, fe.Unhandled)
		assert.Equal(t, uint64(1), stats(t, eng, "hog32").Discarded)

		next := mustSucceed(t, eng, "hog32", `{"mb":1}`)
		assert.True(t, next.Cold)
		assert.Equal(t, "1", string(next.Payload))
	})
	t.Run("allocating within the cap", func(t *testing.T) {
		res := mustSucceed(t, eng, "hog64", `{"mb":4}`)
		assert.Equal(t, "4", string(res.Payload))
		assert.Greater(t, res.MemoryUsed, uint64(4<<20))
		assert.LessOrEqual(t, res.MemoryUsed, uint64(64<<20))
		res = mustSucceed(t, eng, "hog64", `{"mb":4}`)
		assert.Equal(t, "8", string(res.Payload), "globals persist across warm invocations")
	})
}

func TestProvisionedLatest(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "warm", Code: testguest.WATEcho(t)})
	provision(t, eng, "warm", engine.LatestVersion, 2)

	s := stats(t, eng, "warm")
	assert.GreaterOrEqual(t, s.Prewarmed, uint64(2))
	assert.GreaterOrEqual(t, s.Idle, 2)
	assert.Zero(t, s.ColdStarts)

	res := mustSucceed(t, eng, "warm", "x")
	assert.False(t, res.Cold, "a pre-initialized instance serves the first invocation")
	assert.Zero(t, res.InitDuration)
	assert.Zero(t, stats(t, eng, "warm").ColdStarts)
	require.Eventually(t, func() bool { return stats(t, eng, "warm").Idle >= 2 },
		5*time.Second, time.Millisecond, "the filler keeps the provisioned instances ready")

	t.Run("survives a redeploy", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "warm", Code: testguest.WATEcho(t), Description: "v2"})
		s := stats(t, eng, "warm")
		assert.GreaterOrEqual(t, s.Idle, 2, "Deploy returns once $LATEST's provisioned instances are ready")
		assert.Zero(t, s.ColdStarts)
	})
}

func TestThrottle(t *testing.T) {
	tests := []struct {
		name      string
		acquire   time.Duration
		throttled bool
	}{
		{name: "no wait", acquire: -1, throttled: true},
		{name: "wait shorter than the call", acquire: 100 * time.Millisecond, throttled: true},
		{name: "wait longer than the call", acquire: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{AcquireTimeout: tt.acquire})
			deploy(t, eng, engine.Function{Name: "one", Code: wat(t, "sleep")})
			reserve(t, eng, "one", 1)

			done := make(chan *engine.Result, 1)
			go func() {
				res, err := eng.Invoke(context.Background(), "one", []byte("500"))
				assert.NoError(t, err)
				done <- res
			}()
			require.Eventually(t, func() bool { return stats(t, eng, "one").Busy == 1 },
				10*time.Second, time.Millisecond)

			start := time.Now()
			res, err := eng.Invoke(context.Background(), "one", []byte("0"))
			elapsed := time.Since(start)
			if tt.throttled {
				require.ErrorIs(t, err, engine.ErrThrottled)
				assert.Nil(t, res)
				assert.Contains(t, err.Error(), "concurrency limit (1)")
				assert.GreaterOrEqual(t, elapsed, max(tt.acquire, 0))
				assert.Equal(t, uint64(1), stats(t, eng, "one").Throttles)
			} else {
				require.NoError(t, err)
				require.Nil(t, res.FunctionError)
				assert.Equal(t, "slept", string(res.Payload))
				assert.False(t, res.Cold, "the waiter gets the instance the first call freed")
				assert.Zero(t, stats(t, eng, "one").Throttles)
			}
			first := <-done
			require.NotNil(t, first)
			assert.Nil(t, first.FunctionError)
			assert.Equal(t, "slept", string(first.Payload))
			assert.Equal(t, uint64(1), stats(t, eng, "one").ColdStarts)
		})
	}
}

func TestConcurrentInvokesNeverShareAnInstance(t *testing.T) {
	const goroutines, calls = 8, 50
	eng := newEngine(t, engine.Config{AcquireTimeout: time.Minute})
	for _, reserved := range []int{0, 3} {
		t.Run(fmt.Sprintf("reserved concurrency %d", reserved), func(t *testing.T) {
			name := fmt.Sprintf("busy%d", reserved)
			deploy(t, eng, engine.Function{Name: name, Code: wat(t, "busy")})
			if reserved > 0 {
				reserve(t, eng, name, reserved)
			}
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range calls {
						res, err := eng.Invoke(context.Background(), name, nil)
						if !assert.NoError(t, err) {
							return
						}
						if !assert.Nil(t, res.FunctionError, "concurrent entry detected; logs:\n%s", res.Logs) {
							return
						}
						assert.Equal(t, "ok", string(res.Payload))
					}
				})
			}
			wg.Wait()
			s := stats(t, eng, name)
			assert.Equal(t, uint64(goroutines*calls), s.Invocations)
			assert.Zero(t, s.Errors)
			assert.Zero(t, s.Discarded)
			assert.Zero(t, s.Busy)
			assert.LessOrEqual(t, s.ColdStarts, uint64(goroutines))
			if reserved > 0 {
				assert.LessOrEqual(t, s.ColdStarts, uint64(reserved))
			}
		})
	}
}

func TestRedeployWhileInFlight(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "sleep")})
	old, err := eng.Function("fn")
	require.NoError(t, err)

	done := make(chan *engine.Result, 1)
	go func() {
		res, err := eng.Invoke(context.Background(), "fn", []byte("1000"))
		assert.NoError(t, err)
		done <- res
	}()
	require.Eventually(t, func() bool { return stats(t, eng, "fn").Busy == 1 }, 10*time.Second, time.Millisecond)

	info := deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	assert.NotEqual(t, old.CodeSHA256, info.CodeSHA256)
	res := mustSucceed(t, eng, "fn", "new code")
	assert.Equal(t, "new code", string(res.Payload), "new invocations run the new code")
	assert.True(t, res.Cold)
	select {
	case <-done:
		t.Fatal("the in-flight invocation was expected to outlast the redeploy")
	default:
	}

	inflight := <-done
	require.NotNil(t, inflight)
	require.Nil(t, inflight.FunctionError, "the in-flight invocation finishes on the old code")
	assert.Equal(t, "slept", string(inflight.Payload))
	assert.Equal(t, uint64(1), stats(t, eng, "fn").Invocations, "counters are per version")
}

func TestLogs(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "logs", Code: wat(t, "logs")})

	for i := range 2 {
		start := time.Now().UTC().Truncate(time.Millisecond)
		res := mustSucceed(t, eng, "logs", "")
		end := time.Now().UTC()
		lines := parseLogs(t, res.Logs)

		want := []struct{ level, msg string }{
			{"DEBUG", "debug line"},
			{"INFO", "info line"},
			{"WARN", "first\rsecond\rthird"}, // one message stays one line
			{"ERROR", "error line"},
			{"STDOUT", "to stdout"},
			{"STDERR", "to stderr"},
			{"STDERR", "unterminated"}, // flushed at the end of the invocation
		}
		require.Len(t, lines, len(want), "invocation %d; logs:\n%s", i, res.Logs)
		for j, w := range want {
			assert.Equal(t, w.level, lines[j].Level)
			assert.Equal(t, w.msg, lines[j].Message)
			assert.Equal(t, res.RequestID, lines[j].RequestID)
			assert.False(t, lines[j].Time.Before(start), "line time %v is after the call started at %v", lines[j].Time, start)
			assert.False(t, lines[j].Time.After(end))
		}
	}
}

func TestLogsTruncated(t *testing.T) {
	const limit = 1024
	eng := newEngine(t, engine.Config{MaxLogBytes: limit})
	deploy(t, eng, engine.Function{Name: "logs", Code: wat(t, "logs")})

	res := mustSucceed(t, eng, "logs", "flood")
	lines := parseLogs(t, res.Logs)
	require.GreaterOrEqual(t, len(lines), 2)
	last := lines[len(lines)-1]
	assert.Contains(t, last.Message, "log truncated")
	assert.Equal(t, res.RequestID, last.RequestID)
	for _, l := range lines[:len(lines)-1] {
		assert.Equal(t, "INFO", l.Level)
		assert.Len(t, l.Message, 64)
	}
	kept := bytes.LastIndexByte(res.Logs[:len(res.Logs)-1], '\n') + 1 // all but the marker line
	assert.LessOrEqual(t, kept, limit, "what is kept fits the limit")
	assert.Greater(t, kept, limit-200, "the log is filled up to the limit")

	res = mustSucceed(t, eng, "logs", "")
	assert.Len(t, parseLogs(t, res.Logs), 7, "the next invocation starts with an empty log")
	assert.NotContains(t, string(res.Logs), "log truncated")
}

func TestLifecycleHooks(t *testing.T) {
	logger, engineLog := debugLogger()
	eng := newEngine(t, engine.Config{Logger: logger})

	t.Run("init logs come with the first invocation", func(t *testing.T) {
		for _, minIdle := range []int{0, 1} {
			name := fmt.Sprintf("life%d", minIdle)
			deploy(t, eng, engine.Function{Name: name, Code: wat(t, "lifecycle")})
			if minIdle > 0 {
				provision(t, eng, name, engine.LatestVersion, minIdle)
			}

			first := mustSucceed(t, eng, name, "")
			assert.Equal(t, minIdle == 0, first.Cold)
			lines := parseLogs(t, first.Logs)
			require.Len(t, lines, 3, "logs:\n%s", first.Logs)
			assert.Equal(t, "reactor init ran", lines[0].Message)
			assert.Equal(t, "init hook ran", lines[1].Message)
			assert.Equal(t, "handler ran", lines[2].Message)
			for _, l := range lines[:2] {
				assert.Equal(t, "-", l.RequestID, "init runs before any request")
			}
			assert.Equal(t, first.RequestID, lines[2].RequestID)

			if minIdle > 0 {
				// The filler is replacing the instance taken: which one the
				// next call gets depends on timing.
				continue
			}
			second := mustSucceed(t, eng, name, "")
			lines = parseLogs(t, second.Logs)
			require.Len(t, lines, 1)
			assert.Equal(t, "handler ran", lines[0].Message)
			assert.Equal(t, second.RequestID, lines[0].RequestID)
		}
	})

	t.Run("shutdown hook runs on Remove", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "removed", Code: wat(t, "lifecycle")})
		mustSucceed(t, eng, "removed", "")
		assert.NotContains(t, engineLog.String(), "shutdown hook ran")
		require.NoError(t, eng.Remove(context.Background(), "removed"))
		assert.Contains(t, engineLog.String(), "shutdown hook ran")
		assert.Contains(t, engineLog.String(), "function=removed")
	})

	t.Run("shutdown hook runs on Close", func(t *testing.T) {
		logger, engineLog := debugLogger()
		eng := newEngine(t, engine.Config{Logger: logger})
		deploy(t, eng, engine.Function{Name: "closed", Code: wat(t, "lifecycle")})
		provision(t, eng, "closed", engine.LatestVersion, 2)
		require.NoError(t, eng.Close(context.Background()))
		assert.Equal(t, 2, strings.Count(engineLog.String(), "shutdown hook ran"), "each instance runs its hook")
	})

	t.Run("shutdown hook runs on idle retirement", func(t *testing.T) {
		logger, engineLog := debugLogger()
		eng := newEngine(t, engine.Config{Logger: logger, IdleTTL: 20 * time.Millisecond})
		deploy(t, eng, engine.Function{Name: "idle", Code: wat(t, "lifecycle")})
		mustSucceed(t, eng, "idle", "")
		require.Eventually(t, func() bool { return stats(t, eng, "idle").Retired == 1 }, 5*time.Second, 5*time.Millisecond)
		assert.Zero(t, stats(t, eng, "idle").Idle)
		require.Eventually(t, func() bool { return strings.Contains(engineLog.String(), "shutdown hook ran") },
			5*time.Second, 5*time.Millisecond)
	})

	t.Run("no shutdown hook for a discarded instance", func(t *testing.T) {
		logger, engineLog := debugLogger()
		eng := newEngine(t, engine.Config{Logger: logger})
		deploy(t, eng, engine.Function{Name: "t", Code: wat(t, "unreachable")})
		require.NotNil(t, invoke(t, eng, "t", "trap").FunctionError)
		require.NoError(t, eng.Close(context.Background()))
		assert.NotContains(t, engineLog.String(), "shutdown hook ran")
	})
}

func TestSingleUse(t *testing.T) {
	logger, engineLog := debugLogger()
	eng := newEngine(t, engine.Config{Logger: logger, NoRecycle: true})
	info := deploy(t, eng, engine.Function{Name: "once", Code: wat(t, "lifecycle"), SingleUse: true})
	assert.True(t, info.SingleUse)
	for i := range 3 {
		res := mustSucceed(t, eng, "once", "")
		assert.True(t, res.Cold, "invocation %d runs on a fresh instance", i)
		assert.Len(t, parseLogs(t, res.Logs), 3, "each instance runs its init")
	}
	// The pool's filler retires single-use instances after the response.
	settled(t, eng, "once")
	s := stats(t, eng, "once")
	assert.Equal(t, uint64(3), s.ColdStarts)
	assert.Equal(t, uint64(3), s.Retired)
	assert.Zero(t, s.Discarded)
	assert.Zero(t, s.Idle)
	assert.Equal(t, 3, strings.Count(engineLog.String(), "shutdown hook ran"), "a retired instance is healthy: its hook runs")
}

func TestEngineLifecycle(t *testing.T) {
	ctx := context.Background()
	echo := testguest.WATEcho(t)

	t.Run("not found", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "echo", Code: echo})
		for _, name := range []string{"nope", "nope:$LATEST", "echo:1", "echo:live", "echo:"} {
			_, err := eng.Invoke(ctx, name, nil)
			assert.ErrorIs(t, err, engine.ErrFunctionNotFound, name)
		}
		_, err := eng.Stats("nope")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		_, err = eng.Function("nope")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		assert.ErrorIs(t, eng.Remove(ctx, "nope"), engine.ErrFunctionNotFound)
	})

	t.Run("qualified $LATEST", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "echo", Code: echo})
		res := mustSucceed(t, eng, "echo:$LATEST", "latest")
		assert.Equal(t, "latest", string(res.Payload))
		assert.Equal(t, "$LATEST", res.Version)
		info, err := eng.Function("echo:$LATEST")
		require.NoError(t, err)
		assert.Equal(t, "echo", info.Name)
	})

	t.Run("function info", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		env := map[string]string{"KEY": "value"}
		deploy(t, eng, engine.Function{Name: "b", Code: echo, Env: env, MemoryMB: 16, Timeout: time.Second})
		deploy(t, eng, engine.Function{Name: "a", Code: echo})
		env["KEY"] = "changed after deploy"

		infos := eng.Functions()
		require.Len(t, infos, 2)
		assert.Equal(t, "a", infos[0].Name)
		assert.Equal(t, "b", infos[1].Name)
		b := infos[1]
		assert.Equal(t, "handle", b.Handler)
		assert.Equal(t, 16, b.MemoryMB)
		assert.Equal(t, time.Second, b.Timeout)
		assert.Len(t, b.CodeSHA256, 64)
		assert.Equal(t, len(echo), b.CodeSize)
		assert.Equal(t, "$LATEST", b.Version)
		assert.Equal(t, engine.DefaultTimeout, infos[0].Timeout)
		assert.Equal(t, engine.DefaultMemoryMB, infos[0].MemoryMB)
		assert.Equal(t, "value", b.Env["KEY"], "Deploy keeps its own copy of Env")
		b.Env["KEY"] = "changed in the info"
		again, err := eng.Function("b")
		require.NoError(t, err)
		assert.Equal(t, "value", again.Env["KEY"], "FunctionInfo.Env is a copy")
	})

	t.Run("remove", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "echo", Code: echo})
		mustSucceed(t, eng, "echo", "x")
		require.NoError(t, eng.Remove(ctx, "echo"))
		_, err := eng.Invoke(ctx, "echo", nil)
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
		assert.Empty(t, eng.Functions())
		assert.ErrorIs(t, eng.Remove(ctx, "echo"), engine.ErrFunctionNotFound)
		deploy(t, eng, engine.Function{Name: "echo", Code: echo})
		assert.Equal(t, "back", string(mustSucceed(t, eng, "echo", "back").Payload))
	})

	t.Run("close", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "echo", Code: echo})
		provision(t, eng, "echo", engine.LatestVersion, 1)
		mustSucceed(t, eng, "echo", "x")
		require.NoError(t, eng.Close(ctx))
		require.NoError(t, eng.Close(ctx), "Close is idempotent")

		_, err := eng.Invoke(ctx, "echo", nil)
		assert.ErrorIs(t, err, engine.ErrClosed)
		_, err = eng.Deploy(ctx, engine.Function{Name: "echo", Code: echo})
		assert.ErrorIs(t, err, engine.ErrClosed)
		assert.Empty(t, eng.Functions())
	})

	t.Run("close waits for an invocation in flight", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "sleep", Code: wat(t, "sleep")})
		done := make(chan *engine.Result, 1)
		go func() {
			res, err := eng.Invoke(ctx, "sleep", []byte("300"))
			assert.NoError(t, err)
			done <- res
		}()
		require.Eventually(t, func() bool { return stats(t, eng, "sleep").Busy == 1 }, 10*time.Second, time.Millisecond)
		require.NoError(t, eng.Close(ctx))
		res := <-done
		require.NotNil(t, res)
		assert.Nil(t, res.FunctionError, "Close lets the invocation in flight finish")
		assert.Equal(t, "slept", string(res.Payload))
	})
}

// TestMemoryNotReusedDirty checks that an instance never sees what an
// earlier instance (of the same function or another) left in its linear
// memory, although released memories are reused.
func TestMemoryNotReusedDirty(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	code := wat(t, "residue")
	deploy(t, eng, engine.Function{Name: "writer", Code: code, MemoryMB: 8, SingleUse: true})
	deploy(t, eng, engine.Function{Name: "reader", Code: code, MemoryMB: 8, SingleUse: true})
	for i := range 20 {
		require.Equal(t, "ok", string(mustSucceed(t, eng, "writer", "write").Payload), "round %d", i)
		require.Equal(t, "clean", string(mustSucceed(t, eng, "reader", "read").Payload), "round %d", i)
		require.Equal(t, "clean", string(mustSucceed(t, eng, "writer", "read").Payload), "round %d", i)
	}
}

// failingQueueStore is a store whose queues cannot be opened: New fails at
// its last step, starting the async workers, after loading functions.
type failingQueueStore struct{ store.Store }

func (failingQueueStore) Queue(string) (store.Queue, error) {
	return nil, errors.New("injected: the queue cannot be opened")
}

// TestNewUndoesWhatItDidOnFailure checks that a New that fails after
// loading functions leaves nothing behind: provisioned instances' fillers
// were started by then, and must be stopped.
func TestNewUndoesWhatItDidOnFailure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := newEngine(t, engine.Config{DataDir: dir})
	deploy(t, eng, engine.Function{Name: "warm", Code: wat(t, "lifecycle")})
	provision(t, eng, "warm", engine.LatestVersion, 2)
	require.NoError(t, eng.Close(ctx))

	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	_, err = engine.New(ctx, engine.Config{Store: failingQueueStore{st}, CompilationCacheDir: testguest.CacheDir(t)})
	require.ErrorContains(t, err, "injected: the queue cannot be opened")
}
