package bench

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/valyala/fasthttp"
)

// BenchmarkGateway is one request through the gateway's handler, in
// process (no sockets): what Flint adds per HTTP request on top of what
// any fasthttp server pays for the connection. bare is a fasthttp handler
// answering the function's response bytes: the floor. invoke-api is
// Lambda's Invoke (POST /2015-03-31/functions/fn/invocations); url is a
// function URL (POST /fn/fn/: a payload format 2.0 event built, the
// response parsed by Lambda's rules).
func BenchmarkGateway(b *testing.B) {
	for _, g := range guests() {
		if g.name == "go-echo" {
			continue
		}
		handle := urlGateway(b, g.code(b), g.env)
		want := g.want
		bare := func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("application/json")
			ctx.SetBody(want)
		}
		for _, t := range []struct {
			name    string
			handler fasthttp.RequestHandler
			path    string
		}{
			{"bare", bare, "/"},
			{"invoke-api", handle, "/2015-03-31/functions/fn/invocations"},
			{"url", handle, "/fn/fn/"},
		} {
			b.Run(g.name+"/"+t.name, func(b *testing.B) {
				if status, body := serveOnce(t.handler, "POST", t.path, g.payload); status != 200 {
					b.Fatalf("%s: %d %s", t.path, status, body)
				}
				var req fasthttp.Request
				req.Header.SetMethod("POST")
				req.SetRequestURI(t.path)
				req.Header.SetContentType("application/json")
				req.SetBody(g.payload)
				serveLoop(b, t.handler, &req)
			})
		}
	}
}

// serveOnce sends one request to h and returns the status and body.
func serveOnce(h fasthttp.RequestHandler, method, uri string, body []byte) (int, string) {
	return serveOnceType(h, method, uri, "application/json", body)
}

// serveOnceType is serveOnce with a Content-Type.
func serveOnceType(h fasthttp.RequestHandler, method, uri, contentType string, body []byte) (int, string) {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetContentType(contentType)
	req.SetBody(body)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	h(&ctx)
	return ctx.Response.StatusCode(), string(ctx.Response.Body())
}

// httpCase is a function behind a function URL, its module as the SDK
// builds it (taking HTTP/1.1 messages) and without the message export
// (taking payload format 2.0 events, as a guest built before it), and one
// request to it with the body the client gets back.
type httpCase struct {
	name string
	code func(testing.TB) []byte
	path string
	body []byte // what the client sends
	want []byte // what the client gets
}

// httpCases: guest-examples/httpapp echoing a 14-byte JSON body (POST
// /echo, a net/http ServeMux under httpguest), and engine/testdata/http_raw,
// a WAT function that answers with the request's body as its response
// message (its event path echoes the event, as wat-echo does).
func httpCases() []httpCase {
	payload := []byte(`{"name":"ana"}`)
	return []httpCase{
		{"go-httpapp", func(tb testing.TB) []byte { return testguest.Go(tb, "httpapp") }, "/echo", payload, payload},
		{"wat-http", func(tb testing.TB) []byte { return testguest.File(tb, "engine/testdata/http_raw.wasm") }, "/",
			[]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n" + string(payload)), payload},
	}
}

// BenchmarkGatewayHTTP is one request through a function URL in process
// (no sockets), as the HTTP/1.1 message a module built with the SDK takes
// (url-message) and as the payload format 2.0 event the same module gets
// with that export renamed away (url-event), side by side with bare, a
// fasthttp handler answering the same bytes. Ratios to bare are what the
// issue's targets compare (over loopback: BenchmarkGatewayHTTPLoopback).
// cpu-ns/op is the process's CPU time per request (all threads, the
// garbage collector's too), steadier than ns/op on a busy machine.
func BenchmarkGatewayHTTP(b *testing.B) {
	for _, c := range httpCases() {
		for _, t := range c.targets(b) {
			b.Run(c.name+"/"+t.name, func(b *testing.B) {
				if status, body := serveOnceType(t.handler, "POST", t.path, "application/json", c.body); status != 200 ||
					(t.name != "url-event" && body != string(c.want)) {
					b.Fatalf("%s: %d %s", t.path, status, body)
				}
				var req fasthttp.Request
				req.Header.SetMethod("POST")
				req.SetRequestURI(t.path)
				req.Header.SetContentType("application/json")
				req.Header.Set("User-Agent", "bench")
				req.SetBody(c.body)
				serveLoop(b, t.handler, &req)
			})
		}
	}
}

// BenchmarkGatewayHTTPLoopback is BenchmarkGatewayHTTP over loopback: 16
// connections from an in-process fasthttp client (as wrk's 16) to the
// gateway's server and to a bare fasthttp server answering the same bytes,
// the client sharing the machine's cores with the server as wrk does. It
// reports requests/s (req/s) and the CPU time per request of client and
// server together (cpu-ns/op), which bounds req/s once the cores are
// saturated and is steadier on a busy machine; compare the targets of
// one run.
func BenchmarkGatewayHTTPLoopback(b *testing.B) {
	const conns = 16
	for _, c := range httpCases() {
		for _, t := range c.targets(b) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &fasthttp.Server{Handler: t.handler}
			go func() { _ = srv.Serve(ln) }()
			b.Cleanup(func() { _ = srv.Shutdown() })
			client := &fasthttp.HostClient{Addr: ln.Addr().String(), MaxConns: conns}
			b.Run(c.name+"/"+t.name, func(b *testing.B) {
				b.SetParallelism((conns + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				start, cpu := time.Now(), cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					var req fasthttp.Request
					var resp fasthttp.Response
					req.Header.SetMethod("POST")
					req.SetRequestURI("http://" + client.Addr + t.path)
					req.Header.SetContentType("application/json")
					req.SetBody(c.body)
					for pb.Next() {
						if err := client.Do(&req, &resp); err != nil || resp.StatusCode() != 200 {
							b.Errorf("%v %d %s", err, resp.StatusCode(), resp.Body())
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// httpTarget is one way of serving a case: a fasthttp handler and the
// path to request.
type httpTarget struct {
	name    string
	handler fasthttp.RequestHandler
	path    string
}

// targets deploys c both ways behind function URLs (one gateway each) and
// returns them with bare.
func (c httpCase) targets(b *testing.B) []httpTarget {
	code := c.code(b)
	want := c.want
	bare := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBody(want)
	}
	return []httpTarget{
		{"bare", bare, c.path},
		{"url-message", urlGateway(b, code, nil), "/fn/fn" + c.path},
		{"url-event", urlGateway(b, testguest.WithoutExport(b, code, abi.HTTPHandlerExport), nil), "/fn/fn" + c.path},
	}
}

// urlGateway deploys code as function fn (with environment env) with a
// public function URL and returns the gateway's handler.
func urlGateway(b *testing.B, code []byte, env map[string]string) fasthttp.RequestHandler {
	b.Helper()
	st := store.NewMemory()
	b.Cleanup(func() { _ = st.Close() })
	eng := newEngine(b, engine.Config{Store: st})
	if _, err := eng.Deploy(context.Background(), engine.Function{Name: "fn", Code: code, Env: env}); err != nil {
		b.Fatal(err)
	}
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	handle := gw.Handler()
	if status, body := serveOnce(handle, "POST", "/2021-10-31/functions/fn/url", []byte(`{"AuthType":"NONE"}`)); status != 201 {
		b.Fatalf("creating the function URL: %d %s", status, body)
	}
	if status, body := serveOnce(handle, "POST", "/2015-03-31/functions/fn/policy",
		[]byte(`{"StatementId":"public","Action":"lambda:InvokeFunctionUrl","Principal":"*","FunctionUrlAuthType":"NONE"}`)); status != 201 {
		b.Fatalf("granting the function URL: %d %s", status, body)
	}
	return handle
}

// serveLoop times h serving req in process, each call on a request
// context as the server makes one, and reports its CPU time per request
// (cpu-ns/op, all threads) beside the wall time.
func serveLoop(b *testing.B, h fasthttp.RequestHandler, req *fasthttp.Request) {
	var ctx fasthttp.RequestCtx
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		ctx.Init(req, remote, nil)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
