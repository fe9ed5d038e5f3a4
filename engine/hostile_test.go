package engine_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hostile-guest corpus (guest-examples/hostile/corpus, README.md there
// lists every attack) is run by TestHostile: one subtest per attack, named
// after its corpus file (or, for a module too big to commit, after the Go
// function that builds it). Each deploys the attack beside a well-behaved
// neighbour on an engine of its own, runs it, and checks
//
//   - what must happen: a typed error (errors.Is against the engine's
//     sentinels, errors.As for a *ModuleError) or a given response;
//   - that the host did not panic (a panic in a host function would surface
//     as a trap naming a Go runtime error);
//   - that the engine is healthy afterwards: nothing is left busy, the
//     neighbour answers, and the attacking function answers its probe.
//
// The probe: every deployable corpus module answers an empty payload with
// "clean", or "dirty" when an earlier attack left its marks (a global and a
// byte of memory) on the instance. After an attack that crashed the
// instance the probe must say "clean": the broken instance was discarded
// or reset, never reused as it was. After an attack the instance survived
// it must say "dirty": the same instance was kept, as it should be.

// Probe answers (see above).
const (
	probeClean = "clean" // a fresh instance: the attacked one was not reused
	probeDirty = "dirty" // the attacked instance survived and was reused
	// probeInitFails: every instance fails its init, so there is nothing to
	// probe; the attack must fail again, as a new init.
	probeInitFails = "init fails"
)

const (
	hostileTimeout     = 200 * time.Millisecond // the attacking function's Timeout
	hostileInitTimeout = 300 * time.Millisecond
	hostileDepth       = 3 // MaxInvokeDepth
	hostileMaxResponse = 1 << 20
	hostileMaxLog      = 64 << 10
)

// hostileCase is one attack.
type hostileCase struct {
	name string
	// code builds the module; nil: the corpus file name.wasm.
	code func(t testing.TB) []byte
	// config, function and settings adjust the engine's configuration,
	// the function's and its settings.
	config   func(*engine.Config)
	function func(*engine.Function)
	settings func(*engine.Settings)

	// refused, when set, is what the *ModuleError refusing the module at
	// deploy must say; the attack then goes no further.
	refused string

	// payload is the attack's payload ("attack" unless set).
	payload string
	// run replaces invoking the attack with payload; it returns the
	// result to check, or nil when it checked everything itself.
	run func(t *testing.T, eng *engine.Engine) *engine.Result

	// causes: the FunctionError unwraps to every one; with none the
	// invocation must succeed, with response want when it is set.
	causes  []error
	typ     string // FunctionError.Type
	message string // in FunctionError.Message
	want    string // the response, when it succeeds
	check   func(t *testing.T, eng *engine.Engine, res *engine.Result)

	// after is the probe's answer once the attack is over: probeClean,
	// probeDirty or probeInitFails; empty: no probe.
	after string
}

// corpusModule returns guest-examples/hostile/corpus/name.wasm.
func corpusModule(t testing.TB, name string) []byte {
	t.Helper()
	return testguest.File(t, filepath.Join("guest-examples", "hostile", "corpus", name+".wasm"))
}

// errnoList is n host-call results of -code, as the bounds modules write
// them.
func errnoList(n int, code abi.Errno) string {
	var b []byte
	for range n {
		b = binary.LittleEndian.AppendUint32(b, uint32(-int32(code)))
	}
	return string(b)
}

func le32(vs ...int32) string {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return string(b)
}

// boundsCalls is how many calls the abi_* bounds modules make.
const boundsCalls = 21

func hostileCases(t testing.TB) []hostileCase {
	trap := []error{engine.ErrTrap}
	initTimeout := []error{engine.ErrInitFailed, engine.ErrTimeout}
	allowSelf := func(f *engine.Function) {
		f.Policy = capPolicy(t, capAllow("fn:Invoke", "fn:attack"))
		f.Timeout = 5 * time.Second
	}
	return []hostileCase{
		// The handler runs forever or crashes.
		{name: "handler_loop", causes: []error{engine.ErrTimeout}, typ: engine.ErrorTypeTimeout,
			message: "invocation timed out after 0.20 seconds", after: probeClean},
		{name: "handler_loop_hostcalls", causes: []error{engine.ErrTimeout}, typ: engine.ErrorTypeTimeout,
			after: probeClean, check: checkLogCapped},
		{name: "recursion", causes: trap, typ: engine.ErrorTypeTrap, message: "stack overflow", after: probeClean,
			// Growing the stack to wazero's ceiling takes seconds under -race.
			function: func(f *engine.Function) { f.Timeout = 20 * time.Second }},
		{name: "unreachable", causes: trap, typ: engine.ErrorTypeTrap, message: "unreachable", after: probeClean},
		{name: "div_zero", causes: trap, typ: engine.ErrorTypeTrap, message: "integer divide by zero", after: probeClean},
		{name: "int_overflow", causes: trap, typ: engine.ErrorTypeTrap, message: "integer overflow", after: probeClean},
		{name: "oob_memory", causes: trap, typ: engine.ErrorTypeTrap, message: "out of bounds memory access", after: probeClean},
		{name: "null_call_indirect", causes: trap, typ: engine.ErrorTypeTrap, message: "invalid table access", after: probeClean},
		{name: "bad_status", causes: trap, typ: engine.ErrorTypeTrap, message: "unknown status 7", after: probeClean},
		{name: "proc_exit", causes: []error{engine.ErrExit}, typ: engine.ErrorTypeExit, message: "exit status 3", after: probeClean},
		{name: "wasi_sleep", code: func(t testing.TB) []byte { return wat(t, "sleep") }, payload: "3600000",
			causes: []error{engine.ErrTimeout}, typ: engine.ErrorTypeTimeout},

		// Memory and tables.
		{name: "memory_grow_loop", causes: []error{engine.ErrMemoryLimit}, typ: engine.ErrorTypeMemory,
			message: "memory limit of 16 MB", after: probeClean,
			check: func(t *testing.T, _ *engine.Engine, res *engine.Result) {
				assert.LessOrEqual(t, res.MemoryUsed, uint64(16<<20), "memory never grew past MemoryMB")
			}},
		{name: "memory_grow_huge", want: "refused", after: probeDirty},
		// One grow of a million entries fits under wasmbin.MaxTableEntries; the
		// second is refused.
		{name: "table_grow_loop", want: le32(1 + 1_000_000), after: probeDirty,
			check: func(t *testing.T, _ *engine.Engine, _ *engine.Result) {
				assert.Greater(t, 1+2*1_000_000, wasmbin.MaxTableEntries, "the second grow passes the cap")
			}},

		// Init, start and shutdown.
		{name: "init_loop", causes: initTimeout, typ: engine.ErrorTypeInit, message: "init timed out", after: probeInitFails},
		{name: "initialize_loop", causes: initTimeout, typ: engine.ErrorTypeInit, message: "init timed out", after: probeInitFails},
		{name: "start_loop", causes: initTimeout, typ: engine.ErrorTypeInit, message: "init timed out", after: probeInitFails},
		{name: "init_trap", causes: []error{engine.ErrInitFailed, engine.ErrTrap}, typ: engine.ErrorTypeInit,
			message: "unreachable", after: probeInitFails},
		{name: "start_trap", causes: []error{engine.ErrInitFailed, engine.ErrTrap}, typ: engine.ErrorTypeInit,
			message: "integer divide by zero", after: probeInitFails},
		{name: "init_exit", causes: []error{engine.ErrInitFailed, engine.ErrExit}, typ: engine.ErrorTypeInit,
			message: "exit status 1", after: probeInitFails},
		{name: "shutdown_loop", run: runShutdownLoop},
		{name: "init_abi", want: le32(-int32(abi.ErrnoState), -int32(abi.ErrnoState), -int32(abi.ErrnoState), 0,
			-int32(abi.ErrnoState), -1)},

		// The ABI and WASI given hostile pointers and lengths.
		{name: "abi_out_of_bounds", want: errnoList(boundsCalls, abi.ErrnoBounds), after: probeDirty, check: checkNoDenial},
		{name: "abi_wraparound", want: errnoList(boundsCalls, abi.ErrnoBounds), after: probeDirty, check: checkNoDenial},
		{name: "abi_enormous", want: errnoList(boundsCalls, abi.ErrnoBounds), after: probeDirty, check: checkNoDenial},
		{name: "abi_overlap", payload: "abcd", want: le32(4, 0, 4, 4, 0) + "aabcd" + "abcd", after: probeDirty,
			function: func(f *engine.Function) {
				f.Policy = capPolicy(t, capAllow("kv:*", "kv:s/*"))
			}},
		{name: "wasi_bounds", want: le32(21, 21, 21, 21, 21, 21, 21, 21), after: probeDirty},

		// Floods.
		{name: "output_flood", causes: []error{engine.ErrResponseTooLarge}, typ: engine.ErrorTypeResponseTooLarge,
			message: "1048576 bytes", after: probeDirty},
		{name: "log_flood", after: probeDirty, check: checkLogCapped},
		{name: "stdout_flood", after: probeDirty, check: checkLogCapped},

		// Re-entrancy and invocation storms.
		{name: "reenter_self", function: allowSelf, after: probeDirty,
			check: checkChain(hostileDepth, abi.ErrnoLimit)},
		{name: "reenter_self_one_instance", code: func(t testing.TB) []byte { return corpusModule(t, "reenter_self") },
			function: allowSelf, settings: func(s *engine.Settings) { s.ReservedConcurrency = ptr(1) }, after: probeDirty,
			check: checkChain(0, abi.ErrnoUnavailable)},
		{name: "fanout_storm", function: allowSelf, want: le32(1<<(hostileDepth+1) - 1), after: probeDirty,
			check: func(t *testing.T, eng *engine.Engine, _ *engine.Result) {
				assert.Equal(t, uint64(1<<(hostileDepth+1)-1), stats(t, eng, "attack").Invocations,
					"the storm stops at MaxInvokeDepth")
			}},
		{name: "async_storm", code: func(t testing.TB) []byte { return corpusModule(t, "fanout_storm") },
			function: allowSelf, run: runAsyncStorm, after: probeDirty},

		// Modules the host must refuse, or run within bounds.
		{name: "huge_memory", refused: "declares 65536 pages (4194304 KiB) of initial memory"},
		{name: "huge_table", refused: "its tables declare 100000000 entries, over the host's limit of 1048576"},
		{name: "data_wrap", causes: []error{engine.ErrInitFailed, engine.ErrTrap}, typ: engine.ErrorTypeInit,
			message: "out of bounds memory access", after: probeInitFails},
		{name: "import_unknown_module", refused: `imports func "env"."system"`},
		{name: "invalid_types", refused: "handle"},
		{name: "many_functions", code: manyFunctions, want: le32(manyFunctionsCount)},
		{name: "huge_data", code: hugeData, refused: "data segments write up to byte"},
		{name: "malformed", run: runMalformed},
	}
}

func TestHostile(t *testing.T) {
	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			runHostile(t, tc)
		})
	}
}

func runHostile(t *testing.T, tc hostileCase) {
	cfg := engine.Config{
		InitTimeout:      hostileInitTimeout,
		ShutdownTimeout:  hostileInitTimeout,
		MaxInvokeDepth:   hostileDepth,
		MaxResponseBytes: hostileMaxResponse,
		MaxLogBytes:      hostileMaxLog,
		AcquireTimeout:   hostileInitTimeout,
	}
	if tc.config != nil {
		tc.config(&cfg)
	}
	eng := newEngine(t, cfg)
	deploy(t, eng, engine.Function{Name: "neighbour", Code: testguest.WATEcho(t)})
	neighbourOK := func() {
		t.Helper()
		assert.Equal(t, "still here", string(mustSucceed(t, eng, "neighbour", "still here").Payload),
			"the neighbour answers")
	}
	defer neighbourOK()
	if tc.run != nil && tc.code == nil && tc.function == nil {
		if res := tc.run(t, eng); res != nil {
			t.Fatal("a run without a module checks everything itself")
		}
		return
	}

	var code []byte
	if tc.code != nil {
		code = tc.code(t)
	} else {
		code = corpusModule(t, tc.name)
	}
	// Attacks that must time out get a short timeout; the others a long
	// one, so that a slow machine (the race detector) cannot fail them.
	timeout := 5 * time.Second
	if slices.Contains(tc.causes, engine.ErrTimeout) {
		timeout = hostileTimeout
	}
	f := engine.Function{Name: "attack", Code: code, Timeout: timeout, MemoryMB: 16}
	if tc.function != nil {
		tc.function(&f)
	}
	_, err := eng.Deploy(context.Background(), f)
	if tc.refused != "" {
		require.Error(t, err, "the module is refused at deploy")
		assert.ErrorIs(t, err, engine.ErrInvalidModule)
		var me *engine.ModuleError
		require.ErrorAs(t, err, &me)
		assert.Contains(t, me.Reason, tc.refused)
		_, err = eng.Function("attack")
		assert.ErrorIs(t, err, engine.ErrFunctionNotFound, "nothing of a refused module is deployed")
		return
	}
	require.NoError(t, err)
	if tc.settings != nil {
		updateSettings(t, eng, "attack", tc.settings)
	}

	var res *engine.Result
	start := time.Now()
	if tc.run != nil {
		res = tc.run(t, eng)
	} else {
		res = invoke(t, eng, "attack", cmp.Or(tc.payload, "attack"))
	}
	assert.Less(t, time.Since(start), 10*time.Second, "the attack is stopped promptly")
	if res != nil {
		checkHostileResult(t, tc, res)
		if tc.check != nil {
			tc.check(t, eng, res)
		}
	}

	s := stats(t, eng, "attack")
	assert.Zero(t, s.Busy, "no instance is left busy")
	switch tc.after {
	case probeClean, probeDirty:
		for range 2 {
			probe := mustSucceed(t, eng, "attack", "")
			assert.Equal(t, tc.after, string(probe.Payload), "the probe after the attack")
		}
	case probeInitFails:
		again := invoke(t, eng, "attack", "")
		require.NotNil(t, again.FunctionError, "a new instance fails its init again")
		assert.ErrorIs(t, again.FunctionError, engine.ErrInitFailed)
		assert.True(t, again.Cold, "no instance whose init failed is kept")
		s := stats(t, eng, "attack")
		assert.Equal(t, uint64(2), s.InitErrors)
		assert.Zero(t, s.Idle+s.Busy)
	}
}

// checkHostileResult checks a result against the case's expectations, and
// that nothing in it betrays a panic of the host.
func checkHostileResult(t *testing.T, tc hostileCase, res *engine.Result) {
	t.Helper()
	for _, s := range []string{"runtime error", "goroutine ", "panic:"} {
		assert.NotContains(t, string(res.Logs), s, "the host did not panic")
		if res.FunctionError != nil {
			assert.NotContains(t, res.FunctionError.Message, s, "the host did not panic")
		}
	}
	if len(tc.causes) == 0 {
		require.Nil(t, res.FunctionError, "the attack is survived; logs:\n%.2000s", res.Logs)
		if tc.want != "" {
			assert.Equal(t, tc.want, string(res.Payload))
		}
		return
	}
	fe := res.FunctionError
	require.NotNil(t, fe, "the attack fails (payload %q)", res.Payload)
	for _, c := range tc.causes {
		assert.ErrorIs(t, fe, c)
	}
	var typed *engine.FunctionError
	assert.ErrorAs(t, res.Err(), &typed)
	assert.True(t, fe.Unhandled)
	if tc.typ != "" {
		assert.Equal(t, tc.typ, fe.Type)
	}
	assert.Contains(t, fe.Message, tc.message)
	assert.Nil(t, res.Payload)
}

// checkLogCapped checks that a flood of log lines stayed within
// MaxLogBytes and says it was cut.
func checkLogCapped(t *testing.T, _ *engine.Engine, res *engine.Result) {
	t.Helper()
	assert.LessOrEqual(t, len(res.Logs), hostileMaxLog+256, "the log is capped")
	lines := parseLogs(t, res.Logs)
	require.NotEmpty(t, lines)
	last := lines[len(lines)-1]
	assert.Equal(t, "FLINT", last.Level)
	assert.Contains(t, last.Message, "log truncated: ")
	assert.Contains(t, last.Message, "bytes dropped")
}

// checkNoDenial checks that out-of-range arguments were refused before
// the policy was asked: no denial counted.
func checkNoDenial(t *testing.T, eng *engine.Engine, res *engine.Result) {
	t.Helper()
	assert.Zero(t, stats(t, eng, "attack").Denials, "ranges are checked before the policy")
	assert.NotContains(t, string(res.Logs), "denied")
}

// checkChain decodes reenter_self's nested responses: levels successful
// nested calls, then one that failed with code.
func checkChain(levels int, code abi.Errno) func(t *testing.T, eng *engine.Engine, res *engine.Result) {
	return func(t *testing.T, eng *engine.Engine, res *engine.Result) {
		out := res.Payload
		assert.NotContains(t, string(out), "REENTERED", "no nested call ran on a busy instance")
		got := 0
		for {
			require.GreaterOrEqual(t, len(out), 4, "%q", out)
			r := int32(binary.LittleEndian.Uint32(out))
			if r < 0 {
				assert.Equal(t, -int32(code), r, "the chain ends with %v", code)
				break
			}
			got++
			require.LessOrEqual(t, got, levels, "the chain is no deeper than allowed")
			out = out[4:]
		}
		assert.Equal(t, levels, got)
		assert.Equal(t, uint64(levels+1), stats(t, eng, "attack").Invocations)
	}
}

// runShutdownLoop: a shutdown hook that never returns must not hold up
// Remove past ShutdownTimeout.
func runShutdownLoop(t *testing.T, eng *engine.Engine) *engine.Result {
	f := engine.Function{Name: "attack", Code: corpusModule(t, "shutdown_loop"), Timeout: hostileTimeout}
	deploy(t, eng, f)
	assert.Equal(t, "clean", string(mustSucceed(t, eng, "attack", "").Payload))
	// A redeploy retires the instance in the background; Remove waits.
	deploy(t, eng, f)
	assert.Equal(t, "clean", string(mustSucceed(t, eng, "attack", "").Payload))
	start := time.Now()
	require.NoError(t, eng.Remove(context.Background(), "attack"))
	// The hook never returns: finishing at all shows it was cut short; the
	// margin is for a loaded machine.
	assert.Less(t, time.Since(start), hostileInitTimeout+10*time.Second, "the shutdown hook was cut short")
	return nil
}

// runAsyncStorm queues many asynchronous invocations of fanout_storm at
// once: each runs its bounded storm, the queue drains, nothing is lost or
// left busy.
func runAsyncStorm(t *testing.T, eng *engine.Engine) *engine.Result {
	const events = 20
	per := uint64(1<<(hostileDepth+1) - 1)
	for range events {
		_, err := eng.InvokeAsync(context.Background(), "attack", []byte("attack"))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		m := eng.Metrics(context.Background())
		return m.Async.Depth == 0 && stats(t, eng, "attack").Invocations >= events*per
	}, 30*time.Second, 10*time.Millisecond, "the queue drains")
	m := eng.Metrics(context.Background())
	assert.Equal(t, events*per, stats(t, eng, "attack").Invocations, "every storm stopped at MaxInvokeDepth")
	assert.Zero(t, m.Async.DeadLetters)
	return invoke(t, eng, "attack", "attack")
}

// runMalformed deploys truncated and corrupted copies of every corpus
// module: each is refused with a typed error or, when the corruption
// happens to leave a valid module, runs to a result like any other.
func runMalformed(t *testing.T, eng *engine.Engine) *engine.Result {
	dir := filepath.Join(testguest.Root(t), "guest-examples", "hostile", "corpus")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(8, 8))
	tried := 0
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".wasm" {
			continue
		}
		orig, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		var variants [][]byte
		for _, n := range []int{0, 4, 8, 9, len(orig) / 2, len(orig) - 1} {
			variants = append(variants, orig[:n])
		}
		for range 6 {
			b := bytes.Clone(orig)
			b[8+rng.IntN(len(b)-8)] ^= byte(1 + rng.IntN(255))
			variants = append(variants, b)
		}
		for i, code := range variants {
			tried++
			_, err := eng.Deploy(context.Background(), engine.Function{Name: "malformed", Code: code,
				Timeout: hostileTimeout, MemoryMB: 16})
			if err != nil {
				require.ErrorIs(t, err, engine.ErrInvalidModule, "%s variant %d", e.Name(), i)
				continue
			}
			res, err := eng.Invoke(context.Background(), "malformed", []byte("attack"))
			require.NoError(t, err, "%s variant %d", e.Name(), i)
			if fe := res.FunctionError; fe != nil && fe.Unhandled {
				assert.True(t, slices.ContainsFunc([]error{engine.ErrTrap, engine.ErrTimeout, engine.ErrExit,
					engine.ErrMemoryLimit, engine.ErrInitFailed, engine.ErrResponseTooLarge},
					func(c error) bool { return errors.Is(fe, c) }),
					"%s variant %d: a typed failure: %v", e.Name(), i, fe)
			}
			require.NoError(t, eng.Remove(context.Background(), "malformed"))
		}
	}
	assert.Greater(t, tried, 300)
	return nil
}

// manyFunctionsCount is how many functions manyFunctions declares.
const manyFunctionsCount = 10_000

// manyFunctions builds a module of manyFunctionsCount small functions,
// each calling the one before it and adding one: the handler calls the
// last and answers the sum (manyFunctionsCount), as a little-endian i32.
func manyFunctions(testing.TB) []byte {
	const fillers = 3 // function index of the first filler: output_write, the marker, handle
	var code [][]byte
	code = append(code, []byte{0x0b}) // flint_abi_version_1
	// handle: i32.store(0, call last filler); output_write(0, 4); drop; 0
	handle := []byte{0x41, 0x00, 0x10}
	handle = append(handle, uleb(fillers+manyFunctionsCount-1)...)
	handle = append(handle, 0x36, 0x02, 0x00, 0x41, 0x00, 0x41, 0x04, 0x10, 0x00, 0x1a, 0x41, 0x00, 0x0b)
	code = append(code, handle)
	code = append(code, []byte{0x41, 0x01, 0x0b}) // the first filler: 1
	for i := 1; i < manyFunctionsCount; i++ {
		body := append([]byte{0x10}, uleb(uint64(fillers+i-1))...) // call the previous
		code = append(code, append(body, 0x41, 0x01, 0x6a, 0x0b))  // i32.const 1, i32.add
	}
	funcs := uleb(uint64(2 + manyFunctionsCount))
	funcs = append(funcs, 1, 2)
	for range manyFunctionsCount {
		funcs = append(funcs, 3)
	}
	return wasmModule(
		wasmSection(1, wasmVec( // types
			[]byte{0x60, 2, 0x7f, 0x7f, 1, 0x7f}, // 0: (i32, i32) -> i32
			[]byte{0x60, 0, 0},                   // 1: () -> ()
			[]byte{0x60, 1, 0x7f, 1, 0x7f},       // 2: (i32) -> i32
			[]byte{0x60, 0, 1, 0x7f},             // 3: () -> i32
		)),
		wasmSection(2, wasmVec(append(append(wasmName("flint"), wasmName("output_write")...), 0x00, 0))),
		wasmSection(3, funcs),
		wasmSection(5, wasmVec([]byte{0x00, 1})), // memory: 1 page
		wasmSection(7, wasmVec(
			append(wasmName("memory"), 0x02, 0),
			append(wasmName(abi.VersionExport), 0x00, 1),
			append(wasmName("handle"), 0x00, 2),
		)),
		wasmSection(10, wasmCode(code)),
	)
}

// hugeData builds a module whose one active data segment is 48 MiB, in a
// memory of one page.
func hugeData(testing.TB) []byte {
	seg := append([]byte{0x00, 0x41, 0x00, 0x0b}, uleb(48<<20)...) // memory 0, offset i32.const 0
	seg = append(seg, make([]byte, 48<<20)...)
	return wasmModule(
		wasmSection(1, wasmVec([]byte{0x60, 0, 0}, []byte{0x60, 1, 0x7f, 1, 0x7f})),
		wasmSection(3, wasmVec([]byte{0}, []byte{1})),
		wasmSection(5, wasmVec([]byte{0x00, 1})),
		wasmSection(7, wasmVec(
			append(wasmName("memory"), 0x02, 0),
			append(wasmName(abi.VersionExport), 0x00, 0),
			append(wasmName("handle"), 0x00, 1),
		)),
		wasmSection(10, wasmCode([][]byte{{0x0b}, {0x41, 0x00, 0x0b}})),
		wasmSection(11, wasmVec(seg)),
	)
}

// A minimal WebAssembly binary encoder, for modules too big to commit.

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wasmName(s string) []byte { return append(uleb(uint64(len(s))), s...) }

// wasmVec encodes a vector of already encoded entries.
func wasmVec(entries ...[]byte) []byte {
	b := uleb(uint64(len(entries)))
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

// wasmCode encodes the code section's bodies, each without locals.
func wasmCode(bodies [][]byte) []byte {
	b := uleb(uint64(len(bodies)))
	for _, body := range bodies {
		b = append(b, uleb(uint64(len(body)+1))...)
		b = append(b, 0) // no locals
		b = append(b, body...)
	}
	return b
}

func wasmSection(id byte, body []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(body)))...), body...)
}

func wasmModule(sections ...[]byte) []byte {
	b := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range sections {
		b = append(b, s...)
	}
	return b
}
