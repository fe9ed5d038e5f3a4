package httpguest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// getEvent is a function URL event for a GET with a query and cookies, as
// the gateway writes it.
const getEvent = `{
  "version": "2.0",
  "routeKey": "$default",
  "rawPath": "/files/a%2Fb/caf%C3%A9",
  "rawQueryString": "tag=a&tag=b&q=caf%C3%A9+au+lait",
  "cookies": ["session=abc123", "theme=dark"],
  "headers": {
    "accept": "text/html,application/json",
    "host": "shop.example.com",
    "user-agent": "Mozilla/5.0",
    "x-forwarded-for": "198.51.100.1,198.51.100.2"
  },
  "queryStringParameters": {"q": "café au lait", "tag": "a,b"},
  "requestContext": {
    "accountId": "anonymous",
    "apiId": "shop",
    "domainName": "shop.flint.localhost",
    "domainPrefix": "shop",
    "http": {"method": "GET", "path": "/files/a%2Fb/caf%C3%A9", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
    "requestId": "c6af9ac6",
    "routeKey": "$default",
    "stage": "$default",
    "time": "07/Sep/2021:22:50:22 +0000",
    "timeEpoch": 1631055022677
  },
  "isBase64Encoded": false
}`

func TestNewRequest(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "invocation")
	r, err := newRequest(ctx, []byte(getEvent))
	require.NoError(t, err)

	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/files/a/b/café", r.URL.Path)
	assert.Equal(t, "/files/a%2Fb/caf%C3%A9", r.URL.EscapedPath())
	assert.Equal(t, "tag=a&tag=b&q=caf%C3%A9+au+lait", r.URL.RawQuery)
	assert.Equal(t, []string{"a", "b"}, r.URL.Query()["tag"])
	assert.Equal(t, "café au lait", r.URL.Query().Get("q"))
	assert.Equal(t, "/files/a%2Fb/caf%C3%A9?tag=a&tag=b&q=caf%C3%A9+au+lait", r.RequestURI)
	assert.Equal(t, "shop.example.com", r.Host)
	assert.Empty(t, r.Header.Values("Host"), "Host is promoted to Request.Host")
	assert.Equal(t, "203.0.113.7:0", r.RemoteAddr)
	assert.Equal(t, "HTTP/1.1", r.Proto)
	assert.Equal(t, 1, r.ProtoMajor)
	assert.Equal(t, 1, r.ProtoMinor)
	assert.Equal(t, "Mozilla/5.0", r.UserAgent())
	assert.Equal(t, "198.51.100.1,198.51.100.2", r.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "session=abc123; theme=dark", r.Header.Get("Cookie"))
	c, err := r.Cookie("theme")
	require.NoError(t, err)
	assert.Equal(t, "dark", c.Value)
	assert.Len(t, r.Cookies(), 2)
	assert.Equal(t, http.NoBody, r.Body)
	assert.Zero(t, r.ContentLength)
	assert.Equal(t, "invocation", r.Context().Value(ctxKey{}))
}

func TestNewRequestFields(t *testing.T) {
	tests := []struct {
		name  string
		event string
		check func(t *testing.T, r *http.Request)
	}{
		{"text body", `{"version":"2.0","rawPath":"/echo","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":"{\"a\":1}","isBase64Encoded":false}`,
			func(t *testing.T, r *http.Request) {
				assert.Equal(t, `{"a":1}`, readAll(t, r.Body))
				assert.EqualValues(t, 7, r.ContentLength)
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}},
		{"base64 body", `{"version":"2.0","rawPath":"/up","requestContext":{"http":{"method":"PUT"}},"body":"iVBORw0KGgo=","isBase64Encoded":true}`,
			func(t *testing.T, r *http.Request) {
				assert.Equal(t, "\x89PNG\r\n\x1a\n", readAll(t, r.Body))
				assert.EqualValues(t, 8, r.ContentLength)
			}},
		{"no host header: the domain name", `{"version":"2.0","rawPath":"/","requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"GET"}}}`,
			func(t *testing.T, r *http.Request) { assert.Equal(t, "abc.lambda-url.us-east-1.on.aws", r.Host) }},
		{"no rawPath: http.path", `{"version":"2.0","requestContext":{"http":{"method":"GET","path":"/x"}}}`,
			func(t *testing.T, r *http.Request) { assert.Equal(t, "/x", r.URL.Path) }},
		{"no path at all: /", `{"version":"2.0","requestContext":{"http":{"method":"GET"}}}`,
			func(t *testing.T, r *http.Request) {
				assert.Equal(t, "/", r.URL.Path)
				assert.Equal(t, "/", r.RequestURI)
			}},
		{"IPv6 source", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET","sourceIp":"2001:db8::1"}}}`,
			func(t *testing.T, r *http.Request) { assert.Equal(t, "[2001:db8::1]:0", r.RemoteAddr) }},
		{"HTTP/2", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET","protocol":"HTTP/2.0"}}}`,
			func(t *testing.T, r *http.Request) {
				assert.Equal(t, "HTTP/2.0", r.Proto)
				assert.Equal(t, 2, r.ProtoMajor)
			}},
		{"unknown protocol: HTTP/1.1", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET","protocol":"SPDY"}}}`,
			func(t *testing.T, r *http.Request) { assert.Equal(t, "HTTP/1.1", r.Proto) }},
		{"cookies and a cookie header", `{"version":"2.0","rawPath":"/","cookies":["a=1"],"headers":{"cookie":"b=2"},"requestContext":{"http":{"method":"GET"}}}`,
			func(t *testing.T, r *http.Request) { assert.Len(t, r.Cookies(), 2) }},
		{"unknown members ignored", `{"version":"2.0","rawPath":"/","pathParameters":null,"stageVariables":null,"requestContext":{"authorizer":{"iam":{"accessKey":"AKIA"}},"http":{"method":"DELETE"}}}`,
			func(t *testing.T, r *http.Request) { assert.Equal(t, "DELETE", r.Method) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newRequest(context.Background(), []byte(tt.event))
			require.NoError(t, err)
			tt.check(t, r)
		})
	}
}

func TestNewRequestInvalid(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		badPath bool
	}{
		{"not JSON", `hello`, false},
		{"not an object", `"GET /"`, false},
		{"a plain invocation payload", `{"name":"ana"}`, false},
		{"format 1.0", `{"version":"1.0","httpMethod":"GET","path":"/"}`, false},
		{"no method", `{"version":"2.0","rawPath":"/"}`, false},
		{"method with a space", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET /"}}}`, false},
		{"bad base64", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},"body":"%%%","isBase64Encoded":true}`, false},
		{"headers not strings", `{"version":"2.0","rawPath":"/","headers":{"a":1},"requestContext":{"http":{"method":"GET"}}}`, false},
		{"malformed escape", `{"version":"2.0","rawPath":"/a%zz","requestContext":{"http":{"method":"GET"}}}`, true},
		{"relative path", `{"version":"2.0","rawPath":"a","requestContext":{"http":{"method":"GET"}}}`, true},
		{"question mark in the path", `{"version":"2.0","rawPath":"/a?b","requestContext":{"http":{"method":"GET"}}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newRequest(context.Background(), []byte(tt.event))
			assert.Nil(t, r)
			var bad *badPathError
			if tt.badPath {
				require.True(t, errors.As(err, &bad), "%v", err)
				return
			}
			var ge *guest.Error
			require.True(t, errors.As(err, &ge), "%v", err)
			assert.Equal(t, "InvalidEvent", ge.Type)
			assert.Contains(t, ge.Message, "not a function URL event")
		})
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}
