package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen is what guest-examples/httpapp's /request reports of a request.
type seen struct {
	Method        string              `json:"method"`
	Path          string              `json:"path"`
	RawPath       string              `json:"rawPath"`
	RawQuery      string              `json:"rawQuery"`
	RequestURI    string              `json:"requestURI"`
	Host          string              `json:"host"`
	RemoteAddr    string              `json:"remoteAddr"`
	Proto         string              `json:"proto"`
	ContentLength int64               `json:"contentLength"`
	Header        map[string][]string `json:"header"`
	Cookies       map[string]string   `json:"cookies"`
	Body          []byte              `json:"body"`
}

// joined is h with every name's values joined by ",": the event path
// joins a repeated request header into one value, the message path keeps
// its fields apart (as net/http's server does), and both say the same.
func joined(h map[string][]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// TestFunctionURLMessageMatchesEvent sends the same requests to
// guest-examples/httpapp built with the HTTP message export (msg) and to
// the same module with that export renamed away (ev), which gets payload
// format 2.0 events as before: the handler sees the same request, and the
// client the same response, on both paths.
func TestFunctionURLMessageMatchesEvent(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	code := testguest.Go(t, "httpapp")
	s.deploy(t, "msg", code)
	s.deploy(t, "ev", testguest.WithoutExport(t, code, abi.HTTPHandlerExport))
	for _, fn := range []string{"msg", "ev"} {
		s.createURL(t, fn, types.FunctionUrlAuthTypeNone)
		s.allowPublicURL(t, fn)
	}

	tests := []struct {
		name   string
		method string
		path   string // after /fn/NAME
		header http.Header
		body   []byte
	}{
		{"get with query", http.MethodGet, "/request?b=2&a=1&a=3&e=%20x", nil, nil},
		{"escaped path", http.MethodGet, "/req%75est", nil, nil},
		{"multi-value headers and cookies", http.MethodGet, "/request", http.Header{
			"X-Tag": {"one", "two"}, "Accept": {"text/html"}, "Cookie": {"a=1; b=2", "c=3"}}, nil},
		{"binary body", http.MethodPost, "/request", http.Header{"Content-Type": {"application/octet-stream"}},
			[]byte("\x00\x01binary\xff\xfe")},
		{"text body", http.MethodPut, "/request", http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("héllo")},
		{"html page with a cookie", http.MethodGet, "/", http.Header{"Cookie": {"visits=4"}}, nil},
		{"binary echo", http.MethodPost, "/echo", http.Header{"Content-Type": {"image/png"}}, []byte("\x89PNG\r\n\x1a\n\x00")},
		{"not found", http.MethodGet, "/nope", nil, nil},
		{"method not allowed", http.MethodDelete, "/echo", nil, nil},
		{"head", http.MethodHead, "/hello/ana", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]response
			for i, fn := range []string{"msg", "ev"} {
				req := s.newRequest(t, tt.method, "/fn/"+fn+tt.path, tt.body)
				for k, v := range tt.header {
					req.Header[k] = v
				}
				got[i] = do(t, req)
			}
			msg, ev := got[0], got[1]
			require.Equal(t, ev.Status, msg.Status, "status; event path: %s; message path: %s", ev.Body, msg.Body)
			assert.Equal(t, ev.Header.Get("Content-Type"), msg.Header.Get("Content-Type"))
			assert.Equal(t, ev.Header.Values("Set-Cookie"), msg.Header.Values("Set-Cookie"))
			assert.Equal(t, strings.Join(ev.Header.Values("X-Multi"), ", "), strings.Join(msg.Header.Values("X-Multi"), ", "))
			if !strings.HasPrefix(tt.path, "/request") {
				assert.Equal(t, string(ev.Body), string(msg.Body))
				return
			}
			assert.Equal(t, []string{"a=1", "b=2; Path=/"}, msg.Header.Values("Set-Cookie"))
			assert.Equal(t, []string{"one", "two"}, msg.Header.Values("X-Multi"), "the message path keeps a header's fields apart")
			a, b := decode[seen](t, msg), decode[seen](t, ev)
			assert.Equal(t, joined(b.Header), joined(a.Header))
			a.Header, b.Header = nil, nil
			assert.Equal(t, b, a)
			assert.Equal(t, tt.method, a.Method)
			assert.Equal(t, string(tt.body), string(a.Body))
			assert.Equal(t, "127.0.0.1:0", a.RemoteAddr, "the source IP, port 0")
			assert.Equal(t, strings.TrimPrefix(s.URL, "http://"), a.Host)
		})
	}

	// The message path gives each field of a repeated request header.
	req := s.newRequest(t, http.MethodGet, "/fn/msg/request", nil)
	req.Header["X-Tag"] = []string{"one", "two"}
	req.Header.Set(abi.SourceIPHeader, "10.9.9.9") // a client's is dropped
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := decode[seen](t, r)
	assert.Equal(t, []string{"one", "two"}, got.Header["X-Tag"])
	assert.NotContains(t, got.Header, abi.SourceIPHeader)
	assert.Equal(t, "127.0.0.1:0", got.RemoteAddr)

	// Invoked through the Lambda API, the function still takes a payload
	// format 2.0 event and answers with a structured response.
	event := `{"version":"2.0","rawPath":"/hello/ana","rawQueryString":"","requestContext":{"http":{"method":"GET"}}}`
	out := s.invoke(t, "msg", event)
	require.Nil(t, out.FunctionError, "%s", out.Payload)
	var structured struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	require.NoError(t, json.Unmarshal(out.Payload, &structured), "%s", out.Payload)
	assert.Equal(t, http.StatusOK, structured.StatusCode)
	assert.JSONEq(t, `{"message":"Hello, ana!"}`, structured.Body)
}

// TestFunctionURLMessageStreamAndCORS: a URL whose InvokeMode is
// RESPONSE_STREAM still streams a function that takes messages (it gets
// the event there), and a URL's CORS applies on the message path.
func TestFunctionURLMessageStreamAndCORS(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "app", testguest.Go(t, "httpapp"))
	s.allowPublicURL(t, "app")
	lc := s.client(adminKey)
	_, err := lc.CreateFunctionUrlConfig(context.Background(), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("app"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}, ExposeHeaders: []string{"X-Multi"}}})
	require.NoError(t, err)

	req := s.newRequest(t, http.MethodGet, "/fn/app/request", nil)
	req.Header.Set("Origin", "https://example.com")
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "https://example.com", r.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, []string{"one", "two"}, r.Header.Values("X-Multi"))

	_, err = lc.UpdateFunctionUrlConfig(context.Background(), &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: aws.String("app"), InvokeMode: types.InvokeModeResponseStream})
	require.NoError(t, err)
	req = s.newRequest(t, http.MethodGet, "/fn/app/hello/ana", nil)
	req.Header.Set("Origin", "https://example.com")
	r = do(t, req)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"message":"Hello, ana!"}`, string(r.Body))
	assert.Equal(t, "https://example.com", r.Header.Get("Access-Control-Allow-Origin"))
}

// TestFunctionURLMessageLimits: a request over the engine's request size
// limit is refused the same on both paths.
func TestFunctionURLMessageLimits(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(_ *gateway.Config, e *engine.Config) { e.MaxRequestBytes = 4096 })
	code := testguest.Go(t, "httpapp")
	s.deploy(t, "msg", code)
	s.deploy(t, "ev", testguest.WithoutExport(t, code, abi.HTTPHandlerExport))
	for _, fn := range []string{"msg", "ev"} {
		s.createURL(t, fn, types.FunctionUrlAuthTypeNone)
		s.allowPublicURL(t, fn)
	}
	big := []byte(strings.Repeat("x", 5000))
	for _, fn := range []string{"msg", "ev"} {
		r := s.request(t, http.MethodPost, "/fn/"+fn+"/echo", big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status, "%s: %s", fn, r.Body)
		r = s.request(t, http.MethodPost, "/fn/"+fn+"/echo", big[:100])
		assert.Equal(t, http.StatusOK, r.Status, "%s: %s", fn, r.Body)
	}
}

// TestFunctionURLHostileMessages: engine/testdata/http_raw answers with
// the request's body as its HTTP response message. Whatever a function
// sends, the client gets its response or a 502, and the server lives on.
// A DELETE is declined by the function, which then gets the event.
func TestFunctionURLHostileMessages(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "raw", wasm(t, "http_raw"))
	s.createURL(t, "raw", types.FunctionUrlAuthTypeNone)
	s.allowPublicURL(t, "raw")

	tests := []struct {
		name   string
		msg    string
		status int    // 502: refused
		body   string // when not refused
	}{
		{"valid", "HTTP/1.1 201 Created\r\nX-A: 1\r\nX-A: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nhi", 201, "hi"},
		{"no content length", "HTTP/1.1 200 OK\r\n\r\nrest of it", 200, "rest of it"},
		{"bare LF", "HTTP/1.0 404 Not Found\nContent-Type: text/plain\n\nno", 404, "no"},
		{"binary body", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\x00\xff\x01", 200, "\x00\xff\x01"},
		{"empty", "", http.StatusBadGateway, ""},
		{"garbage", "\x00\x01\x02 garbage \xff", http.StatusBadGateway, ""},
		{"bad status line", "HTTP/2 200 OK\r\n\r\n", http.StatusBadGateway, ""},
		{"status not a number", "HTTP/1.1 2x0 OK\r\n\r\n", http.StatusBadGateway, ""},
		{"informational status", "HTTP/1.1 101 Switching Protocols\r\n\r\n", http.StatusBadGateway, ""},
		{"status over 599", "HTTP/1.1 600 Nope\r\n\r\n", http.StatusBadGateway, ""},
		{"no end of head", "HTTP/1.1 200 OK\r\nX-A: 1\r\n", http.StatusBadGateway, ""},
		{"body longer than Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello", http.StatusBadGateway, ""},
		{"body shorter than Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhello", http.StatusBadGateway, ""},
		{"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", http.StatusBadGateway, ""},
		{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nh", http.StatusBadGateway, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", http.StatusBadGateway, ""},
		{"header injection", "HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n", http.StatusBadGateway, ""},
		{"bad header name", "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n", http.StatusBadGateway, ""},
		{"folded header", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n", http.StatusBadGateway, ""},
		{"oversize head", "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("a", 70<<10) + "\r\n\r\n", http.StatusBadGateway, ""},
		{"too many headers", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: 1\r\n", 300) + "\r\n", http.StatusBadGateway, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.newRequest(t, http.MethodPost, "/fn/raw/", []byte(tt.msg))
			r := do(t, req)
			require.Equal(t, tt.status, r.Status, "%q", r.Body)
			if tt.status == http.StatusBadGateway {
				assert.Equal(t, "Internal Server Error", r.message())
				return
			}
			assert.Equal(t, tt.body, string(r.Body))
		})
	}
	r := s.request(t, http.MethodPost, "/fn/raw/", []byte(tests[0].msg))
	assert.Equal(t, []string{"1", "2"}, r.Header.Values("X-A"))
	assert.Equal(t, []string{"a=1", "b=2"}, r.Header.Values("Set-Cookie"))

	// Declined: the event, echoed by handle, answered as Lambda infers it.
	r = s.request(t, http.MethodDelete, "/fn/raw/x?y=1", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, "/x", decode[urlEvent](t, r).RawPath)
}
