package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of Verifier's zero fields.
const (
	// DefaultMaxSkew is how far X-Amz-Date may be from the verifier's
	// clock, either way: AWS allows 5 minutes.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultService is the service a credential scope must name: both
	// the Lambda API and function URLs with AWS_IAM auth are signed for
	// "lambda".
	DefaultService = "lambda"
)

// maxPresignExpires is the longest X-Amz-Expires accepted: seven days,
// AWS's limit.
const maxPresignExpires = 7 * 24 * 60 * 60

// The query parameters of a presigned URL.
const (
	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
)

// Header gives Verify the headers of a request. http.Header has this
// method; HeaderFunc adapts a function, so that a server whose headers are
// kept otherwise (fasthttp's PeekAll) need not copy them into a map.
type Header interface {
	// Values returns the values of the header named name, one per field
	// line received, or none. The lookup must ignore case: name comes in
	// canonical form ("X-Amz-Date") or, for the headers a client listed
	// in SignedHeaders, in lower case.
	Values(name string) []string
}

// HeaderFunc is a function that serves as a Header.
type HeaderFunc func(name string) []string

// Values returns f(name).
func (f HeaderFunc) Values(name string) []string { return f(name) }

// Request is what Verify needs of an HTTP request, independent of the
// server library that received it. Verify does not modify it or keep it.
type Request struct {
	// Method is the HTTP method, as sent ("POST").
	Method string
	// Path is the path as received, still escaped and without the query:
	// "/2015-03-31/functions/my-fn%3A%24LATEST/invocations", not its
	// decoded or cleaned form (fasthttp: URI().PathOriginal(), not
	// Path()).
	Path string
	// RawQuery is the query string as received, without the '?'.
	RawQuery string
	// Host is the Host header (HTTP/2: the :authority), with its port if
	// it has one.
	Host string
	// Header holds the other headers. It may be nil.
	Header Header
	// Body is the whole request body, already read.
	Body []byte
}

// values returns the values of the header name.
func (r *Request) values(name string) []string {
	if r.Header == nil {
		return nil
	}
	return r.Header.Values(name)
}

// FromHTTP describes a request a net/http server received, whose body
// the caller has read into body.
func FromHTTP(r *http.Request, body []byte) Request {
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	if strings.HasPrefix(r.RequestURI, "/") {
		// What the client sent, before net/url's parsing: EscapedPath
		// may re-escape a path into a different, equivalent form.
		path, query, _ = strings.Cut(r.RequestURI, "?")
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return Request{Method: r.Method, Path: path, RawQuery: query, Host: host, Header: r.Header, Body: body}
}

// Verifier checks that requests are signed with AWS Signature Version 4
// (SigV4) by one of its keys, in an Authorization header or a presigned
// URL. Its zero fields take the defaults documented on them. A Verifier
// is safe for concurrent use; do not change its fields while it is in
// use.
type Verifier struct {
	// Keys are the keys requests may be signed with.
	Keys Keys
	// MaxSkew is how far a request's X-Amz-Date may be from Now, either
	// way. Zero: DefaultMaxSkew.
	MaxSkew time.Duration
	// Services are the services a credential scope may name. Empty:
	// DefaultService only. Any region is accepted: Flint is one local
	// endpoint, and clients sign for the region they are configured with.
	Services []string
	// Now returns the current time. Nil: time.Now.
	Now func() time.Time
}

// Verify checks r's signature and returns the key it was made with, its
// SecretAccessKey left empty. It accepts what the AWS SDKs and CLI send:
//
//   - an Authorization header "AWS4-HMAC-SHA256 Credential=ID/DATE/
//     REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...",
//     with an X-Amz-Date header no more than MaxSkew from now; host and
//     x-amz-date must be signed;
//   - or a presigned URL (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
//     X-Amz-Expires of at most 7 days, X-Amz-SignedHeaders and
//     X-Amz-Signature in the query) used between X-Amz-Date (less
//     MaxSkew) and its expiry; host must be signed.
//
// The payload is always signed: the canonical request ends with the
// SHA-256 of Body, and an x-amz-content-sha256 header must equal it
// (UNSIGNED-PAYLOAD and streaming payloads are refused). The path is
// checked as sent and, for clients that normalize it before signing
// (botocore), with its "//", "." and ".." segments removed.
//
// On failure the error is an *Error that unwraps to ErrMissing,
// ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired or
// ErrBodyMismatch.
func (v *Verifier) Verify(r Request) (Key, error) {
	var queryBuf [8]queryPair
	query, err := parseQuery(r.RawQuery, queryBuf[:0])
	if err != nil {
		return Key{}, err
	}
	header := r.values("Authorization")
	presigned := hasParam(query, paramSignature) || hasParam(query, paramCredential) || hasParam(query, paramAlgorithm)

	var (
		a       authorization
		amzDate string
		expires int64
	)
	switch {
	case len(header) > 0 && presigned:
		return Key{}, newError(ErrMalformed, "Only one authentication mechanism is allowed: an Authorization header or a presigned URL's X-Amz-* query parameters, not both.")
	case presigned:
		if a, amzDate, expires, err = parsePresigned(query); err != nil {
			return Key{}, err
		}
	case len(header) == 0:
		return Key{}, newError(ErrMissing, "Missing Authentication Token: sign requests with AWS Signature Version 4 using a Flint access key.")
	case len(header) > 1:
		return Key{}, newError(ErrMalformed, "The request has %d Authorization headers; send one.", len(header))
	default:
		if a, err = parseAuthorization(header[0]); err != nil {
			return Key{}, err
		}
		dates := r.values("X-Amz-Date")
		if len(dates) != 1 {
			return Key{}, newError(ErrMalformed, "Authorization header requires existence of a valid X-Amz-Date header, one only.")
		}
		amzDate = strings.TrimSpace(dates[0])
		if !hasSignedHeader(a.signedHeaders, "x-amz-date") {
			return Key{}, newError(ErrMalformed, "Authorization header: SignedHeaders must include x-amz-date.")
		}
	}

	signedAt, err := time.Parse(amzDateLayout, amzDate)
	if err != nil || len(amzDate) != len(amzDateLayout) {
		return Key{}, newError(ErrMalformed, "X-Amz-Date %q is not a date of the form YYYYMMDD'T'HHMMSS'Z'.", printable(amzDate))
	}
	if amzDate[:8] != a.date {
		return Key{}, newError(ErrMalformed, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.date, amzDate[:8], amzDate)
	}
	if !v.serves(a.service) {
		return Key{}, newError(ErrBadSignature, "Credential should be scoped to correct service: '%s'.", strings.Join(v.services(), "' or '"))
	}
	e := v.Keys.byID[a.accessKeyID]
	if e == nil {
		return Key{}, newError(ErrUnknownKey, "The security token included in the request is invalid.")
	}
	if err := v.checkTime(signedAt, presigned, expires); err != nil {
		return Key{}, err
	}

	in := canonicalInput{
		method:        r.Method,
		path:          r.Path,
		host:          r.Host,
		header:        r.Header,
		bodyLen:       len(r.Body),
		skipSignature: presigned,
		signedHeaders: a.signedHeaders,
	}
	sum := sha256.Sum256(r.Body)
	hex.Encode(in.payloadHash[:], sum[:])
	if claimed := r.values("X-Amz-Content-Sha256"); len(claimed) > 0 {
		switch {
		case len(claimed) == 1 && claimed[0] == string(in.payloadHash[:]):
		case len(claimed) == 1 && (claimed[0] == "UNSIGNED-PAYLOAD" || strings.HasPrefix(claimed[0], "STREAMING-")):
			return Key{}, newError(ErrBodyMismatch, "x-amz-content-sha256 %q is not accepted: Flint requires the payload to be signed (its hex SHA-256).", printable(claimed[0]))
		default:
			return Key{}, newError(ErrBodyMismatch, "The provided x-amz-content-sha256 header does not match what was computed.")
		}
	}

	key := e.signingKey(a.date, a.region, a.service)
	var buf [1024]byte
	canonical := appendCanonicalRequest(buf[:0], &in, query)
	sig, toSign := sign(key, amzDate, a.scope, canonical)
	if hmac.Equal(sig[:], a.signature[:]) {
		return e.key, nil
	}
	if normalized := normalizePath(r.Path); normalized != r.Path {
		in.path = normalized
		if alt, _ := sign(key, amzDate, a.scope, appendCanonicalRequest(nil, &in, query)); hmac.Equal(alt[:], a.signature[:]) {
			return e.key, nil
		}
	}
	return Key{}, newError(ErrBadSignature, "The request signature we calculated does not match the signature you provided. "+
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n"+
		"The Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
		printableLines(canonical), printableLines(toSign)) // copies: buf stays on the stack
}

// printableLines copies b for an error message, its control characters
// other than newlines (a request's method or header may hold a CR) and
// non-ASCII bytes replaced by '?'.
func printableLines(b []byte) string {
	out := bytes.Clone(b)
	for i, c := range out {
		if (c < ' ' && c != '\n') || c > '~' {
			out[i] = '?'
		}
	}
	return string(out)
}

// sign returns the signature of a canonical request, and the string to
// sign it computed.
func sign(key *signingKey, amzDate, scope string, canonical []byte) (sig [sha256.Size]byte, toSign []byte) {
	digest := sha256.Sum256(canonical)
	n := len(algorithm) + len(amzDate) + len(scope) + 3 + 2*sha256.Size
	// One allocation for the string to sign and, after it, the MAC: both
	// pass through hash.Hash's interface, so neither can stay on the stack.
	b := make([]byte, 0, n+sha256.Size)
	b = append(b, algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	toSign = hex.AppendEncode(b, digest[:])
	m := key.newMAC()
	m.Write(toSign)
	copy(sig[:], m.Sum(toSign[len(toSign):]))
	return sig, toSign
}

// parsePresigned reads the signature parameters of a presigned URL.
func parsePresigned(query []queryPair) (a authorization, amzDate string, expires int64, err error) {
	const where = "Presigned URL"
	var values [6]string
	for i, name := range [...]string{paramAlgorithm, paramCredential, paramDate, paramExpires, paramSignedHeaders, paramSignature} {
		n := 0
		for _, p := range query {
			if p.key == name {
				n++
				values[i] = unescapeCanonical(p.value)
			}
		}
		if n != 1 {
			return a, "", 0, newError(ErrMalformed, "%s: the query must hold %s once, not %d times.", where, name, n)
		}
	}
	if values[0] != algorithm {
		return a, "", 0, newError(ErrMalformed, "%s: X-Amz-Algorithm %q is not supported; Flint accepts %s only.", where, printable(values[0]), algorithm)
	}
	if a, err = fillAuthorization(values[1], values[4], values[5], where); err != nil {
		return a, "", 0, err
	}
	expires, perr := strconv.ParseInt(values[3], 10, 64)
	if perr != nil || expires < 1 || expires > maxPresignExpires {
		return a, "", 0, newError(ErrMalformed, "%s: X-Amz-Expires must be a number of seconds from 1 to %d.", where, maxPresignExpires)
	}
	return a, values[2], expires, nil
}

// unescapeCanonical decodes a query component in canonical form.
func unescapeCanonical(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// hasParam reports whether the query has a parameter named name.
func hasParam(query []queryPair, name string) bool {
	for _, p := range query {
		if p.key == name {
			return true
		}
	}
	return false
}

// checkTime checks the signing time against the clock: within MaxSkew of
// now for a header signature; between the signing time (less MaxSkew) and
// its expiry for a presigned URL.
func (v *Verifier) checkTime(signedAt time.Time, presigned bool, expires int64) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	switch {
	case signedAt.Sub(t) > skew:
		return newError(ErrExpired, "Signature not yet current: %s is still later than %s (%s + %s.)",
			signedAt.Format(amzDateLayout), t.Add(skew).Format(amzDateLayout), t.Format(amzDateLayout), skewText(skew))
	case presigned && t.Sub(signedAt) > time.Duration(expires)*time.Second:
		return newError(ErrExpired, "Request has expired: signed at %s for %d seconds; it is now %s.",
			signedAt.Format(amzDateLayout), expires, t.Format(amzDateLayout))
	case !presigned && t.Sub(signedAt) > skew:
		return newError(ErrExpired, "Signature expired: %s is now earlier than %s (%s - %s.)",
			signedAt.Format(amzDateLayout), t.Add(-skew).Format(amzDateLayout), t.Format(amzDateLayout), skewText(skew))
	}
	return nil
}

// skewText writes a skew as AWS's messages do ("5 min").
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// services returns the services a scope may name.
func (v *Verifier) services() []string {
	if len(v.Services) == 0 {
		return []string{DefaultService}
	}
	return v.Services
}

// serves reports whether a scope may name service.
func (v *Verifier) serves(service string) bool {
	if len(v.Services) == 0 {
		return service == DefaultService
	}
	for _, s := range v.Services {
		if s == service {
			return true
		}
	}
	return false
}
