package egress

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// newClient returns a Client for cfg, closed when the test ends.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	require.NoError(t, cfg.Validate())
	c := New(cfg)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// server is a test HTTP server on loopback that counts the requests it
// receives.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

// startServer starts h on a loopback port, closed when the test ends.
// configure, if given, may set up the http.Server before it starts.
func startServer(t testing.TB, h http.HandlerFunc, configure ...func(*http.Server)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	for _, f := range configure {
		f(s.Config)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// okServer starts a server that answers "ok".
func okServer(t testing.TB) *server {
	return startServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
}

// port returns the server's port as a string.
func (s *server) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

// urlFor returns the server's URL with its host replaced by host.
func (s *server) urlFor(host, path string) string {
	return "http://" + net.JoinHostPort(host, s.port()) + path
}

// dnsMap returns a LookupIP that answers from m (name to comma-separated
// addresses), NXDOMAIN for other names, and counts its calls.
func dnsMap(m map[string]string) (func(context.Context, string) ([]netip.Addr, error), *atomic.Int64) {
	var calls atomic.Int64
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		calls.Add(1)
		v, ok := m[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var addrs []netip.Addr
		for _, s := range strings.Split(v, ",") {
			addrs = append(addrs, netip.MustParseAddr(s))
		}
		return addrs, nil
	}, &calls
}

// hosts returns a PrivateOK approving exactly the given hosts.
func hosts(names ...string) func(string) bool {
	return func(h string) bool {
		for _, n := range names {
			if h == n {
				return true
			}
		}
		return false
	}
}

// get sends a GET for rawURL.
func get(t testing.TB, c *Client, rawURL string, opts Options) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	return c.Do(context.Background(), req, opts)
}

// allowLog is an Allow that records the URLs it is asked about and refuses
// those whose host is in deny.
type allowLog struct {
	mu   sync.Mutex
	seen []string
	deny map[string]bool
}

var errDenied = &deniedError{}

type deniedError struct{}

func (*deniedError) Error() string { return "denied by policy" }

func (a *allowLog) allow(u *url.URL) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, u.String())
	if a.deny[u.Hostname()] {
		return errDenied
	}
	return nil
}

func (a *allowLog) urls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}
