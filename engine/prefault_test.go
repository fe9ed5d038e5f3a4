package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runs builds a pageRuns from (start, n) pairs.
func runs(pairs ...uint32) pageRuns {
	var rs pageRuns
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, pageRun{start: pairs[i], n: pairs[i+1]})
	}
	return rs
}

func TestPageRuns(t *testing.T) {
	tests := []struct {
		name         string
		a, b         pageRuns
		union, minus pageRuns
	}{
		{name: "empty", a: nil, b: nil, union: nil, minus: nil},
		{name: "one side", a: runs(1, 2), b: nil, union: runs(1, 2), minus: runs(1, 2)},
		{name: "other side", a: nil, b: runs(1, 2), union: runs(1, 2), minus: nil},
		{name: "disjoint", a: runs(0, 2, 10, 1), b: runs(5, 1), union: runs(0, 2, 5, 1, 10, 1), minus: runs(0, 2, 10, 1)},
		{name: "adjacent merge", a: runs(0, 2), b: runs(2, 3), union: runs(0, 5), minus: runs(0, 2)},
		{name: "overlap", a: runs(0, 5), b: runs(3, 5), union: runs(0, 8), minus: runs(0, 3)},
		{name: "hole punched", a: runs(0, 10), b: runs(3, 2, 7, 1), union: runs(0, 10), minus: runs(0, 3, 5, 2, 8, 2)},
		{name: "covered", a: runs(3, 2), b: runs(0, 10), union: runs(0, 10), minus: nil},
		{name: "b spans several", a: runs(0, 2, 4, 2, 8, 2), b: runs(1, 8), union: runs(0, 10), minus: runs(0, 1, 9, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.union, tt.a.union(tt.b), "union")
			assert.Equal(t, tt.minus, tt.a.minus(tt.b), "minus")
			assert.Equal(t, tt.union.pages(), tt.a.union(tt.b).pages())
		})
	}
	t.Run("add", func(t *testing.T) {
		var rs pageRuns
		for _, p := range []uint32{0, 1, 2, 5, 7, 8} {
			rs = rs.add(p)
		}
		assert.Equal(t, runs(0, 3, 5, 1, 7, 2), rs)
		assert.Equal(t, uint64(6), rs.pages())
	})
}

// TestPrefaultKeepsContent maps an image into two memories, writes a
// secret into one, learns its touched pages, and prefaults them into the
// other: the prefaulted memory holds the image's bytes (never the
// secret), its written pages became its own (not the file's), and the
// learned sets are what was written and read.
func TestPrefaultKeepsContent(t *testing.T) {
	const page, pages = 4096, 16
	image := make([]byte, pages*page)
	for i := range image {
		image[i] = byte(i/page + 1)
	}
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, image, 0o600))
	file, err := openImage(path, uint64(len(image)))
	require.NoError(t, err)
	t.Cleanup(file.close)
	if file.pagemap == nil {
		t.Skip("no /proc/self/pagemap")
	}
	newMem := func() *mappedMemory {
		m := newMappedMemory(1<<20, nil, file)
		require.NotNil(t, m)
		t.Cleanup(m.release)
		return m.(*mappedMemory)
	}

	a := newMem()
	copy(a.region[2*page:], "SECRET")            // written
	a.region[5*page] = 'S'                       // written
	copy(a.region[20*page:], "GROWN")            // past the image: written
	require.Equal(t, byte(10), a.region[9*page]) // read
	require.Zero(t, a.region[22*page])           // read past the image: the zero page
	written, read, ok := a.touched(file, 24*page)
	require.True(t, ok)
	assert.Equal(t, runs(2, 1, 5, 1, 20, 1), written)
	assert.Empty(t, runs(9, 1).minus(read), "the read page is mapped (fault-around may map more)")
	assert.Empty(t, runs(22, 1).minus(read), "a zero page read past the image is read, not written")

	b := newMem()
	b.prefault(written, read.minus(written))
	assert.Equal(t, image, b.region[:len(image)], "prefaulting changes no byte")
	assert.Zero(t, b.region[20*page], "past the image it is zero")
	bw, _, ok := b.touched(file, 24*page)
	require.True(t, ok)
	assert.Equal(t, written, bw, "the prefaulted pages are the memory's own")
	assert.Equal(t, "SECRET", string(a.region[2*page:2*page+6]), "the other memory kept its write")

	// The page cache's copy of the image is untouched.
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, image, got)
}

// TestImageStockRestores: a released memory that maps an image is
// restored to the image and kept for the next instance of that image,
// which gets the same region back with the image's bytes and none of the
// secret; a memory that grew past the image is not kept; the stock is
// bounded; a closed image keeps nothing.
func TestImageStockRestores(t *testing.T) {
	const page, pages = 4096, 16
	image := make([]byte, pages*page)
	for i := range image {
		image[i] = byte(i/page + 1)
	}
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, image, 0o600))
	file, err := openImage(path, uint64(len(image)))
	require.NoError(t, err)
	if file.pagemap == nil || file.view == nil {
		file.close()
		t.Skip("no /proc/self/pagemap")
	}
	newMem := func() *mappedMemory {
		m := newMappedMemory(1<<20, nil, file)
		require.NotNil(t, m)
		return m.(*mappedMemory)
	}

	a := newMem()
	a.Reallocate(uint64(len(image)))
	copy(a.region[3*page:], "SECRET-A")
	copy(a.region[len(image)-8:], "SECRET-Z")
	first := &a.region[0]
	a.release()

	b := newMem()
	assert.Same(t, first, &b.region[0], "the next memory of the image reuses the released region")
	assert.Equal(t, image, b.region[:len(image)], "restored to the image: no byte of the secret")
	assert.Zero(t, b.region[len(image)], "past the image it is zero")

	// A memory that grew past the image is not kept.
	b.Reallocate(uint64(len(image)) + page)
	b.region[len(image)+1] = 'G'
	b.release()
	file.stockMu.Lock()
	assert.Empty(t, file.stock, "a grown memory is unmapped, not kept")
	file.stockMu.Unlock()
	c := newMem()
	assert.Zero(t, c.region[len(image)+1])

	// The stock is bounded.
	var ms []*mappedMemory
	for range imageStock + 2 {
		ms = append(ms, newMem())
	}
	ms = append(ms, c)
	for _, m := range ms {
		m.release()
	}
	file.stockMu.Lock()
	assert.Len(t, file.stock, imageStock)
	file.stockMu.Unlock()

	file.close()
	assert.Empty(t, file.stock, "closing the image unmaps its stock")
}
