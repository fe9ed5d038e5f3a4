package jsstore_test

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/engine/store/storetest"
	"github.com/flintfaas/flint/internal/natstest"
)

type cluster struct {
	t    testing.TB
	nats *natstest.Cluster
}

// startCluster starts three NATS servers clustered over loopback routes.
func startCluster(t testing.TB) *cluster {
	t.Helper()
	return &cluster{t: t, nats: natstest.StartCluster(t, 3)}
}

// start starts server i again, on its ports and files.
func (c *cluster) start(i int) { c.nats.Start(i) }

// stop stops server i: its clients lose NATS.
func (c *cluster) stop(i int) { c.nats.Stop(i) }

// connect returns a JetStream client of server i only.
func (c *cluster) connect(i int) jetstream.JetStream {
	c.t.Helper()
	js, err := jetstream.New(c.nats.Connect(i))
	require.NoError(c.t, err)
	return js
}

// nodes opens one Store per server, all with the same prefix and three
// replicas: one Flint cluster.
func (c *cluster) nodes(opts jsstore.Options) []store.Store {
	c.t.Helper()
	opts.Prefix = freshPrefix()
	opts.Replicas = 3
	var stores []store.Store
	for i := range 3 {
		stores = append(stores, openOn(c.t, c.connect(i), opts))
	}
	return stores
}

// TestCluster checks what the cluster relies on, across three servers:
// what is written through one node is read through another, concurrent
// updates of one key lose nothing, a message leased on a node that does
// not acknowledge it goes to another, and watches see other nodes' changes.
func TestCluster(t *testing.T) {
	c := startCluster(t)
	ctx := t.Context()

	t.Run("put on one node, read on the others", func(t *testing.T) {
		n := c.nodes(jsstore.Options{})
		a, b, cc := storetest.OpenBucket(t, n[0], "functions"), storetest.OpenBucket(t, n[1], "functions"), storetest.OpenBucket(t, n[2], "functions")
		require.NoError(t, a.Put(ctx, "hello", []byte("v1")))
		for name, other := range map[string]store.Bucket{"B": b, "C": cc} {
			require.Eventually(t, func() bool {
				v, err := other.Get(ctx, "hello")
				return err == nil && string(v) == "v1"
			}, 10*time.Second, time.Millisecond, "node %s never saw the value", name)
		}
		require.NoError(t, b.Delete(ctx, "hello"))
		require.Eventually(t, func() bool {
			_, err := a.Get(ctx, "hello")
			return assert.ObjectsAreEqual(true, err != nil)
		}, 10*time.Second, time.Millisecond, "node A never saw the delete")

		digest, err := n[0].Blobs().Put(ctx, []byte("module bytes"))
		require.NoError(t, err)
		got, err := n[2].Blobs().Get(ctx, digest)
		require.NoError(t, err)
		assert.Equal(t, []byte("module bytes"), got)
	})

	t.Run("concurrent updates from two nodes lose nothing", func(t *testing.T) {
		n := c.nodes(jsstore.Options{})
		const each = 40
		increment := func(old []byte, exists bool) ([]byte, error) {
			var v uint64
			if exists {
				v = binary.BigEndian.Uint64(old)
			}
			return binary.BigEndian.AppendUint64(nil, v+1), nil
		}
		var wg sync.WaitGroup
		for _, s := range n[:2] {
			b := storetest.OpenBucket(t, s, "counters")
			for range 2 {
				wg.Go(func() {
					for range each {
						assert.NoError(t, b.Update(ctx, "n", increment))
					}
				})
			}
		}
		wg.Wait()
		want := uint64(4 * each)
		third := storetest.OpenBucket(t, n[2], "counters")
		require.Eventually(t, func() bool {
			v, err := third.Get(ctx, "n")
			return err == nil && binary.BigEndian.Uint64(v) == want
		}, 10*time.Second, time.Millisecond, "no increment lost, seen on the third node")
	})

	t.Run("a lease that expires on one node delivers on another", func(t *testing.T) {
		const lease = 300 * time.Millisecond
		n := c.nodes(jsstore.Options{Lease: lease})
		qa, qb := storetest.OpenQueue(t, n[0], "async"), storetest.OpenQueue(t, n[1], "async")
		id := storetest.Enqueue(t, qa, "event", time.Time{})
		leased := time.Now()
		m := storetest.Receive(t, qa, lease)
		require.Equal(t, id, m.ID)
		// Node A "dies" holding the message: it never acks.
		again := storetest.Receive(t, qb, lease)
		assert.GreaterOrEqual(t, time.Since(leased), lease, "delivered again before the lease ended")
		assert.Equal(t, id, again.ID)
		assert.Equal(t, []byte("event"), again.Body)
		assert.Equal(t, 2, again.Deliveries)
		assert.Equal(t, m.Enqueued, again.Enqueued)
		require.NoError(t, qb.Ack(ctx, again.ID))
		assert.ErrorIs(t, qa.Ack(ctx, m.ID), store.ErrNotFound, "the late ack of node A")

		// A retry on one node is delivered on another, its count kept.
		storetest.Enqueue(t, qa, "attempt 1", time.Time{})
		r := storetest.Receive(t, qa, time.Minute)
		require.NoError(t, qa.Retry(ctx, r.ID, []byte("attempt 2"), time.Now().Add(100*time.Millisecond)))
		r2 := storetest.Receive(t, qb, time.Minute)
		assert.Equal(t, []byte("attempt 2"), r2.Body)
		assert.Equal(t, 2, r2.Deliveries)
		require.NoError(t, qb.Ack(ctx, r2.ID))
		st, err := qa.Stats(ctx)
		require.NoError(t, err)
		assert.Zero(t, st.Depth)
	})

	t.Run("a watch sees other nodes' changes", func(t *testing.T) {
		n := c.nodes(jsstore.Options{})
		a, b := storetest.OpenBucket(t, n[0], "aliases"), storetest.OpenBucket(t, n[1], "aliases")
		seen := make(chan string, 10)
		require.NoError(t, b.(store.Watcher).Watch(ctx, func(key string) {
			v, err := b.Get(ctx, key)
			if err != nil {
				seen <- key + " deleted"
				return
			}
			seen <- key + "=" + string(v)
		}))
		// Each change is awaited on B before the next: a change superseded
		// before B's watch delivers it reaches B as its successor only
		// (history 1), so a burst may be reported as its last state.
		for _, step := range []struct {
			change func() error
			want   string
		}{
			{func() error { return a.Put(ctx, "fn:live", []byte("3")) }, "fn:live=3"},
			{func() error {
				return a.Update(ctx, "fn:live", func([]byte, bool) ([]byte, error) { return []byte("4"), nil })
			}, "fn:live=4"},
			{func() error { return a.Delete(ctx, "fn:live") }, "fn:live deleted"},
		} {
			require.NoError(t, step.change())
			select {
			case e := <-seen:
				assert.Equal(t, step.want, e)
			case <-time.After(10 * time.Second):
				_, err := b.Get(ctx, "fn:live")
				t.Fatalf("the watch on node B did not report %q (B's Get: %v)", step.want, err)
			}
		}
	})
}

// TestClusterNodeLosesNATS checks what a node that loses NATS sees: reads
// keep working from its view, writes fail at once with ErrUnavailable,
// and once NATS is back it catches up with what changed meanwhile.
func TestClusterNodeLosesNATS(t *testing.T) {
	c := startCluster(t)
	ctx := t.Context()
	n := c.nodes(jsstore.Options{})
	a, lost := storetest.OpenBucket(t, n[0], "functions"), storetest.OpenBucket(t, n[2], "functions")
	q := storetest.OpenQueue(t, n[2], "async")
	require.NoError(t, a.Put(ctx, "hello", []byte("v1")))
	require.Eventually(t, func() bool { _, err := lost.Get(ctx, "hello"); return err == nil }, 10*time.Second, time.Millisecond)
	changed := make(chan string, 10)
	require.NoError(t, lost.(store.Watcher).Watch(ctx, func(key string) { changed <- key }))

	c.stop(2)
	v, err := lost.Get(ctx, "hello")
	require.NoError(t, err, "reads are served from the view")
	assert.Equal(t, []byte("v1"), v)
	keys, _, err := lost.List(ctx, "", "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, keys)
	require.Eventually(t, func() bool {
		return lost.Put(ctx, "probe", nil) != nil
	}, 10*time.Second, 10*time.Millisecond, "the client noticed the lost connection")
	for name, call := range map[string]func() error{
		"Put":     func() error { return lost.Put(ctx, "hello", []byte("v2")) },
		"Delete":  func() error { return lost.Delete(ctx, "hello") },
		"Update":  func() error { return lost.Update(ctx, "hello", func([]byte, bool) ([]byte, error) { return nil, nil }) },
		"Enqueue": func() error { _, err := q.Enqueue(ctx, nil, time.Time{}); return err },
		"Receive": func() error { _, err := q.Receive(ctx, time.Minute); return err },
		"BlobPut": func() error { _, err := n[2].Blobs().Put(ctx, []byte("x")); return err },
	} {
		start := time.Now()
		err := call()
		assert.ErrorIs(t, err, store.ErrUnavailable, name)
		assert.Less(t, time.Since(start), time.Second, "%s failed at once", name)
	}

	// The rest of the cluster goes on.
	require.NoError(t, a.Put(ctx, "while-away", []byte("x")))
	require.NoError(t, a.Delete(ctx, "hello"))

	c.start(2)
	require.Eventually(t, func() bool {
		_, errNew := lost.Get(ctx, "while-away")
		_, errOld := lost.Get(ctx, "hello")
		return errNew == nil && errOld != nil
	}, 60*time.Second, 10*time.Millisecond, "the node caught up after reconnecting")
	got := map[string]bool{}
	for !got["while-away"] || !got["hello"] {
		select {
		case k := <-changed:
			got[k] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("the watch reported %v after the reconnect", got)
		}
	}
	require.Eventually(t, func() bool { return lost.Put(ctx, "back", nil) == nil }, 30*time.Second, 10*time.Millisecond, "writes work again")
}

// TestClusterNodeCutOff checks a node whose own NATS server is up but has
// lost the others (a network partition, or the rest of the cluster down):
// its streams have no quorum, so writes fail with ErrUnavailable (after
// JetStream's wait for a responder, or at the latest its request timeout),
// reads keep working from the view, and writes work again once the others
// are back.
func TestClusterNodeCutOff(t *testing.T) {
	c := startCluster(t)
	ctx := t.Context()
	n := c.nodes(jsstore.Options{})
	b := storetest.OpenBucket(t, n[2], "functions")
	q := storetest.OpenQueue(t, n[2], "async")
	require.NoError(t, b.Put(ctx, "hello", []byte("v1")))

	c.stop(0)
	c.stop(1)
	for name, call := range map[string]func(ctx context.Context) error{
		"Put": func(ctx context.Context) error { return b.Put(ctx, "hello", []byte("v2")) },
		"Update": func(ctx context.Context) error {
			return b.Update(ctx, "n", func([]byte, bool) ([]byte, error) { return []byte("1"), nil })
		},
		"Enqueue": func(ctx context.Context) error { _, err := q.Enqueue(ctx, nil, time.Time{}); return err },
	} {
		// A caller's deadline that passes first is unavailability too.
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		err := call(ctx)
		cancel()
		assert.ErrorIs(t, err, store.ErrUnavailable, name)
	}
	v, err := b.Get(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), v, "reads are served from the view")

	c.start(0)
	c.start(1)
	require.Eventually(t, func() bool { return b.Put(ctx, "hello", []byte("v3")) == nil }, 60*time.Second, 50*time.Millisecond, "writes work again")
	v, err = b.Get(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, []byte("v3"), v)
}
