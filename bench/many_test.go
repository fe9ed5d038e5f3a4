package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// BenchmarkManyFunctions deploys 10,000 functions on one engine over a
// real data directory: 9,400 of the WAT echo (one module), 500 WAT echoes
// of their own code, 90 of go-hello (one module) and 10 go-hellos of their
// own code, under a 64 MiB module budget that holds about six distinct Go
// modules. It reports the deploy rate, what the process holds per
// function (RSS and Go heap, after a GC), and the first invocation of a
// function whose version was unloaded (reload-go-ns, reload-wat-ns:
// medians), beside a warm invocation.
func BenchmarkManyFunctions(b *testing.B) {
	const (
		watShared, watOwn, goShared, goOwn = 9400, 500, 90, 10
	)
	wat, hello := testguest.WATEcho(b), testguest.Go(b, "hello")
	payload := []byte(`{"name":"ana"}`)
	for b.Loop() {
		ctx := context.Background()
		eng := newEngine(b, engine.Config{DataDir: b.TempDir(), ModuleMemoryBytes: 64 << 20})
		heap0, rss0 := heapBytes(), rssBytes()
		start := time.Now()
		var goNames, watNames []string
		add := func(prefix string, n int, code []byte, own bool) []string {
			var names []string
			for i := range n {
				name := fmt.Sprintf("%s-%d", prefix, i)
				c := code
				if own {
					c = testguest.WithCustomSection(code, name)
				}
				if _, err := eng.Deploy(ctx, engine.Function{Name: name, Code: c, Env: map[string]string{"GREETING": "Hello"}}); err != nil {
					b.Fatal(err)
				}
				names = append(names, name)
			}
			return names
		}
		add("wat", watShared, wat, false)
		watNames = add("wat-own", watOwn, wat, true)
		add("go", goShared, hello, false)
		goNames = add("go-own", goOwn, hello, true)
		deployed := time.Since(start)
		settle(b, eng)
		heap1, rss1 := heapBytes(), rssBytes()
		n := float64(watShared + watOwn + goShared + goOwn)
		b.ReportMetric(n/deployed.Seconds(), "deploys/s")
		b.ReportMetric(float64(rss1-rss0)/n/1024, "rss-KB/fn")
		b.ReportMetric(float64(heap1-heap0)/n/1024, "heap-KB/fn")
		b.ReportMetric(float64(rss1)/(1<<20), "rss-MB")
		m := eng.Metrics(ctx)
		b.ReportMetric(float64(m.Modules), "modules")

		// The distinct Go modules do not fit together: in turn, each one's
		// version was unloaded by the time it is invoked again.
		var goTimes, watTimes []time.Duration
		for round := range 3 {
			for _, name := range goNames {
				waitUnloaded(b, eng, name)
				t := time.Now()
				invokeOnce(b, eng, name, payload)
				if round > 0 { // the first round's were deployed, not used
					goTimes = append(goTimes, time.Since(t))
				}
			}
		}
		// The WAT functions of their own code were unloaded first (used
		// least recently): a first invocation each.
		for _, name := range watNames[:100] {
			waitUnloaded(b, eng, name)
			t := time.Now()
			invokeOnce(b, eng, name, payload)
			watTimes = append(watTimes, time.Since(t))
		}
		b.ReportMetric(float64(medianOf(goTimes)), "reload-go-ns")
		b.ReportMetric(float64(medianOf(watTimes)), "reload-wat-ns")
		t := time.Now()
		const warm = 1000
		for range warm {
			invokeOnce(b, eng, watNames[99], payload)
		}
		b.ReportMetric(float64(time.Since(t))/warm, "warm-wat-ns")
		if st, _ := eng.Stats(goNames[0]); st.Reloads < 2 {
			b.Fatalf("%s was loaded again %d times, want 2 or more", goNames[0], st.Reloads)
		}
	}
}

// waitUnloaded waits until name's $LATEST is unloaded.
func waitUnloaded(b *testing.B, eng *engine.Engine, name string) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := eng.Stats(name)
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasPrefix(st.Snapshot, "unloaded") {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s was not unloaded: %+v", name, st)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until the engine's sweeps have brought its modules under
// their budget.
func settle(b *testing.B, eng *engine.Engine) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for eng.Metrics(context.Background()).ModuleBytes > 64<<20 {
		if time.Now().After(deadline) {
			b.Fatal("the modules stayed over their budget")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func invokeOnce(b *testing.B, eng *engine.Engine, name string, payload []byte) {
	b.Helper()
	res, err := eng.Invoke(context.Background(), name, payload)
	if err != nil || res.FunctionError != nil {
		b.Fatal(name, err, res.Err())
	}
}

func medianOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// heapBytes is the Go heap in use after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssBytes is the process's resident set (Linux; 0 elsewhere).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
