package jsstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
)

// benchStores runs fn against each Store, side by side: "memory", "bbolt"
// (a durable Store in a fresh directory: every write waits for an fsync),
// "jetstream" (this package on the shared embedded server, in-process
// connection, one replica: a single node) and "jetstream-r3" (three
// servers clustered on loopback, three replicas, a TCP connection: a
// cluster node).
func benchStores(b *testing.B, fn func(b *testing.B, s store.Store)) {
	b.Helper()
	b.Run("memory", func(b *testing.B) {
		s := store.NewMemory()
		b.Cleanup(func() { _ = s.Close() })
		fn(b, s)
	})
	b.Run("bbolt", func(b *testing.B) {
		s, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		fn(b, s)
	})
	b.Run("jetstream", func(b *testing.B) {
		fn(b, openOn(b, sharedJetStream(b), jsstore.Options{Prefix: freshPrefix(), Lease: time.Minute}))
	})
	b.Run("jetstream-r3", func(b *testing.B) {
		c := benchCluster(b)
		fn(b, openOn(b, c.connect(0), jsstore.Options{Prefix: freshPrefix(), Lease: time.Minute, Replicas: 3}))
	})
}

// benchCluster starts a cluster once per benchmark function.
func benchCluster(b *testing.B) *cluster {
	b.Helper()
	return startCluster(b)
}

// benchBodyBytes is the size of the values and message bodies written: an
// event or a function record of a typical size.
const benchBodyBytes = 256

// BenchmarkGet reads a key: the invoke path's read of a function record,
// which must not touch the network.
func BenchmarkGet(b *testing.B) {
	body := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s store.Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprintf("tenant-%d/key-%d", i%7, i)
			if err := bk.Put(ctx, keys[i], body); err != nil {
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

// BenchmarkPut writes a key, one writer at a time.
func BenchmarkPut(b *testing.B) {
	body := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s store.Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := bk.Put(ctx, fmt.Sprintf("key-%d", i%1000), body); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkUpdate increments a counter: a read-modify-write, on JetStream
// a revision-checked write.
func BenchmarkUpdate(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		bk, _ := s.Bucket("bench")
		ctx := context.Background()
		increment := func(old []byte, exists bool) ([]byte, error) {
			var n uint64
			if exists {
				n = binary.BigEndian.Uint64(old)
			}
			return binary.BigEndian.AppendUint64(make([]byte, 0, benchBodyBytes), n+1), nil
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := bk.Update(ctx, "counter", increment); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkQueueRoundTrip enqueues a message, receives it and acks it, one
// at a time: an async invocation's latency through the queue, without the
// invocation.
func BenchmarkQueueRoundTrip(b *testing.B) {
	body := make([]byte, benchBodyBytes)
	benchStores(b, func(b *testing.B, s store.Store) {
		q, _ := s.Queue("bench")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := q.Enqueue(ctx, body, time.Time{}); err != nil {
				b.Fatal(err)
			}
			m, err := q.Receive(ctx, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			if err := q.Ack(ctx, m.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPropagation measures how long a change made through one node
// takes to reach another node's view, in a three-server cluster (replicas
// 3): from Put's start on node A to node B's watch reporting it, with B's
// Get returning the new value. It reports the median and the 99th
// percentile besides the mean (ns/op).
func BenchmarkPropagation(b *testing.B) {
	c := benchCluster(b)
	n := c.nodes(jsstore.Options{})
	ctx := context.Background()
	a, other := n[0], n[1]
	ba, _ := a.Bucket("functions")
	bb, _ := other.Bucket("functions")
	seen := make(chan string, 1)
	if err := bb.(store.Watcher).Watch(ctx, func(key string) {
		v, _ := bb.Get(ctx, key)
		seen <- string(v)
	}); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		want := fmt.Sprint(i)
		start := time.Now()
		if err := ba.Put(ctx, "hello", []byte(want)); err != nil {
			b.Fatal(err)
		}
		for got := <-seen; got != want; got = <-seen {
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
