package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

// The browser tests drive Debian's chromium, headless, through the
// DevTools protocol (chromedp). One browser process serves every test of
// the package (started by the first test that needs it, stopped by
// TestMain); each test gets a tab in a browser context of its own, so
// that tests share no cookies.

// chromiumPaths are where the browser may be.
var chromiumPaths = []string{"chromium", "chromium-browser", "/usr/bin/chromium"}

// browserProcess is the one browser the tests share. It is the package's
// only test state outside a test, held for TestMain to stop it.
type browserProcess struct {
	once   sync.Once
	ctx    context.Context // a chromedp context whose browser runs
	cancel []context.CancelFunc
	skip   string // why there is no browser
	err    error
	dir    string
}

var sharedBrowser = &browserProcess{}

func TestMain(m *testing.M) {
	code := m.Run()
	sharedBrowser.close()
	os.Exit(code)
}

func (b *browserProcess) start() {
	path := ""
	for _, p := range chromiumPaths {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		b.skip = "no chromium on this machine: `make browser` (or make test) installs Debian's chromium, which the console's browser tests drive"
		return
	}
	dir, err := os.MkdirTemp("", "flint-console-chromium-")
	if err != nil {
		b.err = err
		return
	}
	b.dir = dir
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(dir),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	b.cancel = []context.CancelFunc{cancelBrowser, cancelAlloc}
	// The first Run starts the browser; it must not have a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		b.err = fmt.Errorf("starting %s: %w", path, err)
		return
	}
	b.ctx = bctx
}

func (b *browserProcess) close() {
	for _, c := range b.cancel {
		c()
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// tab returns a new tab, in a browser context of its own (no cookies
// shared with other tests), closed when the test ends; it skips the test
// when the machine has no chromium.
func tab(t *testing.T) context.Context {
	t.Helper()
	b := sharedBrowser
	b.once.Do(b.start)
	if b.skip != "" {
		t.Skip(b.skip)
	}
	require.NoError(t, b.err)
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// screenshot saves the page as build/console-screenshots/NAME.png, for a
// person to look at (the folder is not committed).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	dir := filepath.Join(testguest.Root(t), "build", "console-screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// browse navigates to a console path and waits for the page, logging how
// long the browser took to load it (the navigation's duration).
func browse(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+path))
	require.NoError(t, err)
	require.NotNil(t, resp)
	d, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].duration`))
	if err == nil {
		t.Logf("browser: %s loaded in %.1f ms (status %d)", path, d, resp.Status)
	}
}

// submit clicks a button that submits a form and waits for the page that
// answers.
func submit(t *testing.T, ctx context.Context, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	require.NoError(t, err)
	return resp.Status
}

// text returns an element's text.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	require.NoError(t, err)
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err)
	return v
}

// browserSignIn signs in through the sign-in form.
func browserSignIn(t *testing.T, ctx context.Context, base string, key auth.Key) {
	t.Helper()
	browse(t, ctx, base, "/console/functions")
	require.Contains(t, eval[string](t, ctx, `location.pathname`), "/console/signin", "sent to sign-in")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("access_key"), key.AccessKeyID),
		chromedp.SendKeys(chromedp.ID("secret_key"), key.SecretAccessKey)))
	require.Equal(t, int64(200), submit(t, ctx, "#signin-button"))
	require.Equal(t, "/console/functions", eval[string](t, ctx, `location.pathname`))
}

// waitFor polls a JavaScript condition in the page until it holds.
func waitFor(t *testing.T, ctx context.Context, cond string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20*time.Millisecond)))
	require.NoError(t, err, "waiting for %s", cond)
}
