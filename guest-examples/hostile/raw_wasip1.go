//go:build wasip1

package main

import "unsafe"

// The host functions hostile calls with arguments the SDK never passes.

//go:wasmimport flint result_read
func resultRead(ptr unsafe.Pointer, capacity uint32) int32

//go:wasmimport flint kv_get
func kvGet(storePtr uintptr, storeLen uint32, keyPtr uintptr, keyLen uint32) int32

//go:wasmimport flint http_fetch
func httpFetch(reqPtr uintptr, reqLen uint32) int32

//go:wasmimport flint fn_invoke
func fnInvoke(namePtr uintptr, nameLen uint32, payloadPtr uintptr, payloadLen uint32) int32

//go:wasmimport flint log
func logLine(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport flint app_call
func appCall(namePtr uintptr, nameLen uint32, payloadPtr uintptr, payloadLen uint32) int32
