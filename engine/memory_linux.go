package engine

import "syscall"

// mappedMemory is a linear memory in address space reserved up to the
// function's cap at instantiation: the kernel commits pages (already zero)
// only as the guest touches them, and growth never copies.
type mappedMemory struct {
	region  []byte // the whole reservation
	size    uint64
	refused bool
}

// newMappedMemory reserves limit bytes, or returns nil if it cannot.
func newMappedMemory(limit uint64) guestMemory {
	if limit == 0 {
		return nil
	}
	region, err := syscall.Mmap(-1, 0, int(limit),
		syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mappedMemory{region: region}
}

// Reallocate implements experimental.LinearMemory.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.region)) {
		m.refused = true
		return nil
	}
	m.size = size
	return m.region[:size:size]
}

// Free implements experimental.LinearMemory; see guestMemory.release.
func (m *mappedMemory) Free() {}

func (m *mappedMemory) refusedGrowth() bool { return m.refused }

func (m *mappedMemory) release() {
	if m.region != nil {
		_ = syscall.Munmap(m.region)
		m.region = nil
	}
}
