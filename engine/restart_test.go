package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// markDonePolicy lets engine/testdata/markdone.wasm write to the store
// "done".
var markDonePolicy = policy.MustParse(`{"Version": "2026-11-01", "Statement": [
	{"Effect": "Allow", "Action": ["kv:Put"], "Resource": ["kv:done/*"]}]}`)

// openDataDir starts an engine keeping everything in dir, its compilation
// cache included (dir/compile-cache, the default), closed when the test
// ends.
func openDataDir(t testing.TB, dir string, cfg engine.Config) *engine.Engine {
	t.Helper()
	cfg.DataDir = dir
	eng, err := engine.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, eng.Close(ctx))
	})
	return eng
}

// cacheFiles returns the files under dir with their sizes.
func cacheFiles(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files[p] = info.Size()
		return nil
	})
	require.NoError(t, err)
	return files
}

// engineState is what a client can read of an engine's functions.
type engineState struct {
	Functions []engine.FunctionInfo
	Versions  map[string][]engine.FunctionInfo
	Aliases   map[string][]engine.Alias
	Settings  map[string]engine.Settings
}

func stateOf(t testing.TB, eng *engine.Engine) engineState {
	t.Helper()
	s := engineState{Functions: eng.Functions(), Versions: map[string][]engine.FunctionInfo{},
		Aliases: map[string][]engine.Alias{}, Settings: map[string]engine.Settings{}}
	for _, f := range s.Functions {
		var err error
		s.Versions[f.Name], err = eng.Versions(f.Name)
		require.NoError(t, err)
		s.Aliases[f.Name], err = eng.Aliases(f.Name)
		require.NoError(t, err)
		s.Settings[f.Name], err = eng.Settings(f.Name)
		require.NoError(t, err)
	}
	return s
}

func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "compile-cache")
	cfg := engine.Config{AcquireTimeout: -1}

	eng := openDataDir(t, dir, cfg)
	deploy(t, eng, engine.Function{
		Name: "greet", Code: wat(t, "env"), Env: map[string]string{"V": "one"},
		Timeout: 2 * time.Second, MemoryMB: 64, Description: "greets",
	})
	require.Equal(t, "1", publish(t, eng, "greet"))
	setEnv(t, eng, "greet", map[string]string{"V": "two"})
	require.Equal(t, "2", publish(t, eng, "greet"))
	_, err := eng.Update(ctx, "greet", withCode(testguest.WATEcho(t)))
	require.NoError(t, err)
	_, err = eng.SetAlias(ctx, "greet", engine.Alias{Name: "live", FunctionVersion: "1", AdditionalVersion: "2", AdditionalWeight: 0.3})
	require.NoError(t, err)
	_, err = eng.SetAlias(ctx, "greet", engine.Alias{Name: "stable", FunctionVersion: "2", Description: "the one"})
	require.NoError(t, err)
	require.NoError(t, setReserved(ctx, eng, "greet", ptr(1)))
	require.NoError(t, setProvisioned(ctx, eng, "greet", "2", 1))
	updateSettings(t, eng, "greet", func(s *engine.Settings) {
		s.InvokePolicy = engine.InvokePolicy{{Sid: "ci", Action: engine.ActionInvokeFunction, Principal: "AKIACI", Qualifier: "live"}}
		s.URLs = map[string]engine.URLConfig{"": {AuthType: engine.AuthIAM,
			CORS: &engine.CORS{AllowOrigins: []string{"https://example.com"}, MaxAge: 60}}}
	})
	deploy(t, eng, engine.Function{Name: "mark", Code: wat(t, "markdone"), Policy: markDonePolicy})
	setEventConfig(t, eng, "greet", engine.EventInvokeConfig{
		MaximumRetryAttempts: retries(1), MaximumEventAge: time.Hour,
		OnSuccess: "function:mark", OnFailure: engine.DeadLetterDestination,
	})

	// What every target answers, by the version that ran.
	targets := []string{"greet", "greet:1", "greet:2", "greet:stable", "greet:live", "mark"}
	input := map[string]string{"greet": "hello", "mark": "a key"}
	payloads := map[string]string{}
	for _, target := range targets {
		res := mustSucceed(t, eng, target, input[target])
		payloads[target+"@"+res.Version] = string(res.Payload)
	}
	for _, v := range []string{"1", "2"} {
		payloads["greet:live@"+v] = payloads["greet:"+v+"@"+v]
	}
	before := stateOf(t, eng)
	require.NoError(t, eng.Close(ctx))

	compiled := cacheFiles(t, cacheDir)
	require.NotEmpty(t, compiled, "the compilation cache is in the data directory")

	eng = openDataDir(t, dir, cfg)
	after := stateOf(t, eng)
	assert.Equal(t, before, after, "functions, versions, aliases and settings are as they were")
	assert.Equal(t, "AKIACI", after.Settings["greet"].InvokePolicy[0].Principal)
	assert.Equal(t, 60, after.Settings["greet"].URLs[""].CORS.MaxAge)

	t.Run("provisioned instances are prepared again", func(t *testing.T) {
		require.Eventually(t, func() bool {
			s := stats(t, eng, "greet:2")
			return s.Prewarmed >= 1 && s.Idle >= 1
		}, 10*time.Second, time.Millisecond)
		res := mustSucceed(t, eng, "greet:2", "")
		assert.False(t, res.Cold)
	})
	t.Run("reserved concurrency holds", func(t *testing.T) {
		inflight := invokeInBackground(t, eng, "greet:1", "1000")
		busy(t, eng, "greet:1")
		_, err := eng.Invoke(ctx, "greet:2", nil)
		assert.ErrorIs(t, err, engine.ErrThrottled)
		require.NotNil(t, <-inflight)
		// Before $LATEST has run in this process, too.
		assert.Equal(t, uint64(1), functionMetrics(t, eng.Metrics(ctx), "greet").Throttles, "the throttle is counted")
	})
	t.Run("every target answers as before", func(t *testing.T) {
		for _, target := range targets {
			res := mustSucceed(t, eng, target, input[target])
			want, ok := payloads[target+"@"+res.Version]
			require.True(t, ok, "%s ran version %s", target, res.Version)
			assert.Equal(t, want, string(res.Payload), target)
		}
	})
	t.Run("nothing was compiled again", func(t *testing.T) {
		assert.Equal(t, compiled, cacheFiles(t, cacheDir))
	})
	t.Run("the event configuration applies", func(t *testing.T) {
		marks, err := eng.Logs("mark", 0)
		require.NoError(t, err)
		id := invokeAsync(t, eng, "greet:stable", "")
		require.Eventually(t, func() bool {
			recs, err := eng.Logs("mark", 0)
			require.NoError(t, err)
			// mark ran once more, with greet's success record.
			return len(recs) == len(marks)+1 && !recs[len(recs)-1].Failed
		}, asyncWait, time.Millisecond)
		recs := logsOf(t, eng, "greet", id)
		require.Len(t, recs, 1)
		assert.Equal(t, "2", recs[0].Version)
	})
}

// crashDirEnv, set, makes TestAsyncSurvivesKill the child process that
// works in that data directory until it is killed.
const crashDirEnv = "FLINT_TEST_CRASH_DIR"

func TestAsyncSurvivesKill(t *testing.T) {
	const events = 2000
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(t, dir, events)
		return
	}
	ctx := context.Background()
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestAsyncSurvivesKill$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started := time.Now()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Both phases take seconds; the bounds are for a machine under load.
	ready := false
	deadline := time.After(90 * time.Second)
	for !ready {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the child ended before it was ready:\n%s", &stderr)
			ready = strings.HasPrefix(line, "enqueued ")
		case <-deadline:
			require.FailNow(t, "the child was not ready in time", "%s", &stderr)
		}
	}
	t.Logf("child ready after %v", time.Since(started))
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no Close, nothing flushed
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.False(t, exit.Exited(), "the child was killed, not exited: %v", err)

	// Open the store first, to see what the child left.
	s, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	q, err := s.Queue("async")
	require.NoError(t, err)
	qs, err := q.Stats(ctx)
	require.NoError(t, err)
	doneBefore := len(doneKeys(t, s))
	t.Logf("killed with %d events queued (%d leased), %d done", qs.Depth, qs.Leased, doneBefore)
	require.Positive(t, qs.Depth, "the child was killed with work left")

	eng := newEngine(t, engine.Config{DataDir: dir, Store: s, CompilationCacheDir: filepath.Join(dir, "compile-cache"),
		Async: engine.AsyncConfig{Workers: 16}})
	require.Eventually(t, func() bool { return eng.Metrics(ctx).Async.Depth == 0 },
		90*time.Second, 10*time.Millisecond, "the restarted engine works through the queue")

	t.Logf("queue drained after %v", time.Since(started))
	done := doneKeys(t, s)
	var missing []string
	for i := range events {
		if id := eventID(i); !done[id] {
			missing = append(missing, id)
		}
	}
	assert.Empty(t, missing, "every event ran at least once")
	assert.Len(t, done, events, "and nothing else did")
	m := eng.Metrics(ctx).Async
	assert.Zero(t, m.DeadLetters)
	assert.Positive(t, m.Succeeded, "the restarted engine ran the rest")
}

func eventID(i int) string { return "ev-" + strconv.Itoa(i) }

// doneKeys returns the keys markdone.wasm wrote to its store "done".
func doneKeys(t testing.TB, s store.Store) map[string]bool {
	t.Helper()
	b, err := s.Bucket("kv/done") // the engine keeps a guest's store "x" as bucket "kv/x"
	require.NoError(t, err)
	keys := map[string]bool{}
	after := ""
	for {
		page, more, err := b.List(context.Background(), "", after, store.MaxListKeys)
		require.NoError(t, err)
		for _, k := range page {
			keys[k] = true
		}
		if !more || len(page) == 0 {
			return keys
		}
		after = page[len(page)-1]
	}
}

// crashChild deploys markdone.wasm in dir, queues events that each mark
// their id done, says "enqueued" and works until it is killed.
func crashChild(t *testing.T, dir string, events int) {
	ctx := context.Background()
	// Few workers, so that the parent's kill finds work left.
	eng, err := engine.New(ctx, engine.Config{DataDir: dir, Async: engine.AsyncConfig{Workers: 2}})
	require.NoError(t, err)
	deploy(t, eng, engine.Function{Name: "mark", Code: wat(t, "markdone"), Policy: markDonePolicy})

	const senders = 16
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			for i := s; i < events; i += senders {
				if _, err := eng.InvokeAsync(ctx, "mark", []byte(eventID(i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(t, errors.Join(<-errs))
	fmt.Printf("enqueued %d\n", eng.Metrics(ctx).Async.Depth)
	select {} // until killed
}

// TestRestartUpgradesOldRecords opens a data directory whose function
// record is in the format Flint wrote before function settings were typed:
// the gateway's invoke permissions and URL settings as opaque extensions,
// and a reserved concurrency in which 0 meant none.
func TestRestartUpgradesOldRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := openDataDir(t, dir, engine.Config{})
	deploy(t, eng, engine.Function{Name: "old", Code: testguest.WATEcho(t)})
	deploy(t, eng, engine.Function{Name: "unreserved", Code: testguest.WATEcho(t)})
	require.NoError(t, eng.Close(ctx))

	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	b, err := st.Bucket("functions")
	require.NoError(t, err)
	rewrite := func(name string, old map[string]any) {
		raw, err := b.Get(ctx, name)
		require.NoError(t, err)
		var rec map[string]any
		require.NoError(t, json.Unmarshal(raw, &rec))
		maps.Copy(rec, old)
		raw, err = json.Marshal(rec)
		require.NoError(t, err)
		require.NoError(t, b.Put(ctx, name, raw))
	}
	rewrite("old", map[string]any{
		"reservedConcurrency": 3,
		"extensions": map[string]any{
			"gateway.permissions": []any{map[string]any{"sid": "url", "action": "lambda:InvokeFunctionUrl", "principal": "*", "authType": "NONE"}},
			"gateway.urls": map[string]any{"": map[string]any{"authType": "NONE", "cors": map[string]any{"AllowOrigins": []string{"*"}, "MaxAge": 5},
				"created": "2026-11-01T10:00:00Z", "lastModified": "2026-11-02T10:00:00Z"}},
		},
	})
	rewrite("unreserved", map[string]any{"reservedConcurrency": 0})
	require.NoError(t, st.Close())

	eng = openDataDir(t, dir, engine.Config{})
	s, err := eng.Settings("old")
	require.NoError(t, err)
	assert.Equal(t, ptr(3), s.ReservedConcurrency)
	assert.Equal(t, engine.InvokePolicy{{Sid: "url", Action: engine.ActionInvokeFunctionURL, Principal: "*", FunctionURLAuthType: engine.AuthNone}}, s.InvokePolicy)
	require.Contains(t, s.URLs, "")
	u := s.URLs[""]
	assert.Equal(t, engine.AuthNone, u.AuthType)
	assert.Equal(t, &engine.CORS{AllowOrigins: []string{"*"}, MaxAge: 5}, u.CORS)
	assert.Equal(t, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), u.Created)
	assert.True(t, s.InvokePolicy.Allows(engine.ActionInvokeFunctionURL, "", engine.AuthNone), "an anonymous URL caller is let in")

	s, err = eng.Settings("unreserved")
	require.NoError(t, err)
	assert.Nil(t, s.ReservedConcurrency, "0 meant no reservation")
	mustSucceed(t, eng, "unreserved", "still runs")
}
