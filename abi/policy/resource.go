package policy

import (
	"path"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/internal/ascii"
)

// Limits on resource patterns. They bound the work a single check can do and
// are far above any real name.
const (
	maxResourceLen = 2048
	maxStoreLen    = 64
	maxFnNameLen   = 64
	maxQualLen     = 128
	maxConfigLen   = 256
)

// Resource prefixes, by service.
const (
	prefixKV     = "kv:"
	prefixFn     = "fn:"
	prefixFS     = "fs:"
	prefixConfig = "config:"
	prefixApp    = AppPrefix
	prefixHTTP   = "http://"
	prefixHTTPS  = "https://"
)

// matcher is a compiled resource pattern.
type matcher struct {
	// url is set for http and https patterns, which are matched part by
	// part; g is used for every other pattern.
	url *urlPattern
	g   glob
}

// urlParts is an http resource split once per Evaluate, rather than by
// every pattern it is checked against.
type urlParts struct {
	// ok reports whether the resource is an http or https URL that http
	// patterns can match; https, host and rest are its parts (see
	// splitURL).
	ok         bool
	https      bool
	host, rest string
}

// match reports whether resource s matches the pattern; u holds the parts
// of s when it is checked for an http action, and is nil otherwise. It
// never allocates.
func (m *matcher) match(s string, u *urlParts) bool {
	if m.url != nil {
		return u != nil && m.url.match(u)
	}
	return m.g.match(s)
}

// prefilter says how much of a pattern a literal prefix check decides.
type prefilter uint8

const (
	// prefilterOnly: starting with the prefix is a match ("*", "abc*").
	prefilterOnly prefilter = iota
	// prefilterExact: being exactly the prefix is a match ("abc").
	prefilterExact
	// prefilterCall: starting with the prefix is necessary; call match.
	prefilterCall
)

// literalPrefix is a literal every resource the matcher matches starts
// with, for a quick inline check before any call to match, and what that
// check decides.
func (m *matcher) literalPrefix() (string, prefilter) {
	if m.url != nil {
		return "", prefilterCall // the scheme and host are matched ignoring case
	}
	switch m.g.kind {
	case globAny:
		return "", prefilterOnly
	case globPrefix:
		return m.g.a, prefilterOnly
	case globExact:
		return m.g.a, prefilterExact
	case globPrefixSuffix, globSegments:
		return m.g.a, prefilterCall
	case globGeneral:
		return m.g.a[:strings.IndexAny(m.g.a, "*?")], prefilterCall
	}
	return "", prefilterCall
}

// urlPattern is a compiled http or https pattern. A URL's authority
// (host[:port]) is matched against host and the rest (path and query)
// against path, so a wildcard in the host can never reach into the path: a
// naive glob would let "https://*.example.com/*" match
// "https://evil.test/.example.com/".
type urlPattern struct {
	https bool
	// host is the pattern's authority in lower case without a default port
	// (:443 for https, :80 for http), matched ignoring ASCII case.
	host glob
	// path is the pattern's path (it always starts with '/'); tail is the
	// same without its leading '/', used for URLs whose path is empty so
	// that "https://h" and "https://h?q" are matched as "https://h/" and
	// "https://h/?q".
	path, tail glob
}

// match reports whether the URL split into parts matches the pattern.
func (u *urlPattern) match(parts *urlParts) bool {
	if !parts.ok || parts.https != u.https || !u.host.match(parts.host) {
		return false
	}
	if parts.rest == "" || parts.rest[0] != '/' {
		return u.tail.match(parts.rest)
	}
	return u.path.match(parts.rest)
}

// splitURL splits an http or https URL into its scheme, its authority
// without a default port, and the rest. ok is false when s is not an http or
// https URL whose authority is a plain host[:port], which leaves out
// userinfo ("user@"), percent-encoding and backslashes: such a URL matches
// no http pattern, only "*".
func splitURL(s string) (https bool, host, rest string, ok bool) {
	switch {
	case len(s) >= len(prefixHTTPS) && equalFoldLower(s[:len(prefixHTTPS)], prefixHTTPS):
		https, s = true, s[len(prefixHTTPS):]
	case len(s) >= len(prefixHTTP) && equalFoldLower(s[:len(prefixHTTP)], prefixHTTP):
		s = s[len(prefixHTTP):]
	default:
		return false, "", "", false
	}
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	host, rest = s[:end], s[end:]
	if !validAuthority(host) {
		return false, "", "", false
	}
	return https, trimDefaultPort(host, https), rest, true
}

// validAuthority reports whether s is a host (a name, an IPv4 address or a
// bracketed IPv6 address) with an optional :PORT of digits. It is a
// character-level check, not a full parse: enough that a pattern's host
// part can only ever be compared with a URL's host part.
func validAuthority(s string) bool {
	name, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		name, port = s[1:end], s[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isAlnum(c) && c != ':' && c != '.' && c != '%' {
				return false
			}
		}
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			name, port = s[:i], s[i:]
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isAlnum(c) && c != '.' && c != '-' && c != '_' {
				return false
			}
		}
	}
	if name == "" {
		return false
	}
	if port != "" {
		if len(port) == 1 {
			return false
		}
		for i := 1; i < len(port); i++ {
			if c := port[i]; c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// isHostByte reports whether c may appear in a URL's authority as Flint
// matches it: a DNS name or IP address and an optional port.
func isHostByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']'
}

// trimDefaultPort removes ":443" from an https host or ":80" from an http
// host, so that both spellings of the same origin match alike.
func trimDefaultPort(host string, https bool) string {
	port := ":80"
	if https {
		port = ":443"
	}
	return strings.TrimSuffix(host, port)
}

// resourceService returns the service whose resource r is, from its prefix,
// or svcNone when r is "*".
func resourceService(r string) (service, bool) {
	switch {
	case r == "*":
		return svcNone, true
	case strings.HasPrefix(r, prefixKV):
		return svcKV, true
	case strings.HasPrefix(r, prefixFn):
		return svcFn, true
	case strings.HasPrefix(r, prefixFS):
		return svcFS, true
	case strings.HasPrefix(r, prefixConfig):
		return svcConfig, true
	case strings.HasPrefix(r, prefixApp):
		return svcApp, true
	case len(r) >= len(prefixHTTP) && equalFoldLower(r[:len(prefixHTTP)], prefixHTTP),
		len(r) >= len(prefixHTTPS) && equalFoldLower(r[:len(prefixHTTPS)], prefixHTTPS):
		return svcHTTP, true
	}
	return svcNone, false
}

// compileResource validates resource pattern r and compiles it. reason says
// what is wrong and how to fix it when r is not valid.
func compileResource(r string) (svc service, m matcher, reason string) {
	if r == "" {
		return svcNone, m, `is empty; write a resource pattern such as "kv:sessions/*", or "*" for every resource`
	}
	if len(r) > maxResourceLen {
		return svcNone, m, "is longer than " + strconv.Itoa(maxResourceLen) + " bytes; shorten it with a wildcard"
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 0x20 || r[i] == 0x7f {
			return svcNone, m, "contains a control character; remove it"
		}
	}
	svc, ok := resourceService(r)
	if !ok {
		return svcNone, m, `has no known resource type; a resource starts with kv:, fn:, fs:, config:, app:, http:// or https://, or is "*" for every resource`
	}
	switch svc {
	case svcKV:
		reason = checkKV(r[len(prefixKV):])
	case svcFn:
		reason = checkFn(r[len(prefixFn):])
	case svcFS:
		reason = checkFS(r[len(prefixFS):])
	case svcConfig:
		reason = checkConfig(r[len(prefixConfig):])
	case svcApp:
		reason = checkApp(r[len(prefixApp):])
	case svcHTTP:
		var u *urlPattern
		u, reason = compileURL(r)
		m.url = u
	}
	if reason != "" {
		return svc, matcher{}, reason
	}
	if m.url == nil {
		m.g = compileGlob(r, false)
	}
	return svc, m, ""
}

// checkKV validates the part of a kv pattern after "kv:": STORE/KEY.
func checkKV(rest string) string {
	store, _, hasSlash := strings.Cut(rest, "/")
	switch {
	case store == "":
		return `has an empty store name; write kv:STORE/KEY, e.g. "kv:sessions/*"`
	case len(store) > maxStoreLen:
		return "has a store name longer than 64 characters; store names are 1-64 characters"
	case !allNameChars(store, "_.-"):
		return "has an invalid store name; a store name is 1-64 characters of A-Z a-z 0-9 _ . - (and the wildcards * and ?)"
	case !hasSlash && !strings.HasSuffix(store, "*"):
		return `names no key; a kv resource is kv:STORE/KEY: write "kv:` + store + `/*" for every key in the store`
	}
	return "" // a key pattern may hold any character
}

// checkFn validates the part of an fn pattern after "fn:": NAME or
// NAME:QUALIFIER.
func checkFn(rest string) string {
	name, qual, hasQual := strings.Cut(rest, ":")
	switch {
	case name == "":
		return `has an empty function name; write fn:NAME or fn:NAME:QUALIFIER, e.g. "fn:resize"`
	case len(name) > maxFnNameLen:
		return "has a function name longer than 64 characters; function names are 1-64 characters"
	case !allNameChars(name, "_-"):
		return "has an invalid function name; a function name is 1-64 characters of A-Z a-z 0-9 _ - (and the wildcards * and ?)"
	case !hasQual:
		return ""
	case qual == "":
		return `has an empty qualifier; write "fn:` + name + `" for unqualified invocations or "fn:` + name + `:*" for every version and alias`
	case qual == "$LATEST":
		return ""
	case strings.Contains(qual, ":"):
		return "has more than one ':'; write fn:NAME or fn:NAME:QUALIFIER"
	case len(qual) > maxQualLen:
		return "has a qualifier longer than 128 characters"
	case !allNameChars(qual, "_-"):
		return "has an invalid qualifier; a qualifier is $LATEST, a version number, or an alias of 1-128 characters of A-Z a-z 0-9 _ - (and the wildcards * and ?)"
	}
	return ""
}

// checkFS validates the part of an fs pattern after "fs:": a clean absolute
// path.
func checkFS(p string) string {
	if p == "" || p[0] != '/' {
		return `is not an absolute path; write the path as the function sees it, e.g. "fs:/data/*"`
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "..":
			return `contains a ".." segment; write the path it stands for (paths are checked after cleaning, so ".." never reaches a check)`
		case ".":
			return `contains a "." segment; remove it`
		}
	}
	if clean := path.Clean(p); clean != p {
		if strings.HasSuffix(p, "/") && clean+"/" == p {
			return `ends in "/", which no cleaned path does; write "fs:` + clean + `" for the directory itself or "fs:` + strings.TrimSuffix(clean, "/") + `/*" for everything under it`
		}
		return `is not a clean path; write "fs:` + clean + `"`
	}
	return ""
}

// checkConfig validates the part of a config pattern after "config:".
func checkConfig(name string) string {
	switch {
	case name == "":
		return `has an empty name; write config:NAME, e.g. "config:db/url", or "config:*" for every value`
	case len(name) > maxConfigLen:
		return "has a name longer than 256 characters"
	case !allNameChars(name, "_./-"):
		return "has an invalid name; a config name is 1-256 characters of A-Z a-z 0-9 _ . / - (and the wildcards * and ?)"
	}
	return ""
}

// checkApp validates the part of an app pattern after "app:": anything the
// host application's capabilities name, but not nothing.
func checkApp(rest string) string {
	if rest == "" {
		return `names nothing after "app:"; write the resource a host capability names, e.g. "app:orders/tenant-42/*", or "app:*" for all of them`
	}
	return ""
}

// compileURL validates an http or https pattern and compiles it.
func compileURL(r string) (*urlPattern, string) {
	i := strings.Index(r, "://")
	https := len(r[:i]) == len("https")
	rest := r[i+len("://"):]
	host, p, hasPath := strings.Cut(rest, "/")
	scheme := r[:i+len("://")]
	switch {
	case host == "":
		return nil, `has no host; write SCHEME://HOST/PATH, e.g. "https://api.example.com/*"`
	case strings.Contains(host, "@"):
		return nil, `contains user information ("user@"), which a pattern may not have; write only the host, e.g. "` + scheme + host[strings.LastIndex(host, "@")+1:] + `/*"`
	case !hasPath:
		return nil, `has no path; write "` + r + `/*" for every path on the host or "` + r + `/" for the root only`
	}
	if reason := checkHost(host); reason != "" {
		return nil, reason
	}
	p = "/" + p
	switch {
	case strings.Contains(p, "#"):
		return nil, "contains a fragment (#...), which is never sent and so is never checked; remove it"
	case strings.ContainsAny(p, " \\"):
		return nil, "contains a space or a backslash; percent-encode it as it is sent (%20, %5C)"
	}
	return &urlPattern{
		https: https,
		host:  compileGlob(trimDefaultPort(ascii.LowerString(host), https), true),
		path:  compileGlob(p, false),
		tail:  compileGlob(p[1:], false),
	}, ""
}

// checkHost validates the authority of a URL pattern: a host pattern and an
// optional port pattern.
func checkHost(host string) string {
	const bad = `has an invalid host; a host is a DNS name or IP address (letters, digits, . - _, [IPv6]) with an optional :PORT, and may use the wildcards * and ?`
	for i := 0; i < len(host); i++ {
		if c := host[i]; !isHostByte(c) && c != '*' && c != '?' {
			return bad
		}
	}
	name, port := host, ""
	if host[0] == '[' {
		end := strings.IndexByte(host, ']')
		if end < 0 || strings.IndexByte(host[1:end], '[') >= 0 {
			return bad
		}
		name, port = host[1:end], host[end+1:]
		if port != "" && port[0] != ':' {
			return bad
		}
	} else {
		if strings.ContainsAny(host, "[]") {
			return bad
		}
		if i := strings.IndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i:]
		}
	}
	if name == "" {
		return `has an empty host name; write e.g. "https://api.example.com/*"`
	}
	if port != "" {
		port = port[1:]
		if port == "" {
			return `has an empty port after ":"; remove the ":" or add the port`
		}
		for i := 0; i < len(port); i++ {
			if c := port[i]; !('0' <= c && c <= '9') && c != '*' && c != '?' {
				return "has an invalid port; a port is digits (and the wildcards * and ?)"
			}
		}
	}
	return ""
}

// allNameChars reports whether s holds only ASCII letters, digits, the
// wildcards '*' and '?', and bytes in extra.
func allNameChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '*' && c != '?' && strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
