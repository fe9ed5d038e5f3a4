package cluster_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/natstest"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
)

// flintCluster is Flint nodes on a NATS cluster, in this process: what
// flint serve --cluster-name runs on each machine, with each node's NATS
// server apart so that a test can take it away.
type flintCluster struct {
	t         testing.TB
	nats      *natstest.Cluster
	prefix    string
	heartbeat time.Duration
	nodes     []*flintNode
}

// flintNode is one node: its connection to its own NATS server, the
// shared store, its membership, engine, event sources and gateway.
type flintNode struct {
	name    string
	nc      *nats.Conn
	js      jetstream.JetStream
	st      store.Store
	member  *cluster.Node
	eng     *engine.Engine
	sources *eventsource.Manager
	sched   *schedule.Scheduler
	gw      *gateway.Gateway
	url     string
	lambda  *lambda.Client
	stopped bool
}

// testHeartbeat makes membership changes quick enough for tests.
const testHeartbeat = 200 * time.Millisecond

var prefixes atomic.Int64

// startFlintCluster starts n NATS servers and a Flint node on each, with
// heartbeats every testHeartbeat.
func startFlintCluster(t testing.TB, n int) *flintCluster {
	t.Helper()
	return startFlintClusterWith(t, n, testHeartbeat)
}

// startFlintClusterWith is startFlintCluster with heartbeats every
// heartbeat (benchmarks take flint serve's, which costs less CPU).
func startFlintClusterWith(t testing.TB, n int, heartbeat time.Duration) *flintCluster {
	t.Helper()
	c := &flintCluster{t: t, nats: natstest.StartCluster(t, n), heartbeat: heartbeat,
		prefix: fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e6, prefixes.Add(1))}
	for i := range n {
		c.nodes = append(c.nodes, c.startNode(i))
	}
	return c
}

// startNode starts a Flint node on NATS server i.
func (c *flintCluster) startNode(i int) *flintNode {
	t := c.t
	t.Helper()
	ctx := context.Background()
	fn := &flintNode{name: fmt.Sprintf("node-%d", i), nc: c.nats.Connect(i)}
	var err error
	fn.js, err = jetstream.New(fn.nc)
	require.NoError(t, err)
	fn.st, err = jsstore.New(ctx, fn.js, jsstore.Options{Prefix: c.prefix, Replicas: min(3, len(c.nats.URLs()))})
	require.NoError(t, err)
	fn.member, err = cluster.Join(ctx, cluster.Config{Name: fn.name, Store: fn.st, Conn: fn.nc, JetStream: fn.js,
		Prefix: c.prefix, Heartbeat: c.heartbeat})
	require.NoError(t, err)
	fn.eng, err = engine.New(ctx, engine.Config{Store: fn.st, Shares: fn.member,
		CompilationCacheDir: testguest.CacheDir(t), Destinations: &eventsource.Streams{JetStream: fn.js}})
	require.NoError(t, err)
	require.NoError(t, fn.member.Serve(fn.eng))
	fn.sources, err = eventsource.New(ctx, eventsource.Config{Engine: fn.eng, JetStream: fn.js, Store: fn.st})
	require.NoError(t, err)
	fn.sched, err = schedule.New(ctx, schedule.Config{Store: fn.st, Invoker: fn.eng})
	require.NoError(t, err)
	fn.gw, err = gateway.New(gateway.Config{Engine: fn.eng, Store: fn.st, EventSources: fn.sources,
		JetStream: fn.js, Scheduler: fn.sched, Cluster: fn.member})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = fn.gw.Serve(ln) }()
	fn.url = "http://" + ln.Addr().String()
	fn.lambda = lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(fn.url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
	t.Cleanup(fn.stop(t))
	return fn
}

// stop returns a function that stops the node (once) as flint serve
// does: gateway, event sources, membership, engine, store.
func (fn *flintNode) stop(t testing.TB) func() {
	return func() {
		if fn.stopped {
			return
		}
		fn.stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		assert.NoError(t, fn.gw.Shutdown(ctx))
		assert.NoError(t, fn.sched.Close(ctx))
		assert.NoError(t, fn.sources.Close(ctx))
		_ = fn.member.Leave(ctx) // fails when the test took its NATS away
		assert.NoError(t, fn.eng.Close(ctx))
		assert.NoError(t, fn.st.Close())
	}
}

// envGuest returns engine/testdata/env.wasm: it answers with its
// environment, so that a caller sees which configuration and version ran.
func envGuest(t testing.TB) []byte { return testguest.File(t, "engine/testdata/env.wasm") }

// envOf parses env.wasm's answer (NAME=value lines).
func envOf(payload []byte) map[string]string {
	env := map[string]string{}
	for line := range strings.Lines(string(payload)) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "="); ok {
			env[k] = v
		}
	}
	return env
}
