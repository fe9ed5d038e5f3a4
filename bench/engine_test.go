package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// guest is a benchmarked function: its module and a payload.
type guest struct {
	name    string
	code    func(testing.TB) []byte
	env     map[string]string
	payload []byte
	want    []byte
}

func guests() []guest {
	return []guest{
		{
			name: "wat-echo", code: testguest.WATEcho,
			payload: []byte(`{"name":"ana"}`), want: []byte(`{"name":"ana"}`),
		},
		{
			name: "go-echo", code: func(tb testing.TB) []byte { return testguest.Go(tb, "echo") },
			payload: []byte(`{"name":"ana"}`), want: []byte(`{"name":"ana"}`),
		},
		{
			name: "go-hello", code: func(tb testing.TB) []byte { return testguest.Go(tb, "hello") },
			env:     map[string]string{"GREETING": "Hello"},
			payload: []byte(`{"name":"ana"}`), want: []byte(`{"message":"Hello, ana!"}`),
		},
	}
}

func newEngine(b *testing.B, cfg engine.Config) *engine.Engine {
	b.Helper()
	if cfg.CompilationCacheDir == "" && cfg.CompilationCache == nil {
		cfg.CompilationCacheDir = testguest.CacheDir(b)
	}
	eng, err := engine.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close(context.Background()) })
	return eng
}

func deploy(b *testing.B, eng *engine.Engine, g guest, f engine.Function) {
	b.Helper()
	f.Name, f.Code, f.Env = "fn", g.code(b), g.env
	if _, err := eng.Deploy(context.Background(), f); err != nil {
		b.Fatal(err)
	}
	res, err := eng.Invoke(context.Background(), "fn", g.payload)
	if err != nil || res.FunctionError != nil || !bytes.Equal(res.Payload, g.want) {
		b.Fatalf("check invoke: %v %v %s", err, res.Err(), res.Payload)
	}
}

func invokeLoop(b *testing.B, eng *engine.Engine, payload []byte) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := eng.Invoke(ctx, "fn", payload)
		if err != nil || res.FunctionError != nil {
			b.Fatal(err, res.Err())
		}
	}
}

// coldLoop is invokeLoop that also times each invocation and reports their
// median as p50-ns/op: cold starts have a long tail (GC, page faults, a
// neighbour's load) that dominates the mean (ns/op), and flint bench reports
// medians; p50-ns/op is the figure comparable with its rows.
func coldLoop(b *testing.B, eng *engine.Engine, payload []byte) {
	ctx := context.Background()
	took := make([]time.Duration, 0, max(b.N, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := eng.Invoke(ctx, "fn", payload)
		took = append(took, time.Since(start))
		if err != nil || res.FunctionError != nil {
			b.Fatal(err, res.Err())
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2]), "p50-ns/op")
}

// BenchmarkNativeFloor is the same work as the guests, as plain Go calls:
// the floor for a warm invoke.
func BenchmarkNativeFloor(b *testing.B) {
	payload := []byte(`{"name":"ana"}`)
	b.Run("echo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := nativeEcho(payload)
			if len(out) != len(payload) {
				b.Fatal("bad echo")
			}
		}
	})
	b.Run("hello", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nativeHello(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

//go:noinline
func nativeEcho(in []byte) []byte { return bytes.Clone(in) }

func nativeHello(in []byte) ([]byte, error) {
	var ev struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(in, &ev); err != nil {
		return nil, err
	}
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello"
	}
	return json.Marshal(struct {
		Message string `json:"message"`
	}{greeting + ", " + ev.Name + "!"})
}

// BenchmarkWarmInvoke is the full engine.Invoke path (lookup, pool, call
// context, logs, result) on an idle instance.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, g := range guests() {
		b.Run(g.name, func(b *testing.B) {
			eng := newEngine(b, engine.Config{})
			deploy(b, eng, g, engine.Function{})
			invokeLoop(b, eng, g.payload)
		})
	}
}

// BenchmarkColdStart creates an instance on the request path for every
// invocation (single-use functions), then invokes it and retires it:
//
//   - <guest>: instantiated from the version's snapshot (the memory image
//     mapped copy-on-write, the globals set; no initializer runs);
//   - <guest>-nosnapshot: instantiated and initialized (the module's start
//     function, _initialize, flint_init);
//   - <guest>-recycled: the used instance reset to the snapshot (its
//     memory remapped) instead of a new one instantiated.
//
// Each invocation also discards its instance (module closed, memory
// unmapped or zeroed for reuse), as flint bench's fresh rows do; a
// request-path cold start of a function that keeps its instances does not
// pay that. The three variants are flint bench's snapshot-cold, cold and
// recycled rows (a guest without a snapshot, such as wat-echo, starts the
// same way in the first two). Compare p50-ns/op with flint bench, which
// reports medians; ns/op is the mean, which the tail dominates.
func BenchmarkColdStart(b *testing.B) {
	variants := []struct {
		suffix string
		cfg    engine.Config
		fn     engine.Function
	}{
		{"", engine.Config{NoRecycle: true}, engine.Function{SingleUse: true}},
		{"-nosnapshot", engine.Config{NoRecycle: true}, engine.Function{SingleUse: true, NoSnapshot: true}},
		{"-recycled", engine.Config{}, engine.Function{SingleUse: true}},
	}
	for _, g := range guests() {
		for _, vr := range variants {
			b.Run(g.name+vr.suffix, func(b *testing.B) {
				eng := newEngine(b, vr.cfg)
				deploy(b, eng, g, vr.fn)
				if st, _ := eng.Stats("fn"); vr.suffix == "-recycled" && !strings.HasPrefix(st.Snapshot, "ready") {
					b.Skipf("no snapshot to recycle from: %s", st.Snapshot)
				}
				before, _ := eng.Stats("fn")
				coldLoop(b, eng, g.payload)
				st, _ := eng.Stats("fn")
				fresh := st.ColdStarts + st.Prewarmed - before.ColdStarts - before.Prewarmed
				if vr.suffix == "-recycled" {
					fresh = st.Recycled - before.Recycled
				}
				if fresh < uint64(b.N) {
					b.Fatalf("%d fresh instances for %d invocations", fresh, b.N)
				}
			})
		}
	}
}

// BenchmarkCompile deploys from bytes with an empty in-memory compilation
// cache: validation plus wazero's compiler.
func BenchmarkCompile(b *testing.B) {
	for _, g := range guests() {
		b.Run(g.name, func(b *testing.B) {
			code := g.code(b)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				eng, err := engine.New(ctx, engine.Config{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Deploy(ctx, engine.Function{Name: "fn", Code: code}); err != nil {
					b.Fatal(err)
				}
				_ = eng.Close(ctx)
			}
		})
	}
}
