package store

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashDirEnv, when set, turns TestCrashRedelivers into the child process
// that the test kills: it names the data directory to use.
const crashDirEnv = "FLINT_STORE_CRASH_DIR"

// The child's work: crashMessages enqueued by 16 goroutines, then
// crashLeased received and never acked.
const (
	crashMessages = 600
	crashLeased   = 40
)

// TestCrashRedelivers kills a process that uses a durable Store (SIGKILL,
// no Close) and checks that every message whose Enqueue returned is
// delivered after the directory is reopened, leased ones included, and
// promptly: "a crash between invoke and acknowledgement re-delivers, never
// loses".
func TestCrashRedelivers(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, tc := range []struct {
		name string
		// killAt is the line of the child's output after which it is
		// killed: "ready" once it enqueued everything and leased some,
		// or "enqueued N" while it is still enqueueing.
		killAt string
	}{
		{"after leasing", "ready"},
		{"while enqueueing", fmt.Sprintf("enqueued %d", crashMessages/3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			acked, leased := runCrashChild(t, dir, tc.killAt)
			require.NotEmpty(t, acked)

			s, err := Open(dir, Options{LockTimeout: 5 * time.Second})
			require.NoError(t, err, "the killed process's lock is gone with it")
			t.Cleanup(func() { _ = s.Close() })
			q := queueOf(t, s, "crash")
			st, err := q.Stats(t.Context())
			require.NoError(t, err)
			assert.GreaterOrEqual(t, st.Depth, len(acked))
			assert.Zero(t, st.Leased)

			// Every message is due now (the leased ones included, their
			// hour-long leases notwithstanding): a short deadline suffices.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			delivered := map[string]Message{}
			for range st.Depth {
				m, err := q.Receive(ctx, time.Hour)
				require.NoError(t, err, "after %d of %d messages", len(delivered), st.Depth)
				delivered[string(m.Body)] = m
			}
			for body := range acked {
				assert.Contains(t, delivered, body, "a message whose Enqueue returned was lost")
			}
			for body := range leased {
				if assert.Contains(t, delivered, body) {
					assert.Equal(t, 2, delivered[body].Deliveries, body)
				}
			}
			assertEmpty(t, q)
		})
	}
}

// runCrashChild runs the child in dir, kills it once it printed killAt, and
// returns the bodies it reported enqueued and leased.
func runCrashChild(t *testing.T, dir, killAt string) (enqueued, leased map[string]bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRedelivers$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
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
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	s, err := Open(dir, Options{})
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
				if _, err := q.Enqueue(context.Background(), []byte(body), time.Time{}); err != nil {
					fail(err)
				}
				say("enqueued %s", body)
			}
		})
	}
	wg.Wait()
	for range crashLeased {
		m, err := q.Receive(context.Background(), time.Hour)
		if err != nil {
			fail(err)
		}
		say("leased %s", m.Body)
	}
	say("ready")
	select {} // until killed
}
