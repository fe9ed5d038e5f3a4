package urlevent_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/uuid"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/urlevent"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guest-examples/httpapp, built for wasip1 and run by the engine, answers
// the gateway's events: the path the gateway takes without its server.
func TestHTTPAppInEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles a Go guest")
	}
	eng, err := engine.New(context.Background(), engine.Config{CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, eng.Close(ctx))
	})
	_, err = eng.Deploy(context.Background(), engine.Function{Name: "httpapp", Code: testguest.Go(t, "httpapp")})
	require.NoError(t, err)

	request := func(method, rawPath string, headers ...urlevent.Header) urlevent.Request {
		return urlevent.Request{
			Method: method, RawPath: rawPath, Host: "127.0.0.1:8080", SourceIP: "127.0.0.1",
			Headers: headers, RequestID: uuid.New(), Time: time.Now(), URLID: "httpapp",
		}
	}
	echo := request("POST", "/echo", urlevent.Header{Name: "Content-Type", Value: "application/octet-stream"})
	echo.Body = []byte{0, 1, 2, 0xff}

	tests := []struct {
		name        string
		req         urlevent.Request
		wantStatus  int
		wantType    string
		wantBody    string
		wantCookies []string
	}{
		{"home sets a cookie", request("GET", "/", urlevent.Header{Name: "Cookie", Value: "visits=2"}), 200, "text/html; charset=utf-8", "", []string{"visits=3; Path=/; HttpOnly; SameSite=Lax"}},
		{"hello", request("GET", "/hello/ana%20maria"), 200, "application/json", `{"message":"Hello, ana maria!"}` + "\n", nil},
		{"echo, binary", echo, 200, "application/octet-stream", "\x00\x01\x02\xff", nil},
		{"not found", request("GET", "/nope"), 404, "text/plain; charset=utf-8", "404 page not found\n", nil},
		{"wrong method", request("DELETE", "/echo"), 405, "text/plain; charset=utf-8", "Method Not Allowed\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := urlevent.Event(tt.req)
			require.NoError(t, err)
			res, err := eng.Invoke(context.Background(), "httpapp", ev)
			require.NoError(t, err)
			require.Nil(t, res.FunctionError, "%s", res.Logs)
			resp, err := urlevent.ParseResponse(res.Payload)
			require.NoError(t, err, "%s", res.Payload)

			assert.Equal(t, tt.wantStatus, resp.Status)
			assert.Contains(t, resp.Headers, urlevent.Header{Name: "Content-Type", Value: tt.wantType})
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, string(resp.Body))
			}
			assert.Equal(t, tt.wantCookies, resp.Cookies)
		})
	}

	t.Run("headers", func(t *testing.T) {
		ev, err := urlevent.Event(request("GET", "/headers", urlevent.Header{Name: "X-Trace", Value: "a"}, urlevent.Header{Name: "x-trace", Value: "b"}))
		require.NoError(t, err)
		res, err := eng.Invoke(context.Background(), "httpapp", ev)
		require.NoError(t, err)
		resp, err := urlevent.ParseResponse(res.Payload)
		require.NoError(t, err)
		var got map[string][]string
		require.NoError(t, json.Unmarshal(resp.Body, &got))
		assert.Equal(t, []string{"a,b"}, got["X-Trace"])
		assert.NotContains(t, got, "Host", "Host is Request.Host")
	})
}
