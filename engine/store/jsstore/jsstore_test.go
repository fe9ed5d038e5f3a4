package jsstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/engine/store/storetest"
)

// shared is one embedded NATS server for the package's tests, started by
// the first test that needs it: every test makes Stores with a prefix of
// its own, so they share the server without seeing each other's data.
var shared struct {
	once sync.Once
	b    *broker.Broker
	err  error
	n    atomic.Int64
}

// TestMain stops the shared server after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		_ = shared.b.Close(context.Background())
	}
	os.Exit(code)
}

// sharedJetStream returns the shared server's JetStream.
func sharedJetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	shared.once.Do(func() {
		shared.b, shared.err = broker.Start(context.Background(), broker.Config{})
	})
	require.NoError(t, shared.err)
	return shared.b.JetStream()
}

// freshPrefix is a Store prefix no other test uses.
func freshPrefix() string { return fmt.Sprintf("t%d", shared.n.Add(1)) }

// openShared opens a Store with a fresh prefix on the shared server,
// closed when the test ends.
func openShared(t *testing.T) store.Store {
	return openOn(t, sharedJetStream(t), jsstore.Options{Prefix: freshPrefix()})
}

// openOn opens a Store on js, closed when the test ends.
func openOn(t testing.TB, js jetstream.JetStream, opts jsstore.Options) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := jsstore.New(ctx, js, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance runs the store conformance suite on JetStream. The two
// exceptions are JetStream's: a stream delivers in the order it stores,
// and reports leases as messages pending acknowledgement.
func TestConformance(t *testing.T) {
	storetest.Run(t, openShared, storetest.PastDuesInEnqueueOrder, storetest.LeasedCountsExpired)
}

// TestExtendAtAckWait extends leases as long as the consumer's AckWait, the
// way the engine's async workers do (flint serve gives the store their
// lease): the message stays with its holder, and comes back once the
// extensions stop.
func TestExtendAtAckWait(t *testing.T) {
	// Long enough that an extension sent every lease/4 arrives in time on
	// a loaded machine.
	const lease = 2 * time.Second
	s := openOn(t, sharedJetStream(t), jsstore.Options{Prefix: freshPrefix(), Lease: lease})
	q := storetest.OpenQueue(t, s, "extend")
	storetest.Enqueue(t, q, "a", time.Time{})
	m := storetest.Receive(t, q, lease)
	for range 6 {
		time.Sleep(lease / 4)
		require.NoError(t, q.Extend(t.Context(), m.ID, lease))
	}
	ctx, cancel := context.WithTimeout(t.Context(), lease/4)
	_, err := q.Receive(ctx, lease)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "extended: not delivered again")
	again := storetest.Receive(t, q, lease)
	assert.Equal(t, m.ID, again.ID, "delivered again once no longer extended")
	require.NoError(t, q.Ack(t.Context(), again.ID))
}

// TestNewErrors checks that unusable options, and a NATS server that
// cannot carry 1 MiB values with their headers, are refused up front.
func TestNewErrors(t *testing.T) {
	js := sharedJetStream(t)
	for _, tc := range []struct {
		name string
		opts jsstore.Options
	}{
		{"prefix with an underscore", jsstore.Options{Prefix: "a_b"}},
		{"prefix with a dot", jsstore.Options{Prefix: "a.b"}},
		{"prefix too long", jsstore.Options{Prefix: strings.Repeat("p", 33)}},
		{"too many replicas", jsstore.Options{Replicas: 6}},
		{"negative replicas", jsstore.Options{Replicas: -1}},
		{"negative lease", jsstore.Options{Lease: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jsstore.New(t.Context(), js, tc.opts)
			assert.ErrorIs(t, err, jsstore.ErrConfig)
		})
	}

	t.Run("max_payload of 1 MiB", func(t *testing.T) {
		ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoSigs: true})
		require.NoError(t, err)
		go ns.Start()
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
		require.True(t, ns.ReadyForConnections(10*time.Second))
		nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
		require.NoError(t, err)
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		require.NoError(t, err)
		_, err = jsstore.New(t.Context(), js, jsstore.Options{})
		assert.ErrorIs(t, err, jsstore.ErrConfig)
		assert.ErrorContains(t, err, "max_payload")
	})
}

// TestPrefixes checks that Stores with the same prefix share everything
// (they are nodes of one Flint) and Stores with different prefixes share
// nothing.
func TestPrefixes(t *testing.T) {
	ctx := t.Context()
	js := sharedJetStream(t)
	p := freshPrefix()
	a, same, other := openOn(t, js, jsstore.Options{Prefix: p}), openOn(t, js, jsstore.Options{Prefix: p}), openShared(t)

	require.NoError(t, storetest.OpenBucket(t, a, "functions").Put(ctx, "hello", []byte("v")))
	require.Eventually(t, func() bool {
		_, err := storetest.OpenBucket(t, same, "functions").Get(ctx, "hello")
		return err == nil
	}, 10*time.Second, time.Millisecond)
	_, err := storetest.OpenBucket(t, other, "functions").Get(ctx, "hello")
	assert.ErrorIs(t, err, store.ErrNotFound)

	storetest.Enqueue(t, storetest.OpenQueue(t, a, "async"), "event", time.Time{})
	storetest.AssertEmpty(t, storetest.OpenQueue(t, other, "async"))
	assert.Equal(t, []byte("event"), storetest.Receive(t, storetest.OpenQueue(t, same, "async"), time.Minute).Body)
}
