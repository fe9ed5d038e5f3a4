package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzNonPublic checks the address classifier against the standard
// library's own notion of non-public addresses, and checks that every
// IPv6 form that carries an IPv4 address (mapped, NAT64, 6to4) is judged
// like that IPv4 address. Input: 4 or 16 address bytes; other lengths are
// read as 16 bytes, zero-padded or cut, with a zone.
func FuzzNonPublic(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var a netip.Addr
		switch len(b) {
		case 4:
			a = netip.AddrFrom4([4]byte(b))
		case 16:
			a = netip.AddrFrom16([16]byte(b))
		default:
			var x [16]byte
			copy(x[:], b)
			a = netip.AddrFrom16(x).WithZone("z")
		}
		reason := nonPublic(a)
		if stdlibNonPublic(a.WithZone("")) || a.Zone() != "" {
			assert.NotEmpty(t, reason, "%s is not public", a)
		}
		if !a.Is4() {
			return
		}
		v4 := a.As4()
		mapped := netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
		nat64 := netip.AddrFrom16([16]byte{1: 0x64, 2: 0xff, 3: 0x9b, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
		sixToFour := netip.AddrFrom16([16]byte{0: 0x20, 1: 0x02, 2: v4[0], 3: v4[1], 4: v4[2], 5: v4[3], 15: 1})
		assert.Equal(t, reason, nonPublic(mapped), "mapped %s", mapped)
		for _, embedded := range []netip.Addr{nat64, sixToFour} {
			assert.Equal(t, reason == "", nonPublic(embedded) == "", "%s carries %s", embedded, a)
		}
		for _, v := range views(nat64) {
			assert.True(t, v == nat64 || v == a)
		}
	})
}

// FuzzDo sends requests to fuzzed URLs through a Client whose every dial
// is intercepted, and checks that nothing is ever dialed but a public,
// unblocked address that the check saw.
func FuzzDo(f *testing.F) {
	blocked := netip.MustParsePrefix("8.8.8.0/24")
	answers := map[string][]netip.Addr{
		"internal.test": {netip.MustParseAddr("10.0.0.1")},
		"meta.test":     {netip.MustParseAddr("169.254.169.254")},
		"mixed.test":    {publicAddr, netip.MustParseAddr("127.0.0.1")},
		"mapped.test":   {netip.MustParseAddr("::ffff:127.0.0.1")},
		"nat64.test":    {netip.MustParseAddr("64:ff9b::a9fe:a9fe")},
		"blocked.test":  {netip.MustParseAddr("8.8.8.8")},
	}
	var mu sync.Mutex
	var looked []string
	c := New(Config{
		Blocked: []netip.Prefix{blocked},
		LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
			mu.Lock()
			looked = append(looked, host)
			mu.Unlock()
			if a, ok := answers[host]; ok {
				return a, nil
			}
			return []netip.Addr{publicAddr}, nil
		},
	})
	f.Cleanup(func() { _ = c.Close(context.Background()) })
	var dialed []netip.AddrPort
	errNoNetwork := errors.New("fuzz: no network")
	c.guard.dial = func(_ context.Context, _ string, addr netip.AddrPort) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return nil, errNoNetwork
	}

	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		mu.Lock()
		dialed, looked = nil, nil
		mu.Unlock()
		_, err = c.Do(context.Background(), &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}, Options{})
		require.Error(t, err, "nothing can succeed without a network")

		mu.Lock()
		defer mu.Unlock()
		for _, ap := range dialed {
			a := ap.Addr()
			assert.Empty(t, nonPublic(a), "dialed %s for %q", a, raw)
			assert.False(t, stdlibNonPublic(a), "dialed %s for %q", a, raw)
			assert.False(t, blocked.Contains(a.Unmap()), "dialed blocked %s for %q", a, raw)
			assert.NotZero(t, ap.Port())
		}
		if len(dialed) > 0 {
			assert.ErrorIs(t, err, errNoNetwork)
		}
		if literal, perr := netip.ParseAddr(u.Hostname()); perr == nil {
			assert.Empty(t, looked, "the address literal %s is not looked up", literal)
			if nonPublic(literal) != "" {
				assert.Empty(t, dialed, "%s is not public", literal)
			}
		}
	})
}
