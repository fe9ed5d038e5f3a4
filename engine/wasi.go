package engine

import (
	"context"
	"fmt"

	"github.com/flintfaas/flint/engine/internal/abihost"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// WASI preview 1 error numbers the wrapper below deals in.
const (
	wasiEIO    = 29
	wasiENOSPC = 51
)

// noSpaceCalls are the WASI functions that can fill an instance's /tmp.
var noSpaceCalls = map[string]bool{
	"fd_write": true, "fd_pwrite": true, "path_open": true, "path_create_directory": true,
	"fd_filestat_set_size": true,
}

// instantiateWASI defines wazero's WASI preview 1 with the functions that
// can fill a /tmp wrapped: wazero's file-system errors have no ENOSPC, so a
// write the instance's /tmp refuses comes back as EIO, which the wrapper
// turns into ENOSPC, what a full disk says (see tmpFS and
// sandboxfs.Options.OnFull). Every other function is wazero's own.
func instantiateWASI(ctx context.Context, r wazero.Runtime) error {
	scratch := r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(scratch)
	compiled, err := scratch.Compile(ctx)
	if err != nil {
		return fmt.Errorf("engine: define WASI: %w", err)
	}
	defer compiled.Close(ctx)
	b := r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	for name, def := range compiled.ExportedFunctions() {
		fb := b.NewFunctionBuilder().WithParameterNames(def.ParamNames()...).WithResultNames(def.ResultNames()...)
		switch fn := def.GoFunction().(type) {
		case api.GoModuleFunction:
			if noSpaceCalls[name] {
				fn = noSpace(fn)
			}
			fb = fb.WithGoModuleFunction(fn, def.ParamTypes(), def.ResultTypes())
		case api.GoFunction:
			fb = fb.WithGoFunction(fn, def.ParamTypes(), def.ResultTypes())
		default:
			return fmt.Errorf("engine: define WASI: %s is a %T", name, fn)
		}
		fb.Export(name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("engine: define WASI: %w", err)
	}
	return nil
}

// noSpace reports ENOSPC for a call that failed with EIO because the
// instance's /tmp is full.
func noSpace(fn api.GoModuleFunction) api.GoModuleFunction {
	return api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		fn.Call(ctx, m, stack)
		if s := abihost.StateFrom(ctx); s != nil && s.NoSpace {
			s.NoSpace = false
			if stack[0] == wasiEIO {
				stack[0] = wasiENOSPC
			}
		}
	})
}
