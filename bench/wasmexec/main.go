// Command wasmexec runs a Go test binary built for wasip1 inside wazero,
// the runtime Flint uses, so that a guest package's tests and benchmarks
// run as its code runs in a function:
//
//	go build -o bin/wasmexec ./bench/wasmexec
//	GOOS=wasip1 GOARCH=wasm go test -exec $PWD/bin/wasmexec -bench . ./abi/guest/httpguest/
//
// (`make bench-guest` does this beside a native run.) The binary may
// import Flint's host ABI, as the guest SDK's packages do: every function
// of the "flint" module it imports is a stub that returns zeros, so code
// that calls the host can be linked and run but not tested here; such
// tests need the engine.
//
// The module gets the arguments after the binary's path, this process's
// environment, and the host's root directory mounted at /.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmexec BINARY.wasm [ARG ...]")
		os.Exit(2)
	}
	code, err := run(context.Background(), os.Args[1], os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
	}
	os.Exit(code)
}

// run runs the wasip1 command module at path with args, and returns its
// exit code (1 with an error when it could not run).
func run(ctx context.Context, path string, args []string) (int, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return 1, err
	}
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	mod, err := r.CompileModule(ctx, bin)
	if err != nil {
		return 1, err
	}
	if err := stubFlint(ctx, r, mod); err != nil {
		return 1, err
	}
	cfg := wazero.NewModuleConfig().
		WithArgs(append([]string{path}, args...)...).
		WithStdout(os.Stdout).WithStderr(os.Stderr).WithStdin(os.Stdin).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithFSConfig(wazero.NewFSConfig().WithDirMount("/", "/"))
	for _, kv := range os.Environ() {
		if name, value, ok := strings.Cut(kv, "="); ok {
			cfg = cfg.WithEnv(name, value)
		}
	}
	_, err = r.InstantiateModule(ctx, mod, cfg)
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit):
		return int(exit.ExitCode()), nil
	case err != nil:
		return 1, err
	}
	return 0, nil
}

// stubFlint instantiates a "flint" host module with a stub, returning
// zeros, for each function of it that mod imports.
func stubFlint(ctx context.Context, r wazero.Runtime, mod wazero.CompiledModule) error {
	b := r.NewHostModuleBuilder("flint")
	stubbed := false
	for _, f := range mod.ImportedFunctions() {
		module, name, _ := f.Import()
		if module != "flint" {
			continue
		}
		results := len(f.ResultTypes())
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
				clear(stack[:results])
			}), f.ParamTypes(), f.ResultTypes()).
			Export(name)
		stubbed = true
	}
	if !stubbed {
		return nil
	}
	_, err := b.Instantiate(ctx)
	return err
}
