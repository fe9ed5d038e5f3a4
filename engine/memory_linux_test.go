package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegionCacheCountsHighWater: a cached region is counted at the most
// any of its lives committed, not at what the last one used, since the
// pages stay resident; otherwise the cache's cap would not bound its
// memory (a region used once at 1 MiB and then at 64 KiB would count as
// 64 KiB while holding 1 MiB).
func TestRegionCacheCountsHighWater(t *testing.T) {
	const limit = 4 << 20
	c := newRegionCache(3 << 19) // 1.5 MiB
	defer c.close()

	a, err := reserve(limit)
	require.NoError(t, err)
	a[1<<20-1] = 1 // a guest wrote its first MiB
	require.True(t, c.put(a, 1<<20, 0))
	assert.Equal(t, uint64(1<<20), c.heldBytes())

	got, committed := c.get(limit)
	require.NotNil(t, got)
	assert.Equal(t, uint64(1<<20), committed, "the region remembers its high-water mark")
	assert.Zero(t, got[1<<20-1], "released memory is zeroed")
	assert.Zero(t, c.heldBytes())

	// A second life uses 64 KiB: the region still holds a MiB.
	got[100] = 7
	require.True(t, c.put(got, 64<<10, committed))
	assert.Equal(t, uint64(1<<20), c.heldBytes())
	assert.Zero(t, got[100])

	// Another region of the same high-water mark does not fit under the cap.
	b, err := reserve(limit)
	require.NoError(t, err)
	assert.False(t, c.put(b, 64<<10, 1<<20), "the cap counts committed pages")
	unmap(b)
	assert.Equal(t, uint64(1<<20), c.heldBytes())

	// A small one does.
	d, err := reserve(limit)
	require.NoError(t, err)
	require.True(t, c.put(d, 64<<10, 0))
	assert.Equal(t, uint64(1<<20+64<<10), c.heldBytes())
}
