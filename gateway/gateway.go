// Package gateway is Flint's HTTP front door, the server around the engine:
// the AWS Lambda REST API (so the official AWS CLI and SDKs manage and
// invoke functions), function URLs (API Gateway payload format 2.0),
// Flint's own API under /flint/v1/ (roles, logs, dead letters, usage),
// /healthz, /readyz and Prometheus /metrics, and the web console at
// /console/ (gateway/console). Every operation is a row of
// one route table (router.go), and every error it answers a row of one
// error table (errors.go).
//
// It serves with fasthttp (Serve); Handler mounts it in another fasthttp
// server and ServeHTTP in a net/http one.
//
// Requests to the APIs are authenticated with AWS Signature Version 4
// against the configured access keys (see gateway/auth). Admin keys
// may use everything; other keys may only invoke what a function's invoke
// policy (AddPermission) grants them.
//
// With Config.Scheduler it also serves Amazon EventBridge Scheduler's API
// (scheduler.go), signed for the "scheduler" service, in front of a
// schedule.Scheduler.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/flintfaas/flint/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// Defaults of Config's zero fields.
const (
	DefaultRegion       = "us-east-1"
	DefaultAccountID    = "000000000000"
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 16 * time.Minute // a synchronous invocation may take 15
	DefaultIdleTimeout  = 2 * time.Minute
	// DefaultMaxBodyBytes admits a 50 MB zipped module, base64-encoded in
	// a CreateFunction request.
	DefaultMaxBodyBytes   = 70 << 20
	DefaultMaxHeaderBytes = 16 << 10
	DefaultShutdownGrace  = 30 * time.Second
)

// Config configures a Gateway. Zero fields take the defaults above.
type Config struct {
	// Engine runs the functions. Required.
	Engine *engine.Engine
	// Store keeps the gateway's roles; usually the engine's store. Required.
	Store store.Store
	// Keys are the access keys requests may be signed with. Empty: no
	// authentication (the flint command allows that only on loopback).
	Keys []auth.Key
	// Region and AccountID appear in ARNs.
	Region, AccountID string
	// PublicURL is the base of function URLs ("http://127.0.0.1:8080");
	// empty: derived from each request's Host.
	PublicURL string
	// Server limits: ReadTimeout, WriteTimeout, IdleTimeout,
	// MaxBodyBytes (whole request) and MaxHeaderBytes.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxBodyBytes, MaxHeaderBytes           int
	// Logger receives lifecycle logs and, with AccessLog, a line per
	// request. Nil discards them.
	Logger *slog.Logger
	// AccessLog logs every request at Info level (method, path, status,
	// duration, remote address, request id). Off, requests are logged only
	// when Logger is enabled at Debug.
	AccessLog bool
	// Scheduler serves the EventBridge Scheduler API (requests signed for
	// the "scheduler" service). Nil: those paths are unknown operations.
	// The gateway does not close it.
	Scheduler *schedule.Scheduler
	// EventSources runs the event source mappings the Lambda API manages;
	// nil: that part of the API says they are not available.
	EventSources *eventsource.Manager
	// JetStream, when set, serves /flint/v1/streams: the streams event
	// sources read, for a person at a shell (flint stream).
	JetStream jetstream.JetStream
	// Console configures the web console served at /console/ (sessions,
	// the figures' history, the event sources it shows); the zero value
	// takes its defaults.
	Console console.Options
	// Cluster, when set, is this server's node of a Flint cluster: logs
	// and usage cover every node, /flint/v1/cluster shows the nodes and
	// the shared JetStream's health, and /metrics labels every metric
	// with the node's name.
	Cluster *cluster.Node
	// MetricsToken, when set, is the bearer token /metrics requires
	// ("Authorization: Bearer TOKEN", which Prometheus sends with its
	// authorization setting). Empty: /metrics is served to anyone, as
	// /healthz is; its series name the functions.
	MetricsToken string
}

// Gateway serves the APIs and function URLs of one engine.
type Gateway struct {
	cfg      Config
	eng      *engine.Engine
	verifier *auth.Verifier
	open     bool // no keys: every request is an admin's
	roles    *roles
	metrics  *prometheus.Registry
	server   *fasthttp.Server
	draining atomic.Bool
	inflight sync.WaitGroup
	closed   atomic.Bool
	stopping chan struct{} // closed when Shutdown starts: ends log streams
	// stopFollowing ends the watch of roles changed by other nodes.
	stopFollowing context.CancelFunc
	stopOnce      sync.Once
	creating      sync.Map // names CreateFunction is deploying: a second create conflicts
	router        *router
	console       *console.Console

	metricsHandler fasthttp.RequestHandler

	// schedVerifier checks the Scheduler API's requests (signed for
	// "scheduler"); anyVerifier those that match no route, signed for
	// either, so that they learn the operation is unknown.
	schedVerifier, anyVerifier *auth.Verifier
}

// Compile-time check: a Gateway mounts in a net/http server.
var _ http.Handler = (*Gateway)(nil)

// New returns a gateway for cfg.Engine.
func New(cfg Config) (*Gateway, error) {
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("gateway: Config.Engine and Config.Store are required")
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.ReadTimeout, DefaultReadTimeout)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	def(&cfg.IdleTimeout, DefaultIdleTimeout)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{cfg: cfg, eng: cfg.Engine, open: len(cfg.Keys) == 0, stopping: make(chan struct{}),
		router: newRouter(routes[:])}
	if !g.open {
		keys, err := auth.NewKeys(cfg.Keys)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		g.verifier = &auth.Verifier{Keys: keys}
		g.schedVerifier = &auth.Verifier{Keys: keys, Services: []string{SchedulerService}}
		g.anyVerifier = &auth.Verifier{Keys: keys, Services: []string{auth.DefaultService, SchedulerService}}
	}
	r, err := newRoles(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.roles = r
	followCtx, stopFollowing := context.WithCancel(context.Background())
	if err := g.followRoles(followCtx); err != nil {
		stopFollowing()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.stopFollowing = stopFollowing
	if g.console, err = g.newConsole(cfg.Console); err != nil {
		stopFollowing()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.metrics = newMetrics(g)
	g.metricsHandler = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(g.metrics, promhttp.HandlerOpts{}))
	g.server = &fasthttp.Server{
		Handler:                       g.Handler(),
		Name:                          "flint",
		ReadTimeout:                   cfg.ReadTimeout,
		WriteTimeout:                  cfg.WriteTimeout,
		IdleTimeout:                   cfg.IdleTimeout,
		MaxRequestBodySize:            cfg.MaxBodyBytes,
		ReadBufferSize:                cfg.MaxHeaderBytes,
		DisableHeaderNamesNormalizing: false,
		NoDefaultServerHeader:         false,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		Logger:                        fasthttpLogger{cfg.Logger},
		ErrorHandler:                  g.readError,
	}
	return g, nil
}

// readError answers a request the server could not read (a body over
// MaxBodyBytes, headers over MaxHeaderBytes, a client too slow for
// ReadTimeout, bad framing) as the API answers every error, so that a
// client sees a Lambda error type rather than fasthttp's plain text.
func (g *Gateway) readError(ctx *fasthttp.RequestCtx, err error) {
	c := &call{ctx: ctx, id: uuid.New(), start: time.Now()}
	ctx.Response.Header.Set("X-Amzn-Requestid", c.id)
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		err = apiErr("RequestTooLargeException", "the request body is over the gateway's %d-byte limit", g.cfg.MaxBodyBytes)
	case errors.As(err, &small):
		err = apiErr("RequestHeaderFieldsTooLargeException", "the request's headers are over the gateway's %d-byte limit", g.cfg.MaxHeaderBytes)
	case errors.As(err, &netErr) && netErr.Timeout():
		err = apiErr("RequestTimeoutException", "the request was not received within %s", g.cfg.ReadTimeout)
	default:
		err = apiErr("InvalidRequestContentException", "could not read the HTTP request: %v", err)
	}
	g.fail(c, err)
}

type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}

// Serve accepts connections on ln until Shutdown.
func (g *Gateway) Serve(ln net.Listener) error {
	g.console.Start()
	err := g.server.Serve(ln)
	if g.closed.Load() {
		return http.ErrServerClosed
	}
	return err
}

// Shutdown stops accepting connections, lets requests in flight finish
// (until ctx is done) and returns. It does not close the engine.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.closed.Store(true)
	g.draining.Store(true)
	// Streams (logs?follow=1) never end by themselves, and the server
	// waits for every response to end.
	g.stopOnce.Do(func() { close(g.stopping); g.stopFollowing() })
	_ = g.console.Close()
	err := g.server.ShutdownWithContext(ctx)
	done := make(chan struct{})
	go func() { g.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	return err
}

// Handler returns the gateway as a fasthttp handler, to mount in another
// server.
func (g *Gateway) Handler() fasthttp.RequestHandler {
	return g.serve
}

// call is one request being served.
type call struct {
	ctx    *fasthttp.RequestCtx
	id     string // x-amzn-RequestId, made when first needed
	key    auth.Key
	start  time.Time
	route  *route
	params params
	fn     fnRef // the function the route's {fn} names
}

// requestID returns the request's id, making it if needed, and sets the
// x-amzn-RequestId header.
func (c *call) requestID() string {
	if c.id == "" {
		c.setRequestID(uuid.New())
	}
	return c.id
}

// setRequestID makes id the request's id (an invocation's, so that the
// header and the function's logs agree).
func (c *call) setRequestID(id string) {
	c.id = id
	c.ctx.Response.Header.Set("X-Amzn-Requestid", id)
}

// serve is the gateway's one entry point: it finds the request's route,
// checks who may call it, and runs it.
func (g *Gateway) serve(ctx *fasthttp.RequestCtx) {
	g.inflight.Add(1)
	defer g.inflight.Done()
	c := &call{ctx: ctx, start: time.Now()}
	path := string(ctx.Path())
	defer g.accessLog(c, path)

	rt, status := g.router.match(string(ctx.Method()), path, &c.params)
	c.route = rt
	if rt != nil && rt.access == public {
		if err := rt.handle(g, c); err != nil {
			g.fail(c, err)
		}
		return
	}
	// Everything else is signed, including what matches no route: an
	// unauthenticated caller learns nothing of the API.
	err := g.authenticate(c)
	if err == nil {
		err = g.dispatch(c, status)
	}
	if err != nil {
		g.fail(c, err)
	}
	// Every API response carries one, as Lambda's do: the SDKs report it.
	c.requestID()
}

// dispatch runs a signed request's route: it refuses what matched none,
// checks the key's access, and parses the function the path names.
func (g *Gateway) dispatch(c *call, status int) error {
	switch status {
	case http.StatusNotFound:
		return unknownOp(c)
	case http.StatusMethodNotAllowed:
		return notAllowed(c)
	}
	if c.route.access == admin || c.route.access == schedulerAdmin {
		if err := c.requireAdmin(); err != nil {
			return err
		}
	}
	if s := c.params.get("fn"); s != "" {
		name, qualifier, err := parseFunctionName(s)
		if err != nil {
			return err
		}
		if q := query(c.ctx, "Qualifier"); q != "" {
			if qualifier != "" && qualifier != q {
				return invalidParam("the qualifier in the function name (%s) and the Qualifier parameter (%s) differ", qualifier, q)
			}
			qualifier = q
		}
		c.fn = fnRef{name: name, qualifier: qualifier}
	}
	return c.route.handle(g, c)
}

func (g *Gateway) healthz(c *call) error {
	c.ctx.SetContentType("text/plain; charset=utf-8")
	c.ctx.SetBodyString("ok\n")
	return nil
}

// readyz answers 503 once Shutdown has started, so that a load balancer
// stops sending requests.
func (g *Gateway) readyz(c *call) error {
	c.ctx.SetContentType("text/plain; charset=utf-8")
	if g.draining.Load() {
		c.ctx.SetStatusCode(http.StatusServiceUnavailable)
		c.ctx.SetBodyString("shutting down\n")
		return nil
	}
	c.ctx.SetBodyString("ready\n")
	return nil
}

// accessLog logs a served request, when configured to.
func (g *Gateway) accessLog(c *call, path string) {
	level := slog.LevelDebug
	if g.cfg.AccessLog {
		level = slog.LevelInfo
	}
	if !g.cfg.Logger.Enabled(context.Background(), level) {
		return
	}
	ctx := c.ctx
	if c.id == "" {
		c.id = string(ctx.Response.Header.Peek("X-Amzn-Requestid"))
	}
	op := "Unknown"
	if c.route != nil {
		op = c.route.op
	}
	g.cfg.Logger.LogAttrs(context.Background(), level, "request",
		slog.String("id", c.id), slog.String("op", op), slog.String("method", string(ctx.Method())), slog.String("path", path),
		slog.Int("status", ctx.Response.StatusCode()), slog.String("remote", ctx.RemoteIP().String()),
		slog.Duration("duration", time.Since(c.start)))
}

// authenticate verifies the request's signature and records its key.
func (g *Gateway) authenticate(c *call) error {
	if g.open {
		c.key = auth.Key{AccessKeyID: "anonymous", Admin: true}
		return nil
	}
	v := g.verifier
	switch {
	case c.route == nil:
		v = g.anyVerifier
	case c.route.access == schedulerAdmin:
		v = g.schedVerifier
	}
	key, err := v.Verify(authRequest(c.ctx))
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			return &apiError{Status: ae.Status, Code: ae.Code, Message: ae.Message}
		}
		return apiErr("AccessDeniedException", "%v", err)
	}
	c.key = key
	return nil
}

func authRequest(ctx *fasthttp.RequestCtx) auth.Request {
	return auth.Request{
		Method:   string(ctx.Method()),
		Path:     string(ctx.Request.URI().PathOriginal()),
		RawQuery: string(ctx.URI().QueryString()),
		Host:     string(ctx.Host()),
		Header: auth.HeaderFunc(func(name string) []string {
			var vs []string
			for _, v := range ctx.Request.Header.PeekAll(name) {
				vs = append(vs, string(v))
			}
			return vs
		}),
		Body: ctx.PostBody(),
	}
}

// requireAdmin refuses a key that is not an admin's.
func (c *call) requireAdmin() error {
	if c.key.Admin {
		return nil
	}
	return apiErr("AccessDeniedException", "access key %s may only invoke functions that grant it", c.key.AccessKeyID)
}

// fail sends err as Lambda sends errors.
func (g *Gateway) fail(c *call, err error) {
	ae := fromEngine(err)
	if ae.Status >= 500 {
		g.cfg.Logger.Error("request failed", "id", c.requestID(), "err", err)
	} else {
		c.requestID()
	}
	ctx := c.ctx
	ctx.Response.ResetBody()
	ctx.SetStatusCode(ae.Status)
	if c.route != nil && c.route.access == schedulerAdmin {
		// Scheduler's errors: its own code for a failure of Flint's, and
		// restJson1's body.
		code := ae.Code
		if code == "ServiceException" {
			code = "InternalServerException"
		}
		ctx.Response.Header.Set("X-Amzn-Errortype", code)
		writeJSON(ctx, ae.Status, map[string]string{"Message": ae.Message})
		return
	}
	ctx.Response.Header.Set("X-Amzn-Errortype", ae.Code)
	body := map[string]string{"Type": "User", "message": ae.Message}
	if ae.Status >= 500 {
		body["Type"] = "Service"
	}
	if ae.Reason != "" {
		body["Reason"] = ae.Reason
	}
	writeJSON(ctx, ae.Status, body)
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Type":"Service","message":"encoding the response failed"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// readJSON decodes the request body strictly into v.
func readJSON(ctx *fasthttp.RequestCtx, v any) error {
	body := ctx.PostBody()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if ct := string(ctx.Request.Header.ContentType()); ct != "" && !strings.Contains(ct, "json") {
		return apiErr("UnsupportedMediaTypeException", "content type %q: send application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErr("InvalidRequestContentException", "could not parse request body into json: %v", err)
	}
	if dec.More() {
		return apiErr("InvalidRequestContentException", "could not parse request body into json: data after the JSON value")
	}
	return nil
}

// query returns a query parameter.
func query(ctx *fasthttp.RequestCtx, name string) string {
	return string(ctx.QueryArgs().Peek(name))
}

// queryInt parses an optional integer query parameter in [min, max].
func queryInt(ctx *fasthttp.RequestCtx, name string, def, min, max int) (int, error) {
	s := query(ctx, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, invalidParam("%s %q: must be an integer between %d and %d", name, s, min, max)
	}
	return n, nil
}
