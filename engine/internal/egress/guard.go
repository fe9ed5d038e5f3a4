package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// guard resolves a host, checks every address it resolves to, and dials
// only those addresses. It is the Transport's DialContext, so every new
// connection, first request or redirect, passes through it.
type guard struct {
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	blocked []netip.Prefix
	// dial connects to one address that passed the check. It is a field
	// so that tests can see what would be dialed without a network.
	dial func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error)
}

// newGuard returns a guard for cfg (already defaulted).
func newGuard(cfg Config) *guard {
	d := &net.Dialer{Timeout: cfg.DialTimeout}
	return &guard{
		lookup:  cfg.LookupIP,
		blocked: cfg.Blocked,
		dial: func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
			// An address literal: the Dialer resolves nothing, it
			// connects to exactly this address.
			return d.DialContext(ctx, network, addr.String())
		},
	}
}

// dialer returns a Transport DialContext that lets hosts reach non-public
// addresses when private is true (Blocked ranges stay refused).
func (g *guard) dialer(private bool) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portStr, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("%w: address %q: %w", ErrInvalidRequest, address, err)
		}
		port, err := parsePort(portStr)
		if err != nil {
			return nil, err
		}
		addrs, err := g.resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		// Every address is checked before any is dialed: a name that
		// resolves to a public and a private address is refused, rather
		// than trusted to whichever answer a retry would pick.
		if err := g.check(host, addrs, private); err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			conn, err := g.dial(ctx, network, netip.AddrPortFrom(a, port))
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
}

// resolve returns the addresses host names, without duplicates, unmapped
// (::ffff:10.0.0.1 is dialed as 10.0.0.1, which it is). An address literal
// is its own answer; the resolver is not asked.
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	if err := checkHostName(host); err != nil {
		return nil, err
	}
	found, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	addrs := make([]netip.Addr, 0, len(found))
	for _, a := range found {
		a = a.Unmap()
		dup := false
		for _, b := range addrs {
			dup = dup || a == b
		}
		if !dup {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolving %s: %w", host, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true})
	}
	return addrs, nil
}

// check returns a *BlockedError for the first of addrs that host may not
// reach: one in a Blocked range, or, unless private, one that is not
// public.
func (g *guard) check(host string, addrs []netip.Addr, private bool) error {
	for _, a := range addrs {
		for _, v := range views(a) {
			for _, p := range g.blocked {
				if p.Contains(v) {
					return &BlockedError{Host: host, Addr: a, Reason: "in the blocked range " + p.String(), Always: true}
				}
			}
		}
		if private {
			continue
		}
		if r := nonPublic(a); r != "" {
			return &BlockedError{Host: host, Addr: a, Reason: r}
		}
	}
	return nil
}

// checkHostName refuses a host that is not an address literal but that
// some resolvers would read as an IPv4 address anyway: "2130706433",
// "0x7f.1", "127.1", "0177.0.0.1" are 127.0.0.1 to inet_aton (and so to
// getaddrinfo and browsers). The WHATWG URL rule is used: a host whose last
// label is a number is an address, and Go only accepts the dotted-decimal
// form. Non-ASCII names must be given in their IDNA ASCII form (xn--), so
// that the name checked, the name resolved and the name a pooled
// connection is keyed by are the same string.
func checkHostName(host string) error {
	if host == "" {
		return fmt.Errorf("%w: empty host", ErrInvalidRequest)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
		if !ok {
			return fmt.Errorf("%w: host %q: only ASCII letters, digits, '-', '.' and '_' (write international names in their xn-- form)", ErrInvalidRequest, host)
		}
	}
	last := strings.TrimSuffix(host, ".")
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		last = last[i+1:]
	}
	if isNumber(last) {
		return fmt.Errorf("%w: host %q looks like an IPv4 address in a non-standard form; write addresses as a.b.c.d", ErrInvalidRequest, host)
	}
	return nil
}

// isNumber reports whether s is a decimal, octal or 0x-hexadecimal number
// in the WHATWG URL sense (the empty hexadecimal "0x" included).
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	digits := "0123456789"
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, digits = s[2:], "0123456789abcdefABCDEF"
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(digits, s[i]) < 0 {
			return false
		}
	}
	return true
}

// parsePort returns a port given as decimal digits, 1 to 65535.
func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("%w: port %q", ErrInvalidRequest, s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: port %q", ErrInvalidRequest, s)
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%w: port %q: must be 1 to 65535", ErrInvalidRequest, s)
	}
	return uint16(n), nil
}
