package engine

import (
	"github.com/tetratelabs/wazero/experimental"
)

// guestMemory is one instance's linear memory. It enforces the function's
// memory cap: a growth past it fails (memory.grow returns -1) and is
// recorded, so the engine reports ErrMemoryLimit rather than whatever the
// guest's runtime did next.
type guestMemory interface {
	experimental.LinearMemory
	// refusedGrowth reports whether a growth past the cap was refused
	// since clearRefused.
	refusedGrowth() bool
	// clearRefused forgets a refused growth: the guest may have coped
	// with it, and it must not be blamed for a later failure.
	clearRefused()
	// remap maps a snapshot image over the memory again, if it can.
	remap(file *imageFile) bool
	// release returns the memory to the system. wazero's Free may run
	// while a call is still unwinding (WASI proc_exit closes the module from
	// inside the call), so unmapping waits for release, which the engine
	// calls once the instance is closed and no call is running.
	release()
}

// allocator hands out one instance's memory: reserved address space where
// the platform allows (see memory_linux.go), else the Go heap.
type allocator struct {
	limit   uint64
	regions *regionCache
	// The memory's initial content: a snapshot's image file to map, or
	// bytes to copy (the module's data, or a snapshot's image in copy
	// mode), and its initial size, which may exceed the module's minimum
	// (a snapshot of memory that grew during init).
	file    *imageFile
	initial []byte
	size    uint64
	mem     guestMemory
}

// Allocate implements experimental.MemoryAllocator.
func (a *allocator) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	limit := min(a.limit, maxBytes)
	file := a.file
	if file != nil && file.size > limit {
		file = nil // cannot happen: restore checks the size
	}
	if m := newMappedMemory(limit, a.regions, file); m != nil {
		a.mem = m
	} else {
		a.mem = &heapMemory{buf: make([]byte, 0, min(max(capacity, a.size), limit)), limit: limit}
	}
	if a.size > 0 {
		// Present the initial size from the first allocation on: wazero
		// asks for the module's minimum.
		a.mem.Reallocate(min(a.size, limit))
	}
	if len(a.initial) > 0 {
		buf := a.mem.Reallocate(max(uint64(len(a.initial)), a.size))
		if buf != nil {
			copy(buf, a.initial)
		}
	}
	return &floorMemory{guestMemory: a.mem, floor: a.size}
}

// floorMemory keeps a memory's length at least floor: wazero's first
// Reallocate asks for the module's minimum, which is less than a snapshot
// of memory that grew.
type floorMemory struct {
	guestMemory
	floor uint64
}

// Reallocate implements experimental.LinearMemory.
func (m *floorMemory) Reallocate(size uint64) []byte {
	return m.guestMemory.Reallocate(max(size, m.floor))
}

// remap maps file over the memory again, dropping what the guest wrote.
func (a *allocator) remap(file *imageFile) bool {
	return a.mem != nil && a.mem.remap(file)
}

func (a *allocator) refusedGrowth() bool { return a.mem != nil && a.mem.refusedGrowth() }

func (a *allocator) clearRefused() {
	if a.mem != nil {
		a.mem.clearRefused()
	}
}

func (a *allocator) release() {
	if a.mem != nil {
		a.mem.release()
		a.mem = nil
	}
}

// heapMemory is a linear memory on the Go heap; growth beyond its capacity
// copies.
type heapMemory struct {
	buf     []byte
	limit   uint64
	refused bool
}

// Reallocate implements experimental.LinearMemory.
func (m *heapMemory) Reallocate(size uint64) []byte {
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
func (m *heapMemory) Free() {}

func (m *heapMemory) refusedGrowth() bool   { return m.refused }
func (m *heapMemory) clearRefused()         { m.refused = false }
func (m *heapMemory) remap(*imageFile) bool { return false }
func (m *heapMemory) release()              { m.buf = nil }
