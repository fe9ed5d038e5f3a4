package eventsource_test

import (
	"context"
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

// benchSystem is what the benchmarks run on: an embedded NATS server and
// an engine running the WAT echo guest as "fn", which returns its event
// and so costs the least a function can. Streams are made per run.
type benchSystem struct {
	js      jetstream.JetStream
	eng     *engine.Engine
	streams int // streams made so far, to name the next one
}

func newBenchSystem(b *testing.B) *benchSystem {
	b.Helper()
	ctx := context.Background()
	bk, err := broker.Start(ctx, broker.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bk.Close(context.Background()) })
	st := store.NewMemory()
	b.Cleanup(func() { _ = st.Close() })
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close(context.Background()) })
	if _, err := eng.Deploy(ctx, engine.Function{Name: "fn", Code: testguest.WATEcho(b), Timeout: 5 * time.Second}); err != nil {
		b.Fatal(err)
	}
	return &benchSystem{js: bk.JetStream(), eng: eng}
}

// fill makes a new stream holding n small JSON messages and returns its
// name.
func (s *benchSystem) fill(b *testing.B, n int) string {
	b.Helper()
	ctx := context.Background()
	s.streams++
	name := "bench" + strconv.Itoa(s.streams)
	if _, err := s.js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := s.js.PublishAsync(name+".orders", []byte(`{"id":"o-`+strconv.Itoa(i)+`","qty":1}`)); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			<-s.js.PublishAsyncComplete()
		}
	}
	<-s.js.PublishAsyncComplete()
	return name
}

// drop deletes a stream after its run, so that the next runs do not carry
// its files.
func (s *benchSystem) drop(b *testing.B, name string) {
	b.Helper()
	if err := s.js.DeleteStream(context.Background(), name); err != nil {
		b.Fatal(err)
	}
}

// roundUp is n rounded up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// throughputBatch is the bare consumer's fetch size, and the multiple of it
// every run moves, so that all runs end on full batches (a mapping's last,
// partial batch would otherwise wait out its batching window).
const throughputBatch = 100

// BenchmarkMappingThroughput moves messages from a stream to the WAT echo
// function through an event source mapping of batch size 1 and 100, and,
// side by side in the same run, through a bare nats.go pull consumer that
// acknowledges each message (what a mapping does, without the function),
// in two ways (see bareConsumer): Fetch of 100 at a time, and the pipelined
// iterator a mapping reads with. Each run publishes b.N messages (rounded up
// to a multiple of 100) before its clock starts, then measures until every
// one is acknowledged; msgs/s is the figure to compare. The mapping is done
// when the manager's Stats count every record as succeeded (acknowledged
// after its invocation); the engine's in-memory invocation counter gates
// those Stats calls, which ask JetStream for the lag.
//
//	go test -run '^$' -bench MappingThroughput -benchtime 20000x -count 5 ./eventsource/
func BenchmarkMappingThroughput(b *testing.B) {
	s := newBenchSystem(b)
	b.Run("bare-fetch", func(b *testing.B) { bareConsumer(b, s, false) })
	b.Run("bare-consume", func(b *testing.B) { bareConsumer(b, s, true) })
	for _, batch := range []int{1, 100} {
		b.Run("batch"+strconv.Itoa(batch), func(b *testing.B) {
			ctx := context.Background()
			n := roundUp(b.N, throughputBatch)
			name := s.fill(b, n)
			defer s.drop(b, name)
			// A manager and store of its own for each run's mapping.
			st := store.NewMemory()
			defer func() { _ = st.Close() }()
			mgr, err := eventsource.New(ctx, eventsource.Config{Engine: s.eng, JetStream: s.js, Store: st})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = mgr.Close(ctx) }()
			before, err := s.eng.Stats("fn")
			if err != nil {
				b.Fatal(err)
			}
			// Lambda wants a window of at least a second above 10 records;
			// with the stream already full every batch fills at once.
			window := time.Duration(0)
			if batch > 10 {
				window = time.Second
			}
			b.ResetTimer()
			m, err := mgr.Create(ctx, eventsource.Mapping{Function: "fn", Stream: name, BatchSize: batch,
				MaximumBatchingWindow: window, Enabled: true})
			if err != nil {
				b.Fatal(err)
			}
			batches := uint64(n / batch)
			for {
				st, err := s.eng.Stats("fn")
				if err != nil {
					b.Fatal(err)
				}
				if st.Invocations-before.Invocations >= batches {
					ms, err := mgr.Stats(ctx, m.UUID)
					if err != nil {
						b.Fatal(err)
					}
					if ms.Failed > 0 {
						b.Fatalf("%d records failed", ms.Failed)
					}
					if ms.Succeeded >= uint64(n) {
						break
					}
				}
				time.Sleep(200 * time.Microsecond) // polling: nothing to await
			}
			b.StopTimer()
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// bareConsumer moves b.N messages (rounded up to a multiple of 100) from a
// stream with nats.go alone, acknowledging each: with Fetch, 100 messages
// a request, one request after the other; or, with consume, through the
// pipelined pull iterator (Consumer.Messages) with the client-side buffer a
// batch-100 mapping uses (500 messages), which is how a mapping reads.
func bareConsumer(b *testing.B, s *benchSystem, consume bool) {
	ctx := context.Background()
	n := roundUp(b.N, throughputBatch)
	name := s.fill(b, n)
	defer s.drop(b, name)
	stream, err := s.js.Stream(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if consume {
		iter, err := cons.Messages(jetstream.PullMaxMessages(5*throughputBatch), jetstream.PullExpiry(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			m, err := iter.Next()
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Ack(); err != nil {
				b.Fatal(err)
			}
		}
		iter.Stop()
	} else {
		for done := 0; done < n; {
			msgs, err := cons.Fetch(throughputBatch, jetstream.FetchMaxWait(5*time.Second))
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
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPublishToInvocation is the latency from publishing one message
// (js.Publish, which returns when the stream has stored it) to the end of
// the function's invocation with it, at low load: one message at a time,
// through a mapping of batch size 1 and no batching window. The end of an
// invocation is when the engine hands its log record to FollowLogs. It
// reports the median and the 99th percentile, in microseconds.
//
//	go test -run '^$' -bench PublishToInvocation -benchtime 2000x -count 5 ./eventsource/
func BenchmarkPublishToInvocation(b *testing.B) {
	s := newBenchSystem(b)
	ctx := context.Background()
	name := s.fill(b, 0)
	mgr, err := eventsource.New(ctx, eventsource.Config{Engine: s.eng, JetStream: s.js, Store: store.NewMemory()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = mgr.Close(context.Background()) })

	invoked := make(chan struct{}, 1)
	fctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	go func() {
		_ = s.eng.FollowLogs(fctx, "fn", func(r engine.LogRecord) bool {
			if r.RequestID != "" {
				invoked <- struct{}{}
			}
			return true
		})
	}()
	// Invoke directly until the follower reports one: it is then
	// subscribed. Drain what it reports meanwhile.
	for subscribed := false; !subscribed; {
		if _, err := s.eng.Invoke(ctx, "fn", []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
		select {
		case <-invoked:
			subscribed = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	for drained := false; !drained; {
		select {
		case <-invoked:
		case <-time.After(50 * time.Millisecond):
			drained = true
		}
	}

	if _, err := mgr.Create(ctx, eventsource.Mapping{Function: "fn", Stream: name, BatchSize: 1, Enabled: true}); err != nil {
		b.Fatal(err)
	}
	publish := func() time.Duration {
		start := time.Now()
		if _, err := s.js.Publish(ctx, name+".orders", []byte(`{"id":"o","qty":1}`)); err != nil {
			b.Fatal(err)
		}
		select {
		case <-invoked:
		case <-time.After(30 * time.Second):
			b.Fatal("no invocation 30 s after publishing")
		}
		return time.Since(start)
	}
	// Warm up: the consumer's first pull, the instance.
	for range 20 {
		publish()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		lat = append(lat, publish())
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds()), "p99-µs")
}
