package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The end-to-end test runs the real flint binary: "flint serve" as a child
// process, driven by the flint client commands and the AWS SDK over HTTP.

const (
	e2eAccessKey = "AKIAFLINTE2ETEST0001"
	e2eSecretKey = "e2e-secret-key-0123456789"
	// e2eGrace is the servers' --shutdown-grace: a SIGTERM must end the
	// process, with exit status 0, within it.
	e2eGrace = 10 * time.Second
)

// buildFlint builds this package's binary into a temporary directory.
func buildFlint(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the flint binary")
	bin := filepath.Join(t.TempDir(), "flint")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// syncBuffer is a bytes.Buffer safe for a child process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveProcess is a running "flint serve".
type serveProcess struct {
	URL  string
	cmd  *exec.Cmd
	log  *syncBuffer // stderr: JSON log lines
	done chan struct{}
	err  error // Wait's, once done is closed
}

// childEnv is the environment for child processes: the test's, without
// anything that would configure flint behind the test's back.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLINT_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

var listenRE = regexp.MustCompile(`"msg":"flint serving","listen":"([^"]+)"`)

// startServe starts "flint serve" on a loopback port the kernel picks,
// keeping its state in data, and waits until it is ready.
func startServe(t *testing.T, bin, data string) *serveProcess {
	t.Helper()
	return startServeWith(t, bin, data)
}

// startServeWith is startServe with more flags.
func startServeWith(t *testing.T, bin, data string, flags ...string) *serveProcess {
	t.Helper()
	p := launchServe(t, bin, data, flags...)
	p.waitReady(t)
	return p
}

// launchServe starts "flint serve" as startServeWith does, without waiting
// for it to get ready (the first node of a cluster waits for another).
func launchServe(t *testing.T, bin, data string, flags ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{log: &syncBuffer{}, done: make(chan struct{})}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--nats-listen", "off",
		"--access-key", e2eAccessKey, "--secret-key", e2eSecretKey,
		"--shutdown-grace", e2eGrace.String(), "--log-format", "json", "--access-log"}, flags...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = childEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			lines := strings.Split(p.log.String(), "\n")
			t.Logf("flint serve log (the last %d lines):\n%s", min(len(lines), 60), strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	return p
}

// waitReady waits until the server answers /readyz.
func (p *serveProcess) waitReady(t *testing.T) {
	t.Helper()
	waitFor(t, 60*time.Second, "flint serve to get ready", func() bool {
		select {
		case <-p.done:
			require.FailNow(t, "flint serve exited", "%v\n%s", p.err, p.log.String())
		default:
		}
		m := listenRE.FindStringSubmatch(p.log.String())
		if m == nil {
			return false
		}
		p.URL = "http://" + m[1]
		resp, err := http.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitFor polls cond, on the test's goroutine (cond may use require),
// until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(timeout); !cond(); {
		if time.Now().After(end) {
			require.FailNow(t, "timed out waiting for "+what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// terminate sends SIGTERM and returns the exit status and how long the
// process took to exit.
func (p *serveProcess) terminate(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(e2eGrace + 10*time.Second):
		require.FailNow(t, "flint serve did not exit after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// flintCmd runs a client command of the binary against the server, with
// the credentials in the environment.
func (p *serveProcess) flintCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = p.clientEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "flint %s: %s", strings.Join(args, " "), stderr.String())
	return string(out)
}

func (p *serveProcess) clientEnv() []string {
	return childEnv("FLINT_ENDPOINT="+p.URL, "FLINT_ACCESS_KEY="+e2eAccessKey, "FLINT_SECRET_KEY="+e2eSecretKey)
}

// requestLog is one access-log line of the server.
type requestLog struct {
	Msg    string `json:"msg"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

// requestsLogged counts the requests the server logged, by path and status.
func (p *serveProcess) requestsLogged(t *testing.T) map[string]map[int]int {
	t.Helper()
	out := map[string]map[int]int{}
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r requestLog
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Msg != "request" {
			continue
		}
		if out[r.Path] == nil {
			out[r.Path] = map[int]int{}
		}
		out[r.Path][r.Status]++
	}
	return out
}

// metric returns the sum of the samples of metric name in p's /metrics
// whose labels include every "label=value" in match: the value of a
// counter or gauge, the sample count of a histogram. A name missing from
// /metrics fails the test; one with no matching sample is 0.
func (p *serveProcess) metric(t *testing.T, name string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	f, ok := families[name]
	require.True(t, ok, "no %s in /metrics", name)
	sum := 0.0
samples:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for _, kv := range match {
			k, v, _ := strings.Cut(kv, "=")
			if labels[k] != v {
				continue samples
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			sum += m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			sum += m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// queueDepth reads the async queue's depth from /metrics.
func (p *serveProcess) queueDepth(t *testing.T) int {
	t.Helper()
	return int(p.metric(t, "flint_async_queue_depth"))
}

// outcome is what became of one request made during the load.
type outcome int

const (
	completed outcome = iota // a successful response
	refused                  // the connection was refused: the listener was closed
	unserved                 // the connection failed before any response (the server's log must not have it)
	failed                   // an error response, or a response cut short
)

// loadTally counts outcomes by kind of request, and keeps the async
// events the server accepted.
type loadTally struct {
	mu       sync.Mutex
	counts   map[string]map[outcome]int
	failures []string
	accepted []string // kv keys of accepted async events
}

func (l *loadTally) add(kind string, o outcome, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]map[outcome]int{}
	}
	if l.counts[kind] == nil {
		l.counts[kind] = map[outcome]int{}
	}
	l.counts[kind][o]++
	if o == failed && len(l.failures) < 20 {
		l.failures = append(l.failures, kind+": "+detail)
	}
}

// classify sorts a request's transport error.
func classify(err error) outcome {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return refused
	}
	return unserved
}

// TestServeShutdownUnderLoad is the end-to-end test: the real
// binary, deployed to over HTTP, a function URL, then a SIGTERM while
// clients make synchronous invocations through the Lambda API and the
// function URL and queue asynchronous ones. No request the server accepted
// may fail, the process must exit 0 within its grace period, and after a
// restart on the same data every accepted event must have run.
func TestServeShutdownUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the flint binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("sends SIGTERM")
	}
	start := time.Now()
	bin := buildFlint(t)
	t.Logf("built flint in %v", time.Since(start).Round(time.Millisecond))
	data := t.TempDir()
	// The server keeps compiled code in DATA/compile-cache: share the
	// tests' cache, so that the Go guests are compiled once per machine.
	require.NoError(t, os.Symlink(testguest.CacheDir(t), filepath.Join(data, "compile-cache")))
	srv := startServe(t, bin, data)

	// Deploy over HTTP with the client commands. The async events go to
	// fanout, which sleeps in spin (so that events are still queued at the
	// SIGTERM) and then has kvcounter record the event's key in the store.
	echo := watEchoFile(t)
	srv.flintCmd(t, bin, "deploy", "echo", echo)
	srv.flintCmd(t, bin, "deploy", "loadecho", echo)
	srv.flintCmd(t, bin, "deploy", "spin", goGuest(t, "spin"))
	srv.flintCmd(t, bin, "role", "put", "counter", writeFile(t, "counter.json", kvPolicy))
	srv.flintCmd(t, bin, "deploy", "kvcounter", goGuest(t, "kvcounter"), "--role", "counter")
	srv.flintCmd(t, bin, "role", "put", "fanout", writeFile(t, "fanout.json",
		`{"Version": "2026-11-01", "Statement": [{"Effect": "Allow", "Action": "fn:Invoke", "Resource": ["fn:spin", "fn:kvcounter"]}]}`))
	srv.flintCmd(t, bin, "deploy", "recorder", goGuest(t, "fanout"), "--role", "fanout", "--env", "FANOUT_TARGETS=spin,kvcounter", "--timeout", "10s")
	t.Logf("deployed in %v", time.Since(start).Round(time.Millisecond))
	u := decode[urlOut](t, srv.flintCmd(t, bin, "url", "create", "loadecho", "--auth", "NONE", "-o", "json"))
	require.Equal(t, srv.URL+"/fn/loadecho/", u.URL)

	resp, err := http.Post(u.URL+"hello", "application/json", strings.NewReader(`{"via":"url"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Contains(t, string(body), `"rawPath":"/hello"`)
	assert.Equal(t, "{\"key\":\"check\",\"count\":1}\n", srv.flintCmd(t, bin, "invoke", "kvcounter", "--payload", `{"key":"check"}`))

	// A client following a log stays connected through the shutdown; the
	// server ends its stream, and it exits 0.
	follow := exec.Command(bin, "logs", "echo", "--follow")
	follow.Env = srv.clientEnv()
	followOut := &syncBuffer{}
	follow.Stdout, follow.Stderr = followOut, followOut
	require.NoError(t, follow.Start())
	followDone := make(chan error, 1)
	go func() { followDone <- follow.Wait() }()
	t.Cleanup(func() { _ = follow.Process.Kill() })
	waitFor(t, 30*time.Second, "logs --follow to print an invocation", func() bool {
		srv.flintCmd(t, bin, "invoke", "echo")
		return strings.Contains(followOut.String(), "START RequestId: ")
	})

	// The load: each worker uses a connection per request, so that once
	// the listener is closed every new request is refused at connect time.
	noKeepAlive := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	sdk := lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(e2eAccessKey, e2eSecretKey, ""),
		HTTPClient:       noKeepAlive,
		RetryMaxAttempts: 1,
	})
	var tally loadTally
	var total atomic.Int64
	deadline := time.Now().Add(45 * time.Second) // a safety net: workers stop at the first refusal
	worker := func(kind string, do func(n int) (outcome, string)) func() {
		return func() {
			for n := 0; time.Now().Before(deadline); n++ {
				o, detail := do(n)
				tally.add(kind, o, detail)
				total.Add(1)
				if o == refused {
					return
				}
			}
		}
	}
	syncAPI := func(w int) func(n int) (outcome, string) {
		return func(n int) (outcome, string) {
			payload := fmt.Sprintf(`{"worker":%d,"n":%d}`, w, n)
			out, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("loadecho"), Payload: []byte(payload)})
			switch {
			case err != nil && httpStatus(err) != 0:
				return failed, err.Error()
			case err != nil:
				return classify(err), err.Error()
			case out.StatusCode != 200 || out.FunctionError != nil || string(out.Payload) != payload:
				return failed, fmt.Sprintf("status %d, function error %v, payload %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
			}
			return completed, ""
		}
	}
	viaURL := func(w int) func(n int) (outcome, string) {
		return func(n int) (outcome, string) {
			resp, err := noKeepAlive.Post(u.URL+"load", "text/plain", strings.NewReader(fmt.Sprintf("%d-%d", w, n)))
			if err != nil {
				return classify(err), err.Error()
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			switch {
			case err != nil:
				return failed, "reading the body: " + err.Error()
			case resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"rawPath":"/load"`)):
				return failed, fmt.Sprintf("status %d: %s", resp.StatusCode, b)
			}
			return completed, ""
		}
	}
	async := func(w int) func(n int) (outcome, string) {
		return func(n int) (outcome, string) {
			key := fmt.Sprintf("event-%d-%d", w, n)
			out, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{
				FunctionName: aws.String("recorder"), InvocationType: types.InvocationTypeEvent,
				Payload: []byte(fmt.Sprintf(`{"payload":{"key":%q,"sleep_ms":250}}`, key)),
			})
			switch {
			case err != nil && httpStatus(err) != 0:
				return failed, err.Error()
			case err != nil:
				return classify(err), err.Error()
			case out.StatusCode != http.StatusAccepted:
				return failed, fmt.Sprintf("status %d", out.StatusCode)
			}
			tally.mu.Lock()
			tally.accepted = append(tally.accepted, key)
			tally.mu.Unlock()
			return completed, ""
		}
	}
	const (
		syncPath  = "/2015-03-31/functions/loadecho/invocations"
		urlPath   = "/fn/loadecho/load"
		asyncPath = "/2015-03-31/functions/recorder/invocations"
	)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(worker(syncPath, syncAPI(w)))
		wg.Go(worker(urlPath, viaURL(w)))
	}
	for w := range 2 {
		wg.Go(worker(asyncPath, async(w)))
	}

	// SIGTERM once the load is on and events wait in the queue (spin
	// sleeps 250 ms in each, four at a time), for the restart to run.
	var depth int
	waitFor(t, 30*time.Second, "the load to get going", func() bool {
		depth = srv.queueDepth(t)
		return total.Load() >= 300 && depth >= 5
	})
	code, took := srv.terminate(t)
	wg.Wait()
	t.Logf("SIGTERM after %d requests, with %d events queued; the server exited with status %d after %v",
		total.Load(), depth, code, took.Round(time.Millisecond))
	assert.Equal(t, 0, code, "exit status after SIGTERM")
	assert.Less(t, took, e2eGrace, "the server exits within its grace period")

	select {
	case err := <-followDone:
		assert.NoError(t, err, "logs --follow ends cleanly when the server shuts down: %s", followOut.String())
	case <-time.After(5 * time.Second):
		assert.Fail(t, "logs --follow did not end with the server")
	}

	// No request the server accepted failed: every client-side failure is
	// a refused connection or one the server never served (a connection
	// queued in the closing listener), which its log confirms.
	logged := srv.requestsLogged(t)
	for _, kind := range []string{syncPath, urlPath, asyncPath} {
		c := tally.counts[kind]
		t.Logf("%s: %d completed, %d refused, %d unserved, %d failed", kind, c[completed], c[refused], c[unserved], c[failed])
		assert.Zero(t, c[failed], "failed requests: %v", tally.failures)
		assert.Positive(t, c[completed])
		assert.Positive(t, c[refused], "the worker ran until the listener closed")
		want := http.StatusOK
		if kind == asyncPath {
			want = http.StatusAccepted
		}
		assert.Equal(t, map[int]int{want: c[completed]}, logged[kind],
			"every request the server served (its access log) completed on the client")
	}

	// Restart on the same data: the events still queued run, and none is
	// lost or dead-lettered.
	srv2 := startServe(t, bin, data)
	waitFor(t, 60*time.Second, "the async queue to drain after the restart", func() bool { return srv2.queueDepth(t) == 0 })
	assert.Equal(t, "[]\n", srv2.flintCmd(t, bin, "dlq", "ls", "-o", "json"))
	code, took = srv2.terminate(t)
	require.Equal(t, 0, code)
	t.Logf("%d events accepted; the restarted server ran those left and exited after %v", len(tally.accepted), took.Round(time.Millisecond))

	st, err := store.Open(data, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	counters, err := st.Bucket("kv/counters")
	require.NoError(t, err)
	_, err = counters.Get(context.Background(), "check")
	require.NoError(t, err, "kvcounter keeps its counts in the store's bucket kv/counters")
	var missing []string
	for _, key := range tally.accepted {
		if _, err := counters.Get(context.Background(), key); err != nil {
			missing = append(missing, key)
		}
	}
	assert.Empty(t, missing, "accepted events that never ran (of %d)", len(tally.accepted))
}
