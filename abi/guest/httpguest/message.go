package httpguest

import (
	"bytes"
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// ServeMessage runs h on the request that msg, an HTTP/1.1 request message
// as the host sends it to flint_http_handle, describes, and returns the
// HTTP/1.1 response message for what h wrote. ctx is the request's context
// (nil: context.Background()). The error is a *guest.Error of type
// "InvalidRequest" when msg is not such a message; a request target that
// is not a path is answered 400 without calling h, as on the event path.
// A Flush by h changes nothing: the message is whole when h returns.
//
// ServeMessage is what the flint_http_handle export runs; it runs on any
// platform, so a handler can be tested with messages without a host.
func ServeMessage(ctx context.Context, h http.Handler, msg []byte) ([]byte, error) {
	var buf buffer
	if err := serveMessageTo(ctx, h, msg, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func serveMessageTo(ctx context.Context, h http.Handler, msg []byte, out output) error {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := readMessage(ctx, msg)
	if err != nil {
		if bad, ok := badPath(err); ok {
			w := newMessageRecorder(bad.method, out)
			http.Error(w, "400 Bad Request: "+bad.Error(), http.StatusBadRequest)
			return w.finish()
		}
		return err
	}
	w := newMessageRecorder(req.Method, out)
	h.ServeHTTP(w, req)
	return w.finish()
}

// invalidMessage is the handled error for bytes that are not a request
// message.
func invalidMessage(reason string) error {
	return &guest.Error{Type: "InvalidRequest", Message: "httpguest: not an HTTP/1.1 request message: " + reason}
}

// readMessage makes the request msg describes, with ctx as its context.
// The host writes the message (abi/SPEC.md), so the parser is strict and
// small: the request line, header fields (CRLF or LF), a blank line, then
// exactly Content-Length bytes of body (none without one).
func readMessage(ctx context.Context, msg []byte) (*http.Request, error) {
	// The head as one string: the request line, names and values are
	// substrings of it, with no allocation each.
	end := bytes.Index(msg, []byte("\n\r\n"))
	if alt := bytes.Index(msg, []byte("\n\n")); alt >= 0 && (end < 0 || alt < end) {
		end = alt
	} else if end >= 0 {
		end++ // the CR of the blank line stays in the head
	}
	if end < 0 {
		return nil, invalidMessage("no blank line ends the header")
	}
	head, body := string(msg[:end+1]), msg[end+2:]
	if msg[end+1] == '\r' {
		body = msg[end+3:]
	}

	line, rest := cutLine(head)
	method, line, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(line, " ")
	if !ok1 || !ok2 || !validToken(method) {
		return nil, invalidMessage("request line " + strconv.Quote(cutText(line)))
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return nil, invalidMessage("protocol " + strconv.Quote(cutText(proto)))
	}

	// One backing array for every value, as net/textproto does.
	values := make([]string, strings.Count(rest, "\n"))
	header := make(http.Header, len(values))
	var hostName, remote string
	length := -1
	for rest != "" {
		line, rest = cutLine(rest)
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validToken(name) {
			return nil, invalidMessage("header line " + strconv.Quote(cutText(line)))
		}
		value = strings.Trim(value, " \t")
		switch key := textproto.CanonicalMIMEHeaderKey(name); key {
		case "Host":
			if hostName == "" {
				hostName = value
			}
		case host.SourceIPHeader:
			remote = remoteAddr(value)
		default:
			if key == "Content-Length" {
				n, err := strconv.Atoi(value)
				if err != nil || n < 0 {
					return nil, invalidMessage("Content-Length " + strconv.Quote(cutText(value)))
				}
				length = n
			}
			if vs := header[key]; vs != nil {
				header[key] = append(vs, value)
			} else {
				values[0] = value
				header[key], values = values[:1:1], values[1:]
			}
		}
	}
	switch {
	case length < 0 && len(body) > 0:
		return nil, invalidMessage("a body without Content-Length")
	case length >= 0 && length != len(body):
		return nil, invalidMessage("Content-Length is " + strconv.Itoa(length) + " but the body is " + strconv.Itoa(len(body)) + " bytes")
	}

	u, err := url.ParseRequestURI(target)
	path, _, _ := strings.Cut(target, "?")
	if err != nil || !strings.HasPrefix(target, "/") || strings.Contains(target, "#") {
		return nil, &badPathError{method: method, path: path}
	}
	req := (&http.Request{
		Method:        method,
		URL:           u,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        header,
		Body:          http.NoBody,
		ContentLength: int64(len(body)),
		Host:          hostName,
		RemoteAddr:    remote,
		RequestURI:    target,
	}).WithContext(ctx)
	if len(body) > 0 {
		req.Body = newMessageBody(body)
	}
	return req, nil
}

// messageBody is a request's body: one allocation where io.NopCloser over
// a bytes.Reader takes two.
type messageBody struct{ bytes.Reader }

func newMessageBody(b []byte) *messageBody {
	r := new(messageBody)
	r.Reset(b)
	return r
}

// Close does nothing: the body is in memory.
func (*messageBody) Close() error { return nil }

// cutLine returns the line at the start of s without its end (CRLF or
// LF), and what follows it (all of s, and no rest, when s has no line end).
func cutLine(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r"), rest
}

// cutText shortens s for a message.
func cutText(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// appendHead appends the response's status line and header fields to b:
// every value as a field of its own, names that are not tokens dropped,
// control characters in values made spaces, framing fields left for
// writeMessage.
func (w *recorder) appendHead(b []byte) []byte {
	var stack [16]string
	names := stack[:0]
	for name, values := range w.header {
		if len(values) == 0 || !validToken(name) {
			continue
		}
		switch http.CanonicalHeaderKey(name) {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue // framing is the message's
		}
		names = append(names, name)
	}
	slices.Sort(names)
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(w.status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(w.status)...)
	b = append(b, "\r\n"...)
	for _, name := range names {
		for _, v := range w.header[name] {
			b = appendField(b, name, cleanValue(v))
		}
	}
	return b
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// writeMessage ends the head WriteHeader wrote (a Content-Type sniffed
// from the body when the handler set none, the body's Content-Length, the
// blank line) and writes the message: the head, then the body.
func (w *recorder) writeMessage(body []byte) error {
	b := w.msgHead
	if !w.typed && len(body) > 0 {
		b = appendField(b, "Content-Type", http.DetectContentType(body))
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	if _, err := w.out.Write(b); err != nil || len(body) == 0 {
		return err
	}
	_, err := w.out.Write(body)
	return err
}
