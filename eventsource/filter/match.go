package filter

import (
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Match reports whether the SQS record matches any of c's patterns. record
// is the JSON of one record as the function would receive it, with
// messageId, body, attributes and the rest (see the package
// documentation). A record that is not a JSON object matches nothing. A
// nil or empty Criteria filters nothing: every record matches.
func (c *Criteria) Match(record []byte) bool {
	if c == nil || len(c.patterns) == 0 {
		return true
	}
	return run(&c.pool, record, c.patterns)
}

// Match reports whether the SQS record matches p; see Criteria.Match.
func (p *Pattern) Match(record []byte) bool {
	return run(&p.pool, record, p.self)
}

// Bounds on what a matcher keeps for the next record: a record far larger
// than usual should not pin its memory in the pool.
const (
	maxPooledNodes = 1 << 16
	maxPooledBytes = 1 << 20
)

func run(pool *sync.Pool, record []byte, patterns []*Pattern) bool {
	m, _ := pool.Get().(*matcher)
	if m == nil {
		m = &matcher{}
		m.rp.maxDepth = MaxBodyDepth
		m.bp.maxDepth = MaxBodyDepth
	}
	ok := m.matchAny(record, patterns)
	if cap(m.rp.nodes) > maxPooledNodes || cap(m.bp.nodes) > maxPooledNodes ||
		cap(m.bodyBuf) > maxPooledBytes || cap(m.strBuf) > maxPooledBytes || cap(m.keyBuf) > maxPooledBytes ||
		cap(m.canon) > maxPooledBytes {
		return ok
	}
	m.release()
	pool.Put(m)
	return ok
}

// Where a record's body stands.
const (
	bodyUnread    uint8 = iota // not looked at yet
	bodyAbsent                 // no "body" member
	bodyNotString              // "body" is not a string: matched as any field
	bodyJSON                   // a string holding a JSON object or array
	bodyPlain                  // a string holding anything else
)

// matcher holds the state of matching one record; a pool keeps it, and
// the memory it grew, for the next.
type matcher struct {
	rp, bp  parser // the record's parser, the body's
	rec     doc    // the record
	body    doc    // the body, when bodyJSON or bodyPlain
	bodyAt  uint8
	bodyBuf []byte  // the body's text, unescaped
	plain   [1]node // the tape of a plain body: one string
	keyBuf  []byte  // an escaped key, unescaped

	// The value under test, whose decoded forms are computed once.
	vd        *doc
	vi        int32
	strBuf    []byte
	str       []byte // the decoded string, once strDone
	strDone   bool
	canon     []byte // appendCanonical's form, once canonDone
	canonOK   bool
	canonDone bool
	num       float64 // the number, once numDone
	numDone   bool
}

// release drops references to the caller's record before the matcher is
// pooled.
func (m *matcher) release() {
	m.rp.src, m.bp.src = nil, nil
	m.rec, m.body = doc{}, doc{}
	m.vd = nil
}

func (m *matcher) matchAny(record []byte, patterns []*Pattern) bool {
	if m.rp.parse(record) != nil || m.rp.nodes[0].kind != kObject {
		return false
	}
	m.rec = doc{src: record, nodes: m.rp.nodes}
	m.bodyAt = bodyUnread
	m.vd = nil
	for _, p := range patterns {
		if m.matchObject(p.root, &m.rec, 0) {
			return true
		}
	}
	return false
}

// matchObject reports whether the value at node obj of d matches pattern
// object o. obj is -1, or a node that is not an object, when there is no
// object there: then every field of o is absent.
func (m *matcher) matchObject(o *object, d *doc, obj int32) bool {
	for i := range o.fields {
		if !m.matchField(&o.fields[i], d, obj) {
			return false
		}
	}
	if len(o.or) == 0 {
		return true
	}
	for _, alt := range o.or {
		if m.matchObject(alt, d, obj) {
			return true
		}
	}
	return false
}

// member returns the value node of the first member of object obj named
// key at or after member node from (obj+1 for the first), and the node
// after that member, or -1 when there is none.
func (m *matcher) member(d *doc, obj int32, key string, from int32) (val, next int32) {
	if obj < 0 || d.nodes[obj].kind != kObject {
		return -1, -1
	}
	end := d.nodes[obj].next
	for k := from; k < end; {
		v := k + 1
		after := d.nodes[v].next
		if m.keyIs(d, k, key) {
			return v, after
		}
		k = after
	}
	return -1, -1
}

func (m *matcher) keyIs(d *doc, k int32, key string) bool {
	raw := d.raw(k)
	if !d.nodes[k].esc {
		return string(raw) == key
	}
	m.keyBuf = appendUnescaped(m.keyBuf[:0], raw)
	return string(m.keyBuf) == key
}

// matchField reports whether object obj of d satisfies field f. A key
// that appears more than once counts as one field with every value.
func (m *matcher) matchField(f *field, d *doc, obj int32) bool {
	if f.body && d == &m.rec && obj == 0 {
		if handled, ok := m.matchBody(f); handled {
			return ok
		}
	}
	if f.sub != nil {
		found := false
		for v, next := m.member(d, obj, f.key, obj+1); v >= 0; v, next = m.member(d, obj, f.key, next) {
			found = true
			if m.matchNested(f.sub, d, v) {
				return true
			}
		}
		return !found && m.matchObject(f.sub, d, -1)
	}
	present := false
	for v, next := m.member(d, obj, f.key, obj+1); v >= 0; v, next = m.member(d, obj, f.key, next) {
		p, ok := m.matchValues(&f.rules, d, v)
		if ok {
			return true
		}
		present = present || p
	}
	return !present && matchAbsent(&f.rules)
}

// matchAbsent reports whether rules match a field that is not there: only
// {"exists": false} does.
func matchAbsent(rules *ruleList) bool {
	for i := range rules.list {
		if rules.list[i].kind == rExists && !rules.list[i].exists {
			return true
		}
	}
	return false
}

// matchNested reports whether value v of d matches the nested pattern o.
// An array matches when one of its elements does (arrays within it are
// read as one flat list); an array with no elements is as if absent. A
// value that is not an object has no fields.
func (m *matcher) matchNested(o *object, d *doc, v int32) bool {
	switch d.nodes[v].kind {
	case kObject:
		return m.matchObject(o, d, v)
	case kArray:
	default:
		return m.matchObject(o, d, -1)
	}
	end := d.nodes[v].next
	seen, scalarTried := false, false
	for i := v + 1; i < end; {
		switch d.nodes[i].kind {
		case kArray:
			i++ // into it
		case kObject:
			seen = true
			if m.matchObject(o, d, i) {
				return true
			}
			i = d.nodes[i].next
		default:
			seen = true
			if !scalarTried {
				scalarTried = true
				if m.matchObject(o, d, -1) {
					return true
				}
			}
			i++
		}
	}
	return !seen && m.matchObject(o, d, -1)
}

// matchValues tests rules against the value at node v of d: the value
// itself, or every element of an array (arrays within it flattened).
// Objects are not values a rule looks at. present reports whether there
// was any value; ok whether a rule matched one.
func (m *matcher) matchValues(rules *ruleList, d *doc, v int32) (present, ok bool) {
	switch d.nodes[v].kind {
	case kObject:
		return false, false
	case kArray:
	default:
		return true, m.matchValue(rules, d, v)
	}
	end := d.nodes[v].next
	for i := v + 1; i < end; {
		switch d.nodes[i].kind {
		case kArray:
			i++
		case kObject:
			i = d.nodes[i].next
		default:
			present = true
			if m.matchValue(rules, d, i) {
				return true, true
			}
			i++
		}
	}
	return present, false
}

// matchValue reports whether any rule matches the scalar at node i of d.
func (m *matcher) matchValue(rules *ruleList, d *doc, i int32) bool {
	m.vd, m.vi = d, i
	m.strDone, m.canonDone, m.numDone = false, false, false
	return m.testList(rules)
}

// testList reports whether any rule of l matches the value under test.
func (m *matcher) testList(l *ruleList) bool {
	switch kind := m.vd.nodes[m.vi].kind; {
	case kind == kString && l.strs != nil:
		if _, ok := l.strs[string(m.text())]; ok {
			return true
		}
	case kind == kNumber && l.nums != nil:
		if m.canonical() {
			if _, ok := l.nums[string(m.canon)]; ok {
				return true
			}
		}
	}
	for j := range l.list {
		if m.test(&l.list[j]) {
			return true
		}
	}
	return false
}

// test reports whether rule r matches the value under test (m.vd, m.vi),
// which is present.
func (m *matcher) test(r *rule) bool {
	kind := m.vd.nodes[m.vi].kind
	switch r.kind {
	case rExists:
		return r.exists
	case rAnythingBut:
		return !m.testList(&r.none)
	case rTrue:
		return kind == kTrue
	case rFalse:
		return kind == kFalse
	case rNull:
		return kind == kNull
	case rNumber:
		return kind == kNumber && m.numberIs(r)
	case rNumeric:
		if kind != kNumber {
			return false
		}
		x := m.number()
		return (x > r.lo || r.loIncl && x == r.lo) && (x < r.hi || r.hiIncl && x == r.hi)
	}
	if kind != kString {
		return false
	}
	s := m.text()
	switch r.kind {
	case rString:
		return string(s) == r.s
	case rPrefix:
		return len(s) >= len(r.s) && string(s[:len(r.s)]) == r.s
	case rSuffix:
		return len(s) >= len(r.s) && string(s[len(s)-len(r.s):]) == r.s
	case rEqualsIgnoreCase:
		rest, ok := foldPrefix(s, r.s)
		return ok && len(rest) == 0
	case rPrefixIgnoreCase:
		_, ok := foldPrefix(s, r.s)
		return ok
	case rSuffixIgnoreCase:
		return foldSuffix(s, r.s)
	}
	return false
}

// text returns the decoded string under test.
func (m *matcher) text() []byte {
	if !m.strDone {
		m.strDone = true
		raw := m.vd.raw(m.vi)
		if m.vd.nodes[m.vi].esc {
			m.strBuf = appendUnescaped(m.strBuf[:0], raw)
			m.str = m.strBuf
		} else {
			m.str = raw
		}
	}
	return m.str
}

// numberIs reports whether the number under test is the value of rule r:
// the same decimal value however written (5, 5.0, 0.5e1), or, for numbers
// with exponents too large to compare that way, the same text.
func (m *matcher) numberIs(r *rule) bool {
	if m.canonical() && r.s != "" {
		return string(m.canon) == r.s
	}
	return string(m.vd.raw(m.vi)) == r.lit
}

// canonical computes the canonical form of the number under test into
// m.canon, and reports whether it has one.
func (m *matcher) canonical() bool {
	if !m.canonDone {
		m.canonDone = true
		m.canon, m.canonOK = appendCanonical(m.canon[:0], m.vd.raw(m.vi))
	}
	return m.canonOK
}

// number returns the number under test as a float64; a number beyond
// float64's range is ±Inf, which still orders right.
func (m *matcher) number() float64 {
	if !m.numDone {
		m.numDone = true
		m.num, _ = strconv.ParseFloat(string(m.vd.raw(m.vi)), 64)
	}
	return m.num
}

// matchBody applies the SQS body rule to the record's "body" field f (see
// the package documentation). handled is false when the record's body is
// not a string, which is then matched like any other field.
func (m *matcher) matchBody(f *field) (handled, ok bool) {
	if m.bodyAt == bodyUnread {
		m.readBody()
	}
	switch m.bodyAt {
	case bodyJSON:
		return true, f.sub != nil && m.matchNested(f.sub, &m.body, 0)
	case bodyPlain:
		return true, f.sub == nil && m.matchValue(&f.rules, &m.body, 0)
	}
	return false, false
}

// readBody finds the record's body and reads it as JSON when it is a JSON
// object or array.
func (m *matcher) readBody() {
	v, _ := m.member(&m.rec, 0, "body", 1)
	switch {
	case v < 0:
		m.bodyAt = bodyAbsent
		return
	case m.rec.nodes[v].kind != kString:
		m.bodyAt = bodyNotString
		return
	}
	text := m.rec.raw(v)
	if m.rec.nodes[v].esc {
		m.bodyBuf = appendUnescaped(m.bodyBuf[:0], text)
		text = m.bodyBuf
	}
	i := 0
	for i < len(text) && isSpace(text[i]) {
		i++
	}
	if i < len(text) && (text[i] == '{' || text[i] == '[') && m.bp.parse(text) == nil {
		m.body = doc{src: text, nodes: m.bp.nodes}
		m.bodyAt = bodyJSON
		return
	}
	m.plain[0] = node{kind: kString, from: 0, to: int32(len(text)), next: 1}
	m.body = doc{src: text, nodes: m.plain[:]}
	m.bodyAt = bodyPlain
}

// foldPrefix reports whether s begins with prefix under Unicode simple
// case folding (as strings.EqualFold compares), and returns the rest of s.
// Bytes that are not UTF-8 compare as themselves.
func foldPrefix(s []byte, prefix string) (rest []byte, ok bool) {
	for len(prefix) > 0 {
		if len(s) == 0 {
			return nil, false
		}
		r1, n1 := utf8.DecodeRune(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if r1 == utf8.RuneError && n1 == 1 || r2 == utf8.RuneError && n2 == 1 {
			if n1 != n2 || s[0] != prefix[0] {
				return nil, false
			}
		} else if !foldEqual(r1, r2) {
			return nil, false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return s, true
}

// foldSuffix reports whether s ends with suffix under simple case folding.
func foldSuffix(s []byte, suffix string) bool {
	for len(suffix) > 0 {
		if len(s) == 0 {
			return false
		}
		r1, n1 := utf8.DecodeLastRune(s)
		r2, n2 := utf8.DecodeLastRuneInString(suffix)
		if r1 == utf8.RuneError && n1 == 1 || r2 == utf8.RuneError && n2 == 1 {
			if n1 != n2 || s[len(s)-1] != suffix[len(suffix)-1] {
				return false
			}
		} else if !foldEqual(r1, r2) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}

// foldEqual reports whether r1 and r2 are equal under simple case folding.
func foldEqual(r1, r2 rune) bool {
	if r1 == r2 {
		return true
	}
	if r1 < utf8.RuneSelf && r2 < utf8.RuneSelf {
		if 'A' <= r1 && r1 <= 'Z' {
			r1 += 'a' - 'A'
		}
		if 'A' <= r2 && r2 <= 'Z' {
			r2 += 'a' - 'A'
		}
		return r1 == r2
	}
	for f := unicode.SimpleFold(r1); f != r1; f = unicode.SimpleFold(f) {
		if f == r2 {
			return true
		}
	}
	return false
}
