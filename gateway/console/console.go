package console

import (
	"bufio"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/valyala/fasthttp"
)

// Defaults of Options' zero fields.
const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultMaxSessions is how many sessions are kept; past it a new
	// sign-in ends the session that would end first.
	DefaultMaxSessions = 1000
	// DefaultHistoryStep is how often the engine's counters are sampled:
	// one point of the charts.
	DefaultHistoryStep = 10 * time.Second
	// DefaultHistoryPoints is how many points each function keeps: an
	// hour of DefaultHistoryStep.
	DefaultHistoryPoints = 360
)

// Prefix is the path the console is served under.
const Prefix = "/console"

// Limits on saved test events, as the Lambda console has them.
const (
	maxTestEvents     = 10
	maxTestEventBytes = 256 << 10
	testEventsBucket  = "console-test-events"
)

// Cookie names.
const (
	sessionCookie = "flint_console"
	signinCookie  = "flint_console_signin"
)

// contentSecurityPolicy allows the console's own script, styles and
// images and nothing else: no inline script or style, no other origin, no
// framing, forms only to the console.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Options are the console's settings an operator or a test chooses. Zero
// fields take the defaults above.
type Options struct {
	// SessionTTL is how long a session lasts after sign-in.
	SessionTTL time.Duration
	// MaxSessions caps the sessions kept in memory.
	MaxSessions int
	// HistoryStep is the charts' resolution: how often the engine's
	// counters are sampled.
	HistoryStep time.Duration
	// HistoryPoints is how many steps each function's history keeps.
	HistoryPoints int
	// Sources, when set, gives the event source mappings and schedules
	// the console shows; nil hides those sections.
	Sources Sources
	// Now is the console's clock (time.Now when nil); tests move it.
	Now func() time.Time
}

// API runs one operation of the server's API in-process, on behalf of
// key: method and path (with its query) as a client would send them, and
// a JSON body. It returns the operation's JSON answer, or an *APIError.
type API func(ctx context.Context, key auth.Key, method, path string, body []byte) ([]byte, error)

// Stream runs fn to write a streamed response (the live log) with a
// context that ends when the client goes away or the server shuts down.
type Stream func(ctx *fasthttp.RequestCtx, w *bufio.Writer, fn func(context.Context, *bufio.Writer))

// Config is what the server the console is mounted in gives it.
type Config struct {
	Options
	// Engine is the engine the console shows. Required.
	Engine *engine.Engine
	// Store keeps the saved test events. Required.
	Store store.Store
	// Keys are the access keys that may sign in. Empty: open mode, where
	// every browser is an admin (the server allows that on loopback only).
	Keys auth.Keys
	// AccountID is the account whose keys an invoke policy's account
	// principal grants.
	AccountID string
	// PublicURL is the base of function URLs; empty: each request's host.
	PublicURL string
	// API runs the changes the console makes. Required.
	API API
	// Stream serves the live log. Required.
	Stream Stream
	// Logger receives the console's own messages; nil discards them.
	Logger *slog.Logger
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// staticFile is an embedded asset with its content type and a version
// (part of its digest) for cache-busting URLs.
type staticFile struct {
	body        []byte
	contentType string
	version     string
}

// Console serves the web console. Create it with New, serve requests with
// Serve, start its sampler with Start, and stop it with Close.
type Console struct {
	cfg      Config
	open     bool
	pages    map[string]*template.Template
	static   map[string]staticFile
	sessions *sessions
	history  *history
	events   store.Bucket
	routes   []page

	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	done      chan struct{}
	closed    atomic.Bool
}

// New returns a console for cfg. It fails with ErrConfig when a required
// field is missing.
func New(cfg Config) (*Console, error) {
	if cfg.Engine == nil || cfg.Store == nil || cfg.API == nil || cfg.Stream == nil {
		return nil, fmt.Errorf("%w: Engine, Store, API and Stream are required", ErrConfig)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.HistoryStep <= 0 {
		cfg.HistoryStep = DefaultHistoryStep
	}
	if cfg.HistoryPoints <= 0 {
		cfg.HistoryPoints = DefaultHistoryPoints
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	events, err := cfg.Store.Bucket(testEventsBucket)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{
		cfg: cfg, open: cfg.Keys.Len() == 0, events: events,
		sessions: newSessions(cfg.SessionTTL, cfg.MaxSessions, cfg.Now),
		history:  newHistory(cfg.Engine, cfg.HistoryStep, cfg.HistoryPoints),
		stop:     make(chan struct{}), done: make(chan struct{}),
		routes: pageTable(),
	}
	if c.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if c.pages, err = c.parseTemplates(); err != nil {
		return nil, err
	}
	return c, nil
}

func loadStatic() (map[string]staticFile, error) {
	out := map[string]staticFile{}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := "application/octet-stream"
		switch path.Ext(p) {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		out[strings.TrimPrefix(p, "static/")] = staticFile{body: b, contentType: ct, version: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: reading the embedded assets: %w", err)
	}
	return out, nil
}

// Start starts sampling the engine's counters every HistoryStep. It
// returns at once; calling it again does nothing. Serve starts it too.
func (c *Console) Start() {
	c.startOnce.Do(func() {
		if c.closed.Load() {
			close(c.done)
			return
		}
		c.history.sample(context.Background(), c.cfg.Now())
		go c.sampler()
	})
}

func (c *Console) sampler() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.HistoryStep)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.history.sample(context.Background(), c.cfg.Now())
		}
	}
}

// Close stops the sampler and ends the sessions. It is safe to call twice;
// requests after it are refused.
func (c *Console) Close() error {
	c.stopOnce.Do(func() {
		c.closed.Store(true)
		close(c.stop)
		c.startOnce.Do(func() { close(c.done) })
	})
	<-c.done
	return nil
}

// access says who may use a page.
type access uint8

const (
	anyone   access = iota // sign-in and the assets
	signedIn               // any session
	admin                  // a session of an admin key
)

// page is one of the console's routes: a method, a pattern below Prefix
// ("functions/{name}/test"), who may use it and its handler.
type page struct {
	method  string
	pattern string
	access  access
	handle  func(c *Console, r *request) error
}

// request is one request to the console.
type request struct {
	ctx    *fasthttp.RequestCtx
	ses    *session
	params map[string]string
	secure bool
	now    time.Time
}

func (r *request) param(name string) string { return r.params[name] }

// form returns a form value of a POST (URL-encoded or multipart).
func (r *request) form(name string) string {
	if v := r.ctx.PostArgs().Peek(name); v != nil {
		return string(v)
	}
	if mf, err := r.ctx.MultipartForm(); err == nil {
		if vs := mf.Value[name]; len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// match finds the page for a path below Prefix: the page, its parameters,
// and 404 or 405 when there is none.
func (c *Console) match(method, rel string) (*page, map[string]string, int) {
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	status := http.StatusNotFound
	for i := range c.routes {
		p := &c.routes[i]
		ps := strings.Split(p.pattern, "/")
		if len(ps) != len(segs) {
			continue
		}
		var params map[string]string
		ok := true
		for j, s := range ps {
			if strings.HasPrefix(s, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				if params == nil {
					params = map[string]string{}
				}
				params[strings.Trim(s, "{}")] = segs[j]
				continue
			}
			if s != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if p.method != method && !(p.method == "GET" && method == "HEAD") {
			status = http.StatusMethodNotAllowed
			continue
		}
		return p, params, 0
	}
	return nil, nil, status
}

// Serve answers a request for a path under Prefix. secure says the client
// reached the server over TLS (the session cookie is then Secure).
func (c *Console) Serve(ctx *fasthttp.RequestCtx, secure bool) {
	c.Start()
	h := &ctx.Response.Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	r := &request{ctx: ctx, secure: secure, now: c.cfg.Now()}
	if c.closed.Load() {
		c.fail(r, &pageError{http.StatusServiceUnavailable, "the console is shutting down"})
		return
	}
	if c.open && !loopbackHost(string(ctx.Host())) {
		c.fail(r, forbidden("without access keys the console answers only on a loopback address (localhost, 127.0.0.1, [::1])"))
		return
	}
	rel, _ := strings.CutPrefix(string(ctx.Path()), Prefix)
	if rel == "" || rel == "/" {
		seeOther(ctx, Prefix+"/functions")
		return
	}
	method := string(ctx.Method())
	p, params, status := c.match(method, rel)
	if p == nil {
		if status == http.StatusMethodNotAllowed {
			c.fail(r, &pageError{status, "this page does not take " + method})
			return
		}
		c.fail(r, notFound("there is no page at %s", ctx.Path()))
		return
	}
	r.params = params
	if p.access != anyone {
		if !c.authenticate(r, method) {
			return
		}
		if p.access == admin && !r.ses.Admin() {
			c.fail(r, forbidden("this needs an admin key: access key %s may only invoke the functions whose invoke policy grants it", r.ses.KeyID()))
			return
		}
	}
	if err := p.handle(c, r); err != nil {
		c.fail(r, err)
	}
}

// authenticate finds the request's session, or answers for it: a GET
// without one goes to sign-in (or, in open mode, gets a session), and a
// POST must carry the session's CSRF token from the console's own pages.
func (c *Console) authenticate(r *request, method string) bool {
	ctx := r.ctx
	ses, expired := c.sessions.get(string(ctx.Request.Header.Cookie(sessionCookie)))
	if ses == nil && c.open && method == "GET" {
		ses = c.sessions.create(anonymousKey())
		c.setSessionCookie(r, ses)
	}
	if ses == nil {
		if strings.HasSuffix(string(ctx.Path()), "/stream") {
			c.fail(r, &pageError{http.StatusUnauthorized, "not signed in"})
			return false
		}
		next := string(ctx.Path())
		if method != "GET" {
			next = Prefix + "/functions"
		} else if q := ctx.URI().QueryString(); len(q) > 0 {
			next += "?" + string(q)
		}
		to := Prefix + "/signin?next=" + urlQueryEscape(next)
		if expired || len(ctx.Request.Header.Cookie(sessionCookie)) > 0 {
			to += "&expired=1"
		}
		seeOther(ctx, to)
		return false
	}
	r.ses = ses
	if method != "GET" && method != "HEAD" {
		if err := c.checkOrigin(r); err != nil {
			c.fail(r, err)
			return false
		}
		tok := r.form("csrf")
		if tok == "" {
			tok = string(ctx.Request.Header.Peek("X-Csrf-Token"))
		}
		if !sameToken(tok, ses.csrf) {
			c.fail(r, forbidden("refused: the request does not carry this session's security token (CSRF); reload the page and try again"))
			return false
		}
	}
	return true
}

// checkOrigin refuses a state-changing request another site started,
// where the browser says so (Sec-Fetch-Site, Origin): a second line
// behind the CSRF token and SameSite cookies.
func (c *Console) checkOrigin(r *request) error {
	h := &r.ctx.Request.Header
	switch site := string(h.Peek("Sec-Fetch-Site")); site {
	case "", "same-origin", "none":
	default:
		return forbidden("refused: a %s request may not change anything", site)
	}
	if o := string(h.Peek("Origin")); o != "" && o != "null" {
		scheme := "http://"
		if r.secure {
			scheme = "https://"
		}
		if o != scheme+string(r.ctx.Host()) {
			return forbidden("refused: a request from another origin may not change anything")
		}
	}
	return nil
}

func (c *Console) setSessionCookie(r *request, ses *session) {
	var ck fasthttp.Cookie
	ck.SetKey(sessionCookie)
	ck.SetValue(ses.id)
	ck.SetPath(Prefix)
	ck.SetHTTPOnly(true)
	ck.SetSecure(r.secure)
	ck.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ck.SetMaxAge(int(ses.expires.Sub(r.now) / time.Second))
	r.ctx.Response.Header.SetCookie(&ck)
}

func clearCookie(r *request, name, cookiePath string) {
	var ck fasthttp.Cookie
	ck.SetKey(name)
	ck.SetPath(cookiePath)
	ck.SetHTTPOnly(true)
	ck.SetSecure(r.secure)
	ck.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ck.SetExpire(fasthttp.CookieExpireDelete)
	r.ctx.Response.Header.SetCookie(&ck)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// fail answers with an error page.
func (c *Console) fail(r *request, err error) {
	status, msg := http.StatusInternalServerError, "the console failed: "+err.Error()
	var pe *pageError
	var ae *APIError
	switch {
	case errors.As(err, &pe):
		status, msg = pe.status, pe.message
	case errors.As(err, &ae):
		status, msg = ae.Status, ae.Error()
	case errors.Is(err, engine.ErrFunctionNotFound):
		status, msg = http.StatusNotFound, err.Error()
	default:
		c.cfg.Logger.Error("console page failed", "path", string(r.ctx.Path()), "err", err)
	}
	c.render(r, status, "error", c.view(r, "Error", "", errorPage{Status: status, Message: msg}))
}

// errorPage is the error template's data.
type errorPage struct {
	Status  int
	Message string
}

// serveStatic serves an embedded asset.
func (c *Console) serveStatic(r *request) error {
	f, ok := c.static[r.param("file")]
	if !ok {
		return notFound("no such file")
	}
	r.ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
	r.ctx.SetContentType(f.contentType)
	r.ctx.SetBody(f.body)
	return nil
}

// staticURL is an asset's URL, with its version.
func (c *Console) staticURL(name string) string {
	return Prefix + "/static/" + name + "?v=" + c.static[name].version
}

// seeOther redirects to a path of the console, as it is: fasthttp's
// Redirect would make it absolute with the request's Host.
func seeOther(ctx *fasthttp.RequestCtx, to string) {
	ctx.Response.Header.Set("Location", to)
	ctx.SetStatusCode(http.StatusSeeOther)
}
