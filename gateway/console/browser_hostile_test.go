package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile is markup that would run script if a page put it in as HTML:
// in element content, in a double- or single-quoted attribute, closing
// the elements the console puts such text in (textarea, pre, title).
// Each payload sets window.__pwned.
const hostile = `<script>window.__pwned="script"</script>` +
	`"><img src=x onerror="window.__pwned='img'">` +
	`'><svg onload="window.__pwned='svg'"></svg>` +
	`</textarea></pre></title><script>window.__pwned="closed"</script>` +
	`<a href="javascript:window.__pwned='href'" id="pwnlink">x</a>`

// hostileJSON is hostile as a JSON string, its markup as it is (a JSON
// encoder would escape <, > and &, which is no test).
func hostileJSON(prefix string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(prefix + hostile)
	return bytes.TrimSpace(b.Bytes())
}

// hostileSources are event sources whose every string is hostile.
type hostileSources struct{}

func (hostileSources) Mappings(context.Context, string) ([]console.Mapping, error) {
	return []console.Mapping{{UUID: hostile, Function: "evil", Source: hostile, State: hostile, LastError: hostile, Lag: 3}}, nil
}

func (hostileSources) Schedules(context.Context, string) ([]console.Schedule, error) {
	return []console.Schedule{{Name: hostile, Group: hostile, Target: hostile, Expression: hostile, TimeZone: hostile, State: hostile,
		Next: []time.Time{time.Now()}}}, nil
}

// TestBrowserHostileContent: everything a function controls — its
// description, role, environment, alias descriptions, response, log
// lines, function error, a dead letter's error and payload — and what
// event sources report, is shown as text: no script runs, no element is
// injected, and the markup reads back as it was written.
func TestBrowserHostileContent(t *testing.T) {
	s := startServer(t, serverOptions{console: console.Options{Sources: hostileSources{}}})
	ectx := context.Background()
	s.deploy(t, "evil", func(f *engine.Function) {
		f.Description = hostile
		f.Role = hostile
		f.Env = map[string]string{"GREETING": hostile, "API_TOKEN": "hunter2-should-never-reach-the-page"}
	})
	_, err := s.Engine.PublishVersion(ectx, "evil", hostile)
	require.NoError(t, err)
	_, err = s.Engine.SetAlias(ectx, "evil", engine.Alias{Name: "live", FunctionVersion: "1", Description: hostile})
	require.NoError(t, err)
	_, err = s.Engine.Invoke(ectx, "evil", hostileJSON(""))
	require.NoError(t, err)
	_, err = s.Engine.Invoke(ectx, "evil", hostileJSON("!"))
	require.NoError(t, err)
	id, err := s.Engine.InvokeAsync(ectx, "evil", hostileJSON("!"), engine.WithRetryPolicy(0, time.Hour),
		engine.WithFailureDestination(engine.DeadLetterDestination))
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := s.Engine.DeadLetter(ectx, id); return err == nil }, 10*time.Second, 10*time.Millisecond)

	ctx := tab(t)
	browserSignIn(t, ctx, s.URL, adminKey)

	// unharmed checks that nothing ran and nothing was injected.
	unharmed := func(t *testing.T, page string) {
		t.Helper()
		assert.True(t, eval[bool](t, ctx, `window.__pwned === undefined`), "%s: a hostile payload ran", page)
		injected := eval[int](t, ctx, `document.querySelectorAll(
			'script:not([src]), img, svg[onload], [onerror], [onload], a[href^="javascript:"], #pwnlink').length`)
		assert.Zero(t, injected, "%s: markup a function controls became elements", page)
		assert.Equal(t, 1, eval[int](t, ctx, `document.scripts.length`), "%s: only the console's own script", page)
	}
	// shows checks that the markup reads back as text, however it was
	// quoted on the way (a JSON payload or a Go %q escapes its quotes, so
	// the needle has none).
	const needle = `</textarea></pre></title><script>window.__pwned=`
	shows := func(t *testing.T, sel, page string, n int) {
		t.Helper()
		got := eval[int](t, ctx, `(function(){ var n = 0; document.querySelectorAll(`+jsString(sel)+`).forEach(function(e){
			n += e.textContent.split(`+jsString(needle)+`).length - 1 + (e.value || "").split(`+jsString(needle)+`).length - 1 }); return n })()`)
		assert.GreaterOrEqual(t, got, n, "%s: the hostile text is shown as text in %s", page, sel)
	}

	tests := []struct {
		name, path string
		act        func(t *testing.T)
		sel        string // where the hostile text must read back
		n          int    // at least this often
	}{
		{name: "functions", path: "/console/functions", sel: "#functions", n: 1},
		{name: "function", path: "/console/functions/evil", sel: "main, input", n: 5},
		{name: "test result", path: "/console/functions/evil/test", act: func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("payload"), string(hostileJSON("")))))
			submit(t, ctx, "#invoke")
			require.Equal(t, "Succeeded", text(t, ctx, "#status"))
		}, sel: "#response, #log, #payload", n: 3},
		{name: "test function error", path: "/console/functions/evil/test", act: func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("payload"), string(hostileJSON("!")))))
			submit(t, ctx, "#invoke")
			require.Equal(t, "Failed", text(t, ctx, "#status"))
		}, sel: "#error-message, #log", n: 2},
		{name: "live log", path: "/console/functions/evil/logs", act: func(t *testing.T) {
			waitFor(t, ctx, `document.getElementById("live").dataset.state === "live"`, 10*time.Second)
			before := eval[int](t, ctx, `document.querySelectorAll("#log pre.rec").length`)
			_, err := s.Engine.Invoke(ectx, "evil", hostileJSON("streamed "))
			require.NoError(t, err)
			waitFor(t, ctx, `document.querySelectorAll("#log pre.rec").length > `+jsInt(before), 10*time.Second)
		}, sel: "#log pre.rec", n: 3},
		{name: "monitoring", path: "/console/functions/evil/monitoring"},
		{name: "async", path: "/console/async", sel: "#dead-letters", n: 2},
		{name: "event sources", path: "/console/event-sources", sel: "main", n: 8},
		{name: "a missing test event named with markup", path: "/console/functions/evil/test?event=" + url.QueryEscape(hostile),
			sel: "#error", n: 1},
		{name: "a notice named with markup", path: "/console/functions/evil?done=" + url.QueryEscape(hostile)},
		{name: "deploy with a name of markup", path: "/console/deploy", act: func(t *testing.T) {
			wasm, err := filepath.Abs(filepath.Join("testdata", "echolog.wasm"))
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(ctx,
				chromedp.SetValue(chromedp.ID("deploy-name"), hostile),
				chromedp.SetUploadFiles(chromedp.ID("deploy-file"), []string{wasm})))
			submit(t, ctx, "#deploy-button")
			require.Contains(t, text(t, ctx, "#deploy-error"), "InvalidParameterValueException")
		}, sel: "#deploy-error, #deploy-name", n: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			browse(t, ctx, s.URL, tt.path)
			if tt.act != nil {
				tt.act(t)
			}
			unharmed(t, tt.name)
			if tt.sel != "" {
				shows(t, tt.sel, tt.name, tt.n)
			}
			assert.NotContains(t, eval[string](t, ctx, `document.documentElement.outerHTML`), "hunter2", "a secret's value never reaches the page")
			if tt.name == "function" || tt.name == "test result" {
				screenshot(t, ctx, "hostile-"+strings.ReplaceAll(tt.name, " ", "-"))
			}
		})
	}
	// The checks can fail: the same markup put in as HTML is caught (the
	// Content-Security-Policy keeps its script from running even then).
	t.Run("the checks catch an injection", func(t *testing.T) {
		browse(t, ctx, s.URL, "/console/functions")
		_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.body.insertAdjacentHTML("beforeend", `+jsString(hostile)+`)`))
		require.NoError(t, err)
		assert.Positive(t, eval[int](t, ctx, `document.querySelectorAll('img, svg[onload], #pwnlink').length`))
		assert.True(t, eval[bool](t, ctx, `window.__pwned === undefined`), "the policy allows no inline script")
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func jsInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
