package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpareInstances raises a function's concurrency one caller at a time
// (each caller sleeps in the guest until the test ends it) and counts the
// callers that paid a cold start: every one without spares, only the first
// with them, as long as the filler restocks between two rises.
func TestSpareInstances(t *testing.T) {
	const callers = 5
	tests := []struct {
		name     string
		spare    int
		wantCold int
	}{
		{name: "without spares every new caller is a cold start", spare: 0, wantCold: callers},
		{name: "with spares only the first call is", spare: 2, wantCold: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{SpareInstances: tt.spare})
			deploy(t, eng, engine.Function{Name: "sleep", Code: wat(t, "sleep")})
			assert.Zero(t, stats(t, eng, "sleep").Prewarmed, "no spares before the first invocation")

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			results := make(chan *engine.Result, callers)
			for i := range callers {
				go func() {
					res, err := eng.Invoke(ctx, "sleep", []byte("60000"))
					assert.NoError(t, err)
					results <- res
				}()
				require.Eventually(t, func() bool {
					s := stats(t, eng, "sleep")
					return s.Busy == i+1 && s.Idle == tt.spare
				}, 10*time.Second, time.Millisecond, "caller %d is in the guest and the stock is full", i+1)
			}
			cancel()
			cold := 0
			for range callers {
				res := <-results
				require.NotNil(t, res)
				require.ErrorIs(t, res.FunctionError, engine.ErrCanceled)
				if res.Cold {
					cold++
				}
			}
			assert.Equal(t, tt.wantCold, cold)
			s := stats(t, eng, "sleep")
			assert.Equal(t, uint64(tt.wantCold), s.ColdStarts)
			assert.Equal(t, uint64(callers-tt.wantCold), s.Prewarmed-uint64(tt.spare),
				"every other caller took a spare, and the stock was made again")
		})
	}
}
