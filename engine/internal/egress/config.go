package egress

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxResponseBytes    = 6 << 20 // Lambda's synchronous response limit
	DefaultMaxHeaderBytes      = 1 << 20 // net/http's DefaultMaxHeaderBytes
	DefaultMaxRedirects        = 10
	DefaultDialTimeout         = 10 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultTimeout             = 15 * time.Minute // the longest invocation
	DefaultIdleConnTimeout     = 90 * time.Second
)

// Config is a Client's configuration. Its zero value is usable: every
// zero field takes its default. New copies it, so a Config can be reused
// and changing it later does not affect a Client.
type Config struct {
	// MaxResponseBytes caps a response body (DefaultMaxResponseBytes);
	// a longer one fails with ErrResponseTooLarge.
	MaxResponseBytes int64
	// MaxHeaderBytes caps a response's status line and headers
	// (DefaultMaxHeaderBytes).
	MaxHeaderBytes int64
	// MaxRedirects is how many redirects one Do follows
	// (DefaultMaxRedirects); one more fails with ErrTooManyRedirects.
	// Negative: redirects are not followed, Do returns the 3xx response.
	MaxRedirects int
	// Blocked lists ranges no request may reach, whatever PrivateOK says:
	// the gateway's own addresses, the engine's admin network. IPv4-mapped
	// prefixes (::ffff:10.0.0.0/104) are taken as their IPv4 form.
	Blocked []netip.Prefix
	// LookupIP resolves a host name (not an address literal) to its
	// addresses: every one is checked, and only checked ones are dialed.
	// Default: net.DefaultResolver.LookupNetIP for "ip". Tests inject one to
	// simulate DNS answers.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// DialTimeout bounds one TCP connection attempt (DefaultDialTimeout).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds a TLS handshake
	// (DefaultTLSHandshakeTimeout).
	TLSHandshakeTimeout time.Duration
	// Timeout bounds a whole Do, redirects and body included, when the
	// context's deadline is later or absent (DefaultTimeout), so that no
	// request can hang forever.
	Timeout time.Duration
	// IdleConnTimeout is how long an idle kept-alive connection stays open
	// (DefaultIdleConnTimeout).
	IdleConnTimeout time.Duration
	// RootCAs are the certificate authorities HTTPS servers are verified
	// against. Nil: the system's roots.
	RootCAs *x509.CertPool
}

// Validate returns an ErrInvalidConfig error when c has a negative size
// or duration, or a Blocked entry that is not a valid prefix.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns c with its zero fields set, and its slices copied,
// or an ErrInvalidConfig error.
func (c Config) withDefaults() (Config, error) {
	if c.MaxResponseBytes < 0 || c.MaxHeaderBytes < 0 || c.DialTimeout < 0 ||
		c.TLSHandshakeTimeout < 0 || c.Timeout < 0 || c.IdleConnTimeout < 0 {
		return c, fmt.Errorf("%w: sizes and durations must not be negative (zero takes the default)", ErrInvalidConfig)
	}
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxResponseBytes, DefaultMaxResponseBytes)
	def(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	dur(&c.DialTimeout, DefaultDialTimeout)
	dur(&c.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	dur(&c.Timeout, DefaultTimeout)
	dur(&c.IdleConnTimeout, DefaultIdleConnTimeout)
	if c.LookupIP == nil {
		c.LookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	blocked := make([]netip.Prefix, 0, len(c.Blocked))
	for _, p := range c.Blocked {
		n, ok := normalizePrefix(p)
		if !ok {
			return c, fmt.Errorf("%w: Blocked range %q is not a valid prefix", ErrInvalidConfig, p.String())
		}
		blocked = append(blocked, n)
	}
	c.Blocked = blocked
	return c, nil
}
