// Package egress is the HTTP client that sends guests' outbound requests
// (the http_fetch host call) safely: it refuses non-public addresses unless
// the caller approves the host, checks every redirect again, and caps the
// response's size and the request's time.
//
// # Addresses
//
// The check is made on addresses, when a connection is dialed, not on
// names when a URL is parsed. The Transport's DialContext resolves the
// host once (Config.LookupIP; an address literal is its own answer),
// checks every address the answer holds, and then dials those very
// addresses, by number. Nothing resolves the name again between the check
// and the connection, so DNS rebinding (a first answer that passes, a
// second that points inside) has nothing to race: the answer that was
// checked is the one used. A name whose answer mixes public and non-public
// addresses is refused as a whole.
//
// Non-public means: loopback, unspecified, "this network" (0/8),
// link-local (169.254/16, where cloud metadata listens, and fe80::/10),
// private (10/8, 172.16/12, 192.168/16, fc00::/7), shared CGNAT space
// (100.64/10), multicast, broadcast, reserved (240/4, and IPv6 outside
// 2000::/3), IETF protocol ranges (192.0.0/24, 2001::/23 with Teredo),
// documentation and benchmarking ranges, site-local and scoped (zoned)
// IPv6 addresses. An address that is forwarded to an IPv4 address
// (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is
// judged by that IPv4 address. Such addresses are reachable only when
// Options.PrivateOK approves the host; ranges in Config.Blocked never are.
//
// A host that is neither a dotted-decimal or IPv6 literal nor a plain
// ASCII name is refused before anything is resolved: "2130706433",
// "0x7f.1" and "127.1" are 127.0.0.1 to some resolvers, and an
// international name must be sent in its xn-- form.
//
// Proxies from the environment are never used: a proxy would make the
// dialed address the proxy's, and the check meaningless.
//
// # Connection reuse
//
// The Transport keeps idle connections in pools keyed by scheme and
// host:port, and hands one to any later request with the same key. The
// check happens when a connection is dialed, so reuse must never give a
// request a connection it could not have dialed itself. What a request
// may dial depends on one thing besides the fixed Config: whether
// PrivateOK approves its host. So a Client has two Transports, two sets of
// pools. The public one dials public addresses only: any request may use
// its connections, since any request could have dialed them (what a
// request may send to a URL is decided by Allow on the URL, before a
// connection is chosen). The private one also dials non-public addresses,
// and carries only requests whose host PrivateOK approved: such a request
// may reach that host at any address, and a pooled connection with its key
// was dialed for that same host name and port. A request whose host is not
// approved goes to the public Transport and can never be handed a
// connection to a private address, even if another function's request
// opened one to the very same host:port a moment before. With a single
// Transport it would be.
//
// Redirects are followed here, not by the Transport or an http.Client,
// so that each hop chooses its Transport for its own host, passes Allow
// before it is sent, and is dialed through the same check. Hosts must be
// ASCII so that the host PrivateOK approves is byte for byte the host the
// pool is keyed by and the dialer resolves.
//
// # Limits
//
// The response body is read into memory, at most Config.MaxResponseBytes
// of it (a longer one closes the connection and fails); headers are capped
// by Config.MaxHeaderBytes. The call is bounded by its context (the
// invocation's deadline) and by Config.Timeout; each connection attempt by
// Config.DialTimeout and each TLS handshake by Config.TLSHandshakeTimeout.
// Compression is left to the guest: the size limit counts the bytes the
// server sent.
package egress
