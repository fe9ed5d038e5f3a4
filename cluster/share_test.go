package cluster

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestShareAddsUp checks that the nodes' shares of a limit add up to it,
// differ by at most one, and put the spare units of different functions on
// different nodes.
func TestShareAddsUp(t *testing.T) {
	for k := 1; k <= 7; k++ {
		for limit := 0; limit <= 20; limit++ {
			for _, fn := range []string{"a", "orders", "resize-image"} {
				total, lo, hi := 0, limit, 0
				for i := range k {
					s := share(fn, limit, i, k)
					total += s
					lo, hi = min(lo, s), max(hi, s)
				}
				assert.Equal(t, limit, total, "k=%d limit=%d fn=%s", k, limit, fn)
				assert.LessOrEqual(t, hi-lo, 1, "k=%d limit=%d fn=%s", k, limit, fn)
			}
		}
	}
	// A limit of 1 on 3 nodes: which node holds it depends on the function.
	holders := map[int]bool{}
	for f := range 30 {
		for i := range 3 {
			if share(fmt.Sprint("fn", f), 1, i, 3) == 1 {
				holders[i] = true
			}
		}
	}
	assert.Len(t, holders, 3, "every node holds the single unit of some function")
	assert.Equal(t, 0, share("fn", -1, 0, 3), "no negative share")
}
