package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostRead parses a message as abi's http_fetch does, and returns the
// request and the URL it checks against the policy.
func hostRead(t *testing.T, msg []byte) (*http.Request, string) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
	require.NoError(t, err, "the host cannot read %q", msg)
	require.True(t, req.URL.IsAbs() && (req.URL.Scheme == "http" || req.URL.Scheme == "https") && req.URL.Host != "",
		"the host refuses %q as not an absolute http(s) URL", msg)
	return req, req.URL.String()
}

// request is http.NewRequest for URLs known to be valid.
func request(method, url string, body io.Reader) *http.Request {
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		panic(err)
	}
	return r
}

// opaqueReader hides its length from http.NewRequest.
type opaqueReader struct{ io.Reader }

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name     string
		req      func() *http.Request
		resource string
		method   string
		body     string
		header   http.Header // checked where given
	}{
		{
			name:     "get",
			req:      func() *http.Request { return request("GET", "https://api.example.com/v1/x", nil) },
			resource: "https://api.example.com/v1/x",
			method:   "GET",
		},
		{
			name: "post with a known length",
			req: func() *http.Request {
				r := request("POST", "https://api.example.com/v1/items", strings.NewReader(`{"name":"x"}`))
				r.Header.Set("Content-Type", "application/json")
				return r
			},
			resource: "https://api.example.com/v1/items",
			method:   "POST",
			body:     `{"name":"x"}`,
			header:   http.Header{"Content-Type": {"application/json"}, "Content-Length": {"12"}},
		},
		{
			name: "body of unknown length is sent with a length, not chunked",
			req: func() *http.Request {
				return request("PUT", "http://example.com/a", opaqueReader{strings.NewReader("hello")})
			},
			resource: "http://example.com/a",
			method:   "PUT",
			body:     "hello",
			header:   http.Header{"Content-Length": {"5"}},
		},
		{
			name:     "query kept, fragment dropped",
			req:      func() *http.Request { return request("GET", "https://h.example/search?q=a+b&x=%2F#frag", nil) },
			resource: "https://h.example/search?q=a+b&x=%2F",
			method:   "GET",
		},
		{
			name:     "empty path",
			req:      func() *http.Request { return request("GET", "https://example.com", nil) },
			resource: "https://example.com/",
			method:   "GET",
		},
		{
			name:     "port and IP",
			req:      func() *http.Request { return request("GET", "http://169.254.169.254:80/latest/meta-data/", nil) },
			resource: "http://169.254.169.254:80/latest/meta-data/",
			method:   "GET",
		},
		{
			name:     "user info is not sent in the URL",
			req:      func() *http.Request { return request("GET", "https://user:pw@example.com/x", nil) },
			resource: "https://example.com/x",
			method:   "GET",
		},
		{
			name:     "international host as punycode",
			req:      func() *http.Request { return request("GET", "https://bücher.example/ä", nil) },
			resource: "https://xn--bcher-kva.example/%C3%A4",
			method:   "GET",
		},
		{
			name:     "IPv6",
			req:      func() *http.Request { return request("GET", "http://[::1]:8080/", nil) },
			resource: "http://[::1]:8080/",
			method:   "GET",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			require.NotNil(t, req)
			msg, resource, err := encodeRequest(req)
			require.NoError(t, err)
			assert.Equal(t, tt.resource, resource)

			got, hostResource := hostRead(t, msg)
			assert.Equal(t, hostResource, resource, "the SDK names the resource the host checks")
			assert.Equal(t, tt.method, got.Method)
			assert.Empty(t, got.TransferEncoding)
			body, err := io.ReadAll(got.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(body))
			for k, v := range tt.header {
				assert.Equal(t, v, got.Header[k], "header %s", k)
			}
		})
	}
}

func TestEncodeRequestRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  func() *http.Request
		want string
	}{
		{"file scheme", func() *http.Request { return request("GET", "file:///etc/passwd", nil) }, `unsupported protocol scheme "file"`},
		{"relative", func() *http.Request { return request("GET", "/x", nil) }, `unsupported protocol scheme ""`},
		{"no host", func() *http.Request { return request("GET", "http:///x", nil) }, "has no host"},
		{"no URL", func() *http.Request { return &http.Request{Method: "GET"} }, "has no URL"},
		{"host override", func() *http.Request {
			r := request("GET", "https://allowed.example/", nil)
			r.Host = "internal.example"
			return r
		}, `Host "internal.example" differs from the URL's host "allowed.example"`},
		{"trailers", func() *http.Request {
			r := request("POST", "https://example.com/", strings.NewReader("x"))
			r.Trailer = http.Header{"X-Sum": nil}
			return r
		}, "trailers are not supported"},
		{"failing body", func() *http.Request {
			return request("POST", "https://example.com/", iotest.ErrReader(errors.New("disk on fire")))
		}, "read the request body: disk on fire"},
		{"control character in the query", func() *http.Request {
			r := request("GET", "https://example.com/", nil)
			r.URL.RawQuery = "a\r\nX-Injected: 1"
			return r
		}, "control character"},
		{"space in the query", func() *http.Request {
			r := request("GET", "https://example.com/", nil)
			r.URL.RawQuery = "q=a b"
			return r
		}, "space or control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			require.NotNil(t, req)
			_, _, err := encodeRequest(req)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestEncodeRequestClosesBodyAndLeavesRequest(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	req, err := http.NewRequest("POST", "https://example.com/x", body)
	require.NoError(t, err)
	before := *req
	_, _, err = encodeRequest(req)
	require.NoError(t, err)
	assert.True(t, body.closed, "a RoundTripper closes the body")
	assert.Equal(t, before.Host, req.Host)
	assert.Equal(t, before.ContentLength, req.ContentLength)
	assert.Same(t, before.URL, req.URL)
	assert.Equal(t, http.Header{}, req.Header, "headers are not added to the caller's request")
}

func TestDecodeResponse(t *testing.T) {
	req, err := http.NewRequest("GET", "https://example.com/x", nil)
	require.NoError(t, err)
	// What the host writes: (*http.Response).Write of the fetched response.
	var buf bytes.Buffer
	orig := &http.Response{
		StatusCode: 404, ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/plain"}},
		Body:          io.NopCloser(strings.NewReader("no such thing")),
		ContentLength: 13,
	}
	require.NoError(t, orig.Write(&buf))

	resp, err := decodeResponse(buf.Bytes(), req)
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	assert.Same(t, req, resp.Request)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "no such thing", string(body))

	_, err = decodeResponse([]byte("garbage"), req)
	assert.ErrorContains(t, err, "fetch: the host's response is malformed")
}

func TestCallError(t *testing.T) {
	err := callError(6, "https://example.com/")
	assert.Equal(t, &guest.DeniedError{Action: "http:Fetch", Resource: "https://example.com/"}, err)
	assert.Equal(t, "flint: http:Fetch on https://example.com/ denied by the function's execution policy", err.Error())

	err = callError(10, "https://example.com/")
	assert.ErrorIs(t, err, guest.ErrUnavailable)
	assert.Contains(t, err.Error(), "unavailable")
	assert.ErrorIs(t, callError(2, "https://example.com/"), guest.ErrTooLarge)
}

func TestClientLeavesRedirectsToTheHost(t *testing.T) {
	c := Client()
	require.NotNil(t, c.CheckRedirect)
	assert.Equal(t, http.ErrUseLastResponse, c.CheckRedirect(nil, nil))
	assert.IsType(t, &Transport{}, c.Transport)
}

// Any URL net/http accepts is either refused by the SDK or sent as a
// message the host reads, naming the resource the host checks.
func FuzzEncodeRequest(f *testing.F) {
	f.Add("GET", "https://api.example.com/v1/x?id=1")
	f.Add("POST", "http://[fe80::1%25eth0]:8080/a")
	f.Add("GET", "https://user@evil.test@example.com/")
	f.Add("GET", "http://example.com/%zz")
	f.Fuzz(func(t *testing.T, method, rawURL string) {
		req, err := http.NewRequest(method, rawURL, strings.NewReader("b"))
		if err != nil {
			return
		}
		msg, resource, err := encodeRequest(req)
		if err != nil {
			return
		}
		got, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
		if err != nil {
			t.Fatalf("the host cannot read %q: %v", msg, err)
		}
		if got.URL.String() != resource {
			t.Fatalf("resource %q, but the host checks %q (message %q)", resource, got.URL.String(), msg)
		}
	})
}
