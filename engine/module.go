package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// module is a validated, compiled WebAssembly module.
type module struct {
	compiled wazero.CompiledModule
	sha256   string
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
}

// compile validates code as a Flint function for f and compiles it. Every
// refusal is a *ModuleError naming its cause.
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
	imports, err := wasmbin.Imports(code)
	if err != nil {
		return nil, refuse("%v", err)
	}
	if err := e.checkImports(imports); err != nil {
		return nil, refuse("%v", err)
	}
	prep, err := wasmbin.Prepare(code)
	if err != nil {
		return nil, refuse("%v", err)
	}
	// Compile functions on every processor: a Go guest has thousands.
	compiled, err := e.runtime.CompileModule(experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0)), prep.Code)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse("%v", err)
	}
	m := &module{compiled: compiled, size: len(code), hasStart: prep.HasStart,
		image: prep.Image, globals: prep.Globals, snapshotBlocker: prep.SnapshotBlocker}
	if err := m.checkExports(f, e); err != nil {
		_ = compiled.Close(ctx)
		return nil, refuse("%v", err)
	}
	if uint64(len(m.image)) > uint64(m.minPages)*65536 {
		_ = compiled.Close(ctx)
		return nil, refuse("its data segments write up to byte %d, past its initial memory of %d pages", len(m.image), m.minPages)
	}
	sum := sha256.Sum256(code)
	m.sha256 = hex.EncodeToString(sum[:])
	return m, nil
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

func (m *module) checkExports(f Function, e *Engine) error {
	// Signatures of imported functions must match the host's.
	for _, d := range m.compiled.ImportedFunctions() {
		mod, name, _ := d.Import()
		host := e.hostFuncs[mod][name]
		if signature(d) != signature(host) {
			return fmt.Errorf("imports %q.%q with signature %s; the host defines %s", mod, name, signature(d), signature(host))
		}
	}

	exports := m.compiled.ExportedFunctions()
	if err := checkABIVersion(exports); err != nil {
		return err
	}
	if _, ok := exports[abi.CommandStart]; ok {
		return fmt.Errorf("exports %q: it is a WASI command; build it as a reactor (Go: -buildmode=c-shared)", abi.CommandStart)
	}
	want := func(name, sig string, required bool) (bool, error) {
		d, ok := exports[name]
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
	var err error
	if _, err = want(f.Handler, "(i32) -> (i32)", true); err != nil {
		return err
	}
	if m.hasReactorInit, err = want(abi.ReactorInit, "() -> ()", false); err != nil {
		return err
	}
	if m.hasInit, err = want(abi.InitExport, "() -> (i32)", false); err != nil {
		return err
	}
	if m.hasShutdown, err = want(abi.ShutdownExport, "() -> ()", false); err != nil {
		return err
	}
	if m.hasHTTPHandler, err = want(abi.HTTPHandlerExport, "(i32) -> (i32)", false); err != nil {
		return err
	}

	mem, ok := m.compiled.ExportedMemories()[abi.MemoryExport]
	if !ok {
		return fmt.Errorf("missing the memory export %q", abi.MemoryExport)
	}
	m.minPages = mem.Min()
	if limit := uint32(f.MemoryMB) * 16; m.minPages > limit {
		return fmt.Errorf("declares %d pages (%d KiB) of initial memory, over the function's %d MB limit",
			m.minPages, m.minPages*64, f.MemoryMB)
	}
	return nil
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
