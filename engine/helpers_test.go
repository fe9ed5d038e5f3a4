package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newEngine starts an engine that shares the machine-wide compilation cache
// of the tests (unless cfg names a cache) and is closed when the test ends.
func newEngine(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	if cfg.CompilationCacheDir == "" && cfg.CompilationCache == nil {
		cfg.CompilationCacheDir = testguest.CacheDir(t)
	}
	eng, err := engine.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, eng.Close(ctx))
	})
	return eng
}

// deploy deploys f on eng and fails the test if that fails.
func deploy(t testing.TB, eng *engine.Engine, f engine.Function) *engine.FunctionInfo {
	t.Helper()
	info, err := eng.Deploy(context.Background(), f)
	require.NoError(t, err, "deploy %s", f.Name)
	return info
}

// invoke invokes name with payload and fails the test if Invoke fails (a
// FunctionError is not a failure of Invoke: check res.FunctionError).
func invoke(t testing.TB, eng *engine.Engine, name, payload string) *engine.Result {
	t.Helper()
	res, err := eng.Invoke(context.Background(), name, []byte(payload))
	require.NoError(t, err, "invoke %s", name)
	require.NotNil(t, res)
	return res
}

// mustSucceed invokes name and requires the function to succeed.
func mustSucceed(t testing.TB, eng *engine.Engine, name, payload string) *engine.Result {
	t.Helper()
	res := invoke(t, eng, name, payload)
	require.Nil(t, res.FunctionError, "invoke %s: function error; logs:\n%s", name, res.Logs)
	return res
}

// wat returns the compiled engine/testdata/<name>.wasm (its source is
// <name>.wat beside it).
func wat(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	require.NoError(t, err)
	return b
}

// stats returns the counters of function name.
func stats(t testing.TB, eng *engine.Engine, name string) engine.Stats {
	t.Helper()
	s, err := eng.Stats(name)
	require.NoError(t, err)
	return s
}

// logLine is one parsed line of Result.Logs.
type logLine struct {
	Time      time.Time
	RequestID string
	Level     string
	Message   string
}

var logLineRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\t([^\t]+)\t([A-Z]+)\t([^\n]*)$`)

// parseLogs splits logs into lines and requires each to have the format
// "<RFC3339 with milliseconds>Z\t<request id>\t<LEVEL>\t<message>".
func parseLogs(t testing.TB, logs []byte) []logLine {
	t.Helper()
	if len(logs) == 0 {
		return nil
	}
	require.True(t, bytes.HasSuffix(logs, []byte("\n")), "logs end with a newline: %q", logs)
	var out []logLine
	for _, line := range strings.Split(strings.TrimSuffix(string(logs), "\n"), "\n") {
		m := logLineRE.FindStringSubmatch(line)
		require.NotNil(t, m, "log line has the format time\\trequest id\\tlevel\\tmessage: %q", line)
		ts, err := time.Parse("2006-01-02T15:04:05.000Z", m[1])
		require.NoError(t, err)
		out = append(out, logLine{Time: ts, RequestID: m[2], Level: m[3], Message: m[4]})
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for a slog handler
// fed by the engine's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// debugLogger returns a logger keeping everything the engine logs, down to
// debug level, and the buffer it writes to.
func debugLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// updateSettings changes function name's settings and fails the test if
// that fails.
func updateSettings(t testing.TB, eng *engine.Engine, name string, change func(*engine.Settings)) engine.Settings {
	t.Helper()
	s, err := eng.UpdateSettings(context.Background(), name, func(s *engine.Settings) error {
		change(s)
		return nil
	})
	require.NoError(t, err, "update the settings of %s", name)
	return s
}

// reserve sets function name's reserved concurrency.
func reserve(t testing.TB, eng *engine.Engine, name string, n int) {
	t.Helper()
	updateSettings(t, eng, name, func(s *engine.Settings) { s.ReservedConcurrency = &n })
}

// provision sets the provisioned concurrency of a version or alias of
// function name (or $LATEST) and returns once the instances are ready.
func provision(t testing.TB, eng *engine.Engine, name, qualifier string, n int) {
	t.Helper()
	updateSettings(t, eng, name, func(s *engine.Settings) {
		if s.ProvisionedConcurrency == nil {
			s.ProvisionedConcurrency = map[string]int{}
		}
		s.ProvisionedConcurrency[qualifier] = n
	})
}

// withCode is an Update change that replaces the code.
func withCode(code []byte) func(*engine.Function) error {
	return func(f *engine.Function) error {
		f.Code = code
		return nil
	}
}

// setReserved sets function name's reserved concurrency (nil: none).
func setReserved(ctx context.Context, eng *engine.Engine, name string, n *int) error {
	_, err := eng.UpdateSettings(ctx, name, func(s *engine.Settings) error {
		s.ReservedConcurrency = n
		return nil
	})
	return err
}

// setProvisioned sets the provisioned concurrency of a version or alias.
func setProvisioned(ctx context.Context, eng *engine.Engine, name, qualifier string, n int) error {
	_, err := eng.UpdateSettings(ctx, name, func(s *engine.Settings) error {
		if s.ProvisionedConcurrency == nil {
			s.ProvisionedConcurrency = map[string]int{}
		}
		s.ProvisionedConcurrency[qualifier] = n
		return nil
	})
	return err
}

// putEventConfig sets function name's asynchronous invocation settings.
func putEventConfig(ctx context.Context, eng *engine.Engine, name string, c engine.EventInvokeConfig) error {
	_, err := eng.UpdateSettings(ctx, name, func(s *engine.Settings) error {
		s.EventInvokeConfig = c
		return nil
	})
	return err
}

// eventConfig returns function name's asynchronous invocation settings.
func eventConfig(eng *engine.Engine, name string) (engine.EventInvokeConfig, error) {
	s, err := eng.Settings(name)
	return s.EventInvokeConfig, err
}

// ptr returns a pointer to n.
func ptr(n int) *int { return &n }

// settled waits until no instance of name is busy: the pool's filler
// retires single-use instances after the response.
func settled(t testing.TB, eng *engine.Engine, name string) {
	t.Helper()
	require.Eventually(t, func() bool { return stats(t, eng, name).Busy == 0 }, 10*time.Second, time.Millisecond,
		"%s: an instance is still out", name)
}
