package guest

import (
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFunctionError decodes fn_invoke's pending result after FUNCTION:
// {"errorType": "...", "errorMessage": "..."}; other members are ignored.
// Something else (which a correct host never sends) becomes an error of
// type "Error" carrying it.
//
// It is hand-written rather than encoding/json because json.Unmarshal
// links reflection-based decoding into every function that calls Invoke,
// about 1 MB of module for a guest that does not otherwise use it.
func decodeFunctionError(raw []byte) *Error {
	var (
		e    Error
		seen bool
	)
	ok := parseStringObject(raw, func(key, val string) {
		switch key {
		case "errorType":
			e.Type, seen = val, true
		case "errorMessage":
			e.Message, seen = val, true
		}
	})
	if !ok || !seen {
		return &Error{Type: "Error", Message: "the invoked function failed: " + string(raw)}
	}
	if e.Type == "" {
		e.Type = "Error"
	}
	return &e
}

// parseStringObject parses b as a JSON object, calling field for each
// member whose value is a string, in order (a repeated key is reported each
// time, so the last one wins); members of other types are checked and
// skipped, so the host may add fields. It decodes strings as encoding/json
// does: invalid UTF-8 and unpaired surrogates become U+FFFD. It reports
// false when b is not one JSON object, or nests deeper than maxDepth.
func parseStringObject(b []byte, field func(key, val string)) bool {
	p := jsonParser{b: b}
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	if !p.object(0, field) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

// maxDepth bounds the nesting parseStringObject accepts, and so its stack.
const maxDepth = 64

type jsonParser struct {
	b []byte
	i int
}

// object consumes an object; field, when not nil, gets its string members.
func (p *jsonParser) object(depth int, field func(key, val string)) bool {
	if depth >= maxDepth || !p.byte('{') {
		return false
	}
	p.space()
	if p.byte('}') {
		return true
	}
	for {
		key, ok := p.string()
		if !ok {
			return false
		}
		p.space()
		if !p.byte(':') {
			return false
		}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '"' {
			val, ok := p.string()
			if !ok {
				return false
			}
			if field != nil {
				field(key, val)
			}
		} else if !p.value(depth + 1) {
			return false
		}
		p.space()
		if p.byte('}') {
			return true
		}
		if !p.byte(',') {
			return false
		}
		p.space()
	}
}

// array consumes an array.
func (p *jsonParser) array(depth int) bool {
	if depth >= maxDepth || !p.byte('[') {
		return false
	}
	p.space()
	if p.byte(']') {
		return true
	}
	for {
		if !p.value(depth + 1) {
			return false
		}
		p.space()
		if p.byte(']') {
			return true
		}
		if !p.byte(',') {
			return false
		}
		p.space()
	}
}

// value consumes any JSON value.
func (p *jsonParser) value(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.string()
		return ok
	case c == '{':
		return p.object(depth, nil)
	case c == '[':
		return p.array(depth)
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return false
}

func (p *jsonParser) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// number consumes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *jsonParser) number() bool {
	p.byte('-')
	if p.byte('0') {
		// No leading zeros.
	} else if !p.digits() {
		return false
	}
	if p.byte('.') && !p.digits() {
		return false
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more decimal digits.
func (p *jsonParser) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (p *jsonParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// string consumes a JSON string and returns its value.
func (p *jsonParser) string() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c == '\\':
			var ok bool
			if out, ok = p.escape(out); !ok {
				return "", false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			out = utf8.AppendRune(out, r) // RuneError for invalid UTF-8
			p.i += size
		}
	}
	return "", false
}

// escape decodes the escape sequence at p.i, appending it to out.
func (p *jsonParser) escape(out []byte) ([]byte, bool) {
	if p.i+1 >= len(p.b) {
		return out, false
	}
	c := p.b[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return append(out, c), true
	case 'b':
		return append(out, '\b'), true
	case 'f':
		return append(out, '\f'), true
	case 'n':
		return append(out, '\n'), true
	case 'r':
		return append(out, '\r'), true
	case 't':
		return append(out, '\t'), true
	case 'u':
		r, ok := hex4(p.b[p.i:])
		if !ok {
			return out, false
		}
		p.i += 4
		if utf16.IsSurrogate(r) {
			// A pair is two escapes; anything else is replaced, and a
			// following escape is decoded on its own.
			if len(p.b)-p.i >= 6 && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				if r2, ok := hex4(p.b[p.i+2:]); ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						p.i += 6
						return utf8.AppendRune(out, d), true
					}
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(out, r), true
	}
	return out, false
}

// hex4 decodes the four hexadecimal digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
