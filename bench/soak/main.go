// Command soak runs "flint serve" under mixed load for a bounded time and
// reports whether it holds up: requests served by kind, errors by cause,
// p50/p99 latency per kind, the server's RSS and goroutine count over time
// (which must plateau, not grow), and the asynchronous events accepted
// against those processed and dead-lettered (none may be lost).
//
// It builds nothing: `make soak` builds bin/flint and build/guests/ first,
// then runs it. It starts the binary as a child process on a free loopback
// port, with a temporary data directory and no credentials (which the
// server allows on loopback), deploys the example functions over the
// Lambda API with the official AWS SDK, gives httpapp a function URL, and
// drives load from this process with --concurrency workers. Each worker
// loops over a weighted mix of:
//
//	sync-echo     Invoke wat-echo (a tiny WAT module)
//	sync-hello    Invoke hello (a Go guest)
//	url-get       GET  /fn/httpapp/hello/NAME (an ordinary net/http app)
//	url-post      POST /fn/httpapp/echo
//	sync-fail     Invoke fail, which returns a handled error (expected)
//	sync-timeout  Invoke spin with Timeout 1 s, made to spin for 5 s (expected
//	              to time out; its instance is discarded, so the next call
//	              starts a new one)
//
// and, paced at --async-rate events per second in all, asynchronous
// invocations (X-Amz-Invocation-Type: Event): nine in ten to kvcounter with
// a key of their own, one in ten to a copy of fail with one retry, whose
// events end in the dead-letter store.
//
// Every --sample interval (10 s) it records the server's RSS
// (/proc/PID/status VmRSS) and how it splits (/proc/PID/smaps_rollup:
// Anonymous, and file-backed as Rss minus Anonymous), the size of the
// bbolt file(s) in its data directory (*.db), and from /metrics its
// goroutines, heap in use, the Go runtime's resident memory
// (go_memstats_sys_bytes minus go_memstats_heap_released_bytes), the
// engine's cache of released linear memory (flint_memory_cache_bytes) and
// the async queue depth. The report breaks the RSS down with these: the
// anonymous memory outside the memory cache and the Go runtime is mostly
// live instances' linear memory and wazero's compiled code. When --duration has passed it stops the load,
// waits for the async queue to drain, lists the dead letters, stops the
// server with SIGTERM (which must end it with status 0) and opens its
// data directory to count the keys kvcounter wrote. An accepted event is
// processed when its key is there, dead-lettered when the dead-letter
// store holds it, and lost otherwise.
//
// The markdown report goes to stdout and, with --report, to a file. The
// exit status is 1 when an event was lost, the server crashed or did not
// stop cleanly, or the setup failed; growth of RSS or goroutines is
// reported as a verdict but does not fail the run.
//
// Flags:
//
//	--duration D      how long to drive load (default 10m)
//	--flint PATH      the flint binary (default bin/flint)
//	--guests DIR      the built Go guests (default build/guests)
//	--wat-echo PATH   the WAT echo module (default guest-examples/wat-echo/echo.wasm)
//	--concurrency N   load workers (default 8)
//	--async-rate R    asynchronous events per second (default 20)
//	--sample D        interval between samples of the server (default 10s)
//	--report FILE     also write the report to FILE
//	--keep            keep the data directory (its path is printed)
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/flintfaas/flint/engine/store"
)

func main() { os.Exit(doMain(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	duration    time.Duration
	flint       string
	guests      string
	watEcho     string
	concurrency int
	asyncRate   float64
	sample      time.Duration
	report      string
	keep        bool
}

func doMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to drive load")
	fs.StringVar(&o.flint, "flint", "bin/flint", "the flint binary")
	fs.StringVar(&o.guests, "guests", "build/guests", "the built Go guests (make guests)")
	fs.StringVar(&o.watEcho, "wat-echo", "guest-examples/wat-echo/echo.wasm", "the WAT echo module")
	fs.IntVar(&o.concurrency, "concurrency", 8, "load workers")
	fs.Float64Var(&o.asyncRate, "async-rate", 20, "asynchronous events per second")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "interval between samples of the server")
	fs.StringVar(&o.report, "report", "", "also write the markdown report to `FILE`")
	fs.BoolVar(&o.keep, "keep", false, "keep the server's data directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.duration <= 0 || o.concurrency < 1 || o.asyncRate <= 0 || o.sample <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "soak: --duration, --concurrency, --async-rate and --sample must be positive, and there are no arguments")
		return 2
	}
	r, err := soak(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		if r == nil {
			return 1
		}
	}
	md := r.markdown()
	fmt.Fprint(stdout, md)
	if o.report != "" {
		werr := os.MkdirAll(filepath.Dir(o.report), 0o755)
		if werr == nil {
			werr = os.WriteFile(o.report, []byte(md), 0o644)
		}
		if werr != nil {
			fmt.Fprintf(stderr, "soak: writing the report: %v\n", werr)
			return 1
		}
	}
	if err != nil || !r.passed() {
		return 1
	}
	return 0
}

// logf reports progress on stderr, with the time.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "soak %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// soak runs the whole thing. A nil report means nothing worth reporting
// happened (the setup failed).
func soak(o options, logw io.Writer) (*report, error) {
	for _, f := range []string{o.flint, o.watEcho, filepath.Join(o.guests, "hello.wasm")} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%v: build bin/flint and the guests first (make build guests), or run make soak", err)
		}
	}
	data, err := os.MkdirTemp("", "flint-soak-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		logf(logw, "data directory %s (kept)", data)
	} else {
		defer os.RemoveAll(data)
	}
	r := &report{opts: o, start: time.Now(), loadStart: loadAvg(), host: hostNote()}

	srv, err := startServer(o.flint, data, logw)
	if err != nil {
		return nil, err
	}
	defer srv.kill()
	logf(logw, "flint serve (pid %d) listening at %s", srv.cmd.Process.Pid, srv.url)

	tr := &http.Transport{
		MaxIdleConns:        4 * o.concurrency,
		MaxIdleConnsPerHost: 4 * o.concurrency,
		IdleConnTimeout:     30 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	l := &loader{
		srv:  srv,
		http: hc,
		sdk: lambda.New(lambda.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.url),
			// The server has no keys, so it takes any signature.
			Credentials:      credentials.NewStaticCredentialsProvider("AKIAFLINTSOAK0000001", "soak-secret-not-checked", ""),
			HTTPClient:       hc,
			RetryMaxAttempts: 1,
		}),
	}
	setupStart := time.Now()
	if err := l.deploy(context.Background(), o); err != nil {
		return nil, fmt.Errorf("deploying: %w\n%s", err, srv.logTail(40))
	}
	r.setup = time.Since(setupStart)
	logf(logw, "deployed and warmed up in %v; load for %v with %d workers, %.0f async events/s",
		r.setup.Round(time.Millisecond), o.duration, o.concurrency, o.asyncRate)

	// The load, and the sampler beside it.
	ctx, stop := context.WithTimeout(context.Background(), o.duration)
	defer stop()
	samplesDone := make(chan struct{})
	go func() {
		defer close(samplesDone)
		t0 := time.Now()
		tick := time.NewTicker(o.sample)
		defer tick.Stop()
		for {
			s := srv.sampleNow(hc, time.Since(t0))
			r.samples = append(r.samples, s)
			logf(logw, "t=%v rss=%.1f MiB (anon %.1f, file %.1f) cache=%.1f MiB bbolt=%.1f MiB goroutines=%d heap=%.1f MiB go-resident=%.1f MiB queue=%d load=%s",
				s.at.Round(time.Second), mib(s.rss), mib(s.anon), mib(s.fileRSS), mib(s.memCache), mib(s.bolt),
				s.goroutines, mib(s.heap), mib(s.goSys), s.queueDepth, s.load)
			select {
			case <-ctx.Done():
				return
			case <-srv.done:
				return
			case <-tick.C:
			}
		}
	}()
	loadStart := time.Now()
	stats := l.run(ctx, o)
	r.loadTime = time.Since(loadStart)
	<-samplesDone
	r.stats = stats
	r.accepted = l.accepted
	if srv.exited() {
		r.crashed = true
		r.crashLog = srv.logTail(40)
		return r, errors.New("the server exited during the load")
	}

	// Drain the queue: retries of the failing events wait a minute.
	logf(logw, "load done: %d requests; waiting for the async queue to drain", stats.total())
	drainStart := time.Now()
	for {
		s := srv.sampleNow(hc, time.Since(loadStart))
		if s.err == nil && s.queueDepth == 0 {
			r.drained = true
			break
		}
		if srv.exited() {
			r.crashed = true
			r.crashLog = srv.logTail(40)
			return r, errors.New("the server exited while the queue drained")
		}
		if time.Since(drainStart) > 10*time.Minute {
			break
		}
		time.Sleep(time.Second)
	}
	r.drainTime = time.Since(drainStart)
	r.after = srv.sampleNow(hc, time.Since(loadStart))
	logf(logw, "queue drained in %v", r.drainTime.Round(time.Millisecond))
	r.deadLetters, err = l.deadLetters(context.Background())
	if err != nil {
		return r, fmt.Errorf("listing the dead letters: %w", err)
	}

	// A graceful stop, then the data directory.
	r.exitCode, r.stopTime, err = srv.terminate(time.Minute)
	if err != nil {
		r.crashed = true
		r.crashLog = srv.logTail(40)
		return r, err
	}
	r.logLevels = srv.logLevels()
	r.loadEnd = loadAvg()
	r.counted, err = countedKeys(data)
	if err != nil {
		return r, fmt.Errorf("reading kvcounter's keys: %w", err)
	}
	return r, nil
}

// server is the "flint serve" child process.
type server struct {
	url     string
	data    string // the data directory
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // Wait's, once done is closed
}

var listenRE = regexp.MustCompile(`"msg":"flint serving","listen":"([^"]+)"`)

// startServer starts flint serve on a loopback port the kernel picks and
// waits until it is ready.
func startServer(bin, data string, logw io.Writer) (*server, error) {
	s := &server{data: data, logPath: filepath.Join(data, "serve.log"), done: make(chan struct{})}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data", data, "--nats-listen", "off",
		"--log-format", "json", "--shutdown-grace", "30s")
	// Nothing from this environment configures the server behind the
	// soak's back (credentials above all: it runs open, on loopback).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLINT_") && !strings.HasPrefix(kv, "AWS_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { s.err = s.cmd.Wait(); logFile.Close(); close(s.done) }()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if s.exited() {
			return nil, fmt.Errorf("flint serve exited before it was ready: %v\n%s", s.err, s.logTail(40))
		}
		b, _ := os.ReadFile(s.logPath)
		m := listenRE.FindSubmatch(b)
		if m == nil {
			continue
		}
		s.url = "http://" + string(m[1])
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return s, nil
		}
	}
	s.kill()
	return nil, fmt.Errorf("flint serve was not ready after 60s\n%s", s.logTail(40))
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill ends the process if it still runs.
func (s *server) kill() {
	if !s.exited() {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// terminate sends SIGTERM and waits up to limit for the exit.
func (s *server) terminate(limit time.Duration) (int, time.Duration, error) {
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, 0, fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-s.done:
	case <-time.After(limit):
		s.kill()
		return -1, time.Since(start), fmt.Errorf("flint serve did not exit within %v of SIGTERM", limit)
	}
	return s.cmd.ProcessState.ExitCode(), time.Since(start), nil
}

// logTail is the end of the server's log.
func (s *server) logTail(n int) string {
	b, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logLevels counts the server's log records by level and message.
func (s *server) logLevels() map[string]int {
	out := map[string]int{}
	f, err := os.Open(s.logPath)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			out["(not JSON)"]++
			continue
		}
		out[rec.Level+": "+rec.Msg]++
	}
	return out
}

// sample is one look at the server.
type sample struct {
	at         time.Duration // since the load started
	rss        int64         // bytes
	goroutines int
	heap       int64 // go_memstats_heap_inuse_bytes
	goSys      int64 // go_memstats_sys_bytes - go_memstats_heap_released_bytes
	memCache   int64 // flint_memory_cache_bytes (-1 if absent)
	anon       int64 // smaps_rollup Anonymous (-1 if unknown)
	fileRSS    int64 // smaps_rollup Rss - Anonymous (-1 if unknown)
	bolt       int64 // the size of the data directory's *.db files
	queueDepth int
	load       string // the machine's 1-minute load average
	err        error
}

func (s *server) sampleNow(hc *http.Client, at time.Duration) sample {
	out := sample{at: at, load: loadAvg(), goroutines: -1, queueDepth: -1, memCache: -1}
	pid := s.cmd.Process.Pid
	out.rss = vmRSS(pid)
	out.anon, out.fileRSS = smapsRollup(pid)
	out.bolt = boltBytes(s.data)
	m, err := scrape(hc, s.url+"/metrics")
	if err != nil {
		out.err = err
		return out
	}
	out.goroutines = int(m["go_goroutines"])
	out.heap = int64(m["go_memstats_heap_inuse_bytes"])
	out.goSys = int64(m["go_memstats_sys_bytes"] - m["go_memstats_heap_released_bytes"])
	if v, ok := m["flint_memory_cache_bytes"]; ok {
		out.memCache = int64(v)
	}
	out.queueDepth = int(m["flint_async_queue_depth"])
	return out
}

// smapsRollup reads a process's anonymous and file-backed (Rss minus
// Anonymous) resident memory from /proc/PID/smaps_rollup, in bytes (-1, -1
// if unknown).
func smapsRollup(pid int) (anon, file int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return -1, -1
	}
	rss, anon := int64(-1), int64(-1)
	for line := range strings.SplitSeq(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "Rss" && name != "Anonymous") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if name == "Rss" {
			rss = kb << 10
		} else {
			anon = kb << 10
		}
	}
	if rss < 0 || anon < 0 {
		return -1, -1
	}
	return anon, rss - anon
}

// boltBytes is the total size of the bbolt database file(s) in the data
// directory (-1 if none can be read).
func boltBytes(data string) int64 {
	files, _ := filepath.Glob(filepath.Join(data, "*.db"))
	total := int64(-1)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			total = max(total, 0) + fi.Size()
		}
	}
	return total
}

// vmRSS reads a process's resident set size, in bytes (-1 if unknown).
func vmRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// loadAvg is the machine's 1-minute load average, as /proc/loadavg has it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return f[0]
}

// hostNote describes the machine.
func hostNote() string {
	note := fmt.Sprintf("%d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				note += ", " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return note
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func scrape(hc *http.Client, url string) (map[string]float64, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// Function names, and what the workers do with them.
const (
	fnEcho      = "echo"
	fnHello     = "hello"
	fnApp       = "httpapp"
	fnFail      = "fail"
	fnSpin      = "spin"
	fnCounter   = "kvcounter"
	fnFailAsync = "failasync"

	defaultRole = "arn:aws:iam::000000000000:role/default"
	counterRole = "arn:aws:iam::000000000000:role/counter"
	counterDoc  = `{"Version": "2026-11-01", "Statement": [
  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:counters/*"]}]}`
)

// Kinds of request, in report order.
const (
	kindEcho       = "sync-echo"
	kindHello      = "sync-hello"
	kindURLGet     = "url-get"
	kindURLPost    = "url-post"
	kindFail       = "sync-fail"
	kindTimeout    = "sync-timeout"
	kindAsyncCount = "async-kvcounter"
	kindAsyncFail  = "async-fail"
)

var kinds = []string{kindEcho, kindHello, kindURLGet, kindURLPost, kindFail, kindTimeout, kindAsyncCount, kindAsyncFail}

// syncMix weighs the synchronous kinds a worker picks from; a timeout
// holds its worker for a second, so it is rare.
var syncMix = []struct {
	kind   string
	weight int
}{
	{kindEcho, 30}, {kindHello, 20}, {kindURLGet, 15}, {kindURLPost, 15}, {kindFail, 10}, {kindTimeout, 1},
}

// expected is the outcome each kind should have; anything else is an
// error worth looking at.
var expected = map[string]string{
	kindEcho: "ok", kindHello: "ok", kindURLGet: "ok", kindURLPost: "ok",
	kindFail:       "function error ValidationError",
	kindTimeout:    "function error Sandbox.Timedout",
	kindAsyncCount: "ok", kindAsyncFail: "ok",
}

// loader deploys the functions and drives the load.
type loader struct {
	srv    *server
	http   *http.Client
	sdk    *lambda.Client
	appURL string

	mu       sync.Mutex
	accepted map[string][]string // function -> event keys the server accepted (202)
}

func (l *loader) deploy(ctx context.Context, o options) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, l.srv.url+"/flint/v1/roles/counter", strings.NewReader(counterDoc))
	if err != nil {
		return err
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return fmt.Errorf("role counter: %w", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("role counter: status %d: %s", resp.StatusCode, b)
	}
	fns := []struct {
		name, file, role string
		timeout          int32
		env              map[string]string
	}{
		{fnEcho, o.watEcho, defaultRole, 0, nil},
		{fnHello, filepath.Join(o.guests, "hello.wasm"), defaultRole, 0, map[string]string{"GREETING": "Hello"}},
		{fnApp, filepath.Join(o.guests, "httpapp.wasm"), defaultRole, 0, nil},
		{fnFail, filepath.Join(o.guests, "fail.wasm"), defaultRole, 0, nil},
		{fnFailAsync, filepath.Join(o.guests, "fail.wasm"), defaultRole, 0, nil},
		{fnSpin, filepath.Join(o.guests, "spin.wasm"), defaultRole, 1, nil},
		{fnCounter, filepath.Join(o.guests, "kvcounter.wasm"), counterRole, 0, nil},
	}
	for _, f := range fns {
		code, err := os.ReadFile(f.file)
		if err != nil {
			return err
		}
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(f.name), Role: aws.String(f.role), Code: &types.FunctionCode{ZipFile: code}}
		if f.timeout > 0 {
			in.Timeout = aws.Int32(f.timeout)
		}
		if f.env != nil {
			in.Environment = &types.Environment{Variables: f.env}
		}
		if _, err := l.sdk.CreateFunction(ctx, in); err != nil {
			return fmt.Errorf("CreateFunction %s: %w", f.name, err)
		}
	}
	// One retry a minute later for the failing events, then the
	// dead-letter store.
	if _, err := l.sdk.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String(fnFailAsync), MaximumRetryAttempts: aws.Int32(1),
	}); err != nil {
		return fmt.Errorf("PutFunctionEventInvokeConfig: %w", err)
	}
	u, err := l.sdk.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(fnApp), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		return fmt.Errorf("CreateFunctionUrlConfig: %w", err)
	}
	l.appURL = aws.ToString(u.FunctionUrl)
	if _, err := l.sdk.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(fnApp), StatementId: aws.String("public-url"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
	}); err != nil {
		return fmt.Errorf("AddPermission: %w", err)
	}
	// Each synchronous kind once, as a check of the setup: the first
	// calls also compile nothing (deploy did) but start the instances.
	rng := rand.New(rand.NewPCG(0, 0))
	for _, m := range syncMix {
		if cause, _ := l.do(ctx, m.kind, -1, 0, rng); cause != expected[m.kind] {
			return fmt.Errorf("the first %s: %s, want %s", m.kind, cause, expected[m.kind])
		}
	}
	return nil
}

// kindStats is what a worker saw of one kind.
type kindStats struct {
	causes    map[string]int
	latencies []time.Duration
}

// stats are the load's results by kind.
type stats map[string]*kindStats

func (s stats) add(kind, cause string, d time.Duration) {
	k := s[kind]
	if k == nil {
		k = &kindStats{causes: map[string]int{}}
		s[kind] = k
	}
	k.causes[cause]++
	k.latencies = append(k.latencies, d)
}

func (s stats) merge(o stats) {
	for kind, k := range o {
		t := s[kind]
		if t == nil {
			t = &kindStats{causes: map[string]int{}}
			s[kind] = t
		}
		for cause, n := range k.causes {
			t.causes[cause] += n
		}
		t.latencies = append(t.latencies, k.latencies...)
	}
}

func (s stats) total() int {
	n := 0
	for _, k := range s {
		n += len(k.latencies)
	}
	return n
}

// run drives the load until ctx is done.
func (l *loader) run(ctx context.Context, o options) stats {
	l.accepted = map[string][]string{}
	// Async tokens at the configured rate; a worker takes one when there
	// is one, else makes a synchronous request. The small buffer keeps a
	// stall from turning into a burst.
	tokens := make(chan int, 4)
	go func() {
		tick := time.NewTicker(time.Duration(float64(time.Second) / o.asyncRate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				select {
				case tokens <- n:
				default:
				}
			}
		}
	}()
	total := 0
	for _, m := range syncMix {
		total += m.weight
	}
	results := make([]stats, o.concurrency)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Go(func() {
			st := stats{}
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for n := 0; ctx.Err() == nil; n++ {
				var kind string
				select {
				case t := <-tokens:
					kind = kindAsyncCount
					if t%10 == 9 {
						kind = kindAsyncFail
					}
				default:
					pick := rng.IntN(total)
					for _, m := range syncMix {
						if pick < m.weight {
							kind = m.kind
							break
						}
						pick -= m.weight
					}
				}
				// Requests under way when the time is up finish: the
				// load stops, the server does not.
				start := time.Now()
				cause, key := l.do(context.Background(), kind, w, n, rng)
				st.add(kind, cause, time.Since(start))
				if key != "" {
					fn := fnCounter
					if kind == kindAsyncFail {
						fn = fnFailAsync
					}
					l.mu.Lock()
					l.accepted[fn] = append(l.accepted[fn], key)
					l.mu.Unlock()
				}
			}
			results[w] = st
		})
	}
	wg.Wait()
	out := stats{}
	for _, st := range results {
		out.merge(st)
	}
	return out
}

// do makes one request of a kind and sorts its outcome into a cause ("ok"
// or what went wrong). For an accepted async event it also returns the
// event's key.
func (l *loader) do(ctx context.Context, kind string, w, n int, rng *rand.Rand) (cause, key string) {
	switch kind {
	case kindEcho:
		payload := fmt.Sprintf(`{"worker":%d,"n":%d}`, w, n)
		return l.invoke(ctx, fnEcho, payload, func(b []byte) bool { return string(b) == payload }), ""
	case kindHello:
		name := fmt.Sprintf("w%dn%d", w, n)
		return l.invoke(ctx, fnHello, `{"name":"`+name+`"}`, func(b []byte) bool {
			return bytes.Contains(b, []byte("Hello, "+name+"!"))
		}), ""
	case kindFail:
		return l.invoke(ctx, fnFail, `{"n":`+strconv.Itoa(n)+`}`, nil), ""
	case kindTimeout:
		return l.invoke(ctx, fnSpin, `{"ms":5000}`, nil), ""
	case kindURLGet:
		name := fmt.Sprintf("w%dn%d", w, n)
		return l.url(ctx, http.MethodGet, "hello/"+name, "", `"message":"Hello, `+name+`!"`), ""
	case kindURLPost:
		body := fmt.Sprintf(`{"worker":%d,"n":%d,"pad":"%s"}`, w, n, strings.Repeat("x", rng.IntN(2048)))
		return l.url(ctx, http.MethodPost, "echo", body, body), ""
	case kindAsyncCount, kindAsyncFail:
		fn, prefix := fnCounter, "ev"
		if kind == kindAsyncFail {
			fn, prefix = fnFailAsync, "fail"
		}
		key = fmt.Sprintf("%s-%d-%d", prefix, w, n)
		out, err := l.sdk.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(fn), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(`{"key":"` + key + `"}`),
		})
		switch {
		case err != nil:
			return errCause(err), ""
		case out.StatusCode != http.StatusAccepted:
			return fmt.Sprintf("HTTP %d", out.StatusCode), ""
		}
		return "ok", key
	}
	panic("soak: unknown kind " + kind)
}

// invoke makes a synchronous Invoke; check, when given, judges a
// successful payload.
func (l *loader) invoke(ctx context.Context, fn, payload string, check func([]byte) bool) string {
	out, err := l.sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload)})
	switch {
	case err != nil:
		return errCause(err)
	case out.FunctionError != nil:
		var fe struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		return "function error " + cmp.Or(fe.ErrorType, aws.ToString(out.FunctionError))
	case out.StatusCode != http.StatusOK:
		return fmt.Sprintf("HTTP %d", out.StatusCode)
	case check != nil && !check(out.Payload):
		return "wrong payload"
	}
	return "ok"
}

// url makes a function URL request; the response must contain want.
func (l *loader) url(ctx context.Context, method, path, body, want string) string {
	req, err := http.NewRequestWithContext(ctx, method, l.appURL+path, strings.NewReader(body))
	if err != nil {
		return "request: " + err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return errCause(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return "reading the body: " + shorten(err.Error())
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("HTTP %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	case !bytes.Contains(b, []byte(want)):
		return "wrong body"
	}
	return "ok"
}

// errCause sorts a request error into a short, countable cause.
func errCause(err error) string {
	var status interface{ HTTPStatusCode() int }
	var api smithy.APIError
	switch {
	case errors.As(err, &status) && errors.As(err, &api):
		return fmt.Sprintf("HTTP %d %s", status.HTTPStatusCode(), api.ErrorCode())
	case errors.As(err, &status):
		return fmt.Sprintf("HTTP %d", status.HTTPStatusCode())
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed early"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "client timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "client timeout"
	}
	return "transport: " + shorten(err.Error())
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// deadLetter is a dead letter as /flint/v1/dead-letters lists it.
type deadLetter struct {
	Key       string
	Function  string
	Payload   []byte
	Condition string
}

// deadLetters lists the whole dead-letter store.
func (l *loader) deadLetters(ctx context.Context) ([]deadLetter, error) {
	var all []deadLetter
	after := ""
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.srv.url+"/flint/v1/dead-letters?limit=1000&after="+after, nil)
		if err != nil {
			return nil, err
		}
		resp, err := l.http.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			DeadLetters []deadLetter
			NextAfter   string
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		all = append(all, page.DeadLetters...)
		if page.NextAfter == "" {
			return all, nil
		}
		after = page.NextAfter
	}
}

// countedKeys reads kvcounter's counters from the stopped server's data
// directory: key -> count.
func countedKeys(data string) (map[string]int, error) {
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	b, err := st.Bucket("kv/counters")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	out := map[string]int{}
	after := ""
	for {
		keys, more, err := b.List(ctx, "", after, 1000)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			v, err := b.Get(ctx, k)
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", k, err)
			}
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return nil, fmt.Errorf("key %s holds %q", k, v)
			}
			out[k] = n
		}
		if !more || len(keys) == 0 {
			return out, nil
		}
		after = keys[len(keys)-1]
	}
}

// report is everything the run found.
type report struct {
	opts               options
	start              time.Time
	host               string
	loadStart, loadEnd string
	setup              time.Duration
	loadTime           time.Duration
	stats              stats
	samples            []sample
	after              sample // once the queue drained
	drained            bool
	drainTime          time.Duration
	accepted           map[string][]string
	deadLetters        []deadLetter
	counted            map[string]int
	exitCode           int
	stopTime           time.Duration
	crashed            bool
	crashLog           string
	logLevels          map[string]int
}

// asyncRow is the accounting of one function's async events.
type asyncRow struct {
	fn                                                string
	accepted, processed, deadLettered, lost, repeated int
	lostKeys                                          []string
}

func (r *report) async() []asyncRow {
	dead := map[string]bool{}
	for _, d := range r.deadLetters {
		var p struct{ Key string }
		if json.Unmarshal(d.Payload, &p) == nil && p.Key != "" {
			dead[p.Key] = true
		}
	}
	var rows []asyncRow
	for _, fn := range []string{fnCounter, fnFailAsync} {
		row := asyncRow{fn: fn, accepted: len(r.accepted[fn])}
		for _, k := range r.accepted[fn] {
			n, ok := r.counted[k]
			switch {
			case ok:
				row.processed++
				if n > 1 {
					row.repeated++
				}
			case dead[k]:
				row.deadLettered++
			default:
				row.lost++
				if len(row.lostKeys) < 10 {
					row.lostKeys = append(row.lostKeys, k)
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (r *report) lost() int {
	n := 0
	for _, row := range r.async() {
		n += row.lost
	}
	return n
}

func (r *report) passed() bool {
	return !r.crashed && r.exitCode == 0 && r.drained && r.lost() == 0
}

// series summarizes one sampled quantity over the load.
type series struct {
	first, min, max, last float64
	midMax, lastMax       float64
	plateau               bool
	perMinute             float64 // least-squares trend over the last two thirds
}

// trend is the least-squares slope of xs, sampled every step, per minute.
func trend(xs []float64, step time.Duration) float64 {
	n := float64(len(xs))
	if n < 2 || step <= 0 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, y := range xs {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return slope * float64(time.Minute) / float64(step)
}

// summarize takes the samples during the load (the one before it
// included) and says whether the last third stays within 10% of the
// middle third's peak (plus slack, for small counts that move by a few).
func summarize(xs []float64, slack float64) series {
	s := series{first: xs[0], min: slices.Min(xs), max: slices.Max(xs), last: xs[len(xs)-1]}
	if len(xs) < 6 {
		s.plateau = true // too short to tell
		return s
	}
	third := len(xs) / 3
	s.midMax = slices.Max(xs[third : 2*third])
	s.lastMax = slices.Max(xs[2*third:])
	s.plateau = s.lastMax <= s.midMax*1.10+slack
	return s
}

// summarizeTroughs is summarize for a quantity that saws up and down
// between garbage collections (the Go heap): what must not grow is its
// lows, the live heap, so it compares the thirds' minima instead.
func summarizeTroughs(xs []float64) series {
	neg := make([]float64, len(xs))
	for i, x := range xs {
		neg[i] = -x
	}
	s := summarize(neg, 0)
	s.first, s.min, s.max, s.last = xs[0], -s.max, -s.min, xs[len(xs)-1]
	s.midMax, s.lastMax = -s.midMax, -s.lastMax
	s.plateau = len(xs) < 6 || s.lastMax <= s.midMax*1.10
	return s
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func mibOrDash(b int64) string {
	if b < 0 {
		return "-"
	}
	return strconv.FormatFloat(mib(b), 'f', 1, 64)
}

// rssBreakdown splits the RSS over the load: anonymous memory (the
// engine's cache of released linear memory, the Go runtime, and the rest:
// live instances' linear memory and wazero's compiled code) and
// file-backed memory (the binary, and bbolt's mmapped database), with the
// database file's size beside it.
func (r *report) rssBreakdown(p func(string, ...any)) {
	var rss, anon, cache, goRT, other, file, bolt []float64
	for _, s := range r.samples {
		if s.rss < 0 || s.err != nil || s.anon < 0 || s.memCache < 0 || s.bolt < 0 {
			continue
		}
		rss = append(rss, mib(s.rss))
		anon = append(anon, mib(s.anon))
		cache = append(cache, mib(s.memCache))
		goRT = append(goRT, mib(s.goSys))
		other = append(other, mib(s.anon-s.memCache-s.goSys))
		file = append(file, mib(s.fileRSS))
		bolt = append(bolt, mib(s.bolt))
	}
	if len(rss) == 0 {
		p("The RSS breakdown is missing: smaps_rollup, flint_memory_cache_bytes or the bbolt file could not be read.\n\n")
		return
	}
	p("Where the RSS is (smaps_rollup, /metrics and the data directory; trend: least squares over the last two thirds):\n\n")
	p("| | first | min | max | last | last - first | trend, last two thirds |\n|---|--:|--:|--:|--:|--:|--:|\n")
	row := func(name string, xs []float64) {
		p("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %+.1f MiB | %+.2f MiB/min |\n", name,
			xs[0], slices.Min(xs), slices.Max(xs), xs[len(xs)-1], xs[len(xs)-1]-xs[0], trend(xs[len(xs)/3:], r.opts.sample))
	}
	row("RSS", rss)
	row("anonymous", anon)
	row("&nbsp;&nbsp;memory cache (flint_memory_cache_bytes)", cache)
	row("&nbsp;&nbsp;Go runtime (sys - heap released)", goRT)
	row("&nbsp;&nbsp;the rest: live instances, compiled code", other)
	row("file-backed (Rss - Anonymous)", file)
	row("bbolt file(s), size on disk", bolt)
	p("\nThe Go runtime's figure is what it has mapped and not released, an upper bound on its resident share, so the rest is a lower bound. ")
	p("The memory cache is capped by the server's MemoryCacheBytes (default 256 MiB); the bbolt file grows with the soak's own data (a key per event).\n\n")
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.opts
	p("### Soak run of %s\n\n", r.start.UTC().Format("2006-01-02 15:04 MST"))
	p("- Load: %v with %d workers (a second process on loopback), async events paced at %.0f/s; samples every %v.\n",
		o.duration, o.concurrency, o.asyncRate, o.sample)
	p("- Machine: %s; load average (1 min) %s at the start, %s at the end.\n", r.host, r.loadStart, cmp.Or(r.loadEnd, "?"))
	p("- Setup (start, deploy 7 functions, first calls): %v.\n", r.setup.Round(time.Millisecond))
	if r.crashed {
		p("- **The server crashed or did not stop cleanly.** Its log ends:\n\n```\n%s\n```\n", r.crashLog)
	}
	p("\n#### Requests\n\n")
	total := r.stats.total()
	p("%d requests in %v: %.0f/s.\n\n", total, r.loadTime.Round(time.Second), float64(total)/r.loadTime.Seconds())
	p("| kind | requests | as expected | unexpected | p50 | p99 | max |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, kind := range kinds {
		k := r.stats[kind]
		if k == nil {
			continue
		}
		lat := slices.Clone(k.latencies)
		slices.Sort(lat)
		ok := k.causes[expected[kind]]
		p("| %s | %d | %d | %d | %s | %s | %s |\n", kind, len(lat), ok, len(lat)-ok,
			ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1]))
	}
	p("\n#### Outcomes by cause\n\n| kind | cause | count | |\n|---|---|--:|---|\n")
	for _, kind := range kinds {
		k := r.stats[kind]
		if k == nil {
			continue
		}
		causes := make([]string, 0, len(k.causes))
		for c := range k.causes {
			causes = append(causes, c)
		}
		slices.Sort(causes)
		for _, c := range causes {
			mark := "expected"
			if c != expected[kind] {
				mark = "**unexpected**"
			}
			p("| %s | %s | %d | %s |\n", kind, c, k.causes[c], mark)
		}
	}

	p("\n#### Server memory and goroutines\n\n")
	var rss, gor, heap []float64
	for _, s := range r.samples {
		if s.rss >= 0 && s.err == nil {
			rss = append(rss, mib(s.rss))
			gor = append(gor, float64(s.goroutines))
			heap = append(heap, mib(s.heap))
		}
	}
	if len(rss) > 0 {
		p("| | first | min | max | last | middle third | last third | trend, last two thirds | verdict |\n|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
		row := func(name string, s series, xs []float64, unit string) {
			s.perMinute = trend(xs[len(xs)/3:], o.sample)
			verdict := "plateau"
			if !s.plateau {
				verdict = "**growing**"
			}
			f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + unit }
			if unit == "" {
				f = func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %+.2f%s/min | %s |\n", name, f(s.first), f(s.min), f(s.max), f(s.last), f(s.midMax), f(s.lastMax), s.perMinute, unit, verdict)
		}
		row("RSS", summarize(rss, 0), rss, " MiB")
		row("goroutines", summarize(gor, 5), gor, "")
		row("Go heap in use (troughs)", summarizeTroughs(heap), heap, " MiB")
		p("\nMiddle and last third: the peaks, which must plateau: the last within 10%% of the middle (goroutines: plus 5; ")
		p("the heap, which saws between collections: the last third's lowest point within 10%% of the middle third's). ")
		p("After the queue drained: RSS %.1f MiB, %d goroutines, heap %.1f MiB.\n\n", mib(r.after.rss), r.after.goroutines, mib(r.after.heap))
		r.rssBreakdown(p)
	}
	p("<details><summary>Every sample</summary>\n\n")
	p("| t | RSS MiB | anon MiB | file-backed MiB | memory cache MiB | Go runtime MiB | goroutines | heap MiB | bbolt MiB | queue depth | load avg |\n")
	p("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.samples {
		p("| %v | %.1f | %s | %s | %s | %.1f | %d | %.1f | %s | %d | %s |\n", s.at.Round(time.Second), mib(s.rss),
			mibOrDash(s.anon), mibOrDash(s.fileRSS), mibOrDash(s.memCache), mib(s.goSys), s.goroutines, mib(s.heap), mibOrDash(s.bolt), s.queueDepth, s.load)
	}
	p("\n</details>\n")

	p("\n#### Asynchronous events\n\n")
	if r.drained {
		p("The queue drained %v after the load stopped (the failing events' retry waits a minute).\n\n", r.drainTime.Round(time.Second))
	} else {
		p("**The queue did not drain** in %v after the load stopped.\n\n", r.drainTime.Round(time.Second))
	}
	p("| function | accepted (202) | processed | dead-lettered | lost | processed more than once |\n|---|--:|--:|--:|--:|--:|\n")
	for _, row := range r.async() {
		p("| %s | %d | %d | %d | %d | %d |\n", row.fn, row.accepted, row.processed, row.deadLettered, row.lost, row.repeated)
	}
	for _, row := range r.async() {
		if row.lost > 0 {
			p("\nLost %s events, the first: %s\n", row.fn, strings.Join(row.lostKeys, ", "))
		}
	}
	p("\nProcessed: kvcounter wrote the event's key (read from the data directory after the stop); dead-lettered: the dead-letter store holds it (%d dead letters in all).\n", len(r.deadLetters))

	p("\n#### Shutdown and log\n\n")
	if !r.crashed {
		p("SIGTERM after the drain: exit status %d in %v.\n\n", r.exitCode, r.stopTime.Round(time.Millisecond))
	}
	if len(r.logLevels) > 0 {
		p("| server log record | count |\n|---|--:|\n")
		recs := make([]string, 0, len(r.logLevels))
		for k := range r.logLevels {
			recs = append(recs, k)
		}
		slices.Sort(recs)
		for _, k := range recs {
			p("| %s | %d |\n", k, r.logLevels[k])
		}
	}
	verdict := "PASS"
	if !r.passed() {
		verdict = "FAIL"
	}
	p("\n**%s**: %d events lost, server %s.\n", verdict, r.lost(), map[bool]string{true: "crashed or did not stop cleanly", false: "up throughout and stopped cleanly"}[r.crashed || r.exitCode != 0])
	return b.String()
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
