//go:build !wasip1

package main

import "unsafe"

// Off WebAssembly there is no host: every call reports STATE (5).

func resultRead(unsafe.Pointer, uint32) int32         { return -5 }
func kvGet(uintptr, uint32, uintptr, uint32) int32    { return -5 }
func httpFetch(uintptr, uint32) int32                 { return -5 }
func fnInvoke(uintptr, uint32, uintptr, uint32) int32 { return -5 }
func appCall(uintptr, uint32, uintptr, uint32) int32  { return -5 }
func logLine(int32, unsafe.Pointer, uint32) int32     { return -5 }
