package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashDirEnv, when set, turns TestCrash into the child process that the
// test kills: it names the data directory to use.
const crashDirEnv = "FLINT_QUEUE_CRASH_DIR"

const (
	// crashEvents are enqueued by the child, by crashEnqueuers goroutines,
	// while crashWorkers run them.
	crashEvents    = 2000
	crashEnqueuers = 16
	crashWorkers   = 16
	// crashKillAt: the child is killed once it invoked this many times.
	crashKillAt = crashEvents / 3
	// Every crashFailEvery-th event fails on every attempt, so that
	// retries and dead letters cross the crash too.
	crashFailEvery = 50
	// crashLog is where every process appends one line per invocation:
	// the request id. A write(2) to a file survives the death of the
	// process that made it (the kernel has it), so SIGKILL loses no line
	// and no fsync is needed; O_APPEND keeps concurrent lines whole.
	crashLog = "invocations.log"
)

// TestCrash kills a process running a Queue on a durable store (SIGKILL,
// no Close) midway through its events, runs a new Queue on the same
// directory to completion, and checks that every event whose Enqueue
// returned was invoked, in one process or the other, that the queue is
// empty, and that each always-failing event is dead-lettered exactly once.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	begin := time.Now()
	enqueued := runCrashChild(t, dir)
	killed := time.Since(begin)
	require.NotEmpty(t, enqueued)

	s, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	require.NoError(t, err, "the killed process's lock is gone with it")
	t.Cleanup(func() { _ = s.Close() })
	invoked := readCrashLog(t, dir)
	left, err := s.Queue(QueueName)
	require.NoError(t, err)
	qs, err := left.Stats(t.Context())
	require.NoError(t, err)
	t.Logf("killed after %v: %d events enqueued, %d invocations, %d events left", killed, len(enqueued), len(invoked), qs.Depth)
	assert.Positive(t, qs.Depth, "killed midway")

	begin = time.Now()
	log := openCrashLog(t, dir)
	q := start(t, Config{
		Store:   s,
		Invoke:  crashInvoker(log),
		Workers: crashWorkers,
		Now:     time.Now,
	})
	settled(t, q, nil)
	t.Logf("the new process finished the %d events left in %v", qs.Depth, time.Since(begin))

	invoked = readCrashLog(t, dir)
	var wantDead []string
	for id, i := range enqueued {
		assert.Contains(t, invoked, id, "event %d was never invoked", i)
		if i%crashFailEvery == 0 {
			wantDead = append(wantDead, id)
		}
	}
	dead := map[string]int{}
	for _, d := range deadLetters(t, q) {
		dead[d.ID]++
		assert.Equal(t, ConditionRetriesExhausted, d.Condition)
	}
	for _, id := range wantDead {
		assert.Equal(t, 1, dead[id], "dead letters for %s", id)
	}
	assert.LessOrEqual(t, len(dead), crashEvents/crashFailEvery)
}

// runCrashChild runs the child in dir, kills it once it has invoked
// crashKillAt times, and returns the events it reported enqueued: request
// id to index.
func runCrashChild(t *testing.T, dir string) map[string]int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	enqueued := map[string]int{}
	read := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			id, i, ok := strings.Cut(sc.Text(), " ")
			n, err := strconv.Atoi(i)
			if !ok || err != nil {
				read <- fmt.Errorf("child printed %q", sc.Text())
				return
			}
			enqueued[id] = n
		}
		read <- sc.Err()
	}()

	// Each line of the log is a request id and a newline.
	const lineLen = 37
	require.Eventually(t, func() bool {
		fi, err := os.Stat(filepath.Join(dir, crashLog))
		return err == nil && fi.Size() >= crashKillAt*lineLen
	}, 30*time.Second, time.Millisecond, "the child did not invoke %d times", crashKillAt)
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no Close, no deferred calls
	require.NoError(t, <-read)             // the pipe holds what the child wrote before it died
	_ = cmd.Wait()
	return enqueued
}

// crashChild is the child process: it starts the workers, enqueues
// crashEvents events, printing "<request id> <index>" once each Enqueue
// returned, and waits to be killed.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		fail(err)
	}
	log, err := os.OpenFile(filepath.Join(dir, crashLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		fail(err)
	}
	q, err := New(Config{Store: s, Invoke: crashInvoker(log), Workers: crashWorkers, RetryDelay: time.Millisecond})
	if err != nil {
		fail(err)
	}
	q.Start()
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for w := range crashEnqueuers {
		wg.Go(func() {
			for i := w; i < crashEvents; i += crashEnqueuers {
				id, err := q.Enqueue(context.Background(), "crash", []byte(strconv.Itoa(i)), EnqueueOptions{})
				if err != nil {
					fail(err)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%s %d\n", id, i)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	select {} // until killed
}

// crashInvoker logs each invocation's request id to log, and fails every
// crashFailEvery-th event.
func crashInvoker(log *os.File) Invoker {
	return func(ctx context.Context, target string, payload []byte, requestID string) (Outcome, error) {
		if _, err := log.WriteString(requestID + "\n"); err != nil {
			return Outcome{}, err
		}
		if i, _ := strconv.Atoi(string(payload)); i%crashFailEvery == 0 {
			return Outcome{Failed: true, ErrorType: "Boom", ErrorMessage: "always"}, nil
		}
		return Outcome{Payload: payload}, nil
	}
}

func openCrashLog(t *testing.T, dir string) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, crashLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// readCrashLog returns the request ids in the log.
func readCrashLog(t *testing.T, dir string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, crashLog))
	require.NoError(t, err)
	ids := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		require.True(t, strings.HasSuffix(line, "\n") && uuidRE.MatchString(line[:len(line)-1]), "log line %q", line)
		ids[line[:len(line)-1]] = true
	}
	return ids
}
