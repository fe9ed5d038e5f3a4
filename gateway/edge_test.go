package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Limits of the server the edge tests attack.
const (
	edgeMaxBody     = 64 << 10
	edgeMaxHeader   = 4 << 10
	edgeReadTimeout = 500 * time.Millisecond
)

// TestBadInput sends what a careless or hostile client might, and expects a
// Lambda-shaped 4xx answer to each, a server that still works afterwards,
// and no goroutine left behind. It does not run in parallel, so that the
// goroutine count is its own.
func TestBadInput(t *testing.T) {
	checkGoroutines(t)
	s := startServerWith(t, func(c *gateway.Config, _ *engine.Config) {
		c.MaxBodyBytes, c.MaxHeaderBytes, c.ReadTimeout = edgeMaxBody, edgeMaxHeader, edgeReadTimeout
	})
	s.deploy(t, "echo", testguest.WATEcho(t))
	long := strings.Repeat("a", 65)
	create := func(body string) []byte { return []byte(body) }

	for _, tc := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{name: "malformed JSON", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`{"FunctionName":`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "JSON then more", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`{} {}`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "JSON of the wrong type", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`{"FunctionName":5}`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "an array", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`[]`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "unknown field", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`{"FunctionName":"x","VpcConfig":{}}`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "unknown field in an update", method: http.MethodPut, path: "/2015-03-31/functions/echo/configuration", body: create(`{"Timeout":5,"Layers":[]}`),
			status: 400, code: "InvalidRequestContentException"},
		{name: "empty create", method: http.MethodPost, path: "/2015-03-31/functions", status: 400, code: "InvalidParameterValueException"},
		{name: "text content type", method: http.MethodPost, path: "/2015-03-31/functions", contentType: "text/plain", body: create(`{}`),
			status: 415, code: "UnsupportedMediaTypeException"},
		{name: "form content type", method: http.MethodPut, path: "/2015-03-31/functions/echo/configuration", contentType: "application/x-www-form-urlencoded",
			body: create(`Timeout=5`), status: 415, code: "UnsupportedMediaTypeException"},
		{name: "body over the limit", method: http.MethodPost, path: "/2015-03-31/functions/echo/invocations",
			body: []byte(`"` + strings.Repeat("x", edgeMaxBody) + `"`), status: 413, code: "RequestTooLargeException"},
		{name: "unknown path", method: http.MethodGet, path: "/nope", status: 404, code: "UnknownOperationException"},
		{name: "unknown API version", method: http.MethodGet, path: "/2099-01-01/functions/", status: 404, code: "UnknownOperationException"},
		{name: "unknown API version of a function", method: http.MethodGet, path: "/2099-01-01/functions/echo", status: 404, code: "UnknownOperationException"},
		{name: "unknown operation", method: http.MethodGet, path: "/2015-03-31/functions/echo/bogus", status: 404, code: "UnknownOperationException"},
		{name: "too deep", method: http.MethodGet, path: "/2015-03-31/functions/echo/aliases/a/b", status: 404, code: "UnknownOperationException"},
		{name: "unknown Flint API", method: http.MethodGet, path: "/flint/v1/nope", status: 404, code: "UnknownOperationException"},
		{name: "bare Flint API", method: http.MethodGet, path: "/flint/v1/", status: 404, code: "UnknownOperationException"},
		{name: "PATCH functions", method: http.MethodPatch, path: "/2015-03-31/functions/", status: 405, code: "MethodNotAllowedException"},
		{name: "DELETE configuration", method: http.MethodDelete, path: "/2015-03-31/functions/echo/configuration", status: 405, code: "MethodNotAllowedException"},
		{name: "PUT versions", method: http.MethodPut, path: "/2015-03-31/functions/echo/versions", status: 405, code: "MethodNotAllowedException"},
		{name: "GET invocations", method: http.MethodGet, path: "/2015-03-31/functions/echo/invocations", status: 405, code: "MethodNotAllowedException"},
		{name: "empty qualifier", method: http.MethodGet, path: "/2015-03-31/functions/echo:/configuration", status: 400, code: "InvalidParameterValueException"},
		{name: "two qualifiers", method: http.MethodGet, path: "/2015-03-31/functions/echo:a:b/configuration", status: 400, code: "InvalidParameterValueException"},
		{name: "qualifiers that differ", method: http.MethodGet, path: "/2015-03-31/functions/echo:a/configuration?Qualifier=b", status: 400, code: "InvalidParameterValueException"},
		{name: "ARN of another service", method: http.MethodGet, path: "/2015-03-31/functions/arn:aws:s3:us-east-1:000000000000:function:echo", status: 400,
			code: "InvalidParameterValueException"},
		{name: "ARN of a layer", method: http.MethodGet, path: "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:layer:echo", status: 400,
			code: "InvalidParameterValueException"},
		{name: "ARN without a name", method: http.MethodGet, path: "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:", status: 400,
			code: "InvalidParameterValueException"},
		{name: "ARN with too many parts", method: http.MethodGet, path: "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:echo:1:2", status: 400,
			code: "InvalidParameterValueException"},
		{name: "partial ARN without a name", method: http.MethodGet, path: "/2015-03-31/functions/000000000000:function:", status: 400,
			code: "InvalidParameterValueException"},
		{name: "name too long", method: http.MethodGet, path: "/2015-03-31/functions/" + long, status: 400, code: "InvalidParameterValueException"},
		{name: "name too long to create", method: http.MethodPost, path: "/2015-03-31/functions", body: create(`{"FunctionName":"` + long + `"}`),
			status: 400, code: "InvalidParameterValueException"},
		{name: "name with a space", method: http.MethodGet, path: "/2015-03-31/functions/a%20b", status: 400, code: "InvalidParameterValueException"},
		{name: "name with a dot", method: http.MethodGet, path: "/2015-03-31/functions/a.b", status: 400, code: "InvalidParameterValueException"},
		{name: "name not ASCII", method: http.MethodGet, path: "/2015-03-31/functions/%C3%BC", status: 400, code: "InvalidParameterValueException"},
		{name: "name of NUL", method: http.MethodGet, path: "/2015-03-31/functions/a%00b", status: 400, code: "InvalidParameterValueException"},
		{name: "bad MaxItems", method: http.MethodGet, path: "/2015-03-31/functions/?MaxItems=-1", status: 400, code: "InvalidParameterValueException"},
		{name: "huge MaxItems", method: http.MethodGet, path: "/2015-03-31/functions/?MaxItems=99999999999999999999", status: 400, code: "InvalidParameterValueException"},
		{name: "bad marker", method: http.MethodGet, path: "/2015-03-31/functions/echo/versions?Marker=zzz", status: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := s.newRequest(t, tc.method, tc.path, tc.body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			sign(t, req, adminKey, tc.body, time.Now())
			var r response
			if tc.status == http.StatusRequestEntityTooLarge {
				r = doOversized(t, s, tc.method, tc.path, tc.body)
			} else {
				r = do(t, req)
			}
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
			assert.Equal(t, tc.code, r.errorType())
			assert.NotEmpty(t, r.Header.Get("X-Amzn-Requestid"))
			if tc.status >= 400 {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				body := decode[map[string]string](t, r)
				assert.Equal(t, "User", body["Type"])
				assert.NotEmpty(t, body["message"])
			}
		})
	}

	t.Run("headers over the limit", func(t *testing.T) {
		req := s.newRequest(t, http.MethodGet, "/2015-03-31/functions/", nil)
		req.Header.Set("X-Padding", strings.Repeat("p", 2*edgeMaxHeader))
		sign(t, req, adminKey, nil, time.Now())
		r, answered := doOrReset(t, req)
		if !answered {
			return // closing the connection is an answer too
		}
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.Status, "%s", r.Body)
		assert.Equal(t, "RequestHeaderFieldsTooLargeException", r.errorType())
	})

	t.Run("not HTTP", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		_, err = conn.Write([]byte("HELLO\x00\xff THERE\r\n\r\n"))
		require.NoError(t, err)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		defer res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "InvalidRequestContentException", res.Header.Get("X-Amzn-Errortype"))
	})

	t.Run("slow client", func(t *testing.T) {
		// Headers sent a byte every 50 ms take longer than ReadTimeout: the
		// server gives up on the connection.
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		start := time.Now()
		request := "GET /healthz HTTP/1.1\r\nHost: flint\r\nX-Slow: " + strings.Repeat("s", 100) + "\r\n\r\n"
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := range len(request) {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if _, err := conn.Write([]byte{request[i]}); err != nil {
					return
				}
			}
		}()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		b, err := io.ReadAll(conn) // until the server closes (or resets) it
		var netErr net.Error
		require.False(t, errors.As(err, &netErr) && netErr.Timeout(), "the server closed the connection, not our deadline: %v", err)
		elapsed := time.Since(start)
		assert.Less(t, elapsed, 5*time.Second)
		assert.GreaterOrEqual(t, elapsed, edgeReadTimeout/2)
		if len(b) > 0 {
			assert.NotContains(t, string(b), "200 OK", "the request never completed")
		}
	})

	t.Run("a log stream outlives ReadTimeout", func(t *testing.T) {
		s.deploy(t, "quiet", testguest.WATEcho(t))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req := s.newRequest(t, http.MethodGet, "/flint/v1/functions/quiet/logs?follow=1", nil).WithContext(ctx)
		sign(t, req, adminKey, nil, time.Now())
		res, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		<-time.After(3 * edgeReadTimeout) // the request's read deadline passes
		s.invoke(t, "quiet", `{}`)
		line, err := bufio.NewReader(res.Body).ReadString('\n')
		require.NoError(t, err)
		assert.Contains(t, line, "START RequestId")
	})

	t.Run("still serving", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, s.request(t, http.MethodGet, "/healthz", nil).Status)
		r := s.signedRequest(t, adminKey, http.MethodPost, "/2015-03-31/functions/echo/invocations", []byte(`{"ok":true}`))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.JSONEq(t, `{"ok":true}`, string(r.Body))
	})
}

// doOversized sends a signed request whose body is over the server's
// limit. The server answers 413 without reading the body and closes the
// connection; when the client is still writing then, the kernel resets
// the connection and the client sees the reset instead of the answer. A
// few tries get the answer.
func doOversized(t *testing.T, s *server, method, path string, body []byte) response {
	t.Helper()
	for try := 1; ; try++ {
		req := s.newRequest(t, method, path, body)
		sign(t, req, adminKey, body, time.Now())
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Do(req)
		if err != nil && try < 5 && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
			continue
		}
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return response{Status: res.StatusCode, Header: res.Header, Body: b}
	}
}
