//go:build !linux

package engine

import "os"

// newMappedMemory is unavailable here: memory comes from the Go heap.
func newMappedMemory(uint64, *regionCache, *imageFile) guestMemory { return nil }

// regionCache has nothing to cache here.
type regionCache struct{}

func newRegionCache(uint64) *regionCache { return nil }
func (*regionCache) close()              {}

// heldBytes is zero: nothing is cached.
func (*regionCache) heldBytes() uint64 { return 0 }

// imageFile is unused here: snapshots copy their image.
type imageFile struct {
	f    *os.File
	size uint64
	path string
}

func openImage(path string, size uint64) (*imageFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &imageFile{f: f, size: size, path: path}, nil
}

func (img *imageFile) close() { _ = img.f.Close() }

// mappable reports whether snapshots can map their images here.
const mappable = false
