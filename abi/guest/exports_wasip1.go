//go:build wasip1

package guest

// The exports the host calls (abi/SPEC.md, "The module a function is").
// They live here, not in internal/host, because a module gets them by
// linking package guest: every function imports it.

//go:wasmexport flint_abi_version_1
func abiVersion1() {}

//go:wasmexport handle
func handle(inputLen uint32) uint32 { return serve(inputLen) }

//go:wasmexport flint_init
func flintInit() int32 { return runInit() }

//go:wasmexport flint_shutdown
func flintShutdown() { runShutdown() }
