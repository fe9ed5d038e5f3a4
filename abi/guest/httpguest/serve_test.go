package httpguest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decoded is a function URL response as the tests read it.
type decoded struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

func (d decoded) body(t *testing.T) string {
	if !d.IsBase64Encoded {
		return d.Body
	}
	b, err := base64.StdEncoding.DecodeString(d.Body)
	require.NoError(t, err)
	return string(b)
}

// serve runs h on a request with this method, path and body through Serve.
func serve(t *testing.T, h http.Handler, method, rawPath, contentType, body string) decoded {
	t.Helper()
	ev := map[string]any{
		"version": "2.0", "rawPath": rawPath,
		"requestContext": map[string]any{"http": map[string]string{"method": method}},
	}
	if contentType != "" {
		ev["headers"] = map[string]string{"content-type": contentType}
	}
	if body != "" {
		ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	out, err := Serve(context.Background(), h, raw)
	require.NoError(t, err)
	var d decoded
	require.NoError(t, json.Unmarshal(out, &d), "%s", out)
	return d
}

func handlerFunc(f func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(f)
}

func TestServeResponse(t *testing.T) {
	tests := []struct {
		name   string
		method string
		h      http.Handler
		want   decoded
	}{
		{"nothing written: 200, empty", "GET", handlerFunc(func(http.ResponseWriter, *http.Request) {}),
			decoded{StatusCode: 200}},
		{"text, sniffed", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }),
			decoded{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: "hello"}},
		{"HTML, sniffed, not escaped", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<!DOCTYPE html><p>a & b</p>") }),
			decoded{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/html; charset=utf-8"}, Body: "<!DOCTYPE html><p>a & b</p>"}},
		{"binary: base64", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n\x1a\n"))
		}), decoded{StatusCode: 200, Headers: map[string]string{"Content-Type": "image/png"}, Body: "iVBORw0KGgo=", IsBase64Encoded: true}},
		{"text type but not UTF-8: base64", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=latin1")
			w.Write([]byte("caf\xe9"))
		}), decoded{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain; charset=latin1"}, Body: "Y2Fm6Q==", IsBase64Encoded: true}},
		{"status, headers and cookies", "POST", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("Vary", "Accept")
			w.Header().Add("Vary", "Cookie")
			http.SetCookie(w, &http.Cookie{Name: "id", Value: "7", Path: "/", HttpOnly: true})
			http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark"})
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":7}`)
		}), decoded{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json", "Vary": "Accept, Cookie"},
			Cookies: []string{"id=7; Path=/; HttpOnly", "theme=dark"}, Body: `{"id":7}`}},
		{"the first WriteHeader wins; 1xx ignored", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusOK)
		}), decoded{StatusCode: 418}},
		{"headers after WriteHeader are not sent", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(http.StatusAccepted)
			w.Header().Set("X-After", "1")
		}), decoded{StatusCode: 202, Headers: map[string]string{"X-Before": "1"}}},
		{"an explicit nil Content-Type is not sniffed", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "x")
		}), decoded{StatusCode: 200, Body: "eA==", IsBase64Encoded: true}},
		{"HEAD: no body", "HEAD", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			n, err := io.WriteString(w, "hello")
			assert.Equal(t, 5, n)
			assert.NoError(t, err)
		}), decoded{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}}},
		{"204: no body", "DELETE", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			_, err := io.WriteString(w, "x")
			assert.ErrorIs(t, err, http.ErrBodyNotAllowed)
		}), decoded{StatusCode: 204}},
		{"invalid header names dropped, control characters replaced", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Bad Name"] = []string{"x"}
			w.Header()["Bad\r\nName"] = []string{"x"}
			w.Header().Set("X-Injected", "a\r\nSet-Cookie: evil=1")
			w.Header().Set("X-Nul", "a\x00b\x7fc\td")
			w.Header()["Set-Cookie"] = []string{"a=1\r\nX: y"}
		}), decoded{StatusCode: 200, Headers: map[string]string{"X-Injected": "a  Set-Cookie: evil=1", "X-Nul": "a b c\td"}, Cookies: []string{"a=1  X: y"}}},
		{"names that differ in case stay apart", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["x-a"] = []string{"1"}
			w.Header()["X-A"] = []string{"2"}
		}), decoded{StatusCode: 200, Headers: map[string]string{"X-A": "2", "x-a": "1"}}},
		{"http.Error", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "nope", http.StatusForbidden)
		}), decoded{StatusCode: 403, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}, Body: "nope\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, serve(t, tt.h, tt.method, "/", "", ""))
		})
	}
}

func TestWriteHeaderInvalidCodePanics(t *testing.T) {
	h := handlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(42) })
	assert.PanicsWithValue(t, "invalid WriteHeader code 42", func() { serve(t, h, "GET", "/", "", "") })
}

// An http.ServeMux with Go 1.22 patterns runs unchanged.
func TestServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "item "+r.PathValue("id"))
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		w.Write(b)
	})
	mux.HandleFunc("GET /files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.PathValue("path"))
	})
	tests := []struct {
		name, method, path, contentType, body string
		wantStatus                            int
		wantBody                              string
	}{
		{"pattern", "GET", "/items/42", "", "", 200, "item 42"},
		{"escaped segment", "GET", "/items/a%2Fb", "", "", 200, "item a/b"},
		{"HEAD matches GET", "HEAD", "/items/1", "", "", 200, ""},
		{"POST with a body", "POST", "/items", "application/json", `{"n":1}`, 201, `{"n":1}`},
		{"wildcard rest", "GET", "/files/a/b%20c.txt", "", "", 200, "a/b c.txt"},
		{"not found", "GET", "/nope", "", "", 404, "404 page not found\n"},
		{"method not allowed", "DELETE", "/items/1", "", "", 405, "Method Not Allowed\n"},
		{"cleaned path redirects", "GET", "/items/../items/1", "", "", 307, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := serve(t, mux, tt.method, tt.path, tt.contentType, tt.body)
			assert.Equal(t, tt.wantStatus, d.StatusCode)
			if tt.wantBody != "" || tt.wantStatus != 307 {
				assert.Equal(t, tt.wantBody, d.body(t))
			}
		})
	}
}

func TestServeBadPath(t *testing.T) {
	called := false
	h := handlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	d := serve(t, h, "GET", "/a%zz", "", "")
	assert.False(t, called)
	assert.Equal(t, 400, d.StatusCode)
	assert.Contains(t, d.Body, `malformed path "/a%zz"`)
}

func TestServeInvalidEvent(t *testing.T) {
	out, err := Serve(context.Background(), http.NotFoundHandler(), []byte(`{"name":"ana"}`))
	assert.Nil(t, out)
	var ge *guest.Error
	require.True(t, errors.As(err, &ge))
	assert.Equal(t, "InvalidEvent", ge.Type)
}

func TestServeNilContext(t *testing.T) {
	h := handlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.NotNil(t, r.Context())
	})
	//lint:ignore SA1012 Serve documents what a nil context means
	_, err := Serve(nil, h, []byte(`{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET"}}}`))
	require.NoError(t, err)
}

// flushes records what reaches the invocation's response and where the
// handler flushed.
type flushes struct {
	all    []byte
	chunks []string // what each Flush sent
	since  int
}

func (f *flushes) Write(p []byte) (int, error) { f.all = append(f.all, p...); return len(p), nil }
func (f *flushes) Flush() error {
	f.chunks = append(f.chunks, string(f.all[f.since:]))
	f.since = len(f.all)
	return nil
}

func TestServeStreams(t *testing.T) {
	event := func(method string) []byte {
		b, err := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/",
			"requestContext": map[string]any{"http": map[string]string{"method": method}}})
		require.NoError(t, err)
		return b
	}
	const delim = "\x00\x00\x00\x00\x00\x00\x00\x00"
	tests := []struct {
		name   string
		method string
		h      http.Handler
		chunks []string
		all    string
	}{
		{"no flush: a structured response", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "ab")
		}), nil, `{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"ab","isBase64Encoded":false}`},
		{"flushes send the prelude, then each piece", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			http.SetCookie(w, &http.Cookie{Name: "id", Value: "1"})
			io.WriteString(w, "data: 1\n\n")
			require.NoError(t, http.NewResponseController(w).Flush())
			w.Header().Set("X-Late", "not sent")
			io.WriteString(w, "data: 2\n\n")
			require.NoError(t, http.NewResponseController(w).Flush())
			io.WriteString(w, "data: 3\n\n")
		}), []string{`{"statusCode":200,"headers":{"Content-Type":"text/event-stream"},"cookies":["id=1"]}` + delim + "data: 1\n\n", "data: 2\n\n"},
			`{"statusCode":200,"headers":{"Content-Type":"text/event-stream"},"cookies":["id=1"]}` + delim + "data: 1\n\ndata: 2\n\ndata: 3\n\n"},
		{"the status is the one written", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			require.NoError(t, http.NewResponseController(w).Flush())
		}), []string{`{"statusCode":202}` + delim}, `{"statusCode":202}` + delim},
		{"the type is detected from the body so far", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "<html>")
			require.NoError(t, http.NewResponseController(w).Flush())
		}), []string{`{"statusCode":200,"headers":{"Content-Type":"text/html; charset=utf-8"}}` + delim + "<html>"},
			`{"statusCode":200,"headers":{"Content-Type":"text/html; charset=utf-8"}}` + delim + "<html>"},
		{"HEAD streams no body", "HEAD", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "a")
			require.NoError(t, http.NewResponseController(w).Flush())
			io.WriteString(w, "b")
		}), []string{`{"statusCode":200,"headers":{"Content-Type":"text/plain"}}` + delim}, `{"statusCode":200,"headers":{"Content-Type":"text/plain"}}` + delim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f flushes
			require.NoError(t, serveTo(context.Background(), tt.h, event(tt.method), &f))
			assert.Equal(t, tt.chunks, f.chunks)
			assert.Equal(t, tt.all, string(f.all))
			got, err := Serve(context.Background(), tt.h, event(tt.method))
			require.NoError(t, err)
			assert.Equal(t, tt.all, string(got), "Serve returns the same bytes")
		})
	}
}

// failing is an output whose caller has gone away after the first flush.
type failing struct{ flushes }

func (f *failing) Flush() error {
	_ = f.flushes.Flush()
	return guest.ErrUnavailable
}

func TestServeStreamCallerGone(t *testing.T) {
	var writeErr error
	h := handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "a")
		http.NewResponseController(w).Flush()
		_, writeErr = io.WriteString(w, "b")
	})
	ev, err := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/", "requestContext": map[string]any{"http": map[string]string{"method": "GET"}}})
	require.NoError(t, err)
	var f failing
	require.NoError(t, serveTo(context.Background(), h, ev, &f), "a caller gone is not the function's failure")
	assert.ErrorIs(t, writeErr, guest.ErrUnavailable, "but writes after it went away fail")
}
