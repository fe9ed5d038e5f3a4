package engine

import (
	"github.com/tetratelabs/wazero/experimental"
)

// linearMemory backs one instance's linear memory and enforces the
// function's memory cap: a growth past it fails (memory.grow returns -1)
// and is recorded, so the engine can report ErrMemoryLimit rather than
// whatever the guest's runtime did next.
type linearMemory struct {
	buf     []byte
	limit   uint64
	refused bool
}

var _ experimental.LinearMemory = (*linearMemory)(nil)

// Reallocate implements experimental.LinearMemory.
func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.refused = true
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow the capacity geometrically so that a guest growing page by page
	// does not copy its memory each time.
	newCap := min(max(size, 2*uint64(cap(m.buf))), m.limit)
	nb := make([]byte, size, newCap)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

// Free implements experimental.LinearMemory.
func (m *linearMemory) Free() { m.buf = nil }

// allocator hands out one instance's linearMemory.
type allocator struct {
	limit uint64
	mem   *linearMemory
}

// Allocate implements experimental.MemoryAllocator.
func (a *allocator) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	limit := min(a.limit, maxBytes)
	a.mem = &linearMemory{buf: make([]byte, 0, min(capacity, limit)), limit: limit}
	return a.mem
}
