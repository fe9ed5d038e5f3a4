package auth

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// This file builds SigV4's canonical request, as the specification
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
// and the AWS SDKs define it:
//
//	METHOD \n
//	CANONICAL_URI \n          the path as sent, URI-encoded once more
//	CANONICAL_QUERY \n        name=value pairs, each encoded, sorted
//	name:value \n ...         each signed header, values trimmed
//	\n
//	SIGNED_HEADERS \n
//	HEX(SHA256(BODY))

const hexUpper = "0123456789ABCDEF"

// queryPair is one name=value pair of a query string, both in canonical
// form: every byte outside RFC 3986's unreserved set percent-encoded with
// upper-case hex, spaces as %20.
type queryPair struct {
	key, value string
}

// parseQuery splits a raw query string into canonical pairs, sorted by
// key then value as the canonical query string orders them. A '+' means a
// space, as it does to the gateway's query parser, so that a request is
// verified as the gateway will read it. Empty pairs ("a=1&&b=2") are
// skipped and a pair without '=' has an empty value, as in the SDKs. A
// malformed percent-escape is an error: the request means nothing
// definite.
func parseQuery(raw string, buf []queryPair) ([]queryPair, error) {
	pairs := buf[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		ck, err := canonicalComponent(k)
		if err != nil {
			return nil, err
		}
		cv, err := canonicalComponent(v)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, queryPair{ck, cv})
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	return pairs, nil
}

// canonicalComponent returns a query name or value in canonical form. One
// already in that form (what the SDKs send) is returned as it is, without
// copying.
func canonicalComponent(s string) (string, error) {
	canonical := true
	for i := 0; i < len(s) && canonical; i++ {
		switch c := s[i]; {
		case isUnreserved(c):
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) &&
			!isUnreserved(unhex(s[i+1])<<4|unhex(s[i+2])):
			i += 2
		default:
			canonical = false
		}
	}
	if canonical {
		return s, nil
	}
	b := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", newError(ErrMalformed, "The query string has an invalid percent-escape %q.", printable(s[i:min(i+3, len(s))]))
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		b = appendEscaped(b, c)
	}
	return string(b), nil
}

// appendEscaped appends c, percent-encoded unless it is unreserved.
func appendEscaped(b []byte, c byte) []byte {
	if isUnreserved(c) {
		return append(b, c)
	}
	return append(b, '%', hexUpper[c>>4], hexUpper[c&15])
}

// appendCanonicalURI appends the canonical URI of a path as sent: each
// byte but '/' and the unreserved ones percent-encoded, so "%24LATEST"
// becomes "%2524LATEST", as the SDKs encode it for every service but S3.
func appendCanonicalURI(b []byte, path string) []byte {
	if path == "" {
		return append(b, '/')
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '/' {
			b = append(b, c)
		} else {
			b = appendEscaped(b, c)
		}
	}
	return b
}

// normalizePath removes "." and ".." segments and empty segments ("//")
// from a path, as botocore (the AWS CLI v1 and boto3) does before it
// signs. The Go SDK signs the path unchanged; Verify tries both.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := strings.Join(out, "/")
	if p[0] == '/' {
		n = "/" + n
	}
	if p[len(p)-1] == '/' && len(out) > 0 {
		n += "/"
	}
	return n
}

// canonicalInput is what the canonical request is built from, apart from
// the query. It holds copies rather than a *Request, and the query is
// passed on its own, so that the interface call to Header.Values does not
// make the caller's buffers escape to the heap.
type canonicalInput struct {
	method        string
	path          string // the path to sign: Request.Path or its normalized form
	host          string
	header        Header
	bodyLen       int
	skipSignature bool // presigned: the X-Amz-Signature pair is not signed
	signedHeaders string
	payloadHash   [64]byte // hex SHA-256 of the body
}

// appendCanonicalRequest appends the canonical request to b.
func appendCanonicalRequest(b []byte, in *canonicalInput, query []queryPair) []byte {
	b = append(b, in.method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, in.path)
	b = append(b, '\n')
	first := true
	for _, p := range query {
		if in.skipSignature && p.key == paramSignature {
			continue
		}
		if !first {
			b = append(b, '&')
		}
		first = false
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.value...)
	}
	b = append(b, '\n')
	for rest := in.signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValues(b, in, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, in.signedHeaders...)
	b = append(b, '\n')
	return append(b, in.payloadHash[:]...)
}

// appendHeaderValues appends the canonical value of the header name: its
// values, each trimmed and with runs of spaces collapsed, joined by ','.
// host is Request.Host. A content-length the Header does not report (some
// servers keep it apart) is the length of the body received.
func appendHeaderValues(b []byte, in *canonicalInput, name string) []byte {
	if name == "host" {
		return appendTrimmed(b, in.host)
	}
	values := headerValues(in.header, name)
	if len(values) == 0 && name == "content-length" {
		return strconv.AppendInt(b, int64(in.bodyLen), 10)
	}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimmed(b, v)
	}
	return b
}

// headerValues returns the values of the header name (lower case) in h.
// An http.Header is read directly with the canonical key built on the
// stack: http.Header.Values would allocate that key on every call.
func headerValues(h Header, name string) []string {
	switch h := h.(type) {
	case nil:
		return nil
	case http.Header:
		var buf [64]byte
		if len(name) > len(buf) {
			return h.Values(name)
		}
		key := buf[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			key[i] = c
			upper = c == '-'
		}
		return h[string(key)]
	default:
		return h.Values(name)
	}
}

// appendTrimmed appends v without leading and trailing white space and
// with each run of spaces inside it reduced to one, as the Go SDK does.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return b
}

// isUnreserved reports whether c is in RFC 3986's unreserved set, which
// SigV4 leaves unencoded.
func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isUpperHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
