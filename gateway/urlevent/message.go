package urlevent

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/internal/ascii"
)

// Limits of a function's HTTP/1.1 response message (ParseMessage).
const (
	// MaxMessageHeadBytes bounds a response message's status line and
	// header fields together, as a server bounds a request's (net/http's
	// default is 1 MiB; a function's headers are its own, and smaller).
	MaxMessageHeadBytes = 64 << 10
	// MaxMessageHeaders bounds how many header fields a response message
	// has.
	MaxMessageHeaders = 256
)

// AppendMessage appends the HTTP/1.1 request message for r to dst, as a
// function that takes messages receives it (abi/SPEC.md, "HTTP requests as
// messages"): the request line with the path and query as received, a
// Host header (r.Host when Headers has none), every header field of
// Headers in order but framing (Content-Length, Transfer-Encoding) and the
// client's own Flint-Source-Ip, Flint-Source-Ip with r.SourceIP, a
// Content-Length when there is a body, and the body. The fields of r that
// only the event has (RequestID, Time, URLID, DomainName, AccountID, IAM,
// UserAgent) are not in it. Its error, for a method that is not a token, a
// path that does not start with "/", or a header field that is not valid
// HTTP (which a server that parsed the request never hands over), is a
// *RequestError.
func AppendMessage(dst []byte, r Request) ([]byte, error) {
	if !validToken(r.Method) {
		return dst, &RequestError{Field: "Method", Reason: strconv.Quote(r.Method) + " is not an HTTP method (a token such as GET)"}
	}
	if r.RawPath == "" || r.RawPath[0] != '/' || !validTarget(r.RawPath) || !validTarget(r.RawQuery) {
		return dst, &RequestError{Field: "RawPath", Reason: strconv.Quote(r.RawPath+"?"+r.RawQuery) + ` is not a request target that starts with "/"`}
	}
	proto := "HTTP/1.1"
	if r.Protocol == "HTTP/1.0" {
		proto = r.Protocol
	}
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.RawPath...)
	if r.RawQuery != "" {
		dst = append(dst, '?')
		dst = append(dst, r.RawQuery...)
	}
	dst = append(dst, ' ')
	dst = append(dst, proto...)
	dst = append(dst, "\r\n"...)

	haveHost := false
	for _, h := range r.Headers {
		if ascii.EqualFold(h.Name, "host") {
			haveHost = true
			break
		}
	}
	if !haveHost && r.Host != "" {
		if !validValue(r.Host) {
			return dst, &RequestError{Field: "Host", Reason: strconv.Quote(r.Host) + " holds control characters"}
		}
		dst = appendField(dst, "Host", r.Host)
	}
	for _, h := range r.Headers {
		switch {
		case h.Name == "":
			continue
		case ascii.EqualFold(h.Name, "content-length"), ascii.EqualFold(h.Name, "transfer-encoding"),
			ascii.EqualFold(h.Name, abi.SourceIPHeader):
			continue
		case !validToken(h.Name):
			return dst, &RequestError{Field: "Headers", Reason: "header name " + strconv.Quote(h.Name) + " is not an HTTP token"}
		case !validValue(h.Value):
			return dst, &RequestError{Field: "Headers", Reason: "the value of " + h.Name + " holds control characters"}
		}
		dst = appendField(dst, h.Name, h.Value)
	}
	if r.SourceIP != "" && validTarget(r.SourceIP) { // an address: no spaces or controls
		dst = appendField(dst, abi.SourceIPHeader, r.SourceIP)
	}
	if len(r.Body) > 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(r.Body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, r.Body...), nil
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// validTarget reports whether s may stand in a request line: no spaces,
// no control characters, no "#".
func validTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// validValue reports whether s may be a header field's value: no control
// characters but HTAB.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ParseMessage returns the HTTP response that msg, a function's HTTP/1.1
// response message (abi/SPEC.md, "HTTP requests as messages"), describes.
// msg is a status line ("HTTP/1.1 200 OK"; the reason phrase is ignored),
// header fields, an empty line and the body; lines end in CRLF (a bare LF
// is taken too, as net/http takes it). The status is a final one, 200 to
// 599, as for a structured response. Set-Cookie fields become Cookies;
// the others are Headers, in order, a repeated name repeated (set them with
// Add: each is one field of the response). A Content-Length, when present,
// must be the body's length; without one the body is the rest of msg.
// Transfer-Encoding is refused (the message is whole: there is nothing to
// frame). The head is at most MaxMessageHeadBytes with at most
// MaxMessageHeaders fields; names are tokens and values hold no control
// characters but HTAB (no obsolete line folding). Anything else is a
// *ResponseError matching ErrInvalidResponse, which says where msg is
// wrong. Body shares msg's memory.
func ParseMessage(msg []byte) (Response, error) {
	// Find the head's end first, within the limits, then read it as one
	// string: names and values are its substrings.
	n, fields := 0, -1
	for {
		i := bytes.IndexByte(msg[n:min(len(msg), MaxMessageHeadBytes+1)], '\n')
		if i < 0 {
			switch {
			case fields < 0:
				return Response{}, messageError("status line", "there is none: a response message starts with a status line such as \"HTTP/1.1 200 OK\" and a blank line ends its header")
			case len(msg) > MaxMessageHeadBytes:
				return Response{}, messageError("header", "the head is over "+strconv.Itoa(MaxMessageHeadBytes)+" bytes")
			}
			return Response{}, messageError("header", "no blank line ends it")
		}
		blank := fields >= 0 && (i == 0 || (i == 1 && msg[n] == '\r'))
		n += i + 1
		if blank {
			break
		}
		if fields++; fields > MaxMessageHeaders {
			return Response{}, messageError("header", "more than "+strconv.Itoa(MaxMessageHeaders)+" fields")
		}
	}
	head, body := string(msg[:n]), msg[n:]

	line, rest := cutLineString(head)
	var r Response
	var err error
	if r.Status, err = parseStatusLine(line); err != nil {
		return Response{}, err
	}
	length := -1
	for {
		line, rest = cutLineString(rest)
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return Response{}, messageError("header", "a line starts with white space (obsolete line folding): "+strconv.Quote(cut(line)))
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validToken(name) {
			return Response{}, messageError("header", "not a field such as \"Content-Type: text/plain\": "+strconv.Quote(cut(line)))
		}
		value = strings.Trim(value, " \t")
		if !validValue(value) {
			return Response{}, messageError(strconv.Quote(name), "the value holds control characters")
		}
		switch {
		case ascii.EqualFold(name, "content-length"):
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || value[0] == '+' || (length >= 0 && n != length) {
				return Response{}, messageError("Content-Length", strconv.Quote(cut(value))+" is not one byte count")
			}
			length = n
		case ascii.EqualFold(name, "transfer-encoding"):
			return Response{}, messageError("Transfer-Encoding", "not allowed: the message holds the whole body; give its Content-Length or none")
		case ascii.EqualFold(name, "set-cookie"):
			r.Cookies = append(r.Cookies, value)
		default:
			if r.Headers == nil {
				r.Headers = make([]Header, 0, strings.Count(rest, "\n")+1)
			}
			r.Headers = append(r.Headers, Header{Name: name, Value: value})
		}
	}
	if length >= 0 && length != len(body) {
		return Response{}, messageError("body", "Content-Length is "+strconv.Itoa(length)+" but the body is "+strconv.Itoa(len(body))+" bytes")
	}
	r.Body = body
	return r, nil
}

// cutLineString returns the line at the start of s without its end (CRLF
// or LF) and what follows it.
func cutLineString(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r"), rest
}

func messageError(where, reason string) error {
	return &ResponseError{Member: where, Reason: "in the HTTP response message: " + reason}
}

// parseStatusLine reads "HTTP/1.x NNN[ reason]".
func parseStatusLine(line string) (int, error) {
	bad := func() (int, error) {
		return 0, messageError("status line", strconv.Quote(cut(line))+" is not such as \"HTTP/1.1 200 OK\"")
	}
	if len(line) < len("HTTP/1.1 200") || line[:7] != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' {
		return bad()
	}
	code := line[9:12]
	if len(line) > 12 && line[12] != ' ' {
		return bad()
	}
	for i := 12; i < len(line); i++ {
		if c := line[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return bad()
		}
	}
	n := 0
	for _, c := range code {
		if c < '0' || c > '9' {
			return bad()
		}
		n = n*10 + int(c-'0')
	}
	if n < 200 || n > 599 {
		return 0, messageError("status line", "status "+strconv.Itoa(n)+" is not a final status from 200 to 599")
	}
	return n, nil
}
