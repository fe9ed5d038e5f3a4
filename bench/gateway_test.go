package bench

import (
	"net"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
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
		st := store.NewMemory()
		b.Cleanup(func() { _ = st.Close() })
		eng := newEngine(b, engine.Config{Store: st})
		deploy(b, eng, g, engine.Function{})
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
				var ctx fasthttp.RequestCtx
				remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
				b.ReportAllocs()
				for b.Loop() {
					ctx.Init(&req, remote, nil)
					t.handler(&ctx)
					if ctx.Response.StatusCode() != 200 {
						b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
					}
				}
			})
		}
	}
}

// serveOnce sends one request to h and returns the status and body.
func serveOnce(h fasthttp.RequestHandler, method, uri string, body []byte) (int, string) {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetContentType("application/json")
	req.SetBody(body)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	h(&ctx)
	return ctx.Response.StatusCode(), string(ctx.Response.Body())
}
