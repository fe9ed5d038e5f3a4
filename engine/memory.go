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
	// touched reports which of the first size bytes' pages the guest
	// wrote and read since the image was mapped; ok is false where that
	// cannot be known (no mapped image, no pagemap).
	touched(file *imageFile, size uint64) (written, read pageRuns, ok bool)
	// prefault makes the written pages resident and private and maps the
	// read ones, without changing the memory's content.
	prefault(written, read pageRuns)
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

// touched reports the pages the guest wrote and read: see guestMemory.
func (a *allocator) touched(size uint64) (written, read pageRuns, ok bool) {
	if a.mem == nil {
		return nil, nil, false
	}
	return a.mem.touched(a.file, size)
}

// prefault faults pages in ahead of the first call: see guestMemory.
func (a *allocator) prefault(written, read pageRuns) {
	if a.mem != nil {
		a.mem.prefault(written, read)
	}
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

func (m *heapMemory) touched(*imageFile, uint64) (pageRuns, pageRuns, bool) { return nil, nil, false }
func (m *heapMemory) prefault(pageRuns, pageRuns)                           {}

// pageRun is n pages from page start.
type pageRun struct{ start, n uint32 }

// pageRuns is a set of 4 KiB pages as ascending, disjoint, non-adjacent
// runs.
type pageRuns []pageRun

// add appends page i, which must be above every page in rs.
func (rs pageRuns) add(i uint32) pageRuns {
	if n := len(rs); n > 0 && rs[n-1].start+rs[n-1].n == i {
		rs[n-1].n++
		return rs
	}
	return append(rs, pageRun{start: i, n: 1})
}

// pages returns how many pages rs holds.
func (rs pageRuns) pages() uint64 {
	var n uint64
	for _, r := range rs {
		n += uint64(r.n)
	}
	return n
}

// union returns the pages in rs or in other.
func (rs pageRuns) union(other pageRuns) pageRuns {
	var out pageRuns
	i, j := 0, 0
	push := func(r pageRun) {
		if n := len(out); n > 0 && out[n-1].start+out[n-1].n >= r.start {
			out[n-1].n = max(out[n-1].start+out[n-1].n, r.start+r.n) - out[n-1].start
			return
		}
		out = append(out, r)
	}
	for i < len(rs) || j < len(other) {
		if j == len(other) || (i < len(rs) && rs[i].start <= other[j].start) {
			push(rs[i])
			i++
		} else {
			push(other[j])
			j++
		}
	}
	return out
}

// minus returns the pages of rs that are not in other.
func (rs pageRuns) minus(other pageRuns) pageRuns {
	var out pageRuns
	j := 0
	for _, r := range rs {
		start, end := r.start, r.start+r.n
		for j < len(other) && other[j].start+other[j].n <= start {
			j++
		}
		for k := j; k < len(other) && other[k].start < end; k++ {
			if other[k].start > start {
				out = append(out, pageRun{start: start, n: other[k].start - start})
			}
			start = max(start, other[k].start+other[k].n)
		}
		if start < end {
			out = append(out, pageRun{start: start, n: end - start})
		}
	}
	return out
}
