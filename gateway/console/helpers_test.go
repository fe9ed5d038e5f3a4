package console_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test credentials: an admin key and a key that may only invoke what a
// function's invoke policy grants it.
var (
	adminKey   = auth.Key{AccessKeyID: "AKIAFLINTADMIN000001", SecretAccessKey: "admin-secret-key-0123456789", Admin: true}
	invokerKey = auth.Key{AccessKeyID: "AKIAFLINTINVOKER0001", SecretAccessKey: "invoker-secret-key-0123456789"}
)

// echolog returns the test function's module (testdata/echolog.wat): it
// logs its payload and echoes it, or fails with it as the error when it
// starts with '!'.
func echolog(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "echolog.wasm"))
	require.NoError(t, err)
	return b
}

// clock is a console clock a test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// server is a gateway with its console on a loopback port for one test.
type server struct {
	URL    string
	Engine *engine.Engine
	GW     *gateway.Gateway
}

// serverOptions change what startServer starts.
type serverOptions struct {
	open    bool
	console console.Options
}

// startServer starts an engine and a gateway (with the test keys, or none
// when open) and stops both when the test ends.
func startServer(t testing.TB, o serverOptions) *server {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t),
		Async: engine.AsyncConfig{RetryDelay: time.Millisecond}})
	require.NoError(t, err)
	var keys []auth.Key
	if !o.open {
		keys = []auth.Key{adminKey, invokerKey}
	}
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: keys, Console: o.console})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &server{URL: "http://" + ln.Addr().String(), Engine: eng, GW: gw}
}

// deploy deploys the echolog function as name.
func (s *server) deploy(t testing.TB, name string, change ...func(*engine.Function)) {
	t.Helper()
	f := engine.Function{Name: name, Code: echolog(t)}
	for _, c := range change {
		c(&f)
	}
	_, err := s.Engine.Deploy(context.Background(), f)
	require.NoError(t, err)
}

// client is a browser without a browser: a cookie jar, redirects not
// followed, and the last page's CSRF token.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

func (s *server) client(t testing.TB) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer of the console.
type page struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	p := page{Status: resp.StatusCode, Body: string(b), Header: resp.Header, Location: resp.Header.Get("Location")}
	if m := csrfField.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

// post sends a form; with csrf it adds the last page's token.
func (c *client) post(path string, form url.Values, csrf bool) page {
	c.t.Helper()
	if csrf {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signIn signs in with key and requires it to work.
func (c *client) signIn(key auth.Key) {
	c.t.Helper()
	p := c.get("/console/signin")
	require.Equal(c.t, http.StatusOK, p.Status, p.Body)
	m := tokenField.FindStringSubmatch(p.Body)
	require.NotNil(c.t, m, "the sign-in form has a token")
	p = c.post("/console/signin", url.Values{"token": {m[1]}, "access_key": {key.AccessKeyID},
		"secret_key": {key.SecretAccessKey}, "next": {"/console/functions"}}, false)
	require.Equal(c.t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(c.t, "/console/functions", p.Location)
	p = c.get("/console/functions")
	require.Equal(c.t, http.StatusOK, p.Status, p.Body)
}
