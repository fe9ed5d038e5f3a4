package urlevent

import (
	"bytes"
)

// Delimiter ends the prelude of a streamed response: eight zero bytes, as
// Lambda's HttpResponseStream writes them between the JSON prelude (status,
// headers, cookies) and the body.
const Delimiter = "\x00\x00\x00\x00\x00\x00\x00\x00"

// Prelude says whether a response's first bytes begin with a prelude.
type Prelude int

// The answers of FindPrelude.
const (
	// PreludeUnknown: the bytes seen so far do not tell; more may.
	PreludeUnknown Prelude = iota
	// PreludeFound: the bytes begin with a JSON object and the delimiter.
	PreludeFound
	// PreludeNone: the bytes do not begin with a prelude, whatever follows.
	PreludeNone
)

// FindPrelude looks for a prelude at the start of a function's response b,
// the way a streamed function URL response is framed: a JSON object, then
// Delimiter, then the body. JSON cannot hold a zero byte, so the first zero
// byte ends the object. With PreludeFound, n is where the body starts
// (after the delimiter) and b[:n-len(Delimiter)] the prelude. A response
// that is not framed so (a buffered structured response, or a raw body) is
// PreludeNone as soon as that shows, and PreludeUnknown until then.
func FindPrelude(b []byte) (Prelude, int) {
	p := trimJSONSpace(b)
	if len(p) == 0 {
		return PreludeUnknown, 0
	}
	if p[0] != '{' {
		return PreludeNone, 0
	}
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return PreludeUnknown, 0
	}
	rest := b[i:]
	if len(rest) > len(Delimiter) {
		rest = rest[:len(Delimiter)]
	}
	if string(rest) != Delimiter[:len(rest)] {
		return PreludeNone, 0
	}
	if len(rest) < len(Delimiter) {
		return PreludeUnknown, 0
	}
	obj := trimJSONSpace(b[:i])
	if !valid(obj) || obj[0] != '{' {
		return PreludeNone, 0
	}
	return PreludeFound, i + len(Delimiter)
}

// ParsePrelude returns the status, headers and cookies a streamed
// response's prelude gives: a JSON object with statusCode (200 when
// absent), headers and cookies as in a structured response. The body is
// what follows the delimiter, so a body member is ignored. Its error is a
// *ResponseError.
func ParsePrelude(prelude []byte) (Response, error) {
	p := trimJSONSpace(prelude)
	if len(p) == 0 || p[0] != '{' || !valid(p) {
		return Response{}, &ResponseError{Reason: "the prelude of a streamed response is not a JSON object: " + shown(p)}
	}
	m := membersOf(p)
	status, headers, cookies := m.status, m.headers, m.cookies
	r := Response{Status: 200}
	var err error
	if status != nil && string(status) != "null" {
		if r.Status, err = parseStatus(status); err != nil {
			return Response{}, err
		}
	}
	if r.Headers, err = parseHeaders(headers); err != nil {
		return Response{}, err
	}
	if r.Cookies, err = parseCookies(cookies); err != nil {
		return Response{}, err
	}
	return r, nil
}

// ParseAny is ParseResponse for a response that may also be framed as a
// streamed one (a prelude, Delimiter, the body), which a function sends
// when it flushed its response but the caller buffered it: the prelude's
// status, headers and cookies, and the rest as the body.
func ParseAny(payload []byte) (Response, error) {
	if bytes.IndexByte(payload, 0) < 0 {
		return ParseResponse(payload)
	}
	found, n := FindPrelude(payload)
	if found != PreludeFound {
		return ParseResponse(payload)
	}
	r, err := ParsePrelude(payload[:n-len(Delimiter)])
	if err != nil {
		return Response{}, err
	}
	r.Body = payload[n:]
	return r, nil
}
