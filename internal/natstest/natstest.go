// Package natstest starts NATS servers for tests: a cluster of servers
// with JetStream, clustered over loopback routes, as the embedded servers
// of a Flint cluster's nodes form one. A server can be stopped and started
// again on the same ports and files, which its clients see as losing NATS
// and getting it back.
//
// The servers run as processes of their own (nats-server built from the
// version go.mod requires, without the race detector), not inside the
// test binary: nats-server v2.15.3 has a data race of its own in clustered
// streams (its check of expectedPerSubjectSequence outside the stream's
// lock), which -race would report against whichever Flint test was
// running. Flint's own code, in the test binary, stays under -race.
package natstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// serverModule is nats-server's module, whose main package is the server.
const serverModule = "github.com/nats-io/nats-server/v2"

// Cluster is n NATS servers clustered over loopback routes, each with
// JetStream.
type Cluster struct {
	t       testing.TB
	bin     string
	ports   []int
	configs []string    // each server's configuration file
	logs    []string    // and its log
	procs   []*exec.Cmd // nil while stopped
	exited  []chan struct{}
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

// serverVersion is the version of nats-server this test binary was built
// with (go.mod's).
func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == serverModule {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

// StartCluster starts n clustered servers (one server: a standalone one)
// and waits until JetStream answers on each. They stop when the test ends.
// It skips the test under -short.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a NATS cluster")
	}
	c := &Cluster{t: t, bin: testguest.Tool(t, serverModule, serverVersion())}
	clientPorts, routePorts := FreePorts(t, n), FreePorts(t, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, strconv.Quote(fmt.Sprintf("nats://127.0.0.1:%d", p)))
	}
	dir := t.TempDir()
	for i := range n {
		// max_payload: what jsstore needs, as Flint's embedded servers have.
		conf := fmt.Sprintf("server_name: \"nats-%d\"\nlisten: \"127.0.0.1:%d\"\nmax_payload: %d\njetstream {\n  store_dir: %q\n}\n",
			i, clientPorts[i], 2<<20, filepath.Join(dir, fmt.Sprintf("store-%d", i)))
		if n > 1 { // one server is not a cluster: its JetStream stands alone
			conf += fmt.Sprintf("cluster {\n  name: \"flint-test\"\n  listen: \"127.0.0.1:%d\"\n  routes: [%s]\n}\n",
				routePorts[i], strings.Join(routes, ", "))
		}
		path := filepath.Join(dir, fmt.Sprintf("nats-%d.conf", i))
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatalf("natstest: %v", err)
		}
		c.ports = append(c.ports, clientPorts[i])
		c.configs = append(c.configs, path)
		c.logs = append(c.logs, filepath.Join(dir, fmt.Sprintf("nats-%d.log", i)))
		c.procs = append(c.procs, nil)
		c.exited = append(c.exited, nil)
		c.Start(i)
	}
	t.Cleanup(func() {
		for i := range c.procs {
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
				t.Fatalf("natstest: JetStream on server %d: %v\n%s", i, err, c.log(i))
			}
			time.Sleep(50 * time.Millisecond)
		}
		nc.Close()
	}
	return c
}

// log returns the end of server i's log, for a failure's message.
func (c *Cluster) log(i int) string {
	b, _ := os.ReadFile(c.logs[i])
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// Start starts server i (again, after Stop: the same ports and files) and
// waits until it takes connections.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	logFile, err := os.OpenFile(c.logs[i], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatalf("natstest: %v", err)
	}
	cmd := exec.Command(c.bin, "-c", c.configs[i])
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		c.t.Fatalf("natstest: server %d: %v", i, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	c.procs[i], c.exited[i] = cmd, exited
	addr := fmt.Sprintf("127.0.0.1:%d", c.ports[i])
	for deadline := time.Now().Add(30 * time.Second); ; {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = conn.Close()
			return
		}
		select {
		case <-exited:
			c.procs[i] = nil
			c.t.Fatalf("natstest: server %d exited:\n%s", i, c.log(i))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("natstest: server %d did not start:\n%s", i, c.log(i))
		}
	}
}

// Stop shuts server i down (if it runs) and waits for it to exit: its
// clients lose NATS.
func (c *Cluster) Stop(i int) {
	cmd := c.procs[i]
	if cmd == nil {
		return
	}
	c.procs[i] = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited[i]:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-c.exited[i]
	}
}

// URLs are the servers' client URLs.
func (c *Cluster) URLs() []string {
	out := make([]string, len(c.ports))
	for i := range c.ports {
		out[i] = c.URL(i)
	}
	return out
}

// URL is server i's client URL.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.ports[i]) }

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
