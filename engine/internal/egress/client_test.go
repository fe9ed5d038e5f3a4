package egress

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNonPublicRefusedByDefault(t *testing.T) {
	srv := okServer(t)
	lookup, lookups := dnsMap(map[string]string{
		"internal.test": "127.0.0.1",
		"mapped.test":   "::ffff:127.0.0.1",
		"meta.test":     "169.254.169.254",
		"nat64.test":    "64:ff9b::7f00:1",
	})
	c := newClient(t, Config{LookupIP: lookup})

	tests := []struct {
		name, url string
		privateOK func(string) bool
		reason    string
	}{
		{"IPv4 literal", srv.urlFor("127.0.0.1", "/"), nil, reasonLoopback},
		{"IPv6 literal", srv.urlFor("::1", "/"), nil, reasonLoopback},
		{"IPv4-mapped literal", srv.urlFor("::ffff:127.0.0.1", "/"), nil, reasonLoopback},
		{"name resolving to loopback", srv.urlFor("internal.test", "/"), nil, reasonLoopback},
		{"name resolving to a mapped address", srv.urlFor("mapped.test", "/"), nil, reasonLoopback},
		{"name resolving to metadata", srv.urlFor("meta.test", "/"), nil, reasonLinkLocal},
		{"name resolving to NAT64 of loopback", srv.urlFor("nat64.test", "/"), nil, "an address that reaches 127.0.0.1, " + reasonLoopback},
		{"metadata literal", "http://169.254.169.254/latest/meta-data/", nil, reasonLinkLocal},
		{"zoned link-local literal", "http://[fe80::1%25lo]:" + srv.port() + "/", nil, reasonLinkLocal},
		{"unspecified literal", srv.urlFor("0.0.0.0", "/"), nil, reasonUnspecified},
		{"PrivateOK false", srv.urlFor("internal.test", "/"), hosts("other.test"), reasonLoopback},
		{"PrivateOK approves another spelling", srv.urlFor("internal.test", "/"), hosts("INTERNAL.test", "127.0.0.1"), reasonLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := get(t, c, tt.url, Options{PrivateOK: tt.privateOK})
			require.Error(t, err)
			assert.Nil(t, resp)
			require.ErrorIs(t, err, ErrBlockedAddress)
			var be *BlockedError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tt.reason, be.Reason)
			assert.False(t, be.Always)
			assert.Zero(t, srv.hits.Load(), "the server must never receive the request")
		})
	}
	t.Run("localhost through the system resolver", func(t *testing.T) {
		c := newClient(t, Config{})
		_, err := get(t, c, srv.urlFor("localhost", "/"), Options{})
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			t.Skip("this machine does not resolve localhost")
		}
		require.ErrorIs(t, err, ErrBlockedAddress)
		assert.Zero(t, srv.hits.Load())
	})
	t.Run("address literals are not looked up", func(t *testing.T) {
		before := lookups.Load()
		_, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{})
		require.ErrorIs(t, err, ErrBlockedAddress)
		assert.Equal(t, before, lookups.Load())
	})
}

func TestPrivateOKReachesTheHost(t *testing.T) {
	srv := okServer(t)
	lookup, _ := dnsMap(map[string]string{"internal.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})

	for _, host := range []string{"127.0.0.1", "internal.test"} {
		t.Run(host, func(t *testing.T) {
			resp, err := get(t, c, srv.urlFor(host, "/"), Options{PrivateOK: hosts(host)})
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "ok", string(body))
		})
	}
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestBlockedRangeRefusedEvenWithPrivateOK(t *testing.T) {
	srv := okServer(t)
	lookup, _ := dnsMap(map[string]string{"gw.test": "10.9.0.1,127.0.0.1", "nat64.test": "64:ff9b::7f00:1"})
	tests := []struct {
		name, blocked, host string
	}{
		{"IPv4 range, literal", "127.0.0.0/8", "127.0.0.1"},
		{"IPv4-mapped range", "::ffff:127.0.0.0/104", "127.0.0.1"},
		{"IPv4 range, mapped literal", "127.0.0.1/32", "::ffff:127.0.0.1"},
		{"one of several addresses", "127.0.0.1/32", "gw.test"},
		{"NAT64 address of a blocked IPv4", "127.0.0.0/8", "nat64.test"},
		{"IPv6 range", "::1/128", "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Config{LookupIP: lookup, Blocked: []netip.Prefix{netip.MustParsePrefix(tt.blocked)}})
			_, err := get(t, c, srv.urlFor(tt.host, "/"), Options{PrivateOK: func(string) bool { return true }})
			require.ErrorIs(t, err, ErrBlockedAddress)
			var be *BlockedError
			require.ErrorAs(t, err, &be)
			assert.True(t, be.Always)
			assert.Contains(t, err.Error(), "blocked range")
			assert.Zero(t, srv.hits.Load())
		})
	}
}

func TestRedirectRefusedByAllow(t *testing.T) {
	second := okServer(t)
	first := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.urlFor("second.test", "/target"), http.StatusFound)
	})
	lookup, _ := dnsMap(map[string]string{"first.test": "127.0.0.1", "second.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	allow := &allowLog{deny: map[string]bool{"second.test": true}}

	_, err := get(t, c, first.urlFor("first.test", "/start"), Options{
		Allow:     allow.allow,
		PrivateOK: func(string) bool { return true },
	})
	require.ErrorIs(t, err, errDenied, "Allow's own error comes back")
	assert.Contains(t, err.Error(), "second.test")
	assert.EqualValues(t, 1, first.hits.Load())
	assert.Zero(t, second.hits.Load(), "the refused hop must not be contacted")
	assert.Equal(t, []string{first.urlFor("first.test", "/start"), second.urlFor("second.test", "/target")}, allow.urls())
}

func TestFirstURLRefusedByAllow(t *testing.T) {
	srv := okServer(t)
	c := newClient(t, Config{})
	allow := &allowLog{deny: map[string]bool{"127.0.0.1": true}}
	_, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{Allow: allow.allow, PrivateOK: func(string) bool { return true }})
	require.ErrorIs(t, err, errDenied)
	assert.Zero(t, srv.hits.Load())
}

func TestRedirectToPrivateAddressRefused(t *testing.T) {
	second := okServer(t)
	lookup, _ := dnsMap(map[string]string{"first.test": "127.0.0.1", "second.test": "127.0.0.1"})
	tests := []struct {
		name, location string
	}{
		{"literal loopback", second.urlFor("127.0.0.1", "/")},
		{"name resolving to loopback", second.urlFor("second.test", "/")},
		{"IPv6 loopback", second.urlFor("::1", "/")},
		{"metadata", "http://169.254.169.254/latest/meta-data/iam/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := startServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.location, http.StatusTemporaryRedirect)
			})
			c := newClient(t, Config{LookupIP: lookup})
			var dials atomic.Int64
			dial := c.guard.dial
			c.guard.dial = func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
				dials.Add(1)
				return dial(ctx, network, addr)
			}
			_, err := get(t, c, first.urlFor("first.test", "/"), Options{PrivateOK: hosts("first.test")})
			require.ErrorIs(t, err, ErrBlockedAddress)
			assert.EqualValues(t, 1, first.hits.Load())
			assert.EqualValues(t, 1, dials.Load(), "only the first host is dialed")
			assert.Zero(t, second.hits.Load())
		})
	}
}

// publicAddr stands for a public server: tests map it to a loopback server
// in the dial hook, so no test needs the internet.
var publicAddr = netip.MustParseAddr("93.184.216.34")

// routeDials makes c dial srv wherever publicAddr is dialed, records every
// address dialed, and fails any other dial.
func routeDials(t *testing.T, c *Client, srv *server) func() []netip.AddrPort {
	var mu sync.Mutex
	var dialed []netip.AddrPort
	target := srv.Listener.Addr().String()
	c.guard.dial = func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		if addr.Addr() != publicAddr {
			return nil, errors.New("test: dialed an address that is not the public stand-in: " + addr.String())
		}
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}
	return func() []netip.AddrPort {
		mu.Lock()
		defer mu.Unlock()
		return append([]netip.AddrPort(nil), dialed...)
	}
}

func TestDNSRebinding(t *testing.T) {
	t.Run("the answer checked is the answer dialed", func(t *testing.T) {
		// Each connection closes after its response, so that each request
		// dials (and resolves) anew.
		srv := startServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("public"))
		})
		// First answer public, every later one loopback: a checker that
		// resolved again to dial would connect to 127.0.0.1.
		var lookups atomic.Int64
		lookup := func(context.Context, string) ([]netip.Addr, error) {
			if lookups.Add(1) == 1 {
				return []netip.Addr{publicAddr}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		c := newClient(t, Config{LookupIP: lookup})
		dialed := routeDials(t, c, srv)

		resp, err := get(t, c, "http://rebind.test/", Options{})
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "public", string(body))
		assert.EqualValues(t, 1, lookups.Load(), "one resolution per connection, used for the check and the dial")
		assert.Equal(t, []netip.AddrPort{netip.AddrPortFrom(publicAddr, 80)}, dialed())

		_, err = get(t, c, "http://rebind.test/", Options{})
		require.ErrorIs(t, err, ErrBlockedAddress, "the rebound answer is checked before the next dial")
		assert.Len(t, dialed(), 1, "the loopback answer is never dialed")
		assert.EqualValues(t, 1, srv.hits.Load())
	})

	for _, answer := range []string{"93.184.216.34,127.0.0.1", "127.0.0.1,93.184.216.34", "93.184.216.34,10.0.0.1,93.184.216.35", "93.184.216.34,::ffff:169.254.169.254"} {
		t.Run("mixed answer "+answer, func(t *testing.T) {
			srv := okServer(t)
			lookup, _ := dnsMap(map[string]string{"rebind.test": answer})
			c := newClient(t, Config{LookupIP: lookup})
			dialed := routeDials(t, c, srv)
			_, err := get(t, c, "http://rebind.test/", Options{})
			require.ErrorIs(t, err, ErrBlockedAddress)
			assert.Empty(t, dialed(), "nothing is dialed when any address is refused")
			assert.Zero(t, srv.hits.Load())
		})
	}
}

func TestPooledConnectionsDoNotBypassTheCheck(t *testing.T) {
	var conns atomic.Int64
	srv := startServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("internal")) },
		func(s *http.Server) {
			s.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
		})
	lookup, _ := dnsMap(map[string]string{"internal.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	u := srv.urlFor("internal.test", "/")

	// A function allowed to reach internal.test leaves a kept-alive
	// connection to 127.0.0.1 in a pool keyed by internal.test:port.
	_, err := get(t, c, u, Options{PrivateOK: hosts("internal.test")})
	require.NoError(t, err)
	// Another function, not allowed, asks for the same host:port: it must
	// be checked, not handed the pooled connection.
	_, err = get(t, c, u, Options{})
	require.ErrorIs(t, err, ErrBlockedAddress)
	assert.EqualValues(t, 1, srv.hits.Load())
	// An allowed function reuses the connection.
	_, err = get(t, c, u, Options{PrivateOK: hosts("internal.test")})
	require.NoError(t, err)
	assert.EqualValues(t, 2, srv.hits.Load())
	assert.EqualValues(t, 1, conns.Load(), "the approved requests share one connection")
}

func TestConcurrentCallersWithDifferentApprovals(t *testing.T) {
	srv := okServer(t)
	lookup, _ := dnsMap(map[string]string{"internal.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	u := srv.urlFor("internal.test", "/")

	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := Options{}
			if i%2 == 0 {
				opts.PrivateOK = hosts("internal.test")
			}
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = c.Do(context.Background(), req, opts)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 {
			assert.NoError(t, err, "approved call %d", i)
		} else {
			assert.ErrorIs(t, err, ErrBlockedAddress, "unapproved call %d", i)
		}
	}
	assert.EqualValues(t, n/2, srv.hits.Load())
}

func TestResponseSizeLimit(t *testing.T) {
	const limit = 1000
	tests := []struct {
		name    string
		size    int
		chunked bool
		tooBig  bool
	}{
		{"under, with Content-Length", limit - 1, false, false},
		{"at the limit, with Content-Length", limit, false, false},
		{"at the limit, chunked", limit, true, false},
		{"over, with Content-Length", limit + 1, false, true},
		{"over, chunked", limit + 1, true, true},
		{"far over, chunked", 50 * limit, true, true},
		{"empty", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, func(w http.ResponseWriter, _ *http.Request) {
				body := bytes.Repeat([]byte("x"), tt.size)
				if tt.chunked {
					for len(body) > 0 {
						n := min(len(body), 100)
						if _, err := w.Write(body[:n]); err != nil {
							return
						}
						w.(http.Flusher).Flush()
						body = body[n:]
					}
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = w.Write(body)
			})
			c := newClient(t, Config{MaxResponseBytes: limit})
			resp, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
			if tt.tooBig {
				require.ErrorIs(t, err, ErrResponseTooLarge)
				assert.Nil(t, resp)
				return
			}
			require.NoError(t, err)
			assert.EqualValues(t, tt.size, resp.ContentLength)
			assert.Empty(t, resp.TransferEncoding)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Len(t, body, tt.size)
		})
	}

	t.Run("an endless body closes the connection", func(t *testing.T) {
		gone := make(chan struct{})
		srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
			defer close(gone)
			chunk := bytes.Repeat([]byte("x"), 4096)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				select {
				case <-r.Context().Done():
					return
				default:
				}
			}
		})
		c := newClient(t, Config{MaxResponseBytes: limit})
		_, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
		require.ErrorIs(t, err, ErrResponseTooLarge)
		select {
		case <-gone:
		case <-time.After(10 * time.Second):
			t.Fatal("the server is still sending: the connection was not closed")
		}
	})
}

func TestDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stall := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		cfg     Config
		ctxWait time.Duration
	}{
		{"no response headers", stall, Config{}, 100 * time.Millisecond},
		{"body stalls", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			stall(w, r)
		}, Config{}, 100 * time.Millisecond},
		{"Config.Timeout without a context deadline", stall, Config{Timeout: 100 * time.Millisecond}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.handler)
			tt.cfg.LookupIP, _ = dnsMap(map[string]string{"slow.test": "127.0.0.1"})
			c := newClient(t, tt.cfg)
			ctx := context.Background()
			if tt.ctxWait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxWait)
				defer cancel()
			}
			req, err := http.NewRequest(http.MethodGet, srv.urlFor("slow.test", "/"), nil)
			require.NoError(t, err)
			start := time.Now()
			_, err = c.Do(ctx, req, Options{PrivateOK: hosts("slow.test")})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second, "the deadline must end the call promptly")
		})
	}
	t.Run("context cancelled", func(t *testing.T) {
		srv := startServer(t, stall)
		c := newClient(t, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequest(http.MethodGet, srv.urlFor("127.0.0.1", "/"), nil)
		require.NoError(t, err)
		go func() {
			// Cancel once the server has the request.
			assert.Eventually(t, func() bool { return srv.hits.Load() == 1 }, 5*time.Second, time.Millisecond)
			cancel()
		}()
		_, err = c.Do(ctx, req, Options{PrivateOK: hosts("127.0.0.1")})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestNetworkErrorsAreWrapped(t *testing.T) {
	// A port nothing listens on: listen, note the port, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	lookup, _ := dnsMap(map[string]string{"refused.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	_, port, _ := net.SplitHostPort(addr)

	t.Run("connection refused", func(t *testing.T) {
		_, err := get(t, c, "http://refused.test:"+port+"/", Options{PrivateOK: hosts("refused.test")})
		require.Error(t, err)
		var netErr net.Error
		assert.ErrorAs(t, err, &netErr)
		assert.NotErrorIs(t, err, ErrBlockedAddress)
	})
	t.Run("no such host", func(t *testing.T) {
		_, err := get(t, c, "http://missing.test/", Options{})
		var dnsErr *net.DNSError
		require.ErrorAs(t, err, &dnsErr)
		assert.True(t, dnsErr.IsNotFound)
		assert.Contains(t, err.Error(), "missing.test")
	})
	t.Run("no addresses", func(t *testing.T) {
		c := newClient(t, Config{LookupIP: func(context.Context, string) ([]netip.Addr, error) { return nil, nil }})
		_, err := get(t, c, "http://empty.test/", Options{})
		var dnsErr *net.DNSError
		require.ErrorAs(t, err, &dnsErr)
	})
}

func TestTooManyRedirects(t *testing.T) {
	var srv *server
	srv = startServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again"+strconv.FormatInt(srv.hits.Load(), 10), http.StatusFound)
	})
	tests := []struct {
		name      string
		max       int
		wantHits  int64
		wantError bool
	}{
		{"default is 10", 0, 11, true},
		{"three", 3, 4, true},
		{"one", 1, 2, true},
		{"negative returns the redirect", -1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.hits.Load()
			c := newClient(t, Config{MaxRedirects: tt.max})
			resp, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
			assert.Equal(t, tt.wantHits, srv.hits.Load()-before)
			if tt.wantError {
				require.ErrorIs(t, err, ErrTooManyRedirects)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, http.StatusFound, resp.StatusCode)
			assert.NotEmpty(t, resp.Header.Get("Location"))
		})
	}
}

func TestRedirects(t *testing.T) {
	type seen struct {
		method, path, body, contentType, auth, cookie string
	}
	record := func(ch chan<- seen) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			ch <- seen{r.Method, r.URL.Path, string(b), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Get("Cookie")}
			_, _ = w.Write([]byte("done"))
		}
	}
	final := make(chan seen, 1)
	other := startServer(t, record(final))
	same := make(chan seen, 1)
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/final"):
			record(same)(w, r)
		case r.URL.Path == "/other":
			http.Redirect(w, r, other.urlFor("other.test", "/final"), http.StatusFound)
		default: // /302, /307, ... redirect with that status to a relative URL
			code, _ := strconv.Atoi(r.URL.Path[1:])
			w.Header().Set("Location", "final?from="+r.URL.Path[1:])
			w.WriteHeader(code)
		}
	})
	lookup, _ := dnsMap(map[string]string{"first.test": "127.0.0.1", "other.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	opts := Options{PrivateOK: hosts("first.test", "other.test")}

	tests := []struct {
		name, method, path string
		ch                 chan seen
		want               seen
	}{
		{"301 POST becomes GET", http.MethodPost, "/301", same, seen{"GET", "/final", "", "", "Bearer t", "c=1"}},
		{"302 POST becomes GET", http.MethodPost, "/302", same, seen{"GET", "/final", "", "", "Bearer t", "c=1"}},
		{"303 PUT becomes GET", http.MethodPut, "/303", same, seen{"GET", "/final", "", "", "Bearer t", "c=1"}},
		{"307 keeps POST and body", http.MethodPost, "/307", same, seen{"POST", "/final", "payload", "text/plain", "Bearer t", "c=1"}},
		{"308 keeps PUT and body", http.MethodPut, "/308", same, seen{"PUT", "/final", "payload", "text/plain", "Bearer t", "c=1"}},
		{"credentials stay behind on another host", http.MethodGet, "/other", final, seen{"GET", "/final", "", "", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.urlFor("first.test", tt.path), strings.NewReader("payload"))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Authorization", "Bearer t")
			req.Header.Set("Cookie", "c=1")
			resp, err := c.Do(context.Background(), req, opts)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.want, <-tt.ch)
			assert.Equal(t, "/final", resp.Request.URL.Path, "resp.Request is the last hop's")
		})
	}

	t.Run("redirect to another scheme", func(t *testing.T) {
		for _, loc := range []string{"ftp://first.test/file", "file:///etc/passwd", "gopher://first.test/"} {
			r := startServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, loc, http.StatusFound)
			})
			_, err := get(t, c, r.urlFor("first.test", "/"), opts)
			require.ErrorIs(t, err, ErrInvalidRequest, loc)
			assert.Contains(t, err.Error(), "only http and https")
		}
	})
	t.Run("redirect without Location is the answer", func(t *testing.T) {
		r := startServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
		resp, err := get(t, c, r.urlFor("first.test", "/"), opts)
		require.NoError(t, err)
		assert.Equal(t, http.StatusFound, resp.StatusCode)
	})
}

func TestInvalidRequests(t *testing.T) {
	srv := okServer(t)
	lookup, lookups := dnsMap(map[string]string{})
	c := newClient(t, Config{LookupIP: lookup})
	type test struct {
		name string
		req  func(t *testing.T) *http.Request
	}
	tests := []test{
		{"nil request", func(*testing.T) *http.Request { return nil }},
		{"no URL", func(*testing.T) *http.Request { return &http.Request{Method: "GET"} }},
		{"bad method", func(t *testing.T) *http.Request { r := mustRequest(t, "http://a.test/"); r.Method = "GET /x"; return r }},
		{"Host header differs", func(t *testing.T) *http.Request {
			r := mustRequest(t, srv.urlFor("127.0.0.1", "/"))
			r.Host = "admin.internal"
			return r
		}},
		{"not absolute", func(*testing.T) *http.Request { return &http.Request{Method: "GET", URL: &url.URL{Path: "/x"}} }},
		{"opaque", func(*testing.T) *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Opaque: "a.test"}}
		}},
	}
	// Numeric hosts in the forms inet_aton accepts, which Go's URL parser
	// lets through as names; and hosts that are not plain names.
	for _, raw := range []string{
		"ftp://a.test/", "file:///etc/passwd", "http:///path", "unix://x/",
		"http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://0177.0.0.1/",
		"http://127.1/", "http://127.0.0.1./", "http://1.2.3.4.5/", "http://example.0x10/", "http://example.0x/",
		"http://a.test:0/", "http://a.test:65536/", "http://a.test:/",
		"http://b\u00fccher.test/", "http://a!b.test/", "http://a$b.test/",
	} {
		tests = append(tests, test{raw, func(t *testing.T) *http.Request {
			u, err := url.Parse(raw)
			require.NoError(t, err, "Go's URL parser lets this through")
			return &http.Request{Method: "GET", URL: u, Header: http.Header{}}
		}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Do(context.Background(), tt.req(t), Options{PrivateOK: func(string) bool { return true }})
			require.ErrorIs(t, err, ErrInvalidRequest)
		})
	}
	assert.Zero(t, lookups.Load(), "nothing is resolved for an invalid request")
	assert.Zero(t, srv.hits.Load())
}

func mustRequest(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	return r
}

func TestResponseSerializes(t *testing.T) {
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.Header().Set("Trailer", "X-Sum")
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "5")
			return
		}
		_, _ = w.Write([]byte("hel"))
		w.(http.Flusher).Flush() // chunked: no Content-Length
		_, _ = w.Write([]byte("lo"))
		w.Header().Set("X-Sum", "abc")
	})
	c := newClient(t, Config{})
	opts := Options{PrivateOK: hosts("127.0.0.1")}

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			req, err := http.NewRequest(method, srv.urlFor("127.0.0.1", "/"), nil)
			require.NoError(t, err)
			resp, err := c.Do(context.Background(), req, opts)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, resp.Write(&buf))

			back, err := http.ReadResponse(bufio.NewReader(&buf), req)
			require.NoError(t, err)
			body, err := io.ReadAll(back.Body)
			require.NoError(t, err)
			assert.Equal(t, "yes", back.Header.Get("X-Test"))
			assert.EqualValues(t, 5, back.ContentLength)
			assert.Empty(t, back.TransferEncoding)
			if method == http.MethodGet {
				assert.Equal(t, "hello", string(body))
			} else {
				assert.Empty(t, body)
			}
		})
	}
}

func TestRequestHeadersAndBody(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan string, 1)
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- string(b)
	})
	c := newClient(t, Config{})
	raw := "POST " + srv.urlFor("127.0.0.1", "/items") + " HTTP/1.1\r\n" +
		"Host: " + net.JoinHostPort("127.0.0.1", srv.port()) + "\r\n" +
		"Transfer-Encoding: chunked\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAccept-Encoding: gzip\r\nX-App: 1\r\n\r\n" +
		"5\r\nhello\r\n0\r\n\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	require.NoError(t, err)
	req.RequestURI = ""

	_, err = c.Do(context.Background(), req, Options{PrivateOK: hosts("127.0.0.1")})
	require.NoError(t, err)
	r := <-got
	assert.Equal(t, "hello", <-bodies)
	assert.EqualValues(t, 5, r.ContentLength, "the body is sent with a length")
	assert.Empty(t, r.TransferEncoding)
	assert.Empty(t, r.Header.Get("Upgrade"))
	assert.Equal(t, "1", r.Header.Get("X-App"))
	assert.Equal(t, "gzip", r.Header.Get("Accept-Encoding"), "the guest's own Accept-Encoding is passed on")
}

func TestHTTPS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("secure"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	pool := x509pool(t, srv)
	// httptest's certificate names example.com (and the loopback addresses).
	lookup, _ := dnsMap(map[string]string{"example.com": "127.0.0.1", "other.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup, RootCAs: pool})

	t.Run("the certificate is verified against the URL's host", func(t *testing.T) {
		resp, err := get(t, c, "https://example.com:"+port+"/", Options{PrivateOK: hosts("example.com")})
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "secure", string(body))
	})
	t.Run("not the dialed address", func(t *testing.T) {
		_, err := get(t, c, "https://other.test:"+port+"/", Options{PrivateOK: hosts("other.test")})
		var certErr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &certErr)
	})
	t.Run("unknown authority", func(t *testing.T) {
		c := newClient(t, Config{LookupIP: lookup})
		_, err := get(t, c, "https://example.com:"+port+"/", Options{PrivateOK: hosts("example.com")})
		var certErr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &certErr)
	})
	t.Run("still refused without PrivateOK", func(t *testing.T) {
		_, err := get(t, c, "https://example.com:"+port+"/", Options{})
		require.ErrorIs(t, err, ErrBlockedAddress)
	})
}

func TestEnvironmentProxyIgnored(t *testing.T) {
	proxy := okServer(t)
	target := okServer(t)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	lookup, _ := dnsMap(map[string]string{"api.test": "127.0.0.1"})
	c := newClient(t, Config{LookupIP: lookup})
	assert.Nil(t, c.public.Proxy)
	assert.Nil(t, c.private.Proxy)

	_, err := get(t, c, target.urlFor("api.test", "/"), Options{PrivateOK: hosts("api.test")})
	require.NoError(t, err)
	assert.EqualValues(t, 1, target.hits.Load())
	assert.Zero(t, proxy.hits.Load())
}

func TestInvalidConfigFailsClosed(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"zero prefix", Config{Blocked: []netip.Prefix{{}}}},
		{"bits out of range", Config{Blocked: []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 33)}}},
		{"negative size", Config{MaxResponseBytes: -1}},
		{"negative timeout", Config{Timeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.cfg.Validate(), ErrInvalidConfig)
			c := New(tt.cfg)
			_, err := get(t, c, "http://example.com/", Options{})
			require.ErrorIs(t, err, ErrInvalidConfig, "a Client with an invalid Config fails closed")
			require.NoError(t, c.Close(context.Background()))
		})
	}
}

func TestClose(t *testing.T) {
	srv := okServer(t)
	c := New(Config{})
	_, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
	require.NoError(t, err)
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, c.Close(context.Background()), "a second Close does nothing")
	_, err = get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
	require.ErrorIs(t, err, ErrClosed)
}

func TestConfigIsCopied(t *testing.T) {
	srv := okServer(t)
	blocked := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	c := newClient(t, Config{Blocked: blocked})
	blocked[0] = netip.MustParsePrefix("127.0.0.0/8")
	_, err := get(t, c, srv.urlFor("127.0.0.1", "/"), Options{PrivateOK: hosts("127.0.0.1")})
	require.NoError(t, err, "changing the caller's slice must not change the Client")
}
