package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// benchStores runs fn against each Store: "memory" and "bbolt" (a durable
// Store in a fresh directory: every write waits for an fsync).
func benchStores(b *testing.B, fn func(b *testing.B, s Store)) {
	b.Helper()
	b.Run("memory", func(b *testing.B) {
		s := NewMemory()
		b.Cleanup(func() { _ = s.Close() })
		fn(b, s)
	})
	b.Run("bbolt", func(b *testing.B) {
		s, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		fn(b, s)
	})
}

// benchParallelism is how many goroutines per CPU the parallel benchmarks
// run: enough writers to show commits being shared.
const benchParallelism = 16

// benchBodyBytes is the size of the values and message bodies written: an
// event of a typical size.
const benchBodyBytes = 256

func BenchmarkQueueEnqueue(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		q, _ := s.Queue("bench")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := q.Enqueue(ctx, benchBody, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkQueueEnqueueParallel(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		q, _ := s.Queue("bench")
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := q.Enqueue(ctx, benchBody, time.Time{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkQueueReceiveAck measures taking a due message and acknowledging
// it, from concurrent workers: the async invoker's loop.
func BenchmarkQueueReceiveAck(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		q, _ := s.Queue("bench")
		ctx := context.Background()
		fill := func(n int) {
			b.StopTimer()
			b.SetParallelism(benchParallelism)
			var left atomic.Int64
			left.Store(int64(n))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
				}
				for left.Add(-1) >= 0 {
					if _, err := q.Enqueue(ctx, benchBody, time.Time{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StartTimer()
		}
		fill(b.N)
		b.ReportAllocs()
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m, err := q.Receive(ctx, time.Minute)
				if err == nil {
					err = q.Ack(ctx, m.ID)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkBucketGet(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprintf("tenant-%d/key-%d", i%7, i)
			if err := bk.Put(ctx, keys[i], benchBody); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := bk.Get(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkBucketPut(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := bk.Put(ctx, fmt.Sprintf("key-%d", i%1000), benchBody); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkBucketPutParallel(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		var n atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := bk.Put(ctx, fmt.Sprintf("key-%d", n.Add(1)%1000), benchBody); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkCommit compares bbolt's DB.Batch with writer, the group commit
// the durable Store uses, for one writer at a time and for many.
func BenchmarkCommit(b *testing.B) {
	benchBody := make([]byte, benchBodyBytes)
	put := func(i int64) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("bench"))
			if err != nil {
				return err
			}
			return bk.Put([]byte(fmt.Sprint(i)), benchBody)
		}
	}
	for _, strategy := range []string{"batch", "writer"} {
		for _, parallel := range []bool{false, true} {
			name := strategy + "/serial"
			if parallel {
				name = strategy + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				db, err := bbolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
				if err != nil {
					b.Fatal(err)
				}
				w := newWriter(db)
				b.Cleanup(func() { w.close(); _ = db.Close() })
				var n atomic.Int64
				commit := func() error {
					fn := put(n.Add(1))
					if strategy == "batch" {
						return db.Batch(fn)
					}
					return w.do(context.Background(), fn)
				}
				if !parallel {
					for b.Loop() {
						if err := commit(); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := commit(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
