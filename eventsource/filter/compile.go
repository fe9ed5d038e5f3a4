package filter

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Limits on what Compile and CompileCriteria accept, and on what Match
// reads.
const (
	// MaxFilters is the most patterns one FilterCriteria may hold. Lambda
	// allows five by default and up to ten after a quota increase; Flint
	// has no quota to raise, so it allows the ceiling.
	MaxFilters = 10
	// MaxPatternLength is the longest pattern accepted, in characters
	// (Unicode code points), as Lambda's Filter.Pattern is limited.
	MaxPatternLength = 4096
	// MaxPatternDepth is how deeply a pattern's objects and arrays may
	// nest, counting every object and array. Lambda documents no limit;
	// real patterns nest a handful of levels, and a bound keeps compiling
	// and matching cheap.
	MaxPatternDepth = 64
	// MaxBodyDepth is how deeply a record, and a message body read as
	// JSON, may nest. A body nested deeper is not read as JSON: it is
	// plain text, which only plain rules on "body" itself can match. A
	// record nested deeper matches nothing.
	MaxBodyDepth = 1000
)

// maxDocBytes is the largest document the parser reads: offsets on the
// tape are int32.
const maxDocBytes = math.MaxInt32

// Pattern is one compiled filter pattern (one Filters[].Pattern). It is
// immutable, and its methods are safe for concurrent use.
type Pattern struct {
	src  string
	root *object
	self []*Pattern // {p}, so that Match shares Criteria's code
	pool sync.Pool  // *matcher
}

// Criteria is a compiled FilterCriteria: a record matches when any of its
// patterns matches it. It is immutable, and its methods are safe for
// concurrent use.
type Criteria struct {
	patterns []*Pattern
	pool     sync.Pool // *matcher
}

// object is a pattern object: every field must match, and for "$or", one
// of its alternatives.
type object struct {
	fields []field
	or     []*object
}

// field is one key of a pattern object and what its value must be: either
// a nested pattern (sub) or a list of rules, one of which must match.
type field struct {
	key   string
	body  bool // the record's "body", to which the SQS body rule applies
	sub   *object
	rules ruleList
}

// ruleList is a list of rules, one of which must match. When it holds many
// exact strings or numbers, they are kept in sets, so that a record cannot
// make matching cost values × rules for the longest lists a pattern can
// hold.
type ruleList struct {
	list []rule
	strs map[string]struct{} // rString operands
	nums map[string]struct{} // rNumber canonical forms
}

// setThreshold is how many exact strings (or numbers) a list holds before
// they go into a set.
const setThreshold = 8

func newRuleList(rules []rule) ruleList {
	var nstr, nnum int
	for i := range rules {
		switch {
		case rules[i].kind == rString:
			nstr++
		case rules[i].kind == rNumber && rules[i].s != "":
			nnum++
		}
	}
	l := ruleList{}
	if nstr >= setThreshold {
		l.strs = make(map[string]struct{}, nstr)
	}
	if nnum >= setThreshold {
		l.nums = make(map[string]struct{}, nnum)
	}
	for _, r := range rules {
		switch {
		case r.kind == rString && l.strs != nil:
			l.strs[r.s] = struct{}{}
		case r.kind == rNumber && r.s != "" && l.nums != nil:
			l.nums[r.s] = struct{}{}
		default:
			l.list = append(l.list, r)
		}
	}
	return l
}

type ruleKind uint8

const (
	rString           ruleKind = iota + 1 // "x"
	rNumber                               // 5
	rTrue                                 // true
	rFalse                                // false
	rNull                                 // null
	rPrefix                               // {"prefix": "x"}
	rSuffix                               // {"suffix": "x"}
	rEqualsIgnoreCase                     // {"equals-ignore-case": "x"}
	rPrefixIgnoreCase                     // {"prefix": {"equals-ignore-case": "x"}}
	rSuffixIgnoreCase                     // {"suffix": {"equals-ignore-case": "x"}}
	rNumeric                              // {"numeric": [">", 0, "<=", 5]}
	rExists                               // {"exists": true}
	rAnythingBut                          // {"anything-but": ...}
)

// rule is one rule of a field's list.
type rule struct {
	kind ruleKind
	// s is the string operand; for rNumber, the canonical form of the
	// number (see appendCanonical), or "" when it has none.
	s string
	// lit is rNumber's text as written, compared when either side has no
	// canonical form.
	lit string
	// rNumeric's range.
	lo, hi         float64
	loIncl, hiIncl bool
	exists         bool
	// none is rAnythingBut's list: it matches a value none of them match.
	none ruleList
}

// Compile parses and checks one filter pattern: the JSON text of one
// Filters[].Pattern. A pattern that cannot be used returns a *Error, which
// matches ErrInvalidFilter.
func Compile(pattern string) (*Pattern, error) {
	p, err := compile(pattern)
	if err != nil {
		err.Filter = -1
		return nil, err
	}
	return p, nil
}

// CompileCriteria compiles the patterns of one FilterCriteria, in order.
// A record matches the criteria when it matches any of them. No patterns
// at all is no filtering: every record matches. More than MaxFilters
// patterns, or a pattern Compile refuses, returns a *Error naming the
// filter at fault; it matches ErrInvalidFilter.
func CompileCriteria(patterns []string) (*Criteria, error) {
	if len(patterns) > MaxFilters {
		return nil, &Error{Filter: -1, Offset: -1, list: true,
			Reason: "there are " + strconv.Itoa(len(patterns)) + " filters; at most " +
				strconv.Itoa(MaxFilters) + " are allowed per event source mapping"}
	}
	c := &Criteria{patterns: make([]*Pattern, 0, len(patterns))}
	for i, s := range patterns {
		p, err := compile(s)
		if err != nil {
			err.Filter = i
			return nil, err
		}
		c.patterns = append(c.patterns, p)
	}
	return c, nil
}

// String returns the pattern as it was given to Compile.
func (p *Pattern) String() string { return p.src }

// Len returns the number of patterns in c.
func (c *Criteria) Len() int {
	if c == nil {
		return 0
	}
	return len(c.patterns)
}

// Patterns returns c's patterns, in the order given.
func (c *Criteria) Patterns() []*Pattern {
	if c == nil {
		return nil
	}
	return append([]*Pattern(nil), c.patterns...)
}

func compile(pattern string) (*Pattern, *Error) {
	// The cheap checks first, so that a huge pattern is refused without
	// being read.
	if len(pattern) > utf8.UTFMax*MaxPatternLength {
		return nil, lengthError(len(pattern), "bytes")
	}
	if !utf8.ValidString(pattern) {
		off := 0
		for off < len(pattern) {
			r, n := utf8.DecodeRuneInString(pattern[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, &Error{Offset: off, Reason: "the pattern is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(pattern); n > MaxPatternLength {
		return nil, lengthError(n, "characters")
	}
	if strings.TrimLeft(pattern, " \t\r\n") == "" {
		return nil, &Error{Offset: -1, Reason: "the pattern is empty; it must be a JSON object such as {\"body\": {\"status\": [\"ok\"]}}"}
	}
	ps := parser{maxDepth: MaxPatternDepth, strict: true}
	if serr := ps.parse([]byte(pattern)); serr != nil {
		reason := "invalid JSON: " + serr.reason
		if serr.reason == "nested too deeply" {
			reason = "the pattern nests objects and arrays more than " + strconv.Itoa(MaxPatternDepth) + " levels deep"
		}
		return nil, &Error{Offset: serr.off, Reason: reason}
	}
	d := &doc{src: ps.src, nodes: ps.nodes}
	if d.nodes[0].kind != kObject {
		return nil, &Error{Path: "$", Offset: -1, Reason: "a filter pattern must be a JSON object, not " + kindName(d.nodes[0].kind)}
	}
	root, err := compileObject(d, 0, "$", true)
	if err != nil {
		return nil, err
	}
	p := &Pattern{src: pattern, root: root}
	p.self = []*Pattern{p}
	return p, nil
}

func lengthError(n int, unit string) *Error {
	return &Error{Offset: -1, Reason: "the pattern is " + strconv.Itoa(n) + " " + unit +
		" long; at most " + strconv.Itoa(MaxPatternLength) + " characters are allowed"}
}

func kindName(k uint8) string {
	switch k {
	case kObject:
		return "an object"
	case kArray:
		return "an array"
	case kString:
		return "a string"
	case kNumber:
		return "a number"
	case kTrue, kFalse:
		return "a boolean"
	default:
		return "null"
	}
}

// text returns the decoded text of string node i.
func (d *doc) text(i int32) string {
	if !d.nodes[i].esc {
		return string(d.raw(i))
	}
	return string(appendUnescaped(nil, d.raw(i)))
}

// fieldPath appends key to a JSON path.
func fieldPath(path, key string) string {
	if isIdent(key) {
		return path + "." + key
	}
	return path + "[" + quote(key) + "]"
}

// isIdent reports whether key reads well after a dot in a path: letters,
// digits and _ $ -, not starting with a digit, and not too long.
func isIdent(key string) bool {
	if key == "" || len(key) > 64 || isDigit(key[0]) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c == '-') {
			return false
		}
	}
	return true
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func pathError(path, reason string) *Error {
	return &Error{Path: path, Offset: -1, Reason: reason}
}

// compileObject compiles the pattern object at node i. top is true for the
// pattern's root and the alternatives of its "$or": their keys name the
// record's own fields.
func compileObject(d *doc, i int32, path string, top bool) (*object, *Error) {
	end := d.nodes[i].next
	if i+1 == end {
		return nil, pathError(path, "the object is empty; a pattern object must name at least one field")
	}
	o := &object{}
	seen := make(map[string]bool)
	for k := i + 1; k < end; {
		v := k + 1
		next := d.nodes[v].next
		key := d.text(k)
		fpath := fieldPath(path, key)
		if seen[key] {
			return nil, pathError(fpath, "duplicate key "+quote(key))
		}
		seen[key] = true
		switch {
		case key == "$or":
			alts, err := compileOr(d, v, fpath, top)
			if err != nil {
				return nil, err
			}
			o.or = alts
		case d.nodes[v].kind == kObject:
			sub, err := compileObject(d, v, fpath, false)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{key: key, body: top && key == "body", sub: sub})
		case d.nodes[v].kind == kArray:
			rules, err := compileRules(d, v, fpath)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{key: key, body: top && key == "body", rules: rules})
		default:
			return nil, pathError(fpath, "the value of "+quote(key)+" is "+kindName(d.nodes[v].kind)+
				"; it must be an array of rules, such as [\"x\"], or an object of fields")
		}
		k = next
	}
	return o, nil
}

// compileOr compiles the value of a "$or" key: an array of at least two
// pattern objects.
func compileOr(d *doc, v int32, path string, top bool) ([]*object, *Error) {
	const want = "; \"$or\" takes an array of two or more pattern objects, such as [{\"a\": [1]}, {\"b\": [2]}]"
	if d.nodes[v].kind != kArray {
		return nil, pathError(path, "the value is "+kindName(d.nodes[v].kind)+want)
	}
	var alts []*object
	n := 0
	for e := v + 1; e < d.nodes[v].next; e = d.nodes[e].next {
		epath := indexPath(path, n)
		if d.nodes[e].kind != kObject {
			return nil, pathError(epath, "the alternative is "+kindName(d.nodes[e].kind)+want)
		}
		alt, err := compileObject(d, e, epath, top)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
		n++
	}
	if n < 2 {
		return nil, pathError(path, "there are "+strconv.Itoa(n)+" alternatives"+want)
	}
	return alts, nil
}

// compileRules compiles a field's array of rules.
func compileRules(d *doc, v int32, path string) (ruleList, *Error) {
	if v+1 == d.nodes[v].next {
		return ruleList{}, pathError(path, "the array of rules is empty; it must hold at least one rule, such as [\"x\"] or [{\"exists\": true}]")
	}
	var rules []rule
	n := 0
	for e := v + 1; e < d.nodes[v].next; e = d.nodes[e].next {
		epath := indexPath(path, n)
		n++
		switch d.nodes[e].kind {
		case kString:
			rules = append(rules, rule{kind: rString, s: d.text(e)})
		case kNumber:
			rules = append(rules, numberRule(d.raw(e)))
		case kTrue:
			rules = append(rules, rule{kind: rTrue})
		case kFalse:
			rules = append(rules, rule{kind: rFalse})
		case kNull:
			rules = append(rules, rule{kind: rNull})
		case kArray:
			return ruleList{}, pathError(epath, "a rule cannot be an array; list the values in the field's array itself")
		case kObject:
			r, err := compileOperator(d, e, epath)
			if err != nil {
				return ruleList{}, err
			}
			rules = append(rules, r)
		}
	}
	return newRuleList(rules), nil
}

func numberRule(text []byte) rule {
	r := rule{kind: rNumber, lit: string(text)}
	if c, ok := appendCanonical(nil, text); ok {
		r.s = string(c)
	}
	return r
}

const operators = "prefix, suffix, equals-ignore-case, anything-but, numeric and exists"

// compileOperator compiles a rule written as an object: {"operator": operand}.
func compileOperator(d *doc, e int32, path string) (rule, *Error) {
	end := d.nodes[e].next
	if e+1 == end {
		return rule{}, pathError(path, "the rule object is empty; it must hold one operator ("+operators+")")
	}
	k, v := e+1, e+2
	if d.nodes[v].next != end {
		return rule{}, pathError(path, "the rule object has more than one operator; write each as its own rule, such as [{\"prefix\": \"a\"}, {\"suffix\": \"b\"}]")
	}
	op := d.text(k)
	opath := fieldPath(path, op)
	switch op {
	case "prefix", "suffix":
		plain, fold := rPrefix, rPrefixIgnoreCase
		if op == "suffix" {
			plain, fold = rSuffix, rSuffixIgnoreCase
		}
		switch d.nodes[v].kind {
		case kString:
			return rule{kind: plain, s: d.text(v)}, nil
		case kObject:
			s, err := ignoreCaseOperand(d, v, opath)
			if err != nil {
				return rule{}, err
			}
			return rule{kind: fold, s: s}, nil
		}
		return rule{}, pathError(opath, op+" takes a string, or {\"equals-ignore-case\": string}; not "+kindName(d.nodes[v].kind))
	case "equals-ignore-case":
		if d.nodes[v].kind != kString {
			return rule{}, pathError(opath, "equals-ignore-case takes a string, not "+kindName(d.nodes[v].kind))
		}
		return rule{kind: rEqualsIgnoreCase, s: d.text(v)}, nil
	case "anything-but":
		return compileAnythingBut(d, v, opath)
	case "numeric":
		return compileNumeric(d, v, opath)
	case "exists":
		switch d.nodes[v].kind {
		case kTrue:
			return rule{kind: rExists, exists: true}, nil
		case kFalse:
			return rule{kind: rExists, exists: false}, nil
		}
		return rule{}, pathError(opath, "exists takes true or false, not "+kindName(d.nodes[v].kind))
	case "wildcard", "cidr":
		return rule{}, pathError(opath, "the operator "+quote(op)+" is not supported by Lambda event filtering; use one of "+operators)
	case "$or":
		return rule{}, pathError(opath, "\"$or\" is not a rule; it must be a key of a pattern object, beside the fields it joins")
	}
	return rule{}, pathError(opath, "unknown operator "+quote(op)+"; the operators are "+operators)
}

// ignoreCaseOperand reads {"equals-ignore-case": "x"} inside prefix or
// suffix.
func ignoreCaseOperand(d *doc, v int32, path string) (string, *Error) {
	if v+1 == d.nodes[v].next || d.nodes[v+2].next != d.nodes[v].next || d.text(v+1) != "equals-ignore-case" {
		return "", pathError(path, "the object must be {\"equals-ignore-case\": string}")
	}
	if d.nodes[v+2].kind != kString {
		return "", pathError(fieldPath(path, "equals-ignore-case"), "equals-ignore-case takes a string, not "+kindName(d.nodes[v+2].kind))
	}
	return d.text(v + 2), nil
}

// compileAnythingBut compiles anything-but's operand: a string, a number,
// an array of strings or of numbers, or {"prefix"|"suffix": string} or
// {"equals-ignore-case": string or array of strings}.
func compileAnythingBut(d *doc, v int32, path string) (rule, *Error) {
	const want = "anything-but takes a string, a number, an array of strings or of numbers, or an object such as {\"prefix\": \"x\"}"
	none, err := anythingButList(d, v, path, want)
	if err != nil {
		return rule{}, err
	}
	return rule{kind: rAnythingBut, none: newRuleList(none)}, nil
}

// anythingButList reads anything-but's operand into the rules it excludes.
func anythingButList(d *doc, v int32, path, want string) ([]rule, *Error) {
	var none []rule
	switch d.nodes[v].kind {
	case kString:
		none = []rule{{kind: rString, s: d.text(v)}}
	case kNumber:
		none = []rule{numberRule(d.raw(v))}
	case kArray:
		if v+1 == d.nodes[v].next {
			return nil, pathError(path, "the array is empty; "+want)
		}
		first := d.nodes[v+1].kind
		n := 0
		for e := v + 1; e < d.nodes[v].next; e = d.nodes[e].next {
			switch k := d.nodes[e].kind; {
			case k != kString && k != kNumber:
				return nil, pathError(indexPath(path, n), "the value is "+kindName(k)+"; "+want)
			case k != first:
				return nil, pathError(indexPath(path, n), "the array mixes strings and numbers; "+want)
			case k == kString:
				none = append(none, rule{kind: rString, s: d.text(e)})
			default:
				none = append(none, numberRule(d.raw(e)))
			}
			n++
		}
	case kObject:
		end := d.nodes[v].next
		if v+1 == end || d.nodes[v+2].next != end {
			return nil, pathError(path, "the object must hold exactly one operator; "+want)
		}
		op, ov := d.text(v+1), v+2
		opath := fieldPath(path, op)
		switch op {
		case "prefix", "suffix":
			if d.nodes[ov].kind != kString {
				return nil, pathError(opath, "anything-but's "+op+" takes a string, not "+kindName(d.nodes[ov].kind))
			}
			kind := rPrefix
			if op == "suffix" {
				kind = rSuffix
			}
			none = []rule{{kind: kind, s: d.text(ov)}}
		case "equals-ignore-case":
			switch d.nodes[ov].kind {
			case kString:
				none = []rule{{kind: rEqualsIgnoreCase, s: d.text(ov)}}
			case kArray:
				if ov+1 == d.nodes[ov].next {
					return nil, pathError(opath, "the array is empty; equals-ignore-case takes a string or an array of strings")
				}
				n := 0
				for e := ov + 1; e < d.nodes[ov].next; e = d.nodes[e].next {
					if d.nodes[e].kind != kString {
						return nil, pathError(indexPath(opath, n), "the value is "+kindName(d.nodes[e].kind)+"; equals-ignore-case takes a string or an array of strings")
					}
					none = append(none, rule{kind: rEqualsIgnoreCase, s: d.text(e)})
					n++
				}
			default:
				return nil, pathError(opath, "equals-ignore-case takes a string or an array of strings, not "+kindName(d.nodes[ov].kind))
			}
		case "wildcard":
			return nil, pathError(opath, "the operator \"wildcard\" is not supported by Lambda event filtering")
		default:
			return nil, pathError(opath, "anything-but cannot hold "+quote(op)+"; it can hold prefix, suffix or equals-ignore-case")
		}
	default:
		return nil, pathError(path, "the value is "+kindName(d.nodes[v].kind)+"; "+want)
	}
	return none, nil
}

// compileNumeric compiles numeric's operand: ["=", n], [op, n] or a range
// [op, n, op, n] with one lower bound (> or >=) and one upper bound (< or
// <=) that leave some number between them.
func compileNumeric(d *doc, v int32, path string) (rule, *Error) {
	const want = "; numeric takes an operator and a number, such as [\">\", 0], or two of each for a range, such as [\">\", 0, \"<=\", 5]"
	if d.nodes[v].kind != kArray {
		return rule{}, pathError(path, "the value is "+kindName(d.nodes[v].kind)+want)
	}
	var items []int32
	for e := v + 1; e < d.nodes[v].next; e = d.nodes[e].next {
		items = append(items, e)
		if len(items) > 4 {
			break
		}
	}
	if len(items) != 2 && len(items) != 4 {
		return rule{}, pathError(path, "the array must hold 2 or 4 items"+want)
	}
	// Without a bound, the range runs to the infinities, inclusive, so that
	// a number beyond float64's range (read as ±Inf) still compares.
	r := rule{kind: rNumeric, lo: math.Inf(-1), hi: math.Inf(1), loIncl: true, hiIncl: true}
	var haveLo, haveHi bool
	for j := 0; j < len(items); j += 2 {
		opNode, numNode := items[j], items[j+1]
		if d.nodes[opNode].kind != kString {
			return rule{}, pathError(indexPath(path, j), "expected an operator (=, <, <=, >, >=), not "+kindName(d.nodes[opNode].kind)+want)
		}
		op := d.text(opNode)
		if d.nodes[numNode].kind != kNumber {
			return rule{}, pathError(indexPath(path, j+1), "expected a number after "+quote(op)+", not "+kindName(d.nodes[numNode].kind)+want)
		}
		x, err := strconv.ParseFloat(string(d.raw(numNode)), 64)
		if err != nil || math.IsInf(x, 0) {
			return rule{}, pathError(indexPath(path, j+1), "the number "+quote(string(d.raw(numNode)))+" is out of range")
		}
		switch op {
		case "=":
			if len(items) != 2 {
				return rule{}, pathError(indexPath(path, j), "\"=\" cannot be part of a range"+want)
			}
			r.lo, r.hi, r.loIncl, r.hiIncl = x, x, true, true
			return r, nil
		case ">", ">=":
			if haveLo {
				return rule{}, pathError(indexPath(path, j), "the range has two lower bounds; it needs one lower (> or >=) and one upper (< or <=)")
			}
			haveLo, r.lo, r.loIncl = true, x, op == ">="
		case "<", "<=":
			if haveHi {
				return rule{}, pathError(indexPath(path, j), "the range has two upper bounds; it needs one lower (> or >=) and one upper (< or <=)")
			}
			haveHi, r.hi, r.hiIncl = true, x, op == "<="
		default:
			return rule{}, pathError(indexPath(path, j), "unknown numeric operator "+quote(op)+"; the operators are =, <, <=, > and >=")
		}
	}
	if haveLo && haveHi && (r.lo > r.hi || r.lo == r.hi && !(r.loIncl && r.hiIncl)) {
		return rule{}, pathError(path, "the range is empty: no number is "+bound(r.lo, r.loIncl, ">")+" and "+bound(r.hi, r.hiIncl, "<"))
	}
	return r, nil
}

func bound(x float64, incl bool, op string) string {
	if incl {
		op += "="
	}
	return op + " " + strconv.FormatFloat(x, 'g', -1, 64)
}
