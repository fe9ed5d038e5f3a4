package bench

import (
	"context"
	"net"
	"testing"

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

// BenchmarkGatewayHTTP is one request to guest-examples/httpapp through a
// function URL, in process (no sockets): POST /fn/fn/echo with a 14-byte
// JSON body, as the HTTP/1.1 message the module takes (flint_http_handle,
// which httpguest exports) and as the payload format 2.0 event the same
// module gets with that export renamed away (what a guest built before it
// gets), side by side with bare, a fasthttp handler answering the same
// bytes. Ratios to bare are what the targets compare.
func BenchmarkGatewayHTTP(b *testing.B) {
	code := testguest.Go(b, "httpapp")
	payload := []byte(`{"name":"ana"}`)
	bare := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBody(payload)
	}
	for _, t := range []struct {
		name string
		code []byte
	}{
		{"bare", nil},
		{"url-message", code},
		{"url-event", testguest.WithoutExport(b, code, abi.HTTPHandlerExport)},
	} {
		handler := fasthttp.RequestHandler(bare)
		if t.code != nil {
			handler = urlGateway(b, t.code)
		}
		b.Run("go-httpapp/"+t.name, func(b *testing.B) {
			path := "/fn/fn/echo"
			if status, body := serveOnce(handler, "POST", path, payload); status != 200 || body != string(payload) {
				b.Fatalf("%s: %d %s", path, status, body)
			}
			var req fasthttp.Request
			req.Header.SetMethod("POST")
			req.SetRequestURI(path)
			req.Header.SetContentType("application/json")
			req.Header.Set("User-Agent", "bench")
			req.Header.Set("Accept", "*/*")
			req.SetBody(payload)
			var ctx fasthttp.RequestCtx
			remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
			b.ReportAllocs()
			for b.Loop() {
				ctx.Init(&req, remote, nil)
				handler(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}

// urlGateway deploys code as function fn with a public function URL and
// returns the gateway's handler.
func urlGateway(b *testing.B, code []byte) fasthttp.RequestHandler {
	b.Helper()
	st := store.NewMemory()
	b.Cleanup(func() { _ = st.Close() })
	eng := newEngine(b, engine.Config{Store: st})
	if _, err := eng.Deploy(context.Background(), engine.Function{Name: "fn", Code: code}); err != nil {
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
