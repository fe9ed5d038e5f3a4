// Package natstest starts NATS servers for tests: a cluster of servers
// with JetStream, clustered over loopback routes, as the embedded servers
// of a Flint cluster's nodes form one. A server can be stopped and started
// again on the same ports and files, which its clients see as losing NATS
// and getting it back.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n NATS servers clustered over loopback routes, each with
// JetStream.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	servers []*server.Server
}

// FreePorts returns n loopback ports free at the moment.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// StartCluster starts n clustered servers (one server: a standalone one) and waits until JetStream
// answers on each. They stop when the test ends. It skips the test under
// -short.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a NATS cluster")
	}
	clientPorts, routePorts := FreePorts(t, n), FreePorts(t, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{t: t}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("nats-%d", i),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			MaxPayload: 2 << 20, // what jsstore needs, as Flint's embedded servers have
			NoSigs:     true,
		}
		if n > 1 { // one server is not a cluster: its JetStream stands alone
			o.Cluster = server.ClusterOpts{Name: "flint-test", Host: "127.0.0.1", Port: routePorts[i]}
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		}
		c.opts = append(c.opts, o)
		c.servers = append(c.servers, nil)
		c.Start(i)
	}
	t.Cleanup(func() {
		for i := range c.servers {
			c.Stop(i)
		}
	})
	for i := range n {
		nc := c.Connect(i)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatalf("natstest: %v", err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := js.AccountInfo(context.Background())
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("natstest: JetStream on server %d: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		nc.Close()
	}
	return c
}

// Start starts server i (again, after Stop: the same ports and files).
func (c *Cluster) Start(i int) {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatalf("natstest: server %d: %v", i, err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		c.t.Fatalf("natstest: server %d did not start", i)
	}
	c.servers[i] = s
}

// Stop shuts server i down (if it runs): its clients lose NATS.
func (c *Cluster) Stop(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.servers[i] = nil
	}
}

// URLs are the servers' client URLs.
func (c *Cluster) URLs() []string {
	out := make([]string, len(c.opts))
	for i := range c.opts {
		out[i] = c.URL(i)
	}
	return out
}

// URL is server i's client URL.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port) }

// Connect connects to server i only: the client reconnects to it, never
// to the others, as a Flint node's client does to its embedded server. It
// is closed when the test ends.
func (c *Cluster) Connect(i int) *nats.Conn {
	c.t.Helper()
	nc, err := nats.Connect(c.URL(i), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.IgnoreDiscoveredServers(), nats.NoCallbacksAfterClientClose())
	if err != nil {
		c.t.Fatalf("natstest: connect to server %d: %v", i, err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}
