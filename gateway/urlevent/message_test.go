package urlevent

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flintfaas/flint/abi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendMessage(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"get", Request{Method: "GET", RawPath: "/items/a%2Fb", RawQuery: "x=1&y", Host: "h:8080", SourceIP: "203.0.113.7",
			Headers: []Header{{"User-Agent", "curl"}, {"X-Tag", "1"}, {"X-Tag", "2"}, {"Cookie", "a=1"}}},
			"GET /items/a%2Fb?x=1&y HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: curl\r\nX-Tag: 1\r\nX-Tag: 2\r\nCookie: a=1\r\nFlint-Source-Ip: 203.0.113.7\r\n\r\n"},
		{"post with a body: framing is the host's", Request{Method: "POST", RawPath: "/", Protocol: "HTTP/1.0",
			Headers: []Header{{"Host", "given"}, {"Content-Length", "99"}, {"Transfer-Encoding", "chunked"}, {"flint-source-ip", "10.0.0.1"}},
			Body:    []byte("\x00\xff")},
			"POST / HTTP/1.0\r\nHost: given\r\nContent-Length: 2\r\n\r\n\x00\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendMessage(nil, tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}

	refused := []struct {
		name  string
		req   Request
		field string
	}{
		{"method", Request{Method: "GE T", RawPath: "/"}, "Method"},
		{"relative path", Request{Method: "GET", RawPath: "x"}, "RawPath"},
		{"space in the path", Request{Method: "GET", RawPath: "/a b"}, "RawPath"},
		{"CR in the query", Request{Method: "GET", RawPath: "/", RawQuery: "a\r\nX: 1"}, "RawPath"},
		{"header name", Request{Method: "GET", RawPath: "/", Headers: []Header{{"X A", "1"}}}, "Headers"},
		{"header injection", Request{Method: "GET", RawPath: "/", Headers: []Header{{"X-A", "1\r\nX-B: 2"}}}, "Headers"},
		{"host injection", Request{Method: "GET", RawPath: "/", Host: "h\r\nX-B: 2"}, "Host"},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			_, err := AppendMessage(nil, tt.req)
			var re *RequestError
			require.ErrorAs(t, err, &re)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.Equal(t, tt.field, re.Field)
		})
	}
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want Response
	}{
		{"whole", "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-A: 1\r\nX-A:2 \r\nSet-Cookie: a=1\r\nset-cookie: b=2; Path=/\r\nContent-Length: 2\r\n\r\nhi",
			Response{Status: 201, Headers: []Header{{"Content-Type", "text/plain"}, {"X-A", "1"}, {"X-A", "2"}}, Cookies: []string{"a=1", "b=2; Path=/"}, Body: []byte("hi")}},
		{"no reason phrase, no length", "HTTP/1.0 204\r\n\r\n", Response{Status: 204, Body: []byte{}}},
		{"bare LF", "HTTP/1.1 404 Not Found\nX-A: 1\n\nbody\r\n", Response{Status: 404, Headers: []Header{{"X-A", "1"}}, Body: []byte("body\r\n")}},
		{"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", Response{Status: 200, Body: []byte("x")}},
		{"binary body", "HTTP/1.1 200 OK\r\n\r\n\x00\xff\r\n\r\n", Response{Status: 200, Body: []byte("\x00\xff\r\n\r\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessage([]byte(tt.msg))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	refused := []struct {
		name, msg, member string
	}{
		{"empty", "", "status line"},
		{"garbage", "\x00\xff garbage", "status line"},
		{"HTTP/2", "HTTP/2 200 OK\r\n\r\n", "status line"},
		{"lower case", "http/1.1 200 OK\r\n\r\n", "status line"},
		{"short status", "HTTP/1.1 20 OK\r\n\r\n", "status line"},
		{"long status", "HTTP/1.1 2000 OK\r\n\r\n", "status line"},
		{"1xx", "HTTP/1.1 100 Continue\r\n\r\n", "status line"},
		{"600", "HTTP/1.1 600 X\r\n\r\n", "status line"},
		{"control character in the reason", "HTTP/1.1 200 O\x00K\r\n\r\n", "status line"},
		{"no blank line", "HTTP/1.1 200 OK\r\nX-A: 1", "header"},
		{"no colon", "HTTP/1.1 200 OK\r\nX-A 1\r\n\r\n", "header"},
		{"empty name", "HTTP/1.1 200 OK\r\n: 1\r\n\r\n", "header"},
		{"space before the colon", "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", "header"},
		{"folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\t2\r\n\r\n", "header"},
		{"bare CR in a value", "HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n", `"X-A"`},
		{"NUL in a value", "HTTP/1.1 200 OK\r\nX-A: 1\x00\r\n\r\n", `"X-A"`},
		{"length and body differ", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhello", "body"},
		{"body short of its length", "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nhello", "body"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", "Content-Length"},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", "Content-Length"},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nx", "Content-Length"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding"},
		{"head too large", "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("a", MaxMessageHeadBytes) + "\r\n\r\n", "header"},
		{"head too large without an end", "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("a", 2*MaxMessageHeadBytes), "header"},
		{"too many fields", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: 1\r\n", MaxMessageHeaders+1) + "\r\n", "header"},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			_, err := ParseMessage([]byte(tt.msg))
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.ErrorIs(t, err, ErrInvalidResponse)
			assert.Equal(t, tt.member, re.Member, "%v", err)
		})
	}
}

// Whatever a request holds, AppendMessage refuses it with a *RequestError
// or writes a message that net/http's own parser reads back as the same
// request.
func FuzzAppendMessage(f *testing.F) {
	f.Add("GET", "/items/a%2Fb", "a=1&a=2", "X-Name", "v1", "host:8080", "203.0.113.7", []byte(nil))
	f.Add("POST", "/", "", "Content-Length", "7", "", "::1", []byte("\x00\xff\r\n\r\n"))
	f.Add("PUT", "/\xff", "q=\r\n", "X\r\n", "\x00", "h\nx", "", []byte("x"))
	f.Fuzz(func(t *testing.T, method, rawPath, rawQuery, name, value, host, sourceIP string, body []byte) {
		r := Request{Method: method, RawPath: rawPath, RawQuery: rawQuery, Host: host, SourceIP: sourceIP,
			Headers: []Header{{name, value}, {"Accept", "*/*"}}, Body: body}
		msg, err := AppendMessage(nil, r)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %T %v is not a *RequestError", err, err)
			}
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
		if err != nil {
			// net/http refuses more than a server must (a Host that is
			// not a host name, say); the message is still one message.
			if strings.Contains(err.Error(), "malformed") || strings.Contains(err.Error(), "invalid") {
				return
			}
			t.Fatalf("net/http cannot read %q: %v", msg, err)
		}
		got, err := io.ReadAll(req.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body %q (%v), want %q", got, err, body)
		}
		if req.Method != method {
			t.Fatalf("method %q, want %q", req.Method, method)
		}
		if want := rawPath + map[bool]string{true: "?" + rawQuery}[rawQuery != ""]; req.RequestURI != want {
			t.Fatalf("request URI %q, want %q", req.RequestURI, want)
		}
		if v := req.Header.Values(abi.SourceIPHeader); len(v) > 1 || (len(v) == 1 && v[0] != sourceIP) {
			t.Fatalf("%s %q, want %q", abi.SourceIPHeader, v, sourceIP)
		}
	})
}

// Whatever a function answers, ParseMessage refuses it with a
// *ResponseError or returns a response the gateway can send: a final
// status, header fields that are valid HTTP, and a body that is the end
// of the message.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\n\r\nhi"))
	f.Add([]byte("HTTP/1.0 404\n\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := ParseMessage(msg)
		if err != nil {
			var re *ResponseError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("error %T %v is not a *ResponseError", err, err)
			}
			return
		}
		if r.Status < 200 || r.Status > 599 {
			t.Fatalf("status %d", r.Status)
		}
		for _, h := range r.Headers {
			if !validToken(h.Name) || !validValue(h.Value) {
				t.Fatalf("header %q: %q", h.Name, h.Value)
			}
			for _, framing := range []string{"content-length", "transfer-encoding", "set-cookie"} {
				if strings.EqualFold(h.Name, framing) {
					t.Fatalf("header %q among the headers", h.Name)
				}
			}
		}
		for _, c := range r.Cookies {
			if !validValue(c) {
				t.Fatalf("cookie %q", c)
			}
		}
		if !bytes.HasSuffix(msg, r.Body) {
			t.Fatalf("body %q is not the end of the message", r.Body)
		}
	})
}
