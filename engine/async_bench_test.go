package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

// asyncBenchWorkers are the worker counts BenchmarkAsyncDrain compares:
// queue.DefaultWorkers was 4 before issue 19.
var asyncBenchWorkers = []int{4, 16, 32, 64, 128}

// BenchmarkAsyncDrain measures asynchronous invocations of wat-echo on an
// engine over a durable (bbolt) data directory, side by side for several
// worker counts (Config.Async.Workers):
//
//	go test -run '^$' -bench AsyncDrain -benchtime 20000x ./engine/
//
// live: 32 goroutines send b.N events with InvokeAsync, as wrk's
// connections would through `flint serve`, while the workers run them.
// accepted/s is how fast InvokeAsync returned (the event is on disk),
// drained/s how fast the events ran and were acked, both from the first
// send.
//
// backlog: b.N events are queued first, with no worker running; then an
// engine starts on them. drained/s is how fast its workers empty the
// queue: the rate at which a backlog, such as the one a burst leaves,
// goes away.
func BenchmarkAsyncDrain(b *testing.B) {
	echo := testguest.WATEcho(b)
	payload := []byte(`{"k":"v"}`)
	ctx := context.Background()
	// send calls enqueue b.N times from 32 goroutines.
	send := func(b *testing.B, enqueue func() error) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) {
					if err := enqueue(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	// drained waits for every event to have run and been acked. It polls
	// the function's counter, which is cheap, and looks at the queue's
	// depth (a walk of every message) only once they have all run.
	drained := func(b *testing.B, eng *engine.Engine) {
		require.Eventually(b, func() bool {
			st, err := eng.Stats("echo")
			return err == nil && st.Invocations >= uint64(b.N) && eng.Metrics(ctx).Async.Depth == 0
		}, 10*time.Minute, time.Millisecond)
	}
	for _, workers := range asyncBenchWorkers {
		b.Run(fmt.Sprintf("live/workers-%d", workers), func(b *testing.B) {
			eng := newEngine(b, engine.Config{DataDir: b.TempDir(), Async: engine.AsyncConfig{Workers: workers}})
			deploy(b, eng, engine.Function{Name: "echo", Code: echo})
			b.ResetTimer()
			start := time.Now()
			send(b, func() error { _, err := eng.InvokeAsync(ctx, "echo", payload); return err })
			accepted := time.Since(start)
			drained(b, eng)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "drained/s")
		})
	}
	for _, workers := range asyncBenchWorkers {
		b.Run(fmt.Sprintf("backlog/workers-%d", workers), func(b *testing.B) {
			dir := b.TempDir()
			s, err := store.Open(dir, store.Options{})
			require.NoError(b, err)
			defer s.Close()
			cfg := engine.Config{DataDir: dir, Store: s, CompilationCacheDir: testguest.CacheDir(b),
				Async: engine.AsyncConfig{Workers: workers}}
			eng, err := engine.New(ctx, cfg)
			require.NoError(b, err)
			deploy(b, eng, engine.Function{Name: "echo", Code: echo})
			require.NoError(b, eng.Close(ctx))
			q, err := queue.New(queue.Config{Store: s, Invoke: func(context.Context, string, []byte, string) (queue.Outcome, error) {
				return queue.Outcome{}, nil
			}})
			require.NoError(b, err)
			send(b, func() error { _, err := q.Enqueue(ctx, "echo", payload, queue.EnqueueOptions{}); return err })
			require.NoError(b, q.Close(ctx))

			b.ResetTimer()
			eng = newEngine(b, cfg)
			drained(b, eng)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "drained/s")
		})
	}
}
