package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// FuzzLambdaAPI sends arbitrary requests (method, path with query,
// headers, body) to the gateway's handler and checks what every answer
// must be: no panic, a status the server may send, and for an API error a
// Lambda-shaped one (X-Amzn-ErrorType and a JSON body with a message) that
// is a client's fault (4xx). A 5xx would mean the gateway failed on
// input it should have refused.
//
// The gateway runs open (no keys, as on loopback), so requests reach
// decoding rather than stopping at authentication, with one function,
// "echo" (wat-echo), that requests may invoke, reconfigure or delete.
func FuzzLambdaAPI(f *testing.F) {
	seeds := []struct{ method, uri, headers, body string }{
		{"GET", "/2015-03-31/functions", "", ""},
		{"GET", "/2015-03-31/functions?MaxItems=1&Marker=echo", "", ""},
		{"GET", "/2015-03-31/functions?MaxItems=-1", "", ""},
		{"POST", "/2015-03-31/functions", "Content-Type: application/json", `{"FunctionName":"f","Code":{"ZipFile":"AGFzbQEAAAA="}}`},
		{"POST", "/2015-03-31/functions", "Content-Type: application/json", `{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Timeout":-1}`},
		{"POST", "/2015-03-31/functions", "Content-Type: text/plain", `{}`},
		{"GET", "/2015-03-31/functions/echo", "", ""},
		{"GET", "/2015-03-31/functions/echo:$LATEST/configuration", "", ""},
		{"GET", "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:echo", "", ""},
		{"POST", "/2015-03-31/functions/echo/invocations", "X-Amz-Invocation-Type: RequestResponse\nX-Amz-Log-Type: Tail", `{"name":"ana"}`},
		{"POST", "/2015-03-31/functions/echo/invocations?Qualifier=live", "X-Amz-Invocation-Type: Event", `{}`},
		{"POST", "/2015-03-31/functions/echo/invocations", "X-Amz-Invocation-Type: DryRun\nX-Amz-Client-Context: e30=", ``},
		{"POST", "/2015-03-31/functions/echo:1:2/invocations", "X-Amz-Invocation-Type: Bogus", `[`},
		{"PUT", "/2015-03-31/functions/echo/configuration", "Content-Type: application/json", `{"Timeout":5,"MemorySize":128,"Environment":{"Variables":{"A":"b"}}}`},
		{"PUT", "/2015-03-31/functions/echo/code", "Content-Type: application/json", `{"ZipFile":"not base64"}`},
		{"POST", "/2015-03-31/functions/echo/versions", "", `{"RevisionId":"x"}`},
		{"GET", "/2015-03-31/functions/echo/versions?MaxItems=50", "", ""},
		{"POST", "/2015-03-31/functions/echo/aliases", "", `{"Name":"live","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.5}}}`},
		{"PUT", "/2015-03-31/functions/echo/aliases/live", "", `{"FunctionVersion":"$LATEST"}`},
		{"DELETE", "/2015-03-31/functions/echo/aliases/live", "", ""},
		{"PUT", "/2017-10-31/functions/echo/concurrency", "", `{"ReservedConcurrentExecutions":1}`},
		{"PUT", "/2019-09-25/functions/echo/event-invoke-config", "", `{"MaximumRetryAttempts":3,"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:echo"}}}`},
		{"POST", "/2015-03-31/functions/echo/policy", "", `{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"*"}`},
		{"DELETE", "/2015-03-31/functions/echo/policy/s", "", ""},
		{"POST", "/2021-10-31/functions/echo/url", "", `{"AuthType":"NONE"}`},
		{"POST", "/2021-10-31/functions/echo/url", "", `{"AuthType":"NONE","InvokeMode":"RESPONSE_STREAM","Cors":{"AllowOrigins":["*"],"AllowMethods":["GET"],"MaxAge":5}}`},
		{"OPTIONS", "/fn/echo/x", "Origin: https://a.test\nAccess-Control-Request-Method: GET", ""},
		{"POST", "/2021-11-15/functions/echo/response-streaming-invocations", "X-Amz-Log-Type: Tail", `{"a":1}`},
		{"POST", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:echo", "", `{"Tags":{"a":"b"}}`},
		{"DELETE", "/2017-03-31/tags/echo?tagKeys=a&tagKeys=b", "", ""},
		{"GET", "/2019-09-30/functions/echo/provisioned-concurrency?List=ALL", "", ""},
		{"GET", "/fn/echo/some/path?q=1&q=2", "Cookie: a=b; c=d\nContent-Type: application/octet-stream", "\x00\xff"},
		{"POST", "/fn/echo:$LATEST/", "Content-Type: application/json", `{"x":1}`},
		{"PUT", "/flint/v1/roles/r", "", `{"Version":"2026-11-01","Statement":[]}`},
		{"GET", "/flint/v1/functions/echo/logs?follow=false", "", ""},
		{"GET", "/flint/v1/dead-letters/echo", "", ""},
		{"GET", "/flint/v1/usage", "", ""},
		{"DELETE", "/2015-03-31/functions/echo", "", ""},
		{"GET", "/%2e%2e/%00", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.uri, s.headers, []byte(s.body))
	}

	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(f), Snapshots: engine.SnapshotsOff})
	require.NoError(f, err)
	f.Cleanup(func() { _ = eng.Close(ctx); _ = st.Close() })
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st})
	require.NoError(f, err)
	echo := testguest.WATEcho(f)
	handle := gw.Handler()
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

	f.Fuzz(func(t *testing.T, method, uri, headers string, body []byte) {
		// Requests may have deleted or broken it: every input starts from
		// the same function.
		if _, err := eng.Deploy(ctx, engine.Function{Name: "echo", Code: echo, Timeout: time.Second}); err != nil {
			t.Fatalf("redeploying echo: %v", err)
		}
		var req fasthttp.Request
		req.Header.SetMethod(method)
		req.SetRequestURI(uri)
		for line := range strings.SplitSeq(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		req.SetBody(body)
		var rc fasthttp.RequestCtx
		rc.Init(&req, remote, nil)
		handle(&rc)
		if rc.Response.IsBodyStream() {
			// A streamed response: read it, as a client would.
			_, _ = io.Copy(io.Discard, rc.Response.BodyStream())
			_ = rc.Response.CloseBodyStream()
		}

		status := rc.Response.StatusCode()
		if status < 200 || status > 599 {
			t.Fatalf("%s %q: status %d", method, uri, status)
		}
		path := string(rc.Path())
		if strings.HasPrefix(path, "/fn/") || status < 400 {
			return // a function URL answers with the function's response
		}
		errType := string(rc.Response.Header.Peek("X-Amzn-Errortype"))
		if errType == "" {
			t.Fatalf("%s %q: status %d without X-Amzn-ErrorType; body %q", method, uri, status, rc.Response.Body())
		}
		var msg struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rc.Response.Body(), &msg); err != nil || msg.Message == "" {
			t.Fatalf("%s %q: error body %q is not Lambda's JSON with a message", method, uri, rc.Response.Body())
		}
		if status >= 500 {
			t.Fatalf("%s %q: %d %s: %s", method, uri, status, errType, msg.Message)
		}
	})
}
