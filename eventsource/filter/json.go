package filter

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the JSON reader shared by patterns and records: it turns
// a document into a flat tape of nodes in one pass, without recursion (so
// the depth of a document costs no Go stack) and without allocating once
// its slices have grown.

// Node kinds.
const (
	kObject uint8 = iota + 1
	kArray
	kString
	kNumber
	kTrue
	kFalse
	kNull
)

// node is one JSON value on a tape. An object's members follow it as pairs
// of a key node (kString) and the value's nodes; an array's elements follow
// it. next is the index just past the value and everything in it, so a
// reader skips a value with i = nodes[i].next.
type node struct {
	kind uint8
	esc  bool  // a string with at least one backslash escape
	from int32 // strings: first byte after the opening quote; others: first byte
	to   int32 // strings: the closing quote; others: one past the last byte
	next int32
}

// doc is a parsed document: its bytes and its tape.
type doc struct {
	src   []byte
	nodes []node
}

// raw is the bytes of node i as they appear in src (a string without its
// quotes, still escaped).
func (d *doc) raw(i int32) []byte { return d.src[d.nodes[i].from:d.nodes[i].to] }

// syntaxError is where and why a document is not JSON. Its reasons are
// constants, so a record that fails to parse costs no allocation.
type syntaxError struct {
	off    int
	reason string
}

// parser reads one JSON document into a tape. Its slices are kept between
// documents so that a matcher parses records without allocating.
type parser struct {
	src      []byte
	pos      int
	nodes    []node
	stack    []int32 // open containers
	maxDepth int
	// strict rejects strings that are not valid UTF-8. Patterns are strict;
	// records are not (their strings are compared byte for byte).
	strict bool
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

// parse reads src as exactly one JSON value (surrounded by optional white
// space). On success the tape is in p.nodes, rooted at index 0.
func (p *parser) parse(src []byte) *syntaxError {
	p.src, p.pos = src, 0
	p.nodes, p.stack = p.nodes[:0], p.stack[:0]
	if len(src) > maxDocBytes {
		return &syntaxError{0, "document too large"}
	}
	for {
		// A value starts here.
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.fail("unexpected end of input; expected a value")
		}
		switch c := p.src[p.pos]; c {
		case '{', '[':
			if len(p.stack) >= p.maxDepth {
				return p.fail("nested too deeply")
			}
			kind := kObject
			closer := byte('}')
			if c == '[' {
				kind, closer = kArray, ']'
			}
			p.stack = append(p.stack, int32(len(p.nodes)))
			p.nodes = append(p.nodes, node{kind: kind, from: int32(p.pos)})
			p.pos++
			p.skipSpace()
			if p.pos < len(p.src) && p.src[p.pos] == closer {
				p.pos++
				p.close()
				break
			}
			if kind == kObject {
				if err := p.key(); err != nil {
					return err
				}
			}
			continue
		case '"':
			if err := p.str(); err != nil {
				return err
			}
		case 't':
			if err := p.literal("true", kTrue); err != nil {
				return err
			}
		case 'f':
			if err := p.literal("false", kFalse); err != nil {
				return err
			}
		case 'n':
			if err := p.literal("null", kNull); err != nil {
				return err
			}
		default:
			if c == '-' || (c >= '0' && c <= '9') {
				if err := p.number(); err != nil {
					return err
				}
				break
			}
			return p.fail("invalid character; expected a value")
		}
		// A value ended: close containers until one wants another member.
		more, err := p.after()
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

// after reads what follows a value: a comma (and, in an object, the next
// key and its colon), or the closing bracket of the open container, or,
// when no container is open, the end of the input. more is true when
// another value is to be read.
func (p *parser) after() (more bool, err *syntaxError) {
	for {
		p.skipSpace()
		if len(p.stack) == 0 {
			if p.pos != len(p.src) {
				return false, p.fail("unexpected data after the top-level value")
			}
			return false, nil
		}
		if p.pos >= len(p.src) {
			return false, p.fail("unexpected end of input; expected ',' or a closing bracket")
		}
		top := p.nodes[p.stack[len(p.stack)-1]].kind
		c := p.src[p.pos]
		switch {
		case c == ',':
			p.pos++
			if top == kObject {
				p.skipSpace()
				if err := p.key(); err != nil {
					return false, err
				}
			}
			return true, nil
		case c == '}' && top == kObject, c == ']' && top == kArray:
			p.pos++
			p.close()
		case top == kObject:
			return false, p.fail("expected ',' or '}' after an object member")
		default:
			return false, p.fail("expected ',' or ']' after an array element")
		}
	}
}

// close ends the innermost open container at p.pos.
func (p *parser) close() {
	i := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	p.nodes[i].to = int32(p.pos)
	p.nodes[i].next = int32(len(p.nodes))
}

// key reads an object key and the colon after it.
func (p *parser) key() *syntaxError {
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return p.fail("expected a string as the object key")
	}
	if err := p.str(); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ':' {
		return p.fail("expected ':' after the object key")
	}
	p.pos++
	return nil
}

func (p *parser) fail(reason string) *syntaxError {
	return &syntaxError{off: p.pos, reason: reason}
}

func (p *parser) literal(word string, kind uint8) *syntaxError {
	if len(p.src)-p.pos < len(word) || string(p.src[p.pos:p.pos+len(word)]) != word {
		return p.fail("invalid literal; expected true, false or null")
	}
	n := int32(len(p.nodes))
	p.nodes = append(p.nodes, node{kind: kind, from: int32(p.pos), to: int32(p.pos + len(word)), next: n + 1})
	p.pos += len(word)
	return nil
}

// str reads a string starting at its opening quote.
func (p *parser) str() *syntaxError {
	start := p.pos + 1
	esc := false
	i := start
	for {
		for i < len(p.src) && plain[p.src[i]] != 0 {
			i++
		}
		if i >= len(p.src) {
			p.pos = i
			return p.fail("unterminated string")
		}
		c := p.src[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			p.pos = i
			return p.fail("control character in string; it must be escaped")
		}
		if c != '\\' {
			i++
			continue
		}
		esc = true
		if i+1 >= len(p.src) {
			p.pos = i
			return p.fail("unterminated string")
		}
		switch p.src[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if len(p.src)-i < 6 || !isHex4(p.src[i+2:i+6]) {
				p.pos = i
				return p.fail(`invalid \u escape; expected four hex digits`)
			}
			i += 6
		default:
			p.pos = i
			return p.fail("invalid escape in string")
		}
	}
	if p.strict && !utf8.Valid(p.src[start:i]) {
		p.pos = start
		return p.fail("string is not valid UTF-8")
	}
	n := int32(len(p.nodes))
	p.nodes = append(p.nodes, node{kind: kString, esc: esc, from: int32(start), to: int32(i), next: n + 1})
	p.pos = i + 1
	return nil
}

// plain marks with 1 the bytes a string scan passes over: all but the
// quote, the backslash and the control characters.
const plain = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" + // '"' is 0x22
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" + // '\\' is 0x5c
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads a number with JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() *syntaxError {
	s, i := p.src, p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		p.pos = i
		return p.fail("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			p.pos = i
			return p.fail("invalid number; expected a digit after '.'")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			p.pos = i
			return p.fail("invalid number; expected a digit in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	n := int32(len(p.nodes))
	p.nodes = append(p.nodes, node{kind: kNumber, from: int32(p.pos), to: int32(i), next: n + 1})
	p.pos = i
	return nil
}

// appendUnescaped appends the text of the JSON string body raw (without
// its quotes, already validated by the parser) to dst. A \u escape that is
// half of a surrogate pair on its own becomes U+FFFD, as encoding/json
// reads it.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				return append(dst, raw[i:]...)
			}
			dst = append(dst, raw[i:i+j]...)
			i += j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(raw[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(raw[i+2:]))); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | uint16(c)
	}
	return v
}
