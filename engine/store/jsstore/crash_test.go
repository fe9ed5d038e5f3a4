package jsstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/engine/store/storetest"
)

// crashEnv, when set, turns TestCrashRedelivers into the child process
// that the test kills: "URL PREFIX", the NATS server and the Store prefix
// to use.
const crashEnv = "FLINT_JSSTORE_CRASH"

// The child's work: crashMessages enqueued by 16 goroutines, then
// crashLeased received under crashLease and never acked.
const (
	crashMessages = 600
	crashLeased   = 40
	crashLease    = time.Second
)

// TestCrashRedelivers kills a process that uses a JetStream Store (SIGKILL:
// its connection drops, nothing is closed) and checks that another
// process's Store then delivers every message whose Enqueue returned, the
// leased ones once their lease ended, with their delivery counted: a crash
// between receiving and acknowledging redelivers, never loses.
func TestCrashRedelivers(t *testing.T) {
	if env := os.Getenv(crashEnv); env != "" {
		url, prefix, _ := strings.Cut(env, " ")
		crashChild(url, prefix)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	b, err := broker.Start(t.Context(), broker.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })

	for _, tc := range []struct {
		name string
		// killAt is the line of the child's output after which it is
		// killed: "ready" once it enqueued everything and leased some, or
		// "enqueued N" while it is still enqueueing.
		killAt string
	}{
		{"after leasing", "ready"},
		{"while enqueueing", fmt.Sprintf("enqueued %d", crashMessages/3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := freshPrefix()
			acked, leased := runCrashChild(t, b.ClientURL()+" "+prefix, tc.killAt)
			require.NotEmpty(t, acked)
			killed := time.Now()

			s := openOn(t, b.JetStream(), jsstore.Options{Prefix: prefix, Lease: crashLease})
			q := storetest.OpenQueue(t, s, "crash")
			st, err := q.Stats(t.Context())
			require.NoError(t, err)
			assert.GreaterOrEqual(t, st.Depth, len(acked))

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			delivered := map[string]store.Message{}
			for range st.Depth {
				m, err := q.Receive(ctx, time.Hour)
				require.NoError(t, err, "after %d of %d messages", len(delivered), st.Depth)
				delivered[string(m.Body)] = m
				if leased[string(m.Body)] {
					assert.Greater(t, time.Since(killed), crashLease/2, "%s was delivered again while its lease held", m.Body)
				}
			}
			for body := range acked {
				assert.Contains(t, delivered, body, "a message whose Enqueue returned was lost")
			}
			for body := range leased {
				if assert.Contains(t, delivered, body) {
					assert.Equal(t, 2, delivered[body].Deliveries, body)
				}
			}
			storetest.AssertEmpty(t, q)
		})
	}
}

// runCrashChild runs the child with env, kills it once it printed killAt,
// and returns the bodies it reported enqueued and leased.
func runCrashChild(t *testing.T, env, killAt string) (enqueued, leased map[string]bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRedelivers$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+env)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	enqueued, leased = map[string]bool{}, map[string]bool{}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the child exited before %q", killAt)
			switch verb, arg, _ := strings.Cut(line, " "); verb {
			case "enqueued":
				enqueued[arg] = true
			case "leased":
				leased[arg] = true
			}
			if line == killAt || (strings.HasPrefix(killAt, "enqueued ") && len(enqueued) >= crashMessages/3) {
				require.NoError(t, cmd.Process.Kill()) // SIGKILL: no Close, no deferred calls
				_ = cmd.Wait()
				return enqueued, leased
			}
		case <-timeout:
			t.Fatalf("the child did not print %q in time", killAt)
		}
	}
}

// crashChild is the child process: it enqueues, reporting each message
// once Enqueue returned, leases some, reports them, and waits to be killed.
func crashChild(url, prefix string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	nc, err := nats.Connect(url)
	if err != nil {
		fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		fail(err)
	}
	s, err := jsstore.New(ctx, js, jsstore.Options{Prefix: prefix, Lease: crashLease})
	if err != nil {
		fail(err)
	}
	q, err := s.Queue("crash")
	if err != nil {
		fail(err)
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < crashMessages; i += 16 {
				body := fmt.Sprintf("m%04d", i)
				if _, err := q.Enqueue(ctx, []byte(body), time.Time{}); err != nil {
					fail(err)
				}
				say("enqueued %s", body)
			}
		})
	}
	wg.Wait()
	for range crashLeased {
		m, err := q.Receive(ctx, crashLease)
		if err != nil {
			fail(err)
		}
		say("leased %s", m.Body)
	}
	say("ready")
	select {} // until killed
}

// TestServerRestartKeepsQueue stops the NATS server itself (the embedded
// one of a single node) in the middle of a queue's life and starts it
// again on the same files: everything enqueued is still there, leases
// included, and scheduled messages still fire.
func TestServerRestartKeepsQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a NATS server")
	}
	ctx := t.Context()
	dir := t.TempDir()
	start := func() *broker.Broker {
		b, err := broker.Start(ctx, broker.Config{StoreDir: dir})
		require.NoError(t, err)
		return b
	}
	b := start()
	prefix := freshPrefix()
	opts := jsstore.Options{Prefix: prefix, Lease: 500 * time.Millisecond}
	s, err := jsstore.New(ctx, b.JetStream(), opts)
	require.NoError(t, err)
	q := storetest.OpenQueue(t, s, "async")
	for i := range 20 {
		storetest.Enqueue(t, q, fmt.Sprint("now ", i), time.Time{})
	}
	storetest.Enqueue(t, q, "later", time.Now().Add(2*time.Second))
	m := storetest.Receive(t, q, opts.Lease)
	digest, err := s.Blobs().Put(ctx, []byte("module"))
	require.NoError(t, err)
	require.NoError(t, storetest.OpenBucket(t, s, "functions").Put(ctx, "hello", []byte("v1")))
	require.NoError(t, s.Close())
	require.NoError(t, b.Close(ctx))

	b = start()
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	s = openOn(t, b.JetStream(), opts)
	q = storetest.OpenQueue(t, s, "async")
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 21, st.Depth)
	got := map[string]int{}
	for range 21 {
		r := storetest.Receive(t, q, time.Minute)
		got[string(r.Body)] = r.Deliveries
		require.NoError(t, q.Ack(ctx, r.ID))
	}
	assert.Len(t, got, 21)
	assert.Equal(t, 2, got[string(m.Body)], "the message leased before the restart, delivered again")
	assert.Equal(t, 1, got["later"])
	v, err := storetest.OpenBucket(t, s, "functions").Get(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), v)
	data, err := s.Blobs().Get(ctx, digest)
	require.NoError(t, err)
	assert.Equal(t, []byte("module"), data)
}
