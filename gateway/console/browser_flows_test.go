package console_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserDeployAndTest: sign in, deploy a function by uploading its
// module, save a test event, invoke the function with it, and see its
// response, its log with the REPORT line, and whether it started cold.
func TestBrowserDeployAndTest(t *testing.T) {
	s := startServer(t, serverOptions{})
	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey)
	screenshot(t, ctx, "functions-empty")

	browse(t, ctx, s.URL, "/console/deploy")
	wasm, err := filepath.Abs(filepath.Join("testdata", "echolog.wasm"))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("deploy-name"), "uploaded"),
		chromedp.SetUploadFiles(chromedp.ID("deploy-file"), []string{wasm})))
	require.Equal(t, int64(200), submit(t, ctx, "#deploy-button"))
	assert.Equal(t, "/console/functions/uploaded", eval[string](t, ctx, `location.pathname`))
	assert.Equal(t, "Function created.", text(t, ctx, "#done"))
	info, err := s.Engine.Function("uploaded")
	require.NoError(t, err, "the upload deployed the function")
	assert.Equal(t, len(echolog(t)), info.CodeSize)
	screenshot(t, ctx, "function")

	browse(t, ctx, s.URL, "/console/functions/uploaded/test")
	payload := `{"greeting":"hello from the browser"}`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("payload"), payload),
		chromedp.SendKeys(chromedp.ID("event-name"), "hello-event")))
	require.Equal(t, int64(200), submit(t, ctx, "#save-event"))
	assert.Equal(t, "Test event saved.", text(t, ctx, "#done"))

	// A fresh page, then the saved event, then Invoke.
	browse(t, ctx, s.URL, "/console/functions/uploaded/test")
	assert.Equal(t, "{}", eval[string](t, ctx, `document.getElementById("payload").value`))
	require.Equal(t, int64(200), submit(t, ctx, `#saved-events a.event`))
	assert.Equal(t, payload, eval[string](t, ctx, `document.getElementById("payload").value`), "the saved event is loaded")
	require.Equal(t, int64(200), submit(t, ctx, "#invoke"))
	assert.Equal(t, "Succeeded", text(t, ctx, "#status"))
	assert.JSONEq(t, payload, text(t, ctx, "#response"))
	assert.Contains(t, text(t, ctx, "#start"), "cold start", "the first invocation starts an instance")
	log := text(t, ctx, "#log")
	id := strings.TrimSpace(text(t, ctx, "#request-id"))
	assert.Contains(t, log, "START RequestId: "+id)
	assert.Contains(t, log, "END RequestId: "+id)
	assert.Contains(t, log, "REPORT RequestId: "+id+"\tDuration: ")
	assert.Contains(t, log, "Init Duration:")
	assert.Contains(t, log, "hello from the browser", "the function's own log line")
	screenshot(t, ctx, "test-result")

	require.Equal(t, int64(200), submit(t, ctx, "#invoke"))
	assert.Equal(t, "warm start", text(t, ctx, "#start"), "the second one takes the idle instance")

	// A function error is shown as such.
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("payload"), `"!bad input"`)))
	require.Equal(t, int64(200), submit(t, ctx, "#invoke"))
	assert.Equal(t, "Failed", text(t, ctx, "#status"))
	assert.Equal(t, `"!bad input"`, text(t, ctx, "#error-message"))
	screenshot(t, ctx, "test-error")
}

// TestBrowserLiveLog: the live log page shows a new invocation's log as
// it happens, and its filter hides what does not match.
func TestBrowserLiveLog(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "chatty")
	_, err := s.Engine.Invoke(context.Background(), "chatty", []byte(`"before the page"`))
	require.NoError(t, err)
	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey)
	browse(t, ctx, s.URL, "/console/functions/chatty/logs")
	waitFor(t, ctx, `document.getElementById("live").dataset.state === "live"`, 10*time.Second)
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("#log pre.rec").length`))

	for i := range 3 {
		_, err := s.Engine.Invoke(context.Background(), "chatty", []byte(`"live line `+strconv.Itoa(i)+`"`))
		require.NoError(t, err)
	}
	waitFor(t, ctx, `document.querySelectorAll("#log pre.rec").length === 4`, 10*time.Second)
	assert.Contains(t, text(t, ctx, "#log"), `"live line 2"`)
	assert.Contains(t, text(t, ctx, "#log pre.rec:last-child"), "REPORT RequestId")

	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), "line 1")))
	waitFor(t, ctx, `document.querySelectorAll("#log pre.rec:not([hidden])").length === 1`, 5*time.Second)
	assert.Contains(t, text(t, ctx, "#count"), "1 of 4")
	// A record that arrives while filtering is filtered too.
	_, err = s.Engine.Invoke(context.Background(), "chatty", []byte(`"another line 1"`))
	require.NoError(t, err)
	waitFor(t, ctx, `document.querySelectorAll("#log pre.rec:not([hidden])").length === 2`, 10*time.Second)
	screenshot(t, ctx, "live-log")
}

// TestBrowserAliasWeight: changing an alias's weight on the function page
// changes where the next invocations of the alias go.
func TestBrowserAliasWeight(t *testing.T) {
	s := startServer(t, serverOptions{})
	ectx := context.Background()
	s.deploy(t, "routed")
	_, err := s.Engine.PublishVersion(ectx, "routed", "one")
	require.NoError(t, err)
	_, err = s.Engine.Update(ectx, "routed", func(f *engine.Function) error { f.Description = "two"; return nil })
	require.NoError(t, err)
	_, err = s.Engine.PublishVersion(ectx, "routed", "two")
	require.NoError(t, err)
	_, err = s.Engine.SetAlias(ectx, "routed", engine.Alias{Name: "live", FunctionVersion: "1"})
	require.NoError(t, err)

	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey)
	versions := func(n int) map[string]int {
		seen := map[string]int{}
		browse(t, ctx, s.URL, "/console/functions/routed/test")
		require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("qualifier"), "live")))
		for range n {
			require.Equal(t, int64(200), submit(t, ctx, "#invoke"))
			seen[text(t, ctx, "#executed-version")]++
		}
		return seen
	}
	assert.Equal(t, map[string]int{"1": 5}, versions(5), "all of live's invocations go to version 1")

	browse(t, ctx, s.URL, "/console/functions/routed")
	form := `tr[data-alias="live"] form`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(form+` select[name="additional"]`), "2"),
		chromedp.SetValue(chromedp.CSS(form+` input[name="weight"]`), "50")))
	require.Equal(t, int64(200), submit(t, ctx, form+` button`))
	assert.Equal(t, "Alias saved.", text(t, ctx, "#done"))
	routing := text(t, ctx, `tr[data-alias="live"] td.routing`)
	assert.Contains(t, routing, "version 1 · 50%")
	assert.Contains(t, routing, "version 2 · 50%")
	screenshot(t, ctx, "function-aliases")

	// Half of the invocations now go to version 2: in 40, both versions
	// run but for a chance of 2^-39.
	seen := versions(40)
	assert.Positive(t, seen["1"])
	assert.Positive(t, seen["2"])
	assert.Equal(t, 40, seen["1"]+seen["2"])
}

// TestBrowserChart: after a burst of invocations the monitoring page's
// charts have data points.
func TestBrowserChart(t *testing.T) {
	s := startServer(t, serverOptions{console: consoleOptionsForCharts()})
	s.deploy(t, "bursty")
	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey) // the console's history starts here
	browse(t, ctx, s.URL, "/console/functions/bursty/monitoring")
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll("svg#invocations .pt").length`), "nothing yet")

	burst(t, s.Engine, "bursty", 60, 10)
	browse(t, ctx, s.URL, "/console/functions/bursty/monitoring")
	for _, chart := range []string{"invocations", "duration", "starts", "init"} {
		n := eval[int](t, ctx, `document.querySelectorAll("svg#`+chart+` .pt").length`)
		assert.Positive(t, n, "chart %s has data points", chart)
	}
	assert.Contains(t, text(t, ctx, "main"), "70 invocations, 10 errors")
	screenshot(t, ctx, "monitoring")

	browse(t, ctx, s.URL, "/console/functions")
	row := `tr[data-function="bursty"]`
	assert.Equal(t, "70", strings.TrimSpace(text(t, ctx, row+" td:nth-child(3)")))
	assert.Equal(t, "10", strings.TrimSpace(text(t, ctx, row+" td:nth-child(4)")))
	screenshot(t, ctx, "functions")
}

// consoleOptionsForCharts samples every 200 ms and keeps 60 points (12
// seconds), so that a burst spreads over several points of a chart.
func consoleOptionsForCharts() (o console.Options) {
	o.HistoryStep = 200 * time.Millisecond
	o.HistoryPoints = 60
	return o
}

// burst invokes a function ok times successfully and failed times with a
// function error, several at once.
func burst(t *testing.T, eng *engine.Engine, name string, ok, failed int) {
	t.Helper()
	errs := make(chan error, ok+failed)
	for i := range ok + failed {
		go func() {
			p := `"ok"`
			if i >= ok {
				p = `"!failed"`
			}
			_, err := eng.Invoke(context.Background(), name, []byte(p))
			errs <- err
		}()
		if i%10 == 9 {
			time.Sleep(50 * time.Millisecond) // spread the burst over a few of the history's steps
		}
	}
	for range ok + failed {
		require.NoError(t, <-errs)
	}
}

// TestBrowserRedrive: a dead letter on the async page is redriven with a
// button, and runs again.
func TestBrowserRedrive(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "flaky")
	ectx := context.Background()
	id, err := s.Engine.InvokeAsync(ectx, "flaky", []byte(`"!not yet"`), engine.WithRetryPolicy(0, time.Hour),
		engine.WithFailureDestination(engine.DeadLetterDestination))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := s.Engine.DeadLetter(ectx, id)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	// The function is fixed: the event now succeeds.
	_, err = s.Engine.Update(ectx, "flaky", func(f *engine.Function) error { f.Code = testguest.WATEcho(t); return nil })
	require.NoError(t, err)

	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey)
	browse(t, ctx, s.URL, "/console/async")
	row := `tr[data-id="` + id + `"]`
	assert.Contains(t, text(t, ctx, row+" .error-message"), `"!not yet"`)
	assert.Equal(t, "1", text(t, ctx, "#dead-letter-count"))
	screenshot(t, ctx, "async")
	require.Equal(t, int64(200), submit(t, ctx, row+" button.redrive"))
	assert.Equal(t, "Dead letter sent back to the queue.", text(t, ctx, "#done"))
	require.Eventually(t, func() bool { return s.Engine.Metrics(ectx).Async.Succeeded == 1 }, 10*time.Second, 10*time.Millisecond,
		"the redriven event ran and succeeded")
	browse(t, ctx, s.URL, "/console/async")
	assert.Equal(t, "0", text(t, ctx, "#dead-letter-count"))
	assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll("#dead-letters tr[data-id]").length`))
}
