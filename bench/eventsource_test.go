package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/nats-io/nats.go/jetstream"
)

// mappingMessages is how many messages one iteration of
// BenchmarkMappingThroughput moves from the stream to the function.
const mappingMessages = 10000

// eventBench is an embedded NATS server with a stream "bench", and an
// engine running wat-echo as "fn".
type eventBench struct {
	js  jetstream.JetStream
	eng *engine.Engine
	st  store.Store
}

func newEventBench(b *testing.B) *eventBench {
	b.Helper()
	ctx := context.Background()
	bk, err := broker.Start(ctx, broker.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bk.Close(context.Background()) })
	st := store.NewMemory()
	b.Cleanup(func() { _ = st.Close() })
	eng := newEngine(b, engine.Config{Store: st})
	if _, err := eng.Deploy(ctx, engine.Function{Name: "fn", Code: testguest.WATEcho(b)}); err != nil {
		b.Fatal(err)
	}
	return &eventBench{js: bk.JetStream(), eng: eng, st: st}
}

// fill (re)creates the stream with n messages of a small order body.
func (e *eventBench) fill(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	_ = e.js.DeleteStream(ctx, "bench")
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "bench", Subjects: []string{"bench.>"}}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := e.js.PublishAsync("bench.orders", []byte(`{"id":"o-`+strconv.Itoa(i)+`","qty":1}`)); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			<-e.js.PublishAsyncComplete()
		}
	}
	<-e.js.PublishAsyncComplete()
}

// BenchmarkMappingThroughput moves mappingMessages messages from a stream
// to a function, with an event source mapping (wat-echo, which returns its
// event) against a bare nats.go consumer doing the same fetch-and-ack in
// the same run: run them side by side and compare msgs/s.
//
//	go test -run '^$' -bench MappingThroughput -benchtime 3x -count 5 ./bench/
func BenchmarkMappingThroughput(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("bare/batch-%d", batch), func(b *testing.B) {
			e := newEventBench(b)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.fill(b, mappingMessages)
				s, err := e.js.Stream(ctx, "bench")
				if err != nil {
					b.Fatal(err)
				}
				c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for done := 0; done < mappingMessages; {
					msgs, err := c.Fetch(batch, jetstream.FetchMaxWait(5*time.Second))
					if err != nil {
						b.Fatal(err)
					}
					for m := range msgs.Messages() {
						if err := m.Ack(); err != nil {
							b.Fatal(err)
						}
						done++
					}
					if err := msgs.Error(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(mappingMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
		b.Run(fmt.Sprintf("flint/batch-%d", batch), func(b *testing.B) {
			e := newEventBench(b)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.fill(b, mappingMessages)
				// A store of its own for each run's mapping.
				mgr, err := eventsource.New(ctx, eventsource.Config{Engine: e.eng, JetStream: e.js, Store: store.NewMemory()})
				if err != nil {
					b.Fatal(err)
				}
				before, err := e.eng.Stats("fn")
				if err != nil {
					b.Fatal(err)
				}
				window := time.Duration(0)
				if batch > 10 {
					window = time.Second // Lambda's rule; with a backlog batches fill long before it ends
				}
				b.StartTimer()
				m, err := mgr.Create(ctx, eventsource.Mapping{Function: "fn", Stream: "bench", BatchSize: batch,
					MaximumBatchingWindow: window, Enabled: true})
				if err != nil {
					b.Fatal(err)
				}
				// Watch the function's invocations (cheap, in memory); with a
				// backlog every batch is full, which the mapping's own
				// counters (they ask JetStream for the lag) then confirm.
				for {
					if st, err := e.eng.Stats("fn"); err == nil && int(st.Invocations-before.Invocations)*batch >= mappingMessages {
						st, err := mgr.Stats(ctx, m.UUID)
						if err != nil {
							b.Fatal(err)
						}
						if st.Succeeded >= mappingMessages {
							break
						}
					}
					time.Sleep(500 * time.Microsecond)
				}
				b.StopTimer()
				if err := mgr.Close(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(mappingMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkPublishToInvoke is the time from publishing one message to its
// function's invocation ending, at low load: a mapping with batch size 1
// and no batching window, one message at a time. It reports the median and
// the 99th percentile.
//
//	go test -run '^$' -bench PublishToInvoke -benchtime 2000x -count 3 ./bench/
func BenchmarkPublishToInvoke(b *testing.B) {
	e := newEventBench(b)
	ctx := context.Background()
	e.fill(b, 0)
	mgr, err := eventsource.New(ctx, eventsource.Config{Engine: e.eng, JetStream: e.js, Store: e.st})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = mgr.Close(context.Background()) })
	if _, err := mgr.Create(ctx, eventsource.Mapping{Function: "fn", Stream: "bench", BatchSize: 1, Enabled: true}); err != nil {
		b.Fatal(err)
	}
	invoked := make(chan struct{}, 1)
	fctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	go func() {
		_ = e.eng.FollowLogs(fctx, "fn", func(engine.LogRecord) bool {
			invoked <- struct{}{}
			return true
		})
	}()
	// Warm up: the instance, the consumer, the follower.
	for range 20 {
		if _, err := e.js.Publish(ctx, "bench.orders", []byte(`{"id":"warm"}`)); err != nil {
			b.Fatal(err)
		}
		<-invoked
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := e.js.Publish(ctx, "bench.orders", []byte(`{"id":"o","qty":1}`)); err != nil {
			b.Fatal(err)
		}
		<-invoked
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
