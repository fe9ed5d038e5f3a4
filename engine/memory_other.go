//go:build !linux

package engine

// newMappedMemory is unavailable here: memory comes from the Go heap.
func newMappedMemory(uint64, *regionCache) guestMemory { return nil }

// regionCache has nothing to cache here.
type regionCache struct{}

func newRegionCache(uint64) *regionCache { return nil }
func (*regionCache) close()              {}
