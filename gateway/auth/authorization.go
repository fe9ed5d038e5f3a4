package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SigV4's fixed strings.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	amzDateLayout = "20060102T150405Z"
)

// Bounds on what a client may send, well above what any SDK does: they
// bound the work a hostile request can cause before its signature is
// checked.
const (
	maxAuthorizationLen = 4096
	maxSignedHeaders    = 64
	maxScopePartLen     = 64
)

// credential is a parsed credential: ID/DATE/REGION/SERVICE/aws4_request.
// Its strings are slices of the text it was parsed from.
type credential struct {
	accessKeyID, date, region, service string
	// scope is DATE/REGION/SERVICE/aws4_request, as the string to sign
	// has it.
	scope string
}

// authorization is what a request claims about its signature, read from
// the Authorization header or from a presigned URL's query.
type authorization struct {
	credential
	// signedHeaders is the SignedHeaders list as sent: lower-case names,
	// sorted, separated by ';'.
	signedHeaders string
	signature     [sha256.Size]byte
}

// parseAuthorization reads an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex
//
// The three components may come in any order, each once, separated by
// commas with or without spaces. The error is an *Error for ErrMalformed.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if len(h) > maxAuthorizationLen {
		return a, newError(ErrMalformed, "Authorization header is %d bytes long; at most %d are accepted.", len(h), maxAuthorizationLen)
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != algorithm {
		if strings.HasPrefix(alg, "AWS4-") || strings.HasPrefix(alg, "AWS") {
			return a, newError(ErrMalformed, "Unsupported signing algorithm %q: Flint accepts AWS Signature Version 4 (%s) only.", printable(alg), algorithm)
		}
		return a, newError(ErrMalformed, "Authorization header requires the %s algorithm, followed by the 'Credential', 'SignedHeaders' and 'Signature' parameters.", algorithm)
	}

	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var part string
		var more bool
		part, rest, more = strings.Cut(rest, ",")
		part = strings.Trim(part, " \t")
		name, value, ok := strings.Cut(part, "=")
		if more && strings.Trim(rest, " \t") == "" {
			return a, newError(ErrMalformed, "Authorization header ends with ','.")
		}
		if !ok {
			return a, newError(ErrMalformed, "Authorization header component %q is not 'Name=Value'.", printable(part))
		}
		var have *bool
		switch name {
		case "Credential":
			cred, have = value, &haveCred
		case "SignedHeaders":
			signed, have = value, &haveSigned
		case "Signature":
			sig, have = value, &haveSig
		default:
			return a, newError(ErrMalformed, "Authorization header has an unknown component %q; it takes 'Credential', 'SignedHeaders' and 'Signature'.", printable(name))
		}
		if *have {
			return a, newError(ErrMalformed, "Authorization header has the %s component twice.", name)
		}
		*have = true
	}
	var missing string
	for _, m := range []struct {
		ok   bool
		name string
	}{{haveCred, "Credential"}, {haveSigned, "SignedHeaders"}, {haveSig, "Signature"}} {
		if !m.ok {
			missing += " Authorization header requires '" + m.name + "' parameter."
		}
	}
	if missing != "" {
		return a, newError(ErrMalformed, "%s", missing[1:])
	}
	return fillAuthorization(cred, signed, sig, "Authorization header")
}

// fillAuthorization parses the three components of a signature, from a
// header or a presigned URL (where says which, for messages).
func fillAuthorization(cred, signed, sig, where string) (authorization, error) {
	var a authorization
	var err error
	if a.credential, err = parseCredential(cred, where); err != nil {
		return a, err
	}
	if err := checkSignedHeaders(signed, where); err != nil {
		return a, err
	}
	a.signedHeaders = signed
	if len(sig) != 2*sha256.Size {
		return a, newError(ErrMalformed, "%s: Signature must be %d hexadecimal digits, not %d characters.", where, 2*sha256.Size, len(sig))
	}
	if _, err := hex.Decode(a.signature[:], []byte(sig)); err != nil {
		return a, newError(ErrMalformed, "%s: Signature must be %d hexadecimal digits.", where, 2*sha256.Size)
	}
	return a, nil
}

// parseCredential reads ID/DATE/REGION/SERVICE/aws4_request.
func parseCredential(s, where string) (credential, error) {
	var c credential
	bad := func(why string) (credential, error) {
		return credential{}, newError(ErrMalformed, "%s: Credential %q is not ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request: %s.", where, printable(s), why)
	}
	var rest, term string
	var ok bool
	if c.accessKeyID, rest, ok = strings.Cut(s, "/"); !ok {
		return bad("it has no '/'")
	}
	c.scope = rest
	c.date, rest, _ = strings.Cut(rest, "/")
	c.region, rest, _ = strings.Cut(rest, "/")
	c.service, term, _ = strings.Cut(rest, "/")
	switch {
	case c.accessKeyID == "" || len(c.accessKeyID) > maxKeyIDLen:
		return bad("the access key id is empty or too long")
	case len(c.date) != 8 || !allDigits(c.date):
		return bad("the date is not 8 digits")
	case !scopePart(c.region):
		return bad("the region is empty, too long or has characters other than letters, digits, '-', '_' and '.'")
	case !scopePart(c.service):
		return bad("the service is empty, too long or has characters other than letters, digits, '-', '_' and '.'")
	case term != terminator:
		return bad("it does not end with /" + terminator)
	}
	return c, nil
}

// checkSignedHeaders checks a SignedHeaders list: lower-case header names,
// sorted, each once, host among them.
func checkSignedHeaders(s, where string) error {
	if s == "" {
		return newError(ErrMalformed, "%s: SignedHeaders is empty; it must list at least host.", where)
	}
	prev, n, host := "", 0, false
	for rest := s; rest != ""; {
		var name string
		var more bool
		name, rest, more = strings.Cut(rest, ";")
		if more && rest == "" {
			return newError(ErrMalformed, "%s: SignedHeaders ends with ';'.", where)
		}
		if !headerName(name) {
			return newError(ErrMalformed, "%s: SignedHeaders entry %q is not a lower-case header name.", where, printable(name))
		}
		if n > 0 && name <= prev {
			return newError(ErrMalformed, "%s: SignedHeaders must be sorted, each name once (%q comes after %q).", where, name, prev)
		}
		if n++; n > maxSignedHeaders {
			return newError(ErrMalformed, "%s: SignedHeaders lists more than %d headers.", where, maxSignedHeaders)
		}
		prev = name
		host = host || name == "host"
	}
	if !host {
		return newError(ErrMalformed, "%s: SignedHeaders must include host.", where)
	}
	return nil
}

// hasSignedHeader reports whether the SignedHeaders list holds name.
func hasSignedHeader(list, name string) bool {
	for rest := list; rest != ""; {
		var h string
		h, rest, _ = strings.Cut(rest, ";")
		if h == name {
			return true
		}
	}
	return false
}

// headerName reports whether s is a non-empty lower-case HTTP token.
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// scopePart reports whether s can be a region or service in a scope.
func scopePart(s string) bool {
	if s == "" || len(s) > maxScopePartLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isUnreserved(c) || c == '~' {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// printable returns s for quoting in a message: at most 64 bytes, with
// anything but printable ASCII replaced, so that hostile input cannot
// forge log lines or blow up a response.
func printable(s string) string {
	const max = 64
	cut := len(s) > max
	if cut {
		s = s[:max]
	}
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	if cut {
		return string(b) + "..."
	}
	return string(b)
}
