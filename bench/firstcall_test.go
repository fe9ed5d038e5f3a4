package bench

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// markdownPayload is the markdown example's event: a short README.
var markdownPayload = []byte(`{"markdown":"# Flint\n\nA *self-hosted* AWS Lambda in **one Go binary**.\n\n- [x] function URLs\n- [ ] ten thousand functions\n\n| start | go-hello |\n|---|---:|\n| warm | 9 µs |\n\nSee https://example.com/flint -- and ~~the old docs~~.\n"}`)

// firstCallGuests are the Go guests whose first call BenchmarkFirstCall
// measures: go-hello and a goldmark-sized one.
func firstCallGuests() []guest {
	return []guest{
		{
			name: "go-hello", code: func(tb testing.TB) []byte { return testguest.Go(tb, "hello") },
			env:     map[string]string{"GREETING": "Hello"},
			payload: []byte(`{"name":"ana"}`), want: []byte(`{"message":"Hello, ana!"}`),
		},
		{
			name: "markdown", code: func(tb testing.TB) []byte { return testguest.Go(tb, "markdown") },
			payload: markdownPayload,
			want: []byte(`{"html":"\u003ch1 id=\"flint\"\u003eFlint\u003c/h1\u003e\n\u003cp\u003eA \u003cem\u003eself-hosted\u003c/em\u003e AWS Lambda in ` +
				`\u003cstrong\u003eone Go binary\u003c/strong\u003e.\u003c/p\u003e\n\u003cul\u003e\n\u003cli\u003e\u003cinput checked=\"\" disabled=\"\" ` +
				`type=\"checkbox\"\u003e function URLs\u003c/li\u003e\n\u003cli\u003e\u003cinput disabled=\"\" type=\"checkbox\"\u003e ten thousand functions\u003c/li\u003e\n` +
				`\u003c/ul\u003e\n\u003ctable\u003e\n\u003cthead\u003e\n\u003ctr\u003e\n\u003cth\u003estart\u003c/th\u003e\n\u003cth style=\"text-align:right\"\u003ego-hello\u003c/th\u003e\n` +
				`\u003c/tr\u003e\n\u003c/thead\u003e\n\u003ctbody\u003e\n\u003ctr\u003e\n\u003ctd\u003ewarm\u003c/td\u003e\n\u003ctd style=\"text-align:right\"\u003e9 µs\u003c/td\u003e\n` +
				`\u003c/tr\u003e\n\u003c/tbody\u003e\n\u003c/table\u003e\n\u003cp\u003eSee \u003ca href=\"https://example.com/flint\"\u003ehttps://example.com/flint\u003c/a\u003e ` +
				`\u0026ndash; and \u003cdel\u003ethe old docs\u003c/del\u003e.\u003c/p\u003e\n"}`),
		},
	}
}

// BenchmarkFirstCall compares, in one run, a pre-initialized instance's
// first call with a warm call (issue 19's goal: within 2×):
//
//   - <guest>/warm: an instance that has served before;
//   - <guest>/pre-initialized: an instance the pool filler made ahead
//     (provisioned concurrency 1, single-use, no recycling), its first-call
//     pages prefaulted by the filler; the refill and the retirement happen
//     outside the timing;
//   - <guest>/pre-initialized-lazy: the same with prefaulting off
//     (Config.PrefaultBytes < 0): the first call faults its pages in.
func BenchmarkFirstCall(b *testing.B) {
	single := engine.Function{SingleUse: true}
	variants := []struct {
		name string
		cfg  engine.Config
		fn   engine.Function
		pre  bool
	}{
		{"warm", engine.Config{}, engine.Function{}, false},
		{"pre-initialized", engine.Config{NoRecycle: true}, single, true},
		{"pre-initialized-lazy", engine.Config{NoRecycle: true, PrefaultBytes: -1}, single, true},
	}
	for _, g := range firstCallGuests() {
		for _, vr := range variants {
			b.Run(g.name+"/"+vr.name, func(b *testing.B) {
				eng := newEngine(b, vr.cfg)
				deploy(b, eng, g, vr.fn)
				if !vr.pre {
					invokeLoop(b, eng, g.payload)
					return
				}
				ctx := context.Background()
				if _, err := eng.UpdateSettings(ctx, "fn", func(s *engine.Settings) error {
					s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: 1}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				// The engine learns the first call's pages from a few
				// instances before it prefaults.
				for range 8 {
					firstCall(b, eng, g)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					firstCall(b, eng, g)
				}
			})
		}
	}
}

// firstCall waits, untimed, for an idle pre-initialized instance and no
// retirement under way, then times one invocation on it, which must be
// that instance's first (not cold: single-use instances are never put
// back, and recycling is off).
func firstCall(b *testing.B, eng *engine.Engine, g guest) {
	b.StopTimer()
	waitIdle(b, eng)
	b.StartTimer()
	res, err := eng.Invoke(context.Background(), "fn", g.payload)
	if err != nil || res.FunctionError != nil || res.Cold || !bytes.Equal(res.Payload, g.want) {
		b.Fatalf("invoke: %v %v cold=%v %s", err, res.Err(), res.Cold, res.Payload)
	}
}

// waitIdle waits, untimed, for fn to have an idle instance and none busy (no
// retirement under way).
func waitIdle(b *testing.B, eng *engine.Engine) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := eng.Stats("fn")
		if err != nil {
			b.Fatal(err)
		}
		if st.Idle >= 1 && st.Busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("no idle instance: %+v", st)
		}
		time.Sleep(20 * time.Microsecond) // polling the filler, untimed
	}
}

// BenchmarkFirstCallColdCache splits a call's time between the guest (the
// WebAssembly call, Result.Duration: guest-p50-ns/op) and the whole
// invocation (p50-ns/op), for a warm call and a pre-initialized
// instance's first call, each once with the CPU caches as the last call
// left them and once after evicting them (-cold-cache: 64 MiB written,
// twice the last-level cache, untimed, before every call), as after a
// function's idle time while other work ran. It shows where a first call's
// extra time goes: into the guest's run on memory no core has touched
// lately, which a warm call after idle time pays as well. Read the p50
// metrics: ns/op includes the untimed waits and evictions.
func BenchmarkFirstCallColdCache(b *testing.B) {
	variants := []struct {
		name  string
		cfg   engine.Config
		fn    engine.Function
		pre   bool
		evict bool
	}{
		{"warm", engine.Config{}, engine.Function{}, false, false},
		{"pre-initialized", engine.Config{NoRecycle: true}, engine.Function{SingleUse: true}, true, false},
		{"warm-cold-cache", engine.Config{}, engine.Function{}, false, true},
		{"pre-initialized-cold-cache", engine.Config{NoRecycle: true}, engine.Function{SingleUse: true}, true, true},
	}
	for _, g := range firstCallGuests() {
		for _, vr := range variants {
			b.Run(g.name+"/"+vr.name, func(b *testing.B) {
				eng := newEngine(b, vr.cfg)
				deploy(b, eng, g, vr.fn)
				ctx := context.Background()
				if vr.pre {
					if _, err := eng.UpdateSettings(ctx, "fn", func(s *engine.Settings) error {
						s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: 1}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				for range 8 { // learn the first call's pages; warm up
					if vr.pre {
						firstCall(b, eng, g)
					} else if _, err := eng.Invoke(ctx, "fn", g.payload); err != nil {
						b.Fatal(err)
					}
				}
				var evict []byte
				if vr.evict {
					evict = make([]byte, 64<<20)
				}
				var guest, whole []time.Duration
				b.ResetTimer()
				for range b.N {
					// Untimed by the clock below, not by StopTimer, whose
					// ReadMemStats stops the world and leaves the caches
					// cold: ns/op counts these waits, p50-ns/op does not.
					if vr.pre {
						waitIdle(b, eng)
					}
					for i := 0; i < len(evict); i += 64 {
						evict[i]++
					}
					start := time.Now()
					res, err := eng.Invoke(ctx, "fn", g.payload)
					took := time.Since(start)
					if err != nil || res.FunctionError != nil || res.Cold {
						b.Fatalf("invoke: %v %v cold=%v", err, res.Err(), res.Cold)
					}
					guest, whole = append(guest, res.Duration), append(whole, took)
				}
				slices.Sort(guest)
				slices.Sort(whole)
				b.ReportMetric(float64(whole[len(whole)/2]), "p50-ns/op")
				b.ReportMetric(float64(guest[len(guest)/2]), "guest-p50-ns/op")
			})
		}
	}
}
