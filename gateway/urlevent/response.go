package urlevent

import (
	"bytes"
	"encoding/base64"
	"strconv"
)

// Response is the HTTP response a function's payload describes.
type Response struct {
	// Status is the HTTP status code, 200 to 599.
	Status int
	// Headers are the response's header fields, in the payload's order,
	// names as the function wrote them (a name the payload repeats appears
	// each time; set in order, the last wins). They are valid HTTP (names are
	// tokens, values have no control characters but HTAB); framing and
	// hop-by-hop headers (Content-Length, Transfer-Encoding, Connection)
	// are the gateway's to replace or drop. No Content-Type is added to a
	// structured response that has none.
	Headers []Header
	// Cookies are the Set-Cookie header values, in order.
	Cookies []string
	// Body is the response body, decoded from base64 when the function
	// said so. It may share the payload's memory.
	Body []byte
}

// maxShown bounds how much of a bad value an error message quotes.
const maxShown = 64

// ParseResponse returns the HTTP response that payload, a function's
// response to a function URL event, describes, following Lambda's rules as
// the package documentation sets them out. Its error is a *ResponseError.
func ParseResponse(payload []byte) (Response, error) {
	p := trimJSONSpace(payload)
	if len(p) == 0 {
		return Response{Status: 200}, nil
	}
	if !valid(p) {
		return Response{}, &ResponseError{Reason: "the payload is not valid JSON: " + strconv.Quote(cut(string(p))) +
			`; return a JSON value, or an object such as {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "..."}`}
	}
	if p[0] != '{' {
		return inferred(payload), nil
	}
	// A member named statusCode needs those bytes in the payload, or a \u
	// escape to spell them. Without either the response is inferred, and
	// the members need not be read: the common case of a function that
	// returns a plain object.
	if !bytes.Contains(p, []byte(`"statusCode"`)) && !bytes.Contains(p, []byte(`\u`)) {
		return inferred(payload), nil
	}

	m := membersOf(p)
	status, headers, cookies, body, isBase64 := m.status, m.headers, m.cookies, m.body, m.isBase64
	if status == nil {
		return inferred(payload), nil
	}

	var r Response
	var err error
	if r.Status, err = parseStatus(status); err != nil {
		return Response{}, err
	}
	if r.Headers, err = parseHeaders(headers); err != nil {
		return Response{}, err
	}
	if r.Cookies, err = parseCookies(cookies); err != nil {
		return Response{}, err
	}
	encoded := false
	switch string(isBase64) {
	case "", "null", "false":
	case "true":
		encoded = true
	default:
		return Response{}, &ResponseError{Member: "isBase64Encoded", Reason: "must be true or false, not " + shown(isBase64)}
	}
	switch {
	case body == nil || string(body) == "null":
	case body[0] != '"':
		return Response{}, &ResponseError{Member: "body", Reason: "must be a string, not " + shown(body) +
			"; encode a JSON body as a string (JSON.stringify, json.dumps, json.Marshal)"}
	case encoded:
		raw := unquote(body)
		r.Body = make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
		n, err := base64.StdEncoding.Decode(r.Body, raw)
		if err != nil {
			return Response{}, &ResponseError{Member: "body", Reason: "isBase64Encoded is true but the body is not standard base64: " + err.Error()}
		}
		r.Body = r.Body[:n]
	default:
		r.Body = unquote(body)
	}
	return r, nil
}

// members are the members of a structured response (or a streamed
// response's prelude) that matter, as raw JSON values; nil when absent.
type members struct {
	status, headers, cookies, body, isBase64 []byte
}

// membersOf reads them from p, a valid JSON object; the last of a repeated
// name wins, as in encoding/json.
func membersOf(p []byte) members {
	var m members
	s := scanner{b: p, i: 1}
	for at := -1; s.i > at; {
		at = s.i
		s.space()
		if c := s.peek(); c == '}' || c == 0 {
			break
		}
		key := s.value()
		s.space()
		s.i++ // ':'
		s.space()
		val := s.value()
		switch string(unquote(key)) {
		case "statusCode":
			m.status = val
		case "headers":
			m.headers = val
		case "cookies":
			m.cookies = val
		case "body":
			m.body = val
		case "isBase64Encoded":
			m.isBase64 = val
		}
		s.space()
		if s.peek() == ',' {
			s.i++
		}
	}
	return m
}

// inferred is the response for a payload that is not a structured
// response: itself, as JSON.
func inferred(payload []byte) Response {
	return Response{
		Status:  200,
		Headers: []Header{{Name: "content-type", Value: "application/json"}},
		Body:    payload,
	}
}

// parseStatus checks a statusCode value: an integer from 200 to 599.
func parseStatus(v []byte) (int, error) {
	n := 0
	ok := len(v) > 0 && len(v) <= 3
	for _, c := range v {
		if c < '0' || c > '9' {
			ok = false
			break
		}
		n = n*10 + int(c-'0')
	}
	if !ok || n < 200 || n > 599 {
		return 0, &ResponseError{Member: "statusCode", Reason: "must be an integer from 200 to 599, not " + shown(v)}
	}
	return n, nil
}

// parseHeaders checks and decodes a headers value: null, or an object of
// strings, numbers, booleans and nulls.
func parseHeaders(v []byte) ([]Header, error) {
	if v == nil || string(v) == "null" {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, &ResponseError{Member: "headers", Reason: `must be an object of strings, such as {"content-type": "text/html"}, not ` + shown(v)}
	}
	var out []Header
	s := scanner{b: v, i: 1}
	for at := -1; s.i > at; {
		at = s.i
		s.space()
		if c := s.peek(); c == '}' || c == 0 {
			break
		}
		name := string(unquote(s.value()))
		s.space()
		s.i++ // ':'
		s.space()
		val := s.value()
		s.space()
		if s.peek() == ',' {
			s.i++
		}
		if len(val) == 0 {
			break
		}
		var value string
		switch val[0] {
		case '"':
			value = string(unquote(val))
		case '{', '[':
			return nil, &ResponseError{Member: headerMember(name), Reason: "must be a string, not " + shown(val)}
		case 'n':
			continue
		default: // a number, true or false: its JSON text
			value = string(val)
		}
		if !validToken(name) {
			return nil, &ResponseError{Member: "headers", Reason: strconv.Quote(cut(name)) + " is not a valid header name (a token such as X-Request-Id)"}
		}
		if i := invalidValueByte(value); i >= 0 {
			return nil, &ResponseError{Member: headerMember(name), Reason: "has a control character (" + strconv.QuoteRune(rune(value[i])) + ") in " + strconv.Quote(cut(value))}
		}
		out = append(out, Header{Name: name, Value: value})
	}
	return out, nil
}

// headerMember names a member of headers in an error.
func headerMember(name string) string { return "headers[" + strconv.Quote(cut(name)) + "]" }

// parseCookies checks and decodes a cookies value: null, or an array of
// strings.
func parseCookies(v []byte) ([]string, error) {
	if v == nil || string(v) == "null" {
		return nil, nil
	}
	if v[0] != '[' {
		return nil, &ResponseError{Member: "cookies", Reason: `must be an array of strings, such as ["id=1; Path=/; HttpOnly"], not ` + shown(v)}
	}
	var out []string
	s := scanner{b: v, i: 1}
	for n, at := 0, -1; s.i > at; n++ {
		at = s.i
		s.space()
		if c := s.peek(); c == ']' || c == 0 {
			break
		}
		val := s.value()
		s.space()
		if s.peek() == ',' {
			s.i++
		}
		member := "cookies[" + strconv.Itoa(n) + "]"
		if len(val) == 0 || val[0] != '"' {
			return nil, &ResponseError{Member: member, Reason: "must be a string, not " + shown(val)}
		}
		c := string(unquote(val))
		if i := invalidValueByte(c); i >= 0 {
			return nil, &ResponseError{Member: member, Reason: "has a control character (" + strconv.QuoteRune(rune(c[i])) + ") in " + strconv.Quote(cut(c))}
		}
		out = append(out, c)
	}
	return out, nil
}

// invalidValueByte returns the index of the first byte that may not appear
// in a header field value (RFC 9110, section 5.5: control characters other
// than HTAB, and DEL), or -1. CR and LF among them would split the field.
func invalidValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return i
		}
	}
	return -1
}

// shown is a JSON value as an error message quotes it, cut short.
func shown(v []byte) string {
	if len(v) > maxShown {
		return string(v[:maxShown]) + "..."
	}
	return string(v)
}

func cut(s string) string {
	if len(s) > maxShown {
		return s[:maxShown] + "..."
	}
	return s
}

// trimJSONSpace trims JSON white space from both ends.
func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scanner walks JSON that valid has accepted, so it checks no syntax;
// it stays within b whatever b holds.
type scanner struct {
	b []byte
	i int
}

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) && isJSONSpace(s.b[s.i]) {
		s.i++
	}
}

// value consumes one value (a member name is a string value) and returns
// its bytes.
func (s *scanner) value() []byte {
	start := s.i
	if s.i >= len(s.b) {
		return s.b[len(s.b):]
	}
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
	default: // a number or a literal
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.b[start:s.i]
			}
			s.i++
		}
	}
	return s.b[start:s.i]
}

// str consumes a string, quotes included.
func (s *scanner) str() {
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return
		}
		s.i++
	}
	s.i = len(s.b)
}
