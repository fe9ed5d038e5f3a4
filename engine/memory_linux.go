package engine

import (
	"sync"
	"syscall"
)

// mappedMemory is a linear memory in address space reserved up to the
// function's cap: the kernel commits pages (zeroed) only as the guest
// touches them, and growth never copies.
type mappedMemory struct {
	region  []byte // the whole reservation
	size    uint64 // the largest size the guest reached
	refused bool
	regions *regionCache
}

// newMappedMemory reserves limit bytes (reusing a cached region when one
// fits), or returns nil if it cannot.
func newMappedMemory(limit uint64, regions *regionCache) guestMemory {
	if limit == 0 {
		return nil
	}
	if region := regions.get(limit); region != nil {
		return &mappedMemory{region: region, regions: regions}
	}
	region, err := syscall.Mmap(-1, 0, int(limit),
		syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mappedMemory{region: region, regions: regions}
}

// Reallocate implements experimental.LinearMemory.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.region)) {
		m.refused = true
		return nil
	}
	m.size = max(m.size, size)
	return m.region[:size:size]
}

// Free implements experimental.LinearMemory; see guestMemory.release.
func (m *mappedMemory) Free() {}

func (m *mappedMemory) refusedGrowth() bool { return m.refused }

func (m *mappedMemory) release() {
	if m.region == nil {
		return
	}
	if !m.regions.put(m.region, m.size) {
		_ = syscall.Munmap(m.region)
	}
	m.region = nil
}

// regionCache keeps a few released regions, zeroed, for the next instances
// of the same memory cap. A fresh region costs a page fault for every page
// the guest touches (several microseconds each on a VM: most of a Go
// guest's cold start); zeroing the used part of an old one costs a
// fraction of that, and the pages stay committed.
type regionCache struct {
	mu       sync.Mutex
	bySize   map[uint64][][]byte
	maxBytes uint64 // committed bytes the cache may hold
	held     uint64
	used     map[*byte]uint64 // committed size of each cached region
}

func newRegionCache(maxBytes uint64) *regionCache {
	return &regionCache{bySize: map[uint64][][]byte{}, maxBytes: maxBytes, used: map[*byte]uint64{}}
}

func (c *regionCache) get(limit uint64) []byte {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.bySize[limit]
	if len(list) == 0 {
		return nil
	}
	region := list[len(list)-1]
	c.bySize[limit] = list[:len(list)-1]
	c.held -= c.used[&region[0]]
	delete(c.used, &region[0])
	return region
}

// put zeroes the first used bytes of region (all the guest could have
// written) and keeps it, unless the cache is full.
func (c *regionCache) put(region []byte, used uint64) bool {
	if c == nil || used > c.maxBytes {
		return false
	}
	c.mu.Lock()
	full := c.held+used > c.maxBytes
	if !full {
		c.held += used // reserve before zeroing outside the lock
	}
	c.mu.Unlock()
	if full {
		return false
	}
	clear(region[:used])
	c.mu.Lock()
	c.bySize[uint64(len(region))] = append(c.bySize[uint64(len(region))], region)
	c.used[&region[0]] = used
	c.mu.Unlock()
	return true
}

// close unmaps every cached region.
func (c *regionCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, list := range c.bySize {
		for _, r := range list {
			_ = syscall.Munmap(r)
		}
	}
	c.bySize, c.used, c.held = map[uint64][][]byte{}, map[*byte]uint64{}, 0
}
