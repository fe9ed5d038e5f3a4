package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// BenchmarkBurst counts the request-path cold starts a burst of callers
// pays, with and without spare instances (engine.Config.SpareInstances).
// Each iteration deploys the guest afresh and invokes it once (the function
// is in use: one idle instance, and the spares the filler made), then
// burstCallers callers make burstCalls invocations each, arriving either
// all at once or one every burstRamp. Two guests: go-hello, which computes
// for ~10 µs and so, on a 2-core machine, rarely has more than two
// invocations in flight; and go-sleep-1ms (guest-examples/spin sleeping
// 1 ms), which holds its instance for a millisecond as a function waiting
// on I/O does,
// so that each caller needs an instance of its own. cold/burst is how many
// of the burst's invocations created their instance on the request path;
// burst-ns/op is the burst's wall time. ns/op includes the deploy, which
// keeps the iterations few (make bench runs every benchmark).
func BenchmarkBurst(b *testing.B) {
	const (
		burstCallers = 8
		burstCalls   = 20
		burstRamp    = 2 * time.Millisecond
	)
	var hello guest
	for _, g := range guests() {
		if g.name == "go-hello" {
			hello = g
		}
	}
	sleep := guest{name: "go-sleep-1ms", payload: []byte(`{"sleep_ms":1}`),
		code: func(tb testing.TB) []byte { return testguest.Go(tb, "spin") }}
	for _, g := range []guest{hello, sleep} {
		for _, spare := range []int{0, 2, 4} {
			for _, ramp := range []time.Duration{0, burstRamp} {
				shape := "at-once"
				if ramp > 0 {
					shape = "ramp"
				}
				b.Run(fmt.Sprintf("%s/spare-%d/%s", g.name, spare, shape), func(b *testing.B) {
					eng := newEngine(b, engine.Config{SpareInstances: spare})
					ctx := context.Background()
					code := g.code(b)
					var cold, calls atomic.Int64
					var burst time.Duration
					for i := range b.N {
						name := fmt.Sprintf("fn%d", i)
						f := engine.Function{Name: name, Code: code, Env: g.env}
						if _, err := eng.Deploy(ctx, f); err != nil {
							b.Fatal(err)
						}
						if _, err := eng.Invoke(ctx, name, g.payload); err != nil {
							b.Fatal(err)
						}
						waitStock(b, eng, name, max(spare, 1))
						start := time.Now()
						var wg sync.WaitGroup
						for c := range burstCallers {
							wg.Go(func() {
								time.Sleep(time.Duration(c) * ramp) // the arrival schedule
								for range burstCalls {
									res, err := eng.Invoke(ctx, name, g.payload)
									if err != nil || res.FunctionError != nil {
										b.Error(err, res.Err())
										return
									}
									calls.Add(1)
									if res.Cold {
										cold.Add(1)
									}
								}
							})
						}
						wg.Wait()
						burst += time.Since(start)
						if err := eng.Remove(ctx, name); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(burst)/float64(b.N), "burst-ns/op")
					b.ReportMetric(float64(cold.Load())/float64(b.N), "cold/burst")
					b.ReportMetric(float64(cold.Load())/float64(calls.Load())*100, "%cold")
				})
			}
		}
	}
}

// waitStock waits until function name has n idle instances.
func waitStock(b *testing.B, eng *engine.Engine, name string, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := eng.Stats(name)
		if err != nil {
			b.Fatal(err)
		}
		if st.Idle >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d idle instances after 30s, want %d", name, st.Idle, n)
		}
		time.Sleep(time.Millisecond) // polling the filler's progress
	}
}
