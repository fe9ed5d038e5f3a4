//go:build !linux

package engine

// newMappedMemory is unavailable here: memory comes from the Go heap.
func newMappedMemory(uint64) guestMemory { return nil }
