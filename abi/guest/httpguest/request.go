package httpguest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
)

// event is the part of a payload format 2.0 event that makes the request.
type event struct {
	Version        string            `json:"version"`
	RawPath        string            `json:"rawPath"`
	RawQueryString string            `json:"rawQueryString"`
	Cookies        []string          `json:"cookies"`
	Headers        map[string]string `json:"headers"`
	RequestContext struct {
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			Protocol string `json:"protocol"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

// badPathError is an event whose path net/http cannot parse: the request
// is answered 400, as net/http's server answers it.
type badPathError struct {
	method string
	path   string
}

func (e *badPathError) Error() string { return "malformed path " + strconv.Quote(e.path) }

// badPath reports whether err is a *badPathError, and returns it. Its
// error variable is declared only when there is an error to look at:
// errors.As makes it escape, an allocation on every request otherwise.
func badPath(err error) (*badPathError, bool) {
	if err == nil {
		return nil, false
	}
	var bad *badPathError
	ok := errors.As(err, &bad)
	return bad, ok
}

// invalidEvent is the handled error for an event that is not a function
// URL event.
func invalidEvent(reason string) error {
	return &guest.Error{Type: "InvalidEvent", Message: "httpguest: not a function URL event (payload format 2.0): " + reason}
}

// newRequest makes the request an event describes, with ctx as its
// context. Its errors are an InvalidEvent *guest.Error, or a
// *badPathError.
func newRequest(ctx context.Context, raw []byte) (*http.Request, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, invalidEvent(err.Error())
	}
	if ev.Version != "2.0" {
		return nil, invalidEvent("version is " + strconv.Quote(ev.Version) + `, not "2.0"`)
	}
	method := ev.RequestContext.HTTP.Method
	if !validToken(method) {
		return nil, invalidEvent("requestContext.http.method is " + strconv.Quote(method))
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if path == "" {
		path = "/"
	}
	requestURI := path
	if ev.RawQueryString != "" {
		requestURI += "?" + ev.RawQueryString
	}
	u, err := url.ParseRequestURI(requestURI)
	if err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
		return nil, &badPathError{method: method, path: path}
	}

	var body []byte
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, invalidEvent("isBase64Encoded is true but the body is not base64: " + err.Error())
		}
	} else {
		body = []byte(ev.Body)
	}

	header := make(http.Header, len(ev.Headers)+1)
	for name, value := range ev.Headers {
		header.Add(name, value)
	}
	if len(ev.Cookies) > 0 {
		header.Add("Cookie", strings.Join(ev.Cookies, "; "))
	}
	host := header.Get("Host")
	if host == "" {
		host = ev.RequestContext.DomainName
	}
	// As net/http's server does: the Host header is promoted to Request.Host.
	delete(header, "Host")

	proto := ev.RequestContext.HTTP.Protocol
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
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
		Host:          host,
		RemoteAddr:    remoteAddr(ev.RequestContext.HTTP.SourceIP),
		RequestURI:    requestURI,
	}).WithContext(ctx)
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return req, nil
}

// remoteAddr is ip as net/http's RemoteAddr: host and port, port 0 as the
// event has none.
func remoteAddr(ip string) string {
	if ip == "" {
		return ""
	}
	return net.JoinHostPort(ip, "0")
}

// validToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
