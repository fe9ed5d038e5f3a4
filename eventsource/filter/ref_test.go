package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a second, deliberately naive implementation of the
// matching rules in the package documentation, built on encoding/json and
// trees of values. The fuzzers check that the package agrees with it.

// refValue is a JSON value; objects keep every member, duplicates too.
type refValue struct {
	kind    byte // 'o' object, 'a' array, 's' string, 'n' number, 't', 'f', 'z' null
	str     string
	members []refMember
	elems   []*refValue
}

type refMember struct {
	key string
	val *refValue
}

// refParse reads data as one JSON value nested at most maxDepth deep.
func refParse(data []byte, maxDepth int) (*refValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*refValue
	var keys []string  // the key of the member being read, per open object
	var wantKey []bool // whether the next token of each open object is a key
	var root *refValue
	add := func(v *refValue) {
		if len(stack) == 0 {
			root = v
			return
		}
		top := len(stack) - 1
		if stack[top].kind == 'a' {
			stack[top].elems = append(stack[top].elems, v)
			return
		}
		stack[top].members = append(stack[top].members, refMember{keys[top], v})
		wantKey[top] = true
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if root == nil || len(stack) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		if root != nil && len(stack) == 0 {
			return nil, errors.New("data after the value")
		}
		if top := len(stack) - 1; top >= 0 && stack[top].kind == 'o' && wantKey[top] {
			if s, ok := tok.(string); ok {
				keys[top], wantKey[top] = s, false
				continue
			}
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if len(stack) >= maxDepth {
					return nil, errors.New("too deep")
				}
				v := &refValue{kind: 'o'}
				if tok == '[' {
					v.kind = 'a'
				}
				add(v)
				stack = append(stack, v)
				keys = append(keys, "")
				wantKey = append(wantKey, tok == '{')
			default:
				stack = stack[:len(stack)-1]
				keys = keys[:len(keys)-1]
				wantKey = wantKey[:len(wantKey)-1]
			}
		case string:
			add(&refValue{kind: 's', str: tok})
		case json.Number:
			add(&refValue{kind: 'n', str: string(tok)})
		case bool:
			if tok {
				add(&refValue{kind: 't'})
			} else {
				add(&refValue{kind: 'f'})
			}
		case nil:
			add(&refValue{kind: 'z'})
		}
	}
}

// refMatcher matches one record with the reference rules. unsure is set
// when a comparison falls outside what the reference can decide the way
// the package does (numbers with huge exponents).
type refMatcher struct {
	rec      *refValue
	bodyStr  bool
	bodyJSON *refValue // the body read as JSON, or nil
	bodyText string
	unsure   bool
}

func newRefMatcher(record []byte) (*refMatcher, bool) {
	rec, err := refParse(record, MaxBodyDepth)
	if err != nil || rec.kind != 'o' {
		return nil, false
	}
	m := &refMatcher{rec: rec}
	for _, mem := range rec.members {
		if mem.key != "body" {
			continue
		}
		if mem.val.kind == 's' {
			m.bodyStr, m.bodyText = true, mem.val.str
			t := strings.TrimLeft(m.bodyText, " \t\r\n")
			if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				if v, err := refParse([]byte(m.bodyText), MaxBodyDepth); err == nil {
					m.bodyJSON = v
				}
			}
		}
		break
	}
	return m, true
}

// match reports whether the pattern (as encoding/json decodes it) matches.
func (m *refMatcher) match(pattern map[string]any) bool {
	return m.object(pattern, m.rec, true)
}

func (m *refMatcher) object(pat map[string]any, v *refValue, top bool) bool {
	for key, pv := range pat {
		if key == "$or" {
			ok := false
			for _, alt := range pv.([]any) {
				ok = m.object(alt.(map[string]any), v, top) || ok
			}
			if !ok {
				return false
			}
			continue
		}
		if top && key == "body" && m.bodyStr {
			if sub, isObj := pv.(map[string]any); isObj {
				if m.bodyJSON == nil || !m.nested(sub, m.bodyJSON) {
					return false
				}
			} else if m.bodyJSON != nil || !m.rules(pv.([]any), []*refValue{{kind: 's', str: m.bodyText}}) {
				return false
			}
			continue
		}
		var vals []*refValue
		if v != nil && v.kind == 'o' {
			for _, mem := range v.members {
				if mem.key == key {
					vals = append(vals, mem.val)
				}
			}
		}
		if sub, isObj := pv.(map[string]any); isObj {
			if len(vals) == 0 {
				if !m.object(sub, nil, false) {
					return false
				}
				continue
			}
			ok := false
			for _, x := range vals {
				ok = m.nested(sub, x) || ok
			}
			if !ok {
				return false
			}
			continue
		}
		var scalars []*refValue
		for _, x := range vals {
			scalars = appendScalars(scalars, x)
		}
		if !m.rules(pv.([]any), scalars) {
			return false
		}
	}
	return true
}

func appendScalars(dst []*refValue, v *refValue) []*refValue {
	switch v.kind {
	case 'o':
		return dst
	case 'a':
		for _, e := range v.elems {
			dst = appendScalars(dst, e)
		}
		return dst
	}
	return append(dst, v)
}

func appendElements(dst []*refValue, v *refValue) []*refValue {
	for _, e := range v.elems {
		if e.kind == 'a' {
			dst = appendElements(dst, e)
		} else {
			dst = append(dst, e)
		}
	}
	return dst
}

func (m *refMatcher) nested(pat map[string]any, v *refValue) bool {
	switch v.kind {
	case 'o':
		return m.object(pat, v, false)
	case 'a':
		elems := appendElements(nil, v)
		if len(elems) == 0 {
			return m.object(pat, nil, false)
		}
		for _, e := range elems {
			if e.kind == 'o' && m.object(pat, e, false) || e.kind != 'o' && m.object(pat, nil, false) {
				return true
			}
		}
		return false
	}
	return m.object(pat, nil, false)
}

func (m *refMatcher) rules(rules []any, values []*refValue) bool {
	if len(values) == 0 {
		for _, r := range rules {
			if op, ok := r.(map[string]any); ok && op["exists"] == false {
				return true
			}
		}
		return false
	}
	for _, r := range rules {
		for _, v := range values {
			if m.rule(r, v) {
				return true
			}
		}
	}
	return false
}

func (m *refMatcher) rule(r any, v *refValue) bool {
	switch r := r.(type) {
	case string:
		return v.kind == 's' && v.str == r
	case json.Number:
		return v.kind == 'n' && m.sameNumber(v.str, string(r))
	case bool:
		return r && v.kind == 't' || !r && v.kind == 'f'
	case nil:
		return v.kind == 'z'
	}
	op := r.(map[string]any)
	for name, arg := range op {
		switch name {
		case "exists":
			return arg.(bool)
		case "prefix", "suffix":
			if v.kind != 's' {
				return false
			}
			if s, ok := arg.(string); ok {
				if name == "prefix" {
					return strings.HasPrefix(v.str, s)
				}
				return strings.HasSuffix(v.str, s)
			}
			s := arg.(map[string]any)["equals-ignore-case"].(string)
			runes := []rune(v.str)
			n := utf8.RuneCountInString(s)
			if len(runes) < n {
				return false
			}
			if name == "prefix" {
				return strings.EqualFold(string(runes[:n]), s)
			}
			return strings.EqualFold(string(runes[len(runes)-n:]), s)
		case "equals-ignore-case":
			return v.kind == 's' && strings.EqualFold(v.str, arg.(string))
		case "numeric":
			if v.kind != 'n' {
				return false
			}
			x, _ := strconv.ParseFloat(v.str, 64)
			args := arg.([]any)
			for i := 0; i < len(args); i += 2 {
				y, _ := strconv.ParseFloat(string(args[i+1].(json.Number)), 64)
				var ok bool
				switch args[i].(string) {
				case "=":
					ok = x == y
				case "<":
					ok = x < y
				case "<=":
					ok = x <= y
				case ">":
					ok = x > y
				case ">=":
					ok = x >= y
				}
				if !ok {
					return false
				}
			}
			return true
		case "anything-but":
			switch arg := arg.(type) {
			case []any:
				for _, a := range arg {
					if m.rule(a, v) {
						return false
					}
				}
				return true
			case map[string]any:
				if list, ok := arg["equals-ignore-case"].([]any); ok {
					for _, s := range list {
						if m.rule(map[string]any{"equals-ignore-case": s}, v) {
							return false
						}
					}
					return true
				}
				return !m.rule(arg, v)
			default:
				return !m.rule(arg, v)
			}
		}
	}
	panic("unknown operator in a compiled pattern")
}

// sameNumber compares two JSON numbers as decimal values.
func (m *refMatcher) sameNumber(a, b string) bool {
	if hugeExponent(a) || hugeExponent(b) {
		m.unsure = true
		return a == b
	}
	x, okx := new(big.Rat).SetString(a)
	y, oky := new(big.Rat).SetString(b)
	if !okx || !oky {
		panic("a JSON number big.Rat cannot read: " + a + " " + b)
	}
	return x.Cmp(y) == 0
}

func hugeExponent(num string) bool {
	i := strings.IndexAny(num, "eE")
	if i < 0 {
		return false
	}
	e := strings.TrimLeft(num[i+1:], "+-")
	e = strings.TrimLeft(e, "0")
	return len(e) > 4
}
