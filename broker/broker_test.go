package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// start starts a broker closed with the test.
func start(t *testing.T, cfg broker.Config) *broker.Broker {
	t.Helper()
	b, err := broker.Start(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close(context.Background())) })
	return b
}

// publishAndRead creates stream name, publishes one message and reads it
// back through a consumer.
func publishAndRead(t *testing.T, js jetstream.JetStream, name string) {
	t.Helper()
	ctx := t.Context()
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}})
	require.NoError(t, err)
	_, err = js.Publish(ctx, name+".new", []byte("hello"))
	require.NoError(t, err)
	c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "reader", AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	msg, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(msg.Data()))
	require.NoError(t, msg.Ack())
}

func TestEmbeddedInProcess(t *testing.T) {
	b := start(t, broker.Config{Listen: broker.ListenOff})
	assert.True(t, b.Embedded())
	assert.Empty(t, b.ClientURL(), "in-process only: nothing listens")
	publishAndRead(t, b.JetStream(), "orders")
}

func TestEmbeddedListensAndKeepsItsFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := broker.Start(t.Context(), broker.Config{StoreDir: dir, Listen: "127.0.0.1:0", ServerName: "node-a"})
	require.NoError(t, err)
	url := b.ClientURL()
	require.NotEmpty(t, url)

	// Any NATS client can publish to it.
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	publishAndRead(t, js, "events")
	nc.Close()
	require.NoError(t, b.Close(context.Background()))
	require.NoError(t, b.Close(context.Background()), "Close is idempotent")
	_, err = os.Stat(filepath.Join(dir, "jetstream"))
	require.NoError(t, err, "JetStream's files are under StoreDir")

	// A restarted broker on the same directory has the stream and its message.
	b = start(t, broker.Config{StoreDir: dir, Listen: broker.ListenOff})
	s, err := b.JetStream().Stream(t.Context(), "events")
	require.NoError(t, err)
	info, err := s.Info(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(1), info.State.Msgs)
}

func TestExternalCluster(t *testing.T) {
	server := start(t, broker.Config{Listen: "127.0.0.1:0"})
	b := start(t, broker.Config{URLs: []string{server.ClientURL()}})
	assert.False(t, b.Embedded())
	publishAndRead(t, b.JetStream(), "external")
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  broker.Config
		want string
	}{
		{"listen without a port", broker.Config{Listen: "127.0.0.1"}, "use HOST:PORT"},
		{"listen with a bad port", broker.Config{Listen: "127.0.0.1:99999"}, "the port must be 0 to 65535"},
		{"nothing at the URL", broker.Config{URLs: []string{"nats://127.0.0.1:1"}}, "connect to nats://127.0.0.1:1"},
		{"credentials stay out of messages", broker.Config{URLs: []string{"nats://alice:secret@127.0.0.1:1"}}, "nats://***@127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := broker.Start(t.Context(), tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

// TestCluster forms a cluster of three embedded servers, each told only of
// the first, and checks that a replicated stream written through one is
// read through another.
func TestCluster(t *testing.T) {
	first := start(t, broker.Config{ServerName: "a", ClusterName: "flint", ClusterListen: "127.0.0.1:0", StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	seed := first.ClusterURL()
	require.NotEmpty(t, seed)
	var others []*broker.Broker
	for _, name := range []string{"b", "c"} {
		others = append(others, start(t, broker.Config{ServerName: name, ClusterName: "flint", ClusterListen: "127.0.0.1:0",
			Routes: []string{seed}, StoreDir: t.TempDir(), Listen: "127.0.0.1:0"}))
	}
	ctx := t.Context()
	for _, b := range append(others, first) {
		require.NoError(t, b.WaitJetStream(ctx))
	}
	var err error
	require.Eventually(t, func() bool {
		_, err = first.JetStream().CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "replicated", Subjects: []string{"r.>"}, Replicas: 3})
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "a replicated stream once the cluster has formed: %v", err)
	_, err = first.JetStream().Publish(ctx, "r.one", []byte("through a"))
	require.NoError(t, err)
	s, err := others[1].JetStream().Stream(ctx, "replicated")
	require.NoError(t, err)
	msg, err := s.GetMsg(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "through a", string(msg.Data))
	assert.Equal(t, "c", others[1].Name())
}

func TestClusterNeedsNames(t *testing.T) {
	for name, cfg := range map[string]broker.Config{
		"no cluster name":  {ServerName: "a", ClusterListen: "127.0.0.1:0"},
		"no route address": {ServerName: "a", ClusterName: "flint"},
		"no node name":     {ClusterName: "flint", ClusterListen: "127.0.0.1:0"},
		"in-process only":  {ServerName: "a", ClusterName: "flint", ClusterListen: "127.0.0.1:0", Listen: broker.ListenOff},
	} {
		_, err := broker.Start(t.Context(), cfg)
		assert.Error(t, err, name)
	}
}

// TestClusterSecret forms a cluster whose routes need a password: a member
// with it joins (messages pass between them), a server without it does not.
func TestClusterSecret(t *testing.T) {
	member := func(name, secret string, routes ...string) *broker.Broker {
		return start(t, broker.Config{ServerName: name, ClusterName: "flint", ClusterListen: "127.0.0.1:0",
			ClusterSecret: secret, Routes: routes, StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	}
	a := member("a", "route-secret")
	b := member("b", "route-secret", a.ClusterURL())
	stranger := member("x", "not-the-secret", a.ClusterURL())
	intruder := member("y", "", a.ClusterURL())

	got := make(chan string, 1024)
	sub, err := a.Conn().Subscribe("hello", func(m *nats.Msg) { got <- string(m.Data) })
	require.NoError(t, err)
	defer sub.Unsubscribe()
	require.NoError(t, a.Conn().Flush())
	require.Eventually(t, func() bool {
		_ = b.Conn().Publish("hello", []byte("from b"))
		select {
		case m := <-got:
			return m == "from b"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}, 30*time.Second, 10*time.Millisecond, "a member with the secret joins")
	for _, s := range []*broker.Broker{stranger, intruder} {
		require.NoError(t, s.Conn().Publish("hello", []byte("from "+s.Name())))
		require.NoError(t, s.Conn().Flush())
	}
	for deadline := time.After(2 * time.Second); ; {
		select {
		case m := <-got:
			require.Equal(t, "from b", m, "a server without the secret reached the cluster")
		case <-deadline:
			return
		}
	}
}
