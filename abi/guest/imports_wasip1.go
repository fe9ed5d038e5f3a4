//go:build wasip1

package guest

import "unsafe"

//go:wasmimport flint input_read
func inputRead(ptr unsafe.Pointer, capacity uint32) int32

//go:wasmimport flint output_write
func outputWrite(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport flint error_set
func errorSet(typePtr unsafe.Pointer, typeLen uint32, msgPtr unsafe.Pointer, msgLen uint32) int32

//go:wasmimport flint log
func logLine(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport flint context_get
func contextGet(field int32, ptr unsafe.Pointer, capacity uint32) int32

//go:wasmimport flint deadline_ms
func deadlineMS() int64

// The exports the host calls.

//go:wasmexport flint_abi_version_1
func abiVersion1() {}

//go:wasmexport handle
func handle(inputLen uint32) uint32 { return serve(inputLen) }

//go:wasmexport flint_init
func flintInit() int32 { return runInit() }

//go:wasmexport flint_shutdown
func flintShutdown() { runShutdown() }
