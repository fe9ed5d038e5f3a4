package engine

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mappedMemory is a linear memory in address space reserved up to the
// function's cap: the kernel commits pages (zeroed) only as the guest
// touches them, and growth never copies. When the instance starts from a
// snapshot, the image file is mapped copy-on-write over the start of the
// region: instances share its pages until they write them.
type mappedMemory struct {
	region []byte // the whole reservation
	size   uint64 // the largest size the guest reached
	// committed is how much of a reused region earlier lives may have
	// left resident (zeroed): the region's high-water mark, which the
	// cache must count, as the pages stay committed.
	committed uint64
	refused   bool
	regions   *regionCache
	image     bool       // the region maps an image: never cached
	file      *imageFile // the image it maps, if image
	flags     []byte     // pagemap entries, reused by restoreDirty
}

// reserve maps limit bytes of anonymous memory.
func reserve(limit uint64) ([]byte, error) {
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(limit),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), limit), nil
}

func unmap(region []byte) {
	if len(region) > 0 {
		_ = unix.MunmapPtr(unsafe.Pointer(&region[0]), uintptr(len(region)))
	}
}

// newMappedMemory reserves limit bytes (reusing a cached region when one
// fits), with image mapped at its start if given, or returns nil if it
// cannot.
func newMappedMemory(limit uint64, regions *regionCache, image *imageFile) guestMemory {
	if limit == 0 {
		return nil
	}
	if image != nil {
		if image.size > limit {
			return nil
		}
		if region := image.take(limit); region != nil {
			return &mappedMemory{region: region, image: true, file: image}
		}
		region, err := reserve(limit)
		if err != nil {
			return nil
		}
		if image.size > 0 {
			_, err = unix.MmapPtr(int(image.f.Fd()), 0, unsafe.Pointer(&region[0]), uintptr(image.size),
				unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
			if err != nil {
				unmap(region)
				return nil
			}
		}
		return &mappedMemory{region: region, image: true, file: image}
	}
	if region, committed := regions.get(limit); region != nil {
		return &mappedMemory{region: region, regions: regions, committed: committed}
	}
	region, err := reserve(limit)
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

// remap returns the start of the region to the image. It copies the
// image back over the pages the guest wrote (found in /proc/self/pagemap:
// present, and no longer the file's page) and keeps them, so the next run
// does not fault on them again; where pagemap cannot be read it maps the
// file over the region again (MAP_FIXED), dropping the written pages.
func (m *mappedMemory) remap(file *imageFile) bool {
	if !m.image || file.size == 0 || file.size > uint64(len(m.region)) {
		return false
	}
	if file.view != nil && m.restoreDirty(file) {
		return true
	}
	_, err := unix.MmapPtr(int(file.f.Fd()), 0, unsafe.Pointer(&m.region[0]), uintptr(file.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	return err == nil
}

// restoreDirty copies the image over the pages of the region the guest
// wrote since it was mapped.
func (m *mappedMemory) restoreDirty(file *imageFile) bool {
	const page = 4096
	if file.pagemap == nil || unix.Getpagesize() != page {
		return false
	}
	n := int((file.size + page - 1) / page)
	if cap(m.flags) < n*8 {
		m.flags = make([]byte, n*8)
	}
	flags := m.flags[:n*8]
	off := int64(uintptr(unsafe.Pointer(&m.region[0])) / page * 8)
	if got, err := file.pagemap.ReadAt(flags, off); err != nil || got != len(flags) {
		return false
	}
	for i := range n {
		e := binary.LittleEndian.Uint64(flags[i*8:])
		// Bit 63: present; bit 62: swapped out (only a written, private
		// page can be); bit 61: the file's page (not yet copied on write).
		if e>>62&1 == 1 || (e>>63&1 == 1 && e>>61&1 == 0) {
			start := i * page
			end := min(start+page, int(file.size))
			copy(m.region[start:end], file.view[start:end])
		}
	}
	return true
}

// Free implements experimental.LinearMemory; see guestMemory.release.
func (m *mappedMemory) Free() {}

func (m *mappedMemory) refusedGrowth() bool { return m.refused }
func (m *mappedMemory) clearRefused()       { m.refused = false }

func (m *mappedMemory) release() {
	if m.region == nil {
		return
	}
	switch {
	case m.image && m.keepForImage():
	case m.image || !m.regions.put(m.region, m.size, m.committed):
		unmap(m.region)
	}
	m.region = nil
}

// keepForImage restores the region to its image and keeps it for the
// image's next instance, if it can: only when the guest never grew the
// memory past the image (restoreDirty covers the image's pages only), and
// while the image's stock has room. Its pages stay resident and mapped, so
// the next instance's first call neither faults nor pays for a new
// mapping, and releasing it frees nothing (no unmapping, which interrupts
// every core running the process to flush its TLB).
func (m *mappedMemory) keepForImage() bool {
	f := m.file
	if f == nil || m.size > f.size || uint64(len(m.region)) < f.size || !f.hasRoom() {
		return false
	}
	return m.restoreDirty(f) && f.keep(m.region)
}

// imageFile is a snapshot's memory image on disk, for mapping.
type imageFile struct {
	f    *os.File
	size uint64
	path string
	// view maps the file read-only and shared, the source restoreDirty
	// copies from; pagemap is /proc/self/pagemap. Either may be nil.
	view    []byte
	pagemap *os.File

	// stock holds released regions restored to the image, for new
	// instances (see keepForImage); at most imageStock.
	stockMu sync.Mutex
	stock   [][]byte
}

// imageStock bounds the regions an image keeps for reuse.
const imageStock = 4

// take returns a kept region of limit bytes, or nil.
func (img *imageFile) take(limit uint64) []byte {
	img.stockMu.Lock()
	defer img.stockMu.Unlock()
	for i := len(img.stock) - 1; i >= 0; i-- {
		if r := img.stock[i]; uint64(len(r)) == limit {
			img.stock = append(img.stock[:i], img.stock[i+1:]...)
			return r
		}
	}
	return nil
}

func (img *imageFile) hasRoom() bool {
	img.stockMu.Lock()
	defer img.stockMu.Unlock()
	return img.view != nil && len(img.stock) < imageStock
}

// keep adds a region restored to the image to the stock, if it has room
// and the image is open.
func (img *imageFile) keep(region []byte) bool {
	img.stockMu.Lock()
	defer img.stockMu.Unlock()
	if img.view == nil || len(img.stock) >= imageStock {
		return false
	}
	img.stock = append(img.stock, region)
	return true
}

// openImage opens an image file for mapping, with its read-only view.
func openImage(path string, size uint64) (*imageFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	img := &imageFile{f: f, size: size, path: path}
	if size > 0 {
		if p, err := unix.MmapPtr(int(f.Fd()), 0, nil, uintptr(size), unix.PROT_READ, unix.MAP_SHARED); err == nil {
			img.view = unsafe.Slice((*byte)(p), size)
		}
	}
	if pm, err := os.Open("/proc/self/pagemap"); err == nil {
		img.pagemap = pm
	}
	return img, nil
}

// close releases the image file and its view.
func (img *imageFile) close() {
	img.stockMu.Lock()
	for _, r := range img.stock {
		unmap(r)
	}
	img.stock = nil
	unmap(img.view)
	img.view = nil
	img.stockMu.Unlock()
	if img.pagemap != nil {
		_ = img.pagemap.Close()
	}
	_ = img.f.Close()
}

// mappable reports whether snapshots can map their images here.
const mappable = true

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
	used     map[*byte]uint64 // committed size (high-water mark) of each cached region
}

func newRegionCache(maxBytes uint64) *regionCache {
	return &regionCache{bySize: map[uint64][][]byte{}, maxBytes: maxBytes, used: map[*byte]uint64{}}
}

// get returns a cached region of limit bytes, and how many of its first
// bytes may be committed (zeroed pages earlier lives touched), or nil.
func (c *regionCache) get(limit uint64) (region []byte, committed uint64) {
	if c == nil {
		return nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.bySize[limit]
	if len(list) == 0 {
		return nil, 0
	}
	region = list[len(list)-1]
	c.bySize[limit] = list[:len(list)-1]
	committed = c.used[&region[0]]
	c.held -= committed
	delete(c.used, &region[0])
	return region, committed
}

// put zeroes the first used bytes of region (all the guest could have
// written; what earlier lives wrote past them was zeroed when they ended)
// and keeps it, unless the cache is full. The cache counts the region's
// high-water mark, the larger of used and committed: pages once touched
// stay resident however little a later life uses.
func (c *regionCache) put(region []byte, used, committed uint64) bool {
	hw := max(used, committed)
	if c == nil || hw > c.maxBytes {
		return false
	}
	c.mu.Lock()
	full := c.held+hw > c.maxBytes
	if !full {
		c.held += hw // reserve before zeroing outside the lock
	}
	c.mu.Unlock()
	if full {
		return false
	}
	clear(region[:used])
	c.mu.Lock()
	c.bySize[uint64(len(region))] = append(c.bySize[uint64(len(region))], region)
	c.used[&region[0]] = hw
	c.mu.Unlock()
	return true
}

// heldBytes returns the committed bytes the cache holds.
func (c *regionCache) heldBytes() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
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
			unmap(r)
		}
	}
	c.bySize, c.used, c.held = map[uint64][][]byte{}, map[*byte]uint64{}, 0
}

// touched reads which pages of the memory's first size bytes the guest has
// touched since the image was mapped (from /proc/self/pagemap): written
// (present or swapped, and no longer the file's page, or past the image),
// and read only (present, still the file's page). Only memories that map
// an image can tell; ok is false otherwise.
func (m *mappedMemory) touched(file *imageFile, size uint64) (written, read pageRuns, ok bool) {
	const page = 4096
	if !m.image || file == nil || file.pagemap == nil || unix.Getpagesize() != page {
		return nil, nil, false
	}
	size = min(size, uint64(len(m.region)))
	n := int((size + page - 1) / page)
	if cap(m.flags) < n*8 {
		m.flags = make([]byte, n*8)
	}
	flags := m.flags[:n*8]
	off := int64(uintptr(unsafe.Pointer(&m.region[0])) / page * 8)
	if got, err := file.pagemap.ReadAt(flags, off); err != nil || got != len(flags) {
		return nil, nil, false
	}
	imagePages := int((file.size + page - 1) / page)
	for i := range n {
		e := binary.LittleEndian.Uint64(flags[i*8:])
		// Bit 56: mapped by this mapping alone. Past the image, a page
		// only read maps the shared zero page, which is not.
		present, swapped, filePage, exclusive := e>>63&1 == 1, e>>62&1 == 1, e>>61&1 == 1, e>>56&1 == 1
		switch {
		case swapped || (present && i < imagePages && !filePage) || (present && i >= imagePages && exclusive):
			written = written.add(uint32(i))
		case present:
			read = read.add(uint32(i))
		}
	}
	return written, read, true
}

// prefault makes the pages of written resident and private (copied from
// the image, or zero past it), as a write would, and maps those of read,
// without changing a byte: the guest's first call then takes no fault on
// them. It runs before the instance's first call, off the request path.
func (m *mappedMemory) prefault(written, read pageRuns) {
	const page = 4096
	if !m.image || unix.Getpagesize() != page {
		return
	}
	advise := func(runs pageRuns, advice int) {
		for _, r := range runs {
			start, end := uint64(r.start)*page, uint64(r.start+r.n)*page
			if end > uint64(len(m.region)) {
				return // cannot happen: sets come from memories of the same cap
			}
			if unix.Madvise(m.region[start:end], advice) != nil {
				touch(m.region[start:end], advice == unix.MADV_POPULATE_WRITE)
			}
		}
	}
	advise(written, unix.MADV_POPULATE_WRITE)
	advise(read, unix.MADV_POPULATE_READ)
}

// touch faults b's pages in by hand, where madvise cannot (kernels before
// 5.14): an atomic add of zero writes without changing the word.
func touch(b []byte, write bool) {
	const page = 4096
	for off := 0; off+4 <= len(b); off += page {
		p := (*uint32)(unsafe.Pointer(&b[off]))
		if write {
			atomic.AddUint32(p, 0)
		} else {
			_ = atomic.LoadUint32(p)
		}
	}
}
