package peers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// flintModule is the import module of Flint's host ABI (abi/SPEC.md).
const flintModule = "flint"

// errInternal is the ABI's INTERNAL error code, negated, which the naive
// host returns from the ABI functions it does not implement.
const errInternal = -7

// Naive is a hand-rolled wazero host for a Flint guest: the module is
// compiled once; every Cold call instantiates it, runs its initializers,
// calls the handler and closes the instance. It implements the ABI's
// input_read, output_write, error_set, log, context_get and deadline_ms;
// every other import the module has answers INTERNAL. Its methods are safe
// for concurrent use.
type Naive struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	modCfg   wazero.ModuleConfig
	handler  string
	init     []string // the initializers the module exports, in order
}

// NewNaive compiles code on a new wazero runtime with WASI and a "flint"
// host module made for the module's imports. env is the guest's
// environment; handler the export called per request.
func NewNaive(ctx context.Context, code []byte, handler string, env map[string]string) (_ *Naive, err error) {
	rt := wazero.NewRuntime(ctx)
	defer func() {
		if err != nil {
			_ = rt.Close(ctx)
		}
	}()
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, fmt.Errorf("peers: WASI: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("peers: compile: %w", err)
	}
	if err := defineFlintHost(ctx, rt, compiled); err != nil {
		return nil, err
	}
	exports := compiled.ExportedFunctions()
	if _, ok := exports[handler]; !ok {
		return nil, fmt.Errorf("peers: the module exports no handler %q", handler)
	}
	n := &Naive{rt: rt, compiled: compiled, handler: handler}
	for _, name := range []string{"_initialize", "flint_init"} {
		if _, ok := exports[name]; ok {
			n.init = append(n.init, name)
		}
	}
	// Anonymous instances (no name), so that many can live at once; no
	// _start, as the guest is a reactor.
	n.modCfg = wazero.NewModuleConfig().WithName("").WithStartFunctions().
		WithSysWalltime().WithSysNanotime()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		n.modCfg = n.modCfg.WithEnv(k, env[k])
	}
	return n, nil
}

// Cold serves one request the naive way: instantiate, initialize, call,
// close.
func (n *Naive) Cold(ctx context.Context, payload []byte) ([]byte, error) {
	in, err := n.Instance(ctx)
	if err != nil {
		return nil, err
	}
	out, err := in.Call(payload)
	if cerr := in.Close(ctx); err == nil && cerr != nil {
		err = cerr
	}
	return out, err
}

// Instance creates and initializes an instance, to call many times.
func (n *Naive) Instance(ctx context.Context) (*NaiveInstance, error) {
	st := &callState{}
	ctx = context.WithValue(ctx, stateKey{}, st)
	mod, err := n.rt.InstantiateModule(ctx, n.compiled, n.modCfg)
	if err != nil {
		return nil, fmt.Errorf("peers: instantiate: %w", err)
	}
	for _, name := range n.init {
		res, err := mod.ExportedFunction(name).Call(ctx)
		if err == nil && name == "flint_init" && len(res) == 1 && api.DecodeI32(res[0]) != 0 {
			err = fmt.Errorf("returned %d: %s", api.DecodeI32(res[0]), st.errMsg)
		}
		if err != nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("peers: %s: %w", name, err)
		}
	}
	return &NaiveInstance{ctx: ctx, mod: mod, state: st, handle: mod.ExportedFunction(n.handler)}, nil
}

// Close releases the runtime and everything instantiated on it.
func (n *Naive) Close(ctx context.Context) error { return n.rt.Close(ctx) }

// NaiveInstance is one initialized instance; not safe for concurrent use.
type NaiveInstance struct {
	ctx    context.Context
	mod    api.Module
	state  *callState
	handle api.Function
}

// Call invokes the handler on payload and returns the response.
func (i *NaiveInstance) Call(payload []byte) ([]byte, error) {
	st := i.state
	st.input, st.output, st.errType, st.errMsg = payload, st.output[:0], "", ""
	res, err := i.handle.Call(i.ctx, uint64(len(payload)))
	if err != nil {
		return nil, fmt.Errorf("peers: handler: %w", err)
	}
	switch status := api.DecodeI32(res[0]); status {
	case 0:
		return slices.Clone(st.output), nil
	case 1:
		return nil, fmt.Errorf("peers: function error (%s): %s", st.errType, st.errMsg)
	default:
		return nil, fmt.Errorf("peers: handler returned status %d", status)
	}
}

// Close closes the instance.
func (i *NaiveInstance) Close(ctx context.Context) error { return i.mod.Close(ctx) }

// callState is what the host functions of one instance read and write.
type callState struct {
	input, output   []byte
	errType, errMsg string
}

type stateKey struct{}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// defineFlintHost instantiates the "flint" host module with the functions
// compiled imports from it, each with the signature the module declares.
func defineFlintHost(ctx context.Context, rt wazero.Runtime, compiled wazero.CompiledModule) error {
	b := rt.NewHostModuleBuilder(flintModule)
	imports := false
	for _, def := range compiled.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod != flintModule {
			continue
		}
		imports = true
		params, results := def.ParamTypes(), def.ResultTypes()
		fn := hostFunc(name, params, results)
		b.NewFunctionBuilder().WithGoModuleFunction(fn, params, results).Export(name)
	}
	if !imports {
		return nil
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("peers: host module: %w", err)
	}
	return nil
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc returns the implementation of one ABI import, or a stub that
// answers INTERNAL when the name or signature is not one the naive host
// implements.
func hostFunc(name string, params, results []api.ValueType) api.GoModuleFunc {
	sig := func(p, r []api.ValueType) bool { return slices.Equal(params, p) && slices.Equal(results, r) }
	ret := func(stack []uint64, v int32) { stack[0] = api.EncodeI32(v) }
	switch {
	case name == "input_read" && sig([]api.ValueType{i32, i32}, []api.ValueType{i32}):
		return func(ctx context.Context, m api.Module, stack []uint64) {
			st := stateOf(ctx)
			ptr, capacity := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
			if uint64(len(st.input)) <= uint64(capacity) && !m.Memory().Write(ptr, st.input) {
				ret(stack, -1)
				return
			}
			ret(stack, int32(len(st.input)))
		}
	case name == "output_write" && sig([]api.ValueType{i32, i32}, []api.ValueType{i32}):
		return func(ctx context.Context, m api.Module, stack []uint64) {
			b, ok := m.Memory().Read(api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
			if !ok {
				ret(stack, -1)
				return
			}
			st := stateOf(ctx)
			st.output = append(st.output, b...)
			ret(stack, 0)
		}
	case name == "error_set" && sig([]api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}):
		return func(ctx context.Context, m api.Module, stack []uint64) {
			t, ok1 := m.Memory().Read(api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
			msg, ok2 := m.Memory().Read(api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
			if !ok1 || !ok2 {
				ret(stack, -1)
				return
			}
			st := stateOf(ctx)
			st.errType, st.errMsg = string(t), string(msg)
			ret(stack, 0)
		}
	case name == "log" && sig([]api.ValueType{i32, i32, i32}, []api.ValueType{i32}),
		name == "context_get" && sig([]api.ValueType{i32, i32, i32}, []api.ValueType{i32}):
		return func(_ context.Context, _ api.Module, stack []uint64) { ret(stack, 0) }
	case name == "deadline_ms" && sig(nil, []api.ValueType{i64}):
		return func(_ context.Context, _ api.Module, stack []uint64) {
			stack[0] = api.EncodeI64(time.Now().Add(3 * time.Second).UnixMilli())
		}
	}
	return func(_ context.Context, _ api.Module, stack []uint64) {
		if len(results) > 0 {
			stack[0] = api.EncodeI64(errInternal)
			if results[0] == i32 {
				stack[0] = api.EncodeI32(errInternal)
			}
		}
	}
}
