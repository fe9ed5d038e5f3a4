package egress

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdlibNonPublic is an independent oracle: what net/netip itself calls
// non-public. nonPublic must refuse at least these.
func stdlibNonPublic(a netip.Addr) bool {
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast()
}

func TestNonPublic(t *testing.T) {
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.0",
		"100.63.255.255", "100.128.0.0", "126.255.255.255", "128.0.0.0",
		"169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
		"192.0.1.0", "192.167.255.255", "192.169.0.0", "198.17.255.255",
		"198.20.0.0", "223.255.255.255",
		"2606:4700::1111", "2001:4860:4860::8888", "2001:200::1", "2a00:1450::1",
		"::ffff:8.8.8.8",   // IPv4-mapped public
		"64:ff9b::808:808", // NAT64 of 8.8.8.8
		"2002:808:808::1",  // 6to4 of 8.8.8.8
		"3fff:1000::1",     // just past 3fff::/20
		"2001:dbf::1",      // not documentation (2001:db8::/32)
		"3ffe:ffff::1",     // the old 6bone range, now plain global unicast
	}
	refused := map[string]string{
		"127.0.0.1":               reasonLoopback,
		"127.255.255.254":         reasonLoopback,
		"0.0.0.0":                 reasonUnspecified,
		"0.1.2.3":                 `a "this network" address`,
		"10.0.0.5":                reasonPrivate,
		"172.16.0.1":              reasonPrivate,
		"172.31.255.255":          reasonPrivate,
		"192.168.1.1":             reasonPrivate,
		"100.64.0.1":              "a shared (carrier-grade NAT) address",
		"100.127.255.255":         "a shared (carrier-grade NAT) address",
		"169.254.169.254":         reasonLinkLocal,
		"169.254.0.1":             reasonLinkLocal,
		"192.0.0.170":             reasonProtocol,
		"192.0.2.1":               reasonDocumentation,
		"198.51.100.7":            reasonDocumentation,
		"203.0.113.9":             reasonDocumentation,
		"198.18.0.1":              "a benchmarking address",
		"198.19.255.255":          "a benchmarking address",
		"192.88.99.1":             "a 6to4 relay anycast address",
		"224.0.0.1":               reasonMulticast,
		"239.255.255.250":         reasonMulticast,
		"255.255.255.255":         "the broadcast address",
		"240.0.0.1":               reasonReserved,
		"254.1.2.3":               reasonReserved,
		"::1":                     reasonLoopback,
		"::":                      reasonUnspecified,
		"::ffff:127.0.0.1":        reasonLoopback,
		"::ffff:7f00:1":           reasonLoopback,
		"::ffff:169.254.169.254":  reasonLinkLocal,
		"::ffff:10.0.0.1":         reasonPrivate,
		"::ffff:0.0.0.0":          reasonUnspecified,
		"::127.0.0.1":             reasonReserved, // IPv4-compatible, deprecated
		"::8.8.8.8":               reasonReserved,
		"fe80::1":                 reasonLinkLocal,
		"fe80::1%eth0":            reasonLinkLocal,
		"febf:ffff::1":            reasonLinkLocal,
		"fc00::1":                 reasonPrivate + " (unique local)",
		"fd12:3456::1":            reasonPrivate + " (unique local)",
		"fec0::1":                 "a site-local address",
		"ff02::1":                 reasonMulticast,
		"ff05::2":                 reasonMulticast,
		"64:ff9b::7f00:1":         "an address that reaches 127.0.0.1, " + reasonLoopback,
		"64:ff9b::a9fe:a9fe":      "an address that reaches 169.254.169.254, " + reasonLinkLocal,
		"64:ff9b::a00:1":          "an address that reaches 10.0.0.1, " + reasonPrivate,
		"64:ff9b:1::1":            "a local-use NAT64 address",
		"2002:7f00:1::1":          "an address that reaches 127.0.0.1, " + reasonLoopback,
		"2002:a9fe:a9fe::":        "an address that reaches 169.254.169.254, " + reasonLinkLocal,
		"2002:c0a8:101::1":        "an address that reaches 192.168.1.1, " + reasonPrivate,
		"2001::1":                 reasonProtocol + " (Teredo, ORCHID, ...)",
		"2001:20::1":              reasonProtocol + " (Teredo, ORCHID, ...)",
		"2001:db8::1":             reasonDocumentation,
		"3fff::1":                 reasonDocumentation,
		"100::1":                  "a discard-only address",
		"5f00::1":                 reasonReserved,
		"4000::1":                 reasonReserved,
		"64:ff9b:0:0:1::101":      reasonReserved, // near NAT64 but outside 64:ff9b::/96 and 2000::/3
		"2606:4700::1111%eth0":    "a scoped (zoned) address",
		"::ffff:192.168.0.1":      reasonPrivate,
		"::ffff:100.64.0.1":       "a shared (carrier-grade NAT) address",
		"::ffff:255.255.255.255":  "the broadcast address",
		"fe80::a9fe:a9fe%2":       reasonLinkLocal,
		"ff0e::1":                 reasonMulticast,
		"64:ff9b::ffff:ffff":      "an address that reaches 255.255.255.255, the broadcast address",
		"2002:ffff:ffff::":        "an address that reaches 255.255.255.255, the broadcast address",
		"2002:0:0::":              "an address that reaches 0.0.0.0, " + reasonUnspecified,
		"64:ff9b::":               "an address that reaches 0.0.0.0, " + reasonUnspecified,
		"::ffff:198.51.100.1":     reasonDocumentation,
		"2001:db8:ffff:ffff::ff":  reasonDocumentation,
		"fdff:ffff:ffff:ffff::ff": reasonPrivate + " (unique local)",
	}

	for _, s := range public {
		t.Run(s, func(t *testing.T) {
			a := netip.MustParseAddr(s)
			assert.Empty(t, nonPublic(a))
		})
	}
	for s, want := range refused {
		t.Run(s, func(t *testing.T) {
			a := netip.MustParseAddr(s)
			assert.Equal(t, want, nonPublic(a))
		})
	}
	t.Run("invalid", func(t *testing.T) {
		assert.Equal(t, "an invalid address", nonPublic(netip.Addr{}))
	})
	t.Run("the standard library's non-public addresses are all refused", func(t *testing.T) {
		for s := range refused {
			a := netip.MustParseAddr(s)
			if stdlibNonPublic(a) {
				assert.NotEmpty(t, nonPublic(a), s)
			}
		}
		for _, s := range public {
			assert.False(t, stdlibNonPublic(netip.MustParseAddr(s)), "the oracle disagrees on %s", s)
		}
	})
}

func TestNormalizePrefix(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"IPv4", "10.1.2.3/16", "10.1.0.0/16"},
		{"IPv6", "fd00::1/8", "fd00::/8"},
		{"IPv4-mapped", "::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"IPv4-mapped host", "::ffff:10.0.0.7/128", "10.0.0.7/32"},
		{"short IPv6 stays IPv6", "::/80", "::/80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normalizePrefix(netip.MustParsePrefix(tt.in))
			require.True(t, ok)
			assert.Equal(t, tt.want, got.String())
		})
	}
	_, ok := normalizePrefix(netip.Prefix{})
	assert.False(t, ok, "the zero prefix")
}

func TestBlockedErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *BlockedError
		want string
	}{
		{
			"name",
			&BlockedError{Host: "api.example.com", Addr: netip.MustParseAddr("10.0.0.5"), Reason: reasonPrivate},
			"api.example.com resolves to 10.0.0.5, a private address; non-public addresses are refused unless",
		},
		{
			"literal",
			&BlockedError{Host: "127.0.0.1", Addr: netip.MustParseAddr("127.0.0.1"), Reason: reasonLoopback},
			"127.0.0.1 is a loopback address; non-public",
		},
		{
			"blocked range",
			&BlockedError{Host: "gw.internal", Addr: netip.MustParseAddr("10.9.0.1"), Reason: "in the blocked range 10.9.0.0/16", Always: true},
			"gw.internal resolves to 10.9.0.1, in the blocked range 10.9.0.0/16; the operator blocks this range for every function",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, tt.err.Error(), tt.want)
			assert.ErrorIs(t, tt.err, ErrBlockedAddress)
		})
	}
}
