package queue

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/stretchr/testify/require"
)

// BenchmarkEvents runs b.N events through a Queue: enqueued by 16
// goroutines while 16 workers invoke them (a no-op function) and ack
// them. On bbolt, each event costs three commits (enqueue, lease, ack),
// shared between concurrent writers.
//
//	go test -run '^$' -bench Events -benchtime 2000x ./engine/queue/
func BenchmarkEvents(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return store.NewMemory() }},
		{"bbolt", func(b *testing.B) store.Store {
			s, err := store.Open(b.TempDir(), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.store(b)
			defer s.Close()
			var invoked atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			q, err := New(Config{Store: s, Workers: 16, Invoke: func(context.Context, string, []byte, string) (Outcome, error) {
				if invoked.Add(1) == n {
					close(done)
				}
				return Outcome{}, nil
			}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			q.Start()
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Go(func() {
					for i := w; i < b.N; i += 16 {
						if _, err := q.Enqueue(ctx, "fn", []byte(`{"k":"v"}`), EnqueueOptions{}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatal("not all events ran")
			}
			// The last acks are in flight: wait for the queue to be empty.
			require.Eventually(b, func() bool {
				st, err := q.Stats(ctx)
				return err == nil && st.Depth == 0
			}, time.Minute, 100*time.Microsecond)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if err := q.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
