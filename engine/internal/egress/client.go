package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Client sends outbound HTTP requests on behalf of guests. It is safe for
// concurrent use, and meant to be shared by every function of an engine:
// what differs between functions is passed to each Do in Options.
type Client struct {
	cfg   Config
	guard *guard
	// public dials public addresses only; private dials non-public ones
	// too, and carries only requests whose host PrivateOK approved. Two
	// transports, so that two connection pools: see doc.go.
	public, private *http.Transport
	closed          atomic.Bool
	// invalid is why the Config was refused; every Do returns it.
	invalid error
}

// Options are one Do's decisions, made by the caller for the function on
// whose behalf the request is sent.
type Options struct {
	// Allow approves each URL the request is sent to: the first and every
	// redirect's, before any connection is made for it. A non-nil error
	// refuses the URL; Do returns it wrapped. Nil: every URL is allowed
	// (the address checks still apply).
	Allow func(*url.URL) error
	// PrivateOK reports whether host may resolve to a non-public address
	// (loopback, private, link-local, ...). host is the URL's host name or
	// address literal without brackets or port (url.URL.Hostname), as
	// written. Ranges in Config.Blocked stay refused whatever it says.
	// Nil: never.
	PrivateOK func(host string) bool
}

// New returns a Client for cfg. A Config that Validate refuses gives a
// Client that fails closed: every Do returns the ErrInvalidConfig error,
// since silently dropping a Blocked range would open what it blocks.
// Call cfg.Validate first to report the mistake at startup instead.
func New(cfg Config) *Client {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return &Client{invalid: err}
	}
	c := &Client{cfg: cfg, guard: newGuard(cfg)}
	c.public = c.transport(false)
	c.private = c.transport(true)
	return c
}

// transport returns an http.Transport whose every connection is dialed by
// the guard.
func (c *Client) transport(private bool) *http.Transport {
	return &http.Transport{
		Proxy:       nil, // never from the environment: the guard must see the real destination
		DialContext: c.guard.dialer(private),
		TLSClientConfig: &tls.Config{
			RootCAs:    c.cfg.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
		TLSHandshakeTimeout: c.cfg.TLSHandshakeTimeout,
		// The guest gets the bytes the server sent, and the size limit
		// counts them, not what they would inflate to.
		DisableCompression:     true,
		MaxResponseHeaderBytes: c.cfg.MaxHeaderBytes,
		ForceAttemptHTTP2:      true,
		IdleConnTimeout:        c.cfg.IdleConnTimeout,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		ExpectContinueTimeout:  time.Second,
	}
}

// Close closes the Client's idle connections. Requests in progress finish;
// later calls to Do fail with ErrClosed. Calling it again does nothing.
func (c *Client) Close(context.Context) error {
	if c.closed.CompareAndSwap(false, true) && c.invalid == nil {
		c.public.CloseIdleConnections()
		c.private.CloseIdleConnections()
	}
	return nil
}

// Hop-by-hop request headers: they describe the guest's connection to the
// host, which does not exist, and "Connection: upgrade" would make the
// Transport hand back a raw connection.
var hopHeaders = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Upgrade", "Transfer-Encoding", "Trailer", "Host"}

// Credentials not sent to another host than the one they were given for.
var credentialHeaders = [...]string{"Authorization", "Proxy-Authorization", "Www-Authenticate", "Cookie", "Cookie2"}

// Headers describing a body, dropped with it when a redirect turns the
// request into a GET.
var bodyHeaders = [...]string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language"}

// Do sends req and returns its response, following redirects.
//
// Each URL the request goes to (the first and every redirect's) must be an
// absolute http or https URL (else ErrInvalidRequest) and be approved by
// opts.Allow before it is connected to; each connection is made only to
// addresses checked as described in the package documentation (else
// ErrBlockedAddress). At most Config.MaxRedirects redirects are followed
// (then ErrTooManyRedirects).
//
// The response's body is read in full before Do returns: resp.Body reads
// those bytes, resp.ContentLength is their count and Transfer-Encoding and
// trailers are cleared, so resp.Write serializes it. A body over
// Config.MaxResponseBytes fails with ErrResponseTooLarge. The whole call is
// bounded by ctx and by Config.Timeout; when it runs out the error matches
// ctx's error (context.DeadlineExceeded). Network failures are returned
// wrapped, so net.Error and *net.DNSError match with errors.As.
//
// req's body is read and closed; nothing else of req is modified, and
// req.Context is not used: ctx is. Hop-by-hop headers (Connection, Upgrade,
// Transfer-Encoding, ...) are not sent: the body is sent with a
// Content-Length. req.Host must be empty or equal to req.URL.Host, so that
// the server named by the URL (the one Allow approved) is the one asked
// for.
func (c *Client) Do(ctx context.Context, req *http.Request, opts Options) (*http.Response, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.invalid != nil {
		return nil, c.invalid
	}
	if req == nil || req.URL == nil {
		return nil, fmt.Errorf("%w: no request or no URL", ErrInvalidRequest)
	}
	if req.Host != "" && req.Host != req.URL.Host {
		return nil, fmt.Errorf("%w: Host %q differs from the URL's host %q; put the host in the URL", ErrInvalidRequest, req.Host, req.URL.Host)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !validMethod(method) {
		return nil, fmt.Errorf("%w: method %q", ErrInvalidRequest, method)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("egress: reading the request body: %w", err)
		}
	}
	header := req.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for _, h := range hopHeaders {
		header.Del(h)
	}
	u := cloneURL(req.URL)

	for redirects := 0; ; redirects++ {
		if err := checkURL(u); err != nil {
			return nil, err
		}
		if opts.Allow != nil {
			if err := opts.Allow(cloneURL(u)); err != nil {
				return nil, fmt.Errorf("egress: %s refused: %w", u.Redacted(), err)
			}
		}
		t := c.public
		if opts.PrivateOK != nil && opts.PrivateOK(u.Hostname()) {
			t = c.private
		}
		resp, err := t.RoundTrip(newHop(ctx, method, u, header, body))
		if err != nil {
			return nil, failed(ctx, method, u, err)
		}
		next, ok := redirectTarget(resp)
		if !ok || c.cfg.MaxRedirects < 0 {
			if err := c.readBody(ctx, resp, method, u); err != nil {
				return nil, err
			}
			return resp, nil
		}
		// A redirect's body is not wanted: read a little so a small one
		// leaves the connection reusable, and close.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
		if redirects >= c.cfg.MaxRedirects {
			return nil, fmt.Errorf("%w: %s %s: still redirected after %d redirects", ErrTooManyRedirects, method, u.Redacted(), redirects)
		}
		to, err := u.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s redirected to %q: %w", ErrInvalidRequest, method, u.Redacted(), next, err)
		}
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			// As net/http: 301, 302 and 303 turn anything but HEAD into a
			// GET without a body.
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
			for _, h := range bodyHeaders {
				header.Del(h)
			}
		}
		if !sameOrigin(u, to) {
			for _, h := range credentialHeaders {
				header.Del(h)
			}
		}
		u = to
	}
}

// readBody replaces resp.Body with its content read into memory, at most
// MaxResponseBytes of it.
func (c *Client) readBody(ctx context.Context, resp *http.Response, method string, u *url.URL) error {
	limit := c.cfg.MaxResponseBytes
	if resp.ContentLength > limit {
		resp.Body.Close()
		return fmt.Errorf("%w: %s %s: Content-Length %d is over the limit of %d bytes", ErrResponseTooLarge, method, u.Redacted(), resp.ContentLength, limit)
	}
	// One byte more than allowed tells a body at the limit from one over it.
	b, err := io.ReadAll(io.LimitReader(resp.Body, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		resp.Body.Close()
		return failed(ctx, method, u, err)
	}
	if int64(len(b)) > limit {
		// Closing a body that was not read to its end closes the
		// connection instead of returning it to the pool.
		resp.Body.Close()
		return fmt.Errorf("%w: %s %s: the body is over the limit of %d bytes", ErrResponseTooLarge, method, u.Redacted(), limit)
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	// A response to HEAD keeps the length the server announced for the
	// body it did not send.
	if method != http.MethodHead {
		resp.ContentLength = int64(len(b))
	}
	resp.TransferEncoding = nil
	resp.Trailer = nil
	resp.Uncompressed = false
	return nil
}

// failed wraps a network error, making sure it matches ctx's error when ctx
// is what ended the request.
func failed(ctx context.Context, method string, u *url.URL, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("egress: %s %s: %w: %w", method, u.Redacted(), ctxErr, err)
	}
	return fmt.Errorf("egress: %s %s: %w", method, u.Redacted(), err)
}

// newHop returns the request for one hop. Each hop gets its own request
// and header map: the Transport may still hold the previous one.
func newHop(ctx context.Context, method string, u *url.URL, header http.Header, body []byte) *http.Request {
	r := &http.Request{
		Method:     method,
		URL:        cloneURL(u),
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header.Clone(),
		Host:       u.Host,
	}
	if len(body) > 0 {
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.Body, _ = r.GetBody()
	}
	return r.WithContext(ctx)
}

// redirectTarget returns the Location of a redirect response that should
// be followed.
func redirectTarget(resp *http.Response) (string, bool) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc := resp.Header.Get("Location")
		// Without a Location there is nowhere to go: the response is the
		// answer, as net/http's Client has it.
		return loc, loc != ""
	}
	return "", false
}

// checkURL returns an ErrInvalidRequest error unless u is an absolute http
// or https URL whose host is an address literal or a plain host name.
func checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: %s: only http and https URLs", ErrInvalidRequest, u.Redacted())
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("%w: %s: not an absolute URL with a host", ErrInvalidRequest, u.Redacted())
	}
	if port := u.Port(); port != "" {
		if _, err := parsePort(port); err != nil {
			return err
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%w: %s: empty port", ErrInvalidRequest, u.Redacted())
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	return checkHostName(host)
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// the condition for credentials to follow a redirect. Stricter than
// net/http (which also allows subdomains), on purpose: a guest's
// credentials go only where its request went.
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host)
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return m != ""
}

func cloneURL(u *url.URL) *url.URL {
	v := *u
	return &v
}
