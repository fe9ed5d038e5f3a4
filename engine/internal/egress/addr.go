package egress

import (
	"net/netip"
)

// rangeReason is a range of non-public addresses and how a message names
// an address in it.
type rangeReason struct {
	prefix netip.Prefix
	reason string
}

// Reasons shared by IPv4 and IPv6 ranges.
const (
	reasonLoopback      = "a loopback address"
	reasonUnspecified   = "an unspecified address"
	reasonPrivate       = "a private address"
	reasonLinkLocal     = "a link-local address (cloud metadata services listen there)"
	reasonMulticast     = "a multicast address"
	reasonDocumentation = "a documentation address"
	reasonReserved      = "a reserved address"
	reasonProtocol      = "an IETF protocol-assignment address"
)

// v4Ranges are the IPv4 ranges that are not public unicast, from IANA's
// special-purpose address registry (RFC 6890 and its updates). Globally
// reachable special ranges (AS112, AMT) are left out on purpose: they are
// ordinary internet hosts. Checked in order; the first match names the
// reason, so 255.255.255.255 comes before 240.0.0.0/4.
var v4Ranges = [...]rangeReason{
	{netip.MustParsePrefix("0.0.0.0/32"), reasonUnspecified},
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("10.0.0.0/8"), reasonPrivate},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), reasonLoopback},
	{netip.MustParsePrefix("169.254.0.0/16"), reasonLinkLocal},
	{netip.MustParsePrefix("172.16.0.0/12"), reasonPrivate},
	{netip.MustParsePrefix("192.0.0.0/24"), reasonProtocol},
	{netip.MustParsePrefix("192.0.2.0/24"), reasonDocumentation},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay anycast address"},
	{netip.MustParsePrefix("192.168.0.0/16"), reasonPrivate},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), reasonDocumentation},
	{netip.MustParsePrefix("203.0.113.0/24"), reasonDocumentation},
	{netip.MustParsePrefix("224.0.0.0/4"), reasonMulticast},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), reasonReserved},
}

// v6Ranges are the IPv6 ranges, inside or outside global unicast
// (2000::/3), that are not public. Anything outside 2000::/3 that is not
// listed here is reserved. IPv4-mapped, NAT64 and 6to4 addresses are
// handled apart: they are judged by the IPv4 address they carry.
var v6Ranges = [...]rangeReason{
	{netip.MustParsePrefix("::/128"), reasonUnspecified},
	{netip.MustParsePrefix("::1/128"), reasonLoopback},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/23"), reasonProtocol + " (Teredo, ORCHID, ...)"},
	{netip.MustParsePrefix("2001:db8::/32"), reasonDocumentation},
	{netip.MustParsePrefix("3fff::/20"), reasonDocumentation},
	{netip.MustParsePrefix("fc00::/7"), reasonPrivate + " (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), reasonLinkLocal},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), reasonMulticast},
}

// Prefixes whose addresses carry an IPv4 address that a gateway or relay
// may forward to.
var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: IPv4 in the last 32 bits
	sixToFour     = netip.MustParsePrefix("2002::/16")    // RFC 3056: IPv4 in bits 16-47
)

// nonPublic returns why a is not a public unicast address ("a loopback
// address"), or "" when it is one. An address the host would forward to an
// IPv4 address (IPv4-mapped, NAT64, 6to4) is judged by that IPv4 address.
// A scoped (zoned) address is never public: a zone only makes sense for
// link-local destinations.
func nonPublic(a netip.Addr) string {
	if !a.IsValid() {
		return "an invalid address"
	}
	if a.Zone() != "" {
		if r := nonPublic(a.WithZone("")); r != "" {
			return r
		}
		return "a scoped (zoned) address"
	}
	if a.Is4In6() {
		return nonPublic(a.Unmap())
	}
	if a.Is4() {
		for _, r := range &v4Ranges {
			if r.prefix.Contains(a) {
				return r.reason
			}
		}
		return ""
	}
	if v4, ok := embeddedV4(a); ok {
		if r := nonPublic(v4); r != "" {
			return "an address that reaches " + v4.String() + ", " + r
		}
		return ""
	}
	for _, r := range &v6Ranges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	if !globalUnicast.Contains(a) {
		return reasonReserved
	}
	return ""
}

// embeddedV4 returns the IPv4 address a NAT64 (64:ff9b::/96) or 6to4
// (2002::/16) address is forwarded to.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// views returns the forms of a that a Blocked range must be compared
// with: a itself without its zone and unmapped, and the IPv4 address it
// is forwarded to, if any.
func views(a netip.Addr) []netip.Addr {
	a = a.WithZone("").Unmap()
	if v4, ok := embeddedV4(a); ok {
		return []netip.Addr{a, v4}
	}
	return []netip.Addr{a}
}

// normalizePrefix returns p masked, with an IPv4-mapped prefix
// (::ffff:10.0.0.0/104) turned into its IPv4 form (10.0.0.0/8), since
// addresses are unmapped before they are compared.
func normalizePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() || p.Addr().Zone() != "" {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}
