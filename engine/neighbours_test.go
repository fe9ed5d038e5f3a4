package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoisyNeighbours runs a well-behaved function (wat-echo) while another
// function misbehaves on every core — spinning until its timeout,
// allocating up to its memory cap, flooding its log — and checks only
// correctness: every reply of the well-behaved function is right and none
// fails, and the neighbours fail the way they should. How much the noise
// costs the well-behaved function's latency is measured by
// bench.BenchmarkNoisyNeighbours.
func TestNoisyNeighbours(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "good", Code: testguest.WATEcho(t), Timeout: 10 * time.Second})

	tests := []struct {
		name  string
		fn    engine.Function
		check func(t *testing.T, res *engine.Result)
	}{
		{
			name: "spin at its timeout",
			fn:   engine.Function{Code: testguest.Go(t, "spin"), Timeout: 50 * time.Millisecond},
			check: func(t *testing.T, res *engine.Result) {
				if assert.NotNil(t, res.FunctionError, "spin returned %q", res.Payload) {
					assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout)
				}
			},
		},
		{
			name: "allocate to the memory cap",
			fn:   engine.Function{Code: testguest.Go(t, "memhog"), MemoryMB: 32, Timeout: 10 * time.Second},
			check: func(t *testing.T, res *engine.Result) {
				if assert.NotNil(t, res.FunctionError, "memhog returned %q", res.Payload) {
					assert.ErrorIs(t, res.FunctionError, engine.ErrMemoryLimit)
				}
			},
		},
		{
			name: "flood the log",
			fn:   engine.Function{Code: wat(t, "isolation_logflood"), Timeout: 10 * time.Second},
			check: func(t *testing.T, res *engine.Result) {
				if assert.Nil(t, res.FunctionError) {
					assert.Equal(t, "ok", string(res.Payload))
					assert.Contains(t, string(res.Logs), "log truncated:", "the flood is cut at the log cap")
					assert.LessOrEqual(t, len(res.Logs), engine.DefaultMaxLogBytes+512)
				}
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn.Name = fmt.Sprintf("noisy%d", i)
			deploy(t, eng, tt.fn)

			// The neighbours: one per core, invoking in a loop until told
			// to stop.
			ctx, stop := context.WithCancel(context.Background())
			var noisy sync.WaitGroup
			var results atomic.Int64
			for range runtime.NumCPU() {
				noisy.Go(func() {
					for {
						res, err := eng.Invoke(ctx, tt.fn.Name, nil)
						if ctx.Err() != nil {
							return // stopped: the call was cut short
						}
						if !assert.NoError(t, err) {
							return
						}
						tt.check(t, res)
						results.Add(1)
					}
				})
			}
			defer noisy.Wait()
			defer stop()

			// The well-behaved function, for half a second and until every
			// neighbour has come back at least once.
			start := time.Now()
			calls := 0
			for time.Since(start) < 500*time.Millisecond || results.Load() < int64(runtime.NumCPU()) {
				require.Less(t, time.Since(start), 30*time.Second, "the neighbours never came back")
				payload := fmt.Sprintf(`{"call":%d}`, calls)
				res, err := eng.Invoke(context.Background(), "good", []byte(payload))
				require.NoError(t, err)
				require.Nil(t, res.FunctionError, "call %d", calls)
				require.Equal(t, payload, string(res.Payload), "call %d", calls)
				calls++
			}
			t.Logf("%d calls of the well-behaved function beside %d of the neighbour", calls, results.Load())
		})
	}
}
