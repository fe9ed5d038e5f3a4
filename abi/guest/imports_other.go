//go:build !wasip1

package guest

import "unsafe"

// Off WebAssembly there is no host: every call reports errnoState.

func inputRead(unsafe.Pointer, uint32) int32                        { return -errnoState }
func outputWrite(unsafe.Pointer, uint32) int32                      { return -errnoState }
func errorSet(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -errnoState }
func logLine(int32, unsafe.Pointer, uint32) int32                   { return -errnoState }
func contextGet(int32, unsafe.Pointer, uint32) int32                { return -errnoState }
func deadlineMS() int64                                             { return -errnoState }
