package httpguest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveMsg runs h on msg through ServeMessage and reads the response
// message with net/http's own parser.
func serveMsg(t *testing.T, h http.Handler, msg string) (*http.Response, []byte) {
	t.Helper()
	out, err := ServeMessage(context.Background(), h, []byte(msg))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	require.NoError(t, err, "%q", out)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestServeMessageRequest(t *testing.T) {
	var got *http.Request
	var body []byte
	h := handlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	})
	msg := "POST /items/a%2Fb?x=1&x=2 HTTP/1.1\r\nHost: example.com:8080\r\nx-tag: 1\r\nX-Tag: 2\r\nCookie: a=1; b=2\r\n" +
		"Flint-Source-Ip: 203.0.113.7\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\n\x00\xff\n"
	resp, _ := serveMsg(t, h, msg)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/items/a/b", got.URL.Path)
	assert.Equal(t, "/items/a%2Fb", got.URL.RawPath)
	assert.Equal(t, "x=1&x=2", got.URL.RawQuery)
	assert.Equal(t, "/items/a%2Fb?x=1&x=2", got.RequestURI)
	assert.Equal(t, "example.com:8080", got.Host)
	assert.Equal(t, "203.0.113.7:0", got.RemoteAddr)
	assert.Equal(t, "HTTP/1.1", got.Proto)
	assert.Equal(t, int64(3), got.ContentLength)
	assert.Equal(t, "\x00\xff\n", string(body))
	assert.Equal(t, []string{"1", "2"}, got.Header["X-Tag"])
	assert.Equal(t, []string{"3"}, got.Header["Content-Length"])
	assert.NotContains(t, got.Header, "Host")
	assert.NotContains(t, got.Header, "Flint-Source-Ip")
	c, err := got.Cookie("b")
	require.NoError(t, err)
	assert.Equal(t, "2", c.Value)
	_, ok := got.Context().Deadline()
	assert.False(t, ok, "ServeMessage's context is the one given")

	resp, _ = serveMsg(t, h, "GET / HTTP/1.0\nHost: h\n\n")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "HTTP/1.0", got.Proto)
	assert.Equal(t, http.NoBody, got.Body)
	assert.Empty(t, got.RemoteAddr)
}

func TestServeMessageRefused(t *testing.T) {
	h := handlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("the handler ran") })
	tests := []struct{ name, msg string }{
		{"empty", ""},
		{"no request line end", "GET / HTTP/1.1"},
		{"no protocol", "GET /\r\n\r\n"},
		{"bad method", "G@T / HTTP/1.1\r\n\r\n"},
		{"bad protocol", "GET / HTTP/x\r\n\r\n"},
		{"no blank line", "GET / HTTP/1.1\r\nHost: h\r\n"},
		{"bad header line", "GET / HTTP/1.1\r\nHost h\r\n\r\n"},
		{"bad length", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"},
		{"body without a length", "GET / HTTP/1.1\r\n\r\nbody"},
		{"body longer than its length", "GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\nbody"},
		{"body shorter than its length", "GET / HTTP/1.1\r\nContent-Length: 9\r\n\r\nbody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ServeMessage(context.Background(), h, []byte(tt.msg))
			var ge *guest.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, "InvalidRequest", ge.Type)
		})
	}
	for _, target := range []string{"*", "http://h/x", "/a%zz", "/a#b"} {
		t.Run("400 for "+target, func(t *testing.T) {
			resp, body := serveMsg(t, h, "GET "+target+" HTTP/1.1\r\nHost: h\r\n\r\n")
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, string(body), "400 Bad Request: malformed path")
		})
	}
}

// The response a handler writes reads the same from the message as from
// the structured response of the event path: status, headers (a name's
// values joined), cookies, body.
func TestServeMessageMatchesServe(t *testing.T) {
	tests := []struct {
		name   string
		method string
		h      http.Handler
	}{
		{"nothing written", "GET", handlerFunc(func(http.ResponseWriter, *http.Request) {})},
		{"text, sniffed", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") })},
		{"binary", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n\x1a\n\x00"))
		})},
		{"status, headers and cookies", "POST", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("Vary", "Accept")
			w.Header().Add("Vary", "Cookie")
			http.SetCookie(w, &http.Cookie{Name: "id", Value: "7", Path: "/", HttpOnly: true})
			http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark"})
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":7}`)
		})},
		{"1xx ignored", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusTeapot)
		})},
		{"headers after WriteHeader", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(http.StatusAccepted)
			w.Header().Set("X-After", "1")
		})},
		{"HEAD", "HEAD", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "hello")
		})},
		{"204", "DELETE", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			io.WriteString(w, "x")
		})},
		{"hostile headers", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Bad Name"] = []string{"x"}
			w.Header().Set("X-Injected", "a\r\nSet-Cookie: evil=1")
			w.Header().Set("X-Nul", "a\x00b\x7fc\td")
			w.Header()["Set-Cookie"] = []string{"a=1\r\nX: y"}
		})},
		{"framing set by the handler", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "99")
			w.Header().Set("Transfer-Encoding", "chunked")
			w.Header().Set("Connection", "close")
			io.WriteString(w, "short")
		})},
		{"http.Error", "GET", handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "nope", http.StatusForbidden)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := serve(t, tt.h, tt.method, "/", "", "")
			resp, body := serveMsg(t, tt.h, tt.method+" / HTTP/1.1\r\nHost: h\r\n\r\n")
			assert.Equal(t, ev.StatusCode, resp.StatusCode)
			assert.Equal(t, ev.body(t), string(body))
			assert.Equal(t, ev.Cookies, resp.Header.Values("Set-Cookie"))
			headers := map[string]string{}
			for name, values := range resp.Header {
				switch name {
				case "Set-Cookie", "Content-Length":
				default:
					headers[name] = strings.Join(values, ", ")
				}
			}
			want := map[string]string{}
			for name, v := range ev.Headers {
				switch name {
				case "Content-Length", "Transfer-Encoding", "Connection":
					// the gateway drops them from a structured response
				default:
					want[name] = v
				}
			}
			assert.Equal(t, want, headers)
			assert.Equal(t, int64(len(body)), resp.ContentLength)
		})
	}
}

// A Flush changes nothing on the message path: the response is whole.
func TestServeMessageFlush(t *testing.T) {
	h := handlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Late", "1")
		io.WriteString(w, "b")
	})
	resp, body := serveMsg(t, h, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ab", string(body))
	assert.Empty(t, resp.Header.Get("X-Late"), "headers changed after the status are not sent")
}

// Whatever the message holds, ServeMessage returns an InvalidRequest error
// or a response message that net/http reads, and never panics.
func FuzzServeMessage(f *testing.F) {
	f.Add([]byte("GET /a?b=1 HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nFlint-Source-Ip: ::1\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.0\nContent-Length: 2\n\n\x00\xff"))
	f.Add([]byte("GET /a%zz HTTP/1.1\r\nX\r\n: y\r\n\r\n"))
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, values := range r.Header {
			w.Header()[name] = values
		}
		for _, c := range r.Cookies() {
			http.SetCookie(w, c)
		}
		io.Copy(w, r.Body)
	})
	f.Fuzz(func(t *testing.T, msg []byte) {
		out, err := ServeMessage(context.Background(), echo, msg)
		if err != nil {
			var ge *guest.Error
			if !errors.As(err, &ge) || ge.Type != "InvalidRequest" {
				t.Fatalf("error %T %v is not an InvalidRequest", err, err)
			}
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil {
			t.Fatalf("response %q does not read: %v", out, err)
		}
		if resp.StatusCode != 200 && resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || int64(len(body)) != resp.ContentLength {
			t.Fatalf("body %q (%v), Content-Length %d", body, err, resp.ContentLength)
		}
	})
}
