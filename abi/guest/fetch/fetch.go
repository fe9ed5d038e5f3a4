// Package fetch lets a function use net/http unchanged: its Transport
// sends requests through the host's http_fetch call.
//
//	resp, err := fetch.Client().Get("https://api.example.com/v1/x")
//
// Each request is checked against the function's execution policy as
// http:Fetch on the URL it is sent to, and again on every redirect the host
// follows. The host also refuses to connect to loopback, link-local (cloud
// metadata), private and other non-public addresses. A refusal is an error
// matching guest.ErrDenied (a *guest.DeniedError, inside the *url.Error
// that net/http returns).
//
// Other failures are errors matching, with errors.Is:
// guest.ErrUnavailable (DNS, connection, timeout: trying again later may
// work) and guest.ErrTooLarge (the response body exceeded the engine's
// limit). A request is bounded by the invocation's deadline.
//
// Importing this package links net/http into the function, which adds
// several megabytes to it; functions that do not import it do not pay.
package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// Client returns an *http.Client that sends its requests through the host.
//
// Redirects are the host's business: it follows them (at most 10) and
// checks each new URL against the policy before following it, so the
// client does not follow them itself (its CheckRedirect returns
// http.ErrUseLastResponse) and returns the response the host ends at. The
// client sets no Timeout because the host bounds every request by the
// invocation's deadline; set one on the returned client to give up sooner.
func Client() *http.Client {
	return &http.Client{
		Transport: &Transport{},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Transport is an http.RoundTripper over the host's http_fetch call: it
// writes the request as an HTTP/1.1 message with an absolute-URL target,
// hands it to the host, and parses the HTTP/1.1 response message the host
// returns. Its zero value is ready to use. Use it with Client, which leaves
// redirects to the host.
//
// The request body is read in full before it is sent; the response body is
// in memory when RoundTrip returns. A Host that differs from the URL's
// host and trailers cannot be expressed in that message and are refused.
// The request's context is checked before the call, which cannot be
// cancelled once it has started.
type Transport struct{}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends req through the host and returns its response.
func (*Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	msg, resource, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	raw, errno := host.Result(host.HTTPFetch(host.Bytes(msg), uint32(len(msg))))
	if errno != 0 {
		return nil, callError(errno, resource)
	}
	return decodeResponse(raw, req)
}

// callError is the error of an http_fetch of resource that failed with
// errno. When the host denied a redirect, resource is still the URL
// requested; the invocation's log names the refused one. When the
// private-address guard refused it, the pending result says why.
func callError(errno int32, resource string) error {
	if errno == host.Denied {
		e := &guest.DeniedError{Action: "http:Fetch", Resource: resource}
		if why, _ := host.Pending(); bytes.HasPrefix(why, []byte(guardPrefix)) {
			e.Guard = string(why[len(guardPrefix):])
		}
		return e
	}
	return &guest.HostError{Call: "http_fetch", Errno: errno}
}

// guardPrefix starts the pending result of a fetch the private-address
// guard refused (abi/SPEC.md, http_fetch).
const guardPrefix = "guard: "

// encodeRequest writes req as the message http_fetch takes, and returns
// it with the URL the host will check it on (built as the host builds it:
// by parsing the message's request target). It closes req's body, as a
// RoundTripper must, and does not modify req.
// plainTarget reports whether uri can stand in a request line: no
// spaces, no control characters (net/http writes a query as it is).
func plainTarget(uri string) bool {
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func encodeRequest(req *http.Request) (msg []byte, resource string, err error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		body, err = io.ReadAll(req.Body)
		if cerr := req.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, "", fmt.Errorf("fetch: read the request body: %w", err)
		}
	}
	u := req.URL
	switch {
	case u == nil:
		return nil, "", errors.New("fetch: the request has no URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, "", errors.New("fetch: unsupported protocol scheme " + strconv.Quote(u.Scheme) + ": only http and https URLs can be fetched")
	case u.Host == "":
		return nil, "", errors.New("fetch: the URL " + strconv.Quote(u.String()) + " has no host")
	case req.Host != "" && req.Host != u.Host:
		return nil, "", errors.New("fetch: Host " + strconv.Quote(req.Host) + " differs from the URL's host " + strconv.Quote(u.Host) + ": the host connects to the URL's host and sends it as Host, so put the host in the URL")
	case len(req.Trailer) > 0:
		return nil, "", errors.New("fetch: request trailers are not supported")
	case !plainTarget(u.RequestURI()):
		return nil, "", errors.New("fetch: the URL " + strconv.Quote(u.String()) + " has a space or control character in its path or query: escape it")
	}

	// A shallow copy with the body in memory: a known length gives the
	// message a Content-Length instead of chunked encoding.
	out := new(http.Request)
	*out = *req
	out.Host = ""
	out.TransferEncoding = nil
	out.Trailer = nil
	out.ContentLength = int64(len(body))
	out.Body, out.GetBody = nil, nil
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
	}
	var buf bytes.Buffer
	buf.Grow(256 + len(body))
	if err := out.WriteProxy(&buf); err != nil {
		return nil, "", fmt.Errorf("fetch: write the request: %w", err)
	}
	msg = buf.Bytes()
	target, ok := requestTarget(msg)
	if !ok {
		return nil, "", errors.New("fetch: write the request: no request line")
	}
	parsed, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, "", errors.New("fetch: the request target " + strconv.Quote(target) + " is not a valid URL: " + err.Error())
	}
	return msg, parsed.String(), nil
}

// requestTarget returns the target of msg's request line
// ("GET https://example.com/ HTTP/1.1").
func requestTarget(msg []byte) (string, bool) {
	line, _, ok := bytes.Cut(msg, []byte("\r\n"))
	if !ok {
		return "", false
	}
	_, rest, ok1 := bytes.Cut(line, []byte(" "))
	i := bytes.LastIndexByte(rest, ' ')
	if !ok1 || i < 0 {
		return "", false
	}
	return string(rest[:i]), true
}

// decodeResponse parses the HTTP/1.1 response message http_fetch returned
// for req.
func decodeResponse(raw []byte, req *http.Request) (*http.Response, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
	if err != nil {
		return nil, fmt.Errorf("fetch: the host's response is malformed: %w", err)
	}
	return resp, nil
}
