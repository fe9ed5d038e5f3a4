package egress

import (
	"errors"
	"fmt"
	"net/netip"
)

// Sentinel errors. Match them with errors.Is; the errors returned wrap them
// with the detail (which URL, which address, which limit).
var (
	// ErrBlockedAddress: a host resolved to (or is) an address the request
	// may not reach: a non-public address the call's Options.PrivateOK did
	// not approve, or one in Config.Blocked. The error is a *BlockedError.
	// No connection to the address was attempted.
	ErrBlockedAddress = errors.New("egress: blocked address")
	// ErrResponseTooLarge: the response body is longer than
	// Config.MaxResponseBytes. The connection was closed.
	ErrResponseTooLarge = errors.New("egress: response too large")
	// ErrTooManyRedirects: the response was still a redirect after
	// Config.MaxRedirects redirects were followed.
	ErrTooManyRedirects = errors.New("egress: too many redirects")
	// ErrInvalidRequest: the request (or a redirect's Location) cannot be
	// sent: not an absolute http or https URL, a host that is not a plain
	// name or address, a Host header that differs from the URL's host.
	ErrInvalidRequest = errors.New("egress: invalid request")
	// ErrInvalidConfig: New was given a Config it cannot honour.
	ErrInvalidConfig = errors.New("egress: invalid config")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("egress: client closed")
)

// BlockedError is the detail of ErrBlockedAddress: which host, which of its
// addresses, and why that address was refused. errors.Is(err,
// ErrBlockedAddress) matches it.
type BlockedError struct {
	// Host is the host as the URL names it (a name or an address literal).
	Host string
	// Addr is the refused address, as the resolver returned it.
	Addr netip.Addr
	// Reason says what kind of address it is ("a private address",
	// "in the blocked range 10.9.0.0/16").
	Reason string
	// Always is true when the address is in Config.Blocked, which no
	// PrivateOK can lift.
	Always bool
}

func (e *BlockedError) Error() string {
	subject := e.Host + " resolves to " + e.Addr.String() + ","
	if literal, err := netip.ParseAddr(e.Host); err == nil {
		subject = e.Host + " is"
		if literal != e.Addr {
			subject += " " + e.Addr.String() + ","
		}
	}
	if e.Always {
		return fmt.Sprintf("%s %s; the operator blocks this range for every function", subject, e.Reason)
	}
	return fmt.Sprintf("%s %s; non-public addresses are refused unless the host is approved for private networks (the engine must allow private targets and the function's policy must name this host literally)", subject, e.Reason)
}

// Unwrap returns ErrBlockedAddress.
func (e *BlockedError) Unwrap() error { return ErrBlockedAddress }
