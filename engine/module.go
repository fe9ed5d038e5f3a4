package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// module is a validated, compiled WebAssembly module. Every function and
// version whose code is the same holds the same module (moduleCache):
// nothing in it depends on a function's configuration.
type module struct {
	compiled wazero.CompiledModule
	key      [sha256.Size]byte // of the code: its moduleCache key
	sha256   string            // the same, in hex
	size     int
	// which optional lifecycle exports the guest has
	hasStart, hasReactorInit, hasInit, hasShutdown bool
	// hasHTTPHandler: the guest takes HTTP/1.1 messages (abi.HTTPHandlerExport)
	hasHTTPHandler bool
	minPages       uint32
	// image is the initial memory the module's data segments write,
	// applied by the instance's allocator (wasmbin.Prepare took the data
	// segments out of the module).
	image []byte
	// globals are the module's own globals; the mutable ones are exported
	// for snapshots.
	globals []wasmbin.Global
	// snapshotBlocker says why the module cannot be snapshotted, if so.
	snapshotBlocker string
	// exports are the module's exported functions.
	exports map[string]api.FunctionDefinition
}

// compile validates code as a Flint function for f and returns its
// compiled module, shared with the functions already holding the same
// code; the caller releases it (Engine.releaseModule). Every refusal is a
// *ModuleError naming its cause.
func (e *Engine) compile(ctx context.Context, f Function) (*module, error) {
	refuse := func(format string, args ...any) error {
		return &ModuleError{Function: f.Name, Reason: fmt.Sprintf(format, args...)}
	}
	code := f.Code
	if len(code) == 0 {
		return nil, refuse("no code")
	}
	if len(code) > e.cfg.MaxModuleBytes {
		return nil, refuse("module is %d bytes, over the %d-byte limit", len(code), e.cfg.MaxModuleBytes)
	}
	m, err := e.modules.acquire(ctx, code, func() (*module, error) { return e.compileCode(ctx, code) })
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse("%v", err)
	}
	if err := m.checkFunction(f); err != nil {
		e.releaseModule(ctx, m)
		return nil, refuse("%v", err)
	}
	return m, nil
}

// compileCode validates and compiles code, whichever function it is for.
func (e *Engine) compileCode(ctx context.Context, code []byte) (*module, error) {
	imports, err := wasmbin.Imports(code)
	if err != nil {
		return nil, err
	}
	if err := e.checkImports(imports); err != nil {
		return nil, err
	}
	prep, err := wasmbin.Prepare(code)
	if err != nil {
		return nil, err
	}
	// Compile functions on every processor: a Go guest has thousands.
	compiled, err := e.runtime.CompileModule(experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0)), prep.Code)
	if err != nil {
		return nil, err
	}
	m := &module{compiled: compiled, size: len(code), hasStart: prep.HasStart,
		image: prep.Image, globals: prep.Globals, snapshotBlocker: prep.SnapshotBlocker}
	if err := m.checkExports(e); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	if uint64(len(m.image)) > uint64(m.minPages)*65536 {
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("its data segments write up to byte %d, past its initial memory of %d pages", len(m.image), m.minPages)
	}
	m.key = sha256.Sum256(code)
	m.sha256 = hex.EncodeToString(m.key[:])
	return m, nil
}

// releaseModule gives back a module compile returned; the last holder
// closes it.
func (e *Engine) releaseModule(ctx context.Context, m *module) error {
	if !e.modules.release(m) {
		return nil
	}
	return m.compiled.Close(ctx)
}

// moduleCache shares compiled modules by their code's SHA-256: a hundred
// functions deploying one 3 MB Go module hold one decoded and compiled
// copy of it (~5 MB of Go heap), not a hundred.
type moduleCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*sharedModule
	cost    int64 // moduleCost of the modules held
}

// bytes returns the moduleCost of the modules held.
func (c *moduleCache) bytes() int64 {
	b, _ := c.held()
	return b
}

// held returns the moduleCost of the modules held, and how many they are.
func (c *moduleCache) held() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cost, len(c.entries)
}

// sharedModule is a moduleCache entry: being compiled until done closes.
type sharedModule struct {
	done chan struct{}
	mod  *module
	err  error
	refs int
}

// acquire returns the module of code, made by compile if no one holds one,
// and counts the caller as a holder. Callers of the same code wait for one
// compilation; a failed one is not kept, so the next caller tries again.
func (c *moduleCache) acquire(ctx context.Context, code []byte, compile func() (*module, error)) (*module, error) {
	key := sha256.Sum256(code)
	for {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = map[[sha256.Size]byte]*sharedModule{}
		}
		sm, ok := c.entries[key]
		if !ok {
			sm = &sharedModule{done: make(chan struct{}), refs: 1}
			c.entries[key] = sm
			c.mu.Unlock()
			sm.mod, sm.err = compile()
			c.mu.Lock()
			if sm.err != nil {
				delete(c.entries, key)
			} else {
				c.cost += moduleCost(sm.mod)
			}
			c.mu.Unlock()
			close(sm.done)
			return sm.mod, sm.err
		}
		sm.refs++
		c.mu.Unlock()
		select {
		case <-sm.done:
		case <-ctx.Done():
			c.drop(sm)
			return nil, ctx.Err()
		}
		if sm.err == nil {
			return sm.mod, nil
		}
		c.drop(sm)
		if !isContextError(sm.err) {
			return nil, sm.err
		}
		// The compilation was cancelled with its caller's context, not
		// ours: compile it again.
	}
}

// drop un-counts a caller that waited for sm and does not hold it.
func (c *moduleCache) drop(sm *sharedModule) {
	c.mu.Lock()
	sm.refs--
	c.mu.Unlock()
}

// release un-counts a holder of m, and reports whether it was the last
// (the caller then closes m).
func (c *moduleCache) release(m *module) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sm := c.entries[m.key]
	if sm == nil || sm.mod != m {
		return true // not shared: its one holder
	}
	sm.refs--
	if sm.refs > 0 {
		return false
	}
	delete(c.entries, m.key)
	c.cost -= moduleCost(m)
	return true
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// checkImports refuses anything but functions of WASI preview 1 and the
// Flint host module, with the signatures the host defines.
func (e *Engine) checkImports(imports []wasmbin.Import) error {
	for _, imp := range imports {
		if imp.Module != abi.ModuleName && imp.Module != abi.WASIModuleName {
			return fmt.Errorf("imports %s %q.%q; a function may import only from %q (WASI preview 1) and %q (Flint ABI v%d)",
				imp.Kind, imp.Module, imp.Name, abi.WASIModuleName, abi.ModuleName, abi.Version)
		}
		if imp.Kind != wasmbin.KindFunc {
			return fmt.Errorf("imports %s %q.%q; only functions can be imported (a function defines its own memory)",
				imp.Kind, imp.Module, imp.Name)
		}
		if _, ok := e.hostFuncs[imp.Module][imp.Name]; !ok {
			return fmt.Errorf("imports %q.%q, which this host does not provide (Flint ABI v%d)", imp.Module, imp.Name, abi.Version)
		}
	}
	return nil
}

func signature(d api.FunctionDefinition) string {
	str := func(ts []api.ValueType) string {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(names, ", ") + ")"
	}
	return str(d.ParamTypes()) + " -> " + str(d.ResultTypes())
}

// checkExports checks what the module imports and exports against the
// host, whichever function it is for, and notes its lifecycle exports.
func (m *module) checkExports(e *Engine) error {
	// Signatures of imported functions must match the host's.
	for _, d := range m.compiled.ImportedFunctions() {
		mod, name, _ := d.Import()
		host := e.hostFuncs[mod][name]
		if signature(d) != signature(host) {
			return fmt.Errorf("imports %q.%q with signature %s; the host defines %s", mod, name, signature(d), signature(host))
		}
	}

	m.exports = m.compiled.ExportedFunctions()
	if err := checkABIVersion(m.exports); err != nil {
		return err
	}
	if _, ok := m.exports[abi.CommandStart]; ok {
		return fmt.Errorf("exports %q: it is a WASI command; build it as a reactor (Go: -buildmode=c-shared)", abi.CommandStart)
	}
	var err error
	if m.hasReactorInit, err = m.export(abi.ReactorInit, "() -> ()", false); err != nil {
		return err
	}
	if m.hasInit, err = m.export(abi.InitExport, "() -> (i32)", false); err != nil {
		return err
	}
	if m.hasShutdown, err = m.export(abi.ShutdownExport, "() -> ()", false); err != nil {
		return err
	}
	if m.hasHTTPHandler, err = m.export(abi.HTTPHandlerExport, "(i32) -> (i32)", false); err != nil {
		return err
	}
	mem, ok := m.compiled.ExportedMemories()[abi.MemoryExport]
	if !ok {
		return fmt.Errorf("missing the memory export %q", abi.MemoryExport)
	}
	m.minPages = mem.Min()
	return nil
}

// checkFunction checks the module against what function f asks of it: its
// handler export, and an initial memory within its memory size.
func (m *module) checkFunction(f Function) error {
	if _, err := m.export(f.Handler, "(i32) -> (i32)", true); err != nil {
		return err
	}
	if limit := uint32(f.MemoryMB) * 16; m.minPages > limit {
		return fmt.Errorf("declares %d pages (%d KiB) of initial memory, over the function's %d MB limit",
			m.minPages, m.minPages*64, f.MemoryMB)
	}
	return nil
}

// export reports whether the module exports function name with signature
// sig, and fails when it has another signature, or is required and missing.
func (m *module) export(name, sig string, required bool) (bool, error) {
	d, ok := m.exports[name]
	if !ok {
		if required {
			return false, fmt.Errorf("missing the handler export %q with signature %s", name, sig)
		}
		return false, nil
	}
	if got := signature(d); got != sig {
		return false, fmt.Errorf("export %q has signature %s, want %s", name, got, sig)
	}
	return true, nil
}

func checkABIVersion(exports map[string]api.FunctionDefinition) error {
	var versions []string
	for name := range exports {
		if v, ok := strings.CutPrefix(name, abi.VersionExportPrefix); ok {
			versions = append(versions, v)
		}
	}
	switch {
	case len(versions) == 0:
		return fmt.Errorf("missing the export %q that declares the Flint ABI version it was built for (the Go guest SDK adds it)", abi.VersionExport)
	case slices.Contains(versions, fmt.Sprint(abi.Version)):
		return nil
	default:
		slices.Sort(versions)
		return fmt.Errorf("built for Flint ABI v%s; this host speaks v%d", strings.Join(versions, ", v"), abi.Version)
	}
}
