package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Policy is a compiled execution policy, made by Parse. It is immutable and
// safe for concurrent use. A nil *Policy, like a zero Policy, denies
// everything.
type Policy struct {
	doc   document
	rules [numActions]actionRules
	// app holds the statements that apply to app actions (the host
	// application's capabilities), in document order.
	app struct{ deny, allow []appRule }
}

// appRule is one statement as it applies to app actions: its action
// patterns that can match one, and its app: and "*" resource patterns.
type appRule struct {
	stmt      int
	actions   []glob
	resources []rule
}

// firstAppMatch returns the statement of the first rule that matches
// action on resource, or -1.
func firstAppMatch(rules []appRule, action, resource string) int {
	for i := range rules {
		r := &rules[i]
		if firstMatch(r.resources, resource, nil) < 0 {
			continue
		}
		for j := range r.actions {
			if r.actions[j].match(action) {
				return r.stmt
			}
		}
	}
	return -1
}

// actionRules are the rules that apply to one action, in statement order.
type actionRules struct {
	deny, allow []rule
}

// rule is one resource pattern of one statement.
type rule struct {
	// prefix is a literal that every matching resource starts with,
	// checked inline before any call to m.match; filter says whether that
	// check decides alone.
	prefix string
	filter prefilter
	stmt   int
	m      matcher
}

// newRule makes the rule for pattern m of statement stmt.
func newRule(stmt int, m matcher) rule {
	prefix, filter := m.literalPrefix()
	return rule{prefix: prefix, filter: filter, stmt: stmt, m: m}
}

// firstMatch returns the statement of the first rule that resource s
// matches, or -1. u is as for matcher.match.
func firstMatch(rules []rule, s string, u *urlParts) int {
	for i := range rules {
		r := &rules[i]
		if len(s) < len(r.prefix) || s[:len(r.prefix)] != r.prefix {
			continue
		}
		switch r.filter {
		case prefilterOnly:
			return r.stmt
		case prefilterExact:
			if len(s) == len(r.prefix) {
				return r.stmt
			}
		default:
			if r.m.match(s, u) {
				return r.stmt
			}
		}
	}
	return -1
}

// Decision is the outcome of evaluating a call against a policy, and the
// statement that decided it, for the invocation log and audit counters.
type Decision struct {
	// Allowed reports whether the call may go ahead.
	Allowed bool
	// Statement is the index in the document of the statement that decided:
	// the first Deny that matched, or else the first Allow that matched. It
	// is -1 when no statement matched (the implicit deny).
	Statement int
	// Sid is the deciding statement's Sid, if it has one.
	Sid string
}

// String describes the decision for a log line, for example
// `allowed by Statement[0] (Sid "sessions")`.
func (d Decision) String() string {
	if d.Statement < 0 {
		return "denied: no statement allows it"
	}
	s := "denied by Statement["
	if d.Allowed {
		s = "allowed by Statement["
	}
	s += strconv.Itoa(d.Statement) + "]"
	if d.Sid != "" {
		s += " (Sid " + strconv.Quote(d.Sid) + ")"
	}
	return s
}

// Parse validates a policy document and compiles it. The document is
// decoded strictly: unknown or repeated fields, fields of the wrong type,
// unknown actions, malformed resources and trailing data are all rejected.
// Every error Parse returns is a *ValidationError describing the first
// problem found, and wraps ErrInvalidPolicy.
func Parse(data []byte) (*Policy, error) {
	doc, statements, err := validate(data)
	if err != nil {
		return nil, err
	}
	p := &Policy{doc: doc}
	// A pattern repeated for the same action and effect can never decide:
	// the earlier copy is checked first against the same resource. Keep
	// only the first.
	type key struct {
		a       Action
		allow   bool
		pattern string
	}
	seen := make(map[key]bool)
	for i, cs := range statements {
		for a := Action(1); a < numActions; a++ {
			if !cs.actions.has(a) {
				continue
			}
			r := &p.rules[a]
			for j, res := range cs.resources {
				k := key{a, cs.allow, doc.Statement[i].Resource[j]}
				if res.svc != svcNone && res.svc != a.service() || seen[k] {
					continue
				}
				seen[k] = true
				if cs.allow {
					r.allow = append(r.allow, newRule(i, res.m))
				} else {
					r.deny = append(r.deny, newRule(i, res.m))
				}
			}
		}
		if len(cs.appActions) > 0 {
			ar := appRule{stmt: i, actions: cs.appActions}
			for _, res := range cs.resources {
				if res.svc == svcNone || res.svc == svcApp {
					ar.resources = append(ar.resources, newRule(i, res.m))
				}
			}
			switch {
			case len(ar.resources) == 0: // the statement grants app actions nothing
			case cs.allow:
				p.app.allow = append(p.app.allow, ar)
			default:
				p.app.deny = append(p.app.deny, ar)
			}
		}
	}
	return p, nil
}

// MustParse is Parse for documents known to be valid, such as literals in
// tests and examples; it panics if doc is not a valid policy.
func MustParse(doc string) *Policy {
	p, err := Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	return p
}

// Evaluate decides whether the policy lets a function perform action on
// resource: an explicit Deny that matches wins, otherwise an Allow that
// matches allows, otherwise the call is denied. resource is the concrete
// resource in the form abi/POLICY.md gives for the action (for example
// "kv:sessions/abc", "https://api.example.com/v1/x", "fn:resize:3");
// patterns are matched against it literally, so the caller must clean and
// canonicalize it first. A nil Policy or an unknown action is denied.
// Evaluate does not allocate.
func (p *Policy) Evaluate(action Action, resource string) Decision {
	if p == nil || !action.valid() {
		return Decision{Statement: -1}
	}
	r := &p.rules[action]
	if len(r.deny) == 0 && len(r.allow) == 0 {
		return Decision{Statement: -1}
	}
	var parts urlParts
	var u *urlParts
	if action.service() == svcHTTP {
		parts.https, parts.host, parts.rest, parts.ok = splitURL(resource)
		u = &parts
	}
	if i := firstMatch(r.deny, resource, u); i >= 0 {
		return p.decision(false, i)
	}
	if i := firstMatch(r.allow, resource, u); i >= 0 {
		return p.decision(true, i)
	}
	return Decision{Statement: -1}
}

// EvaluateApp decides whether the policy lets a function call one of the
// host application's capabilities: action is "app:" and the capability's
// name ("app:orders.Get"), resource the resource the capability names for
// the call ("app:orders/tenant-42/o-17"). The rules are Evaluate's: an
// explicit Deny that matches wins, otherwise an Allow that matches
// allows, otherwise the call is denied. A statement matches when one of
// its action patterns matches action and one of its app: resource
// patterns (or "*") matches resource. A nil Policy, or an action that is
// not "app:" followed by a valid capability name (see ValidAppName), is
// denied. EvaluateApp does not allocate.
func (p *Policy) EvaluateApp(action, resource string) Decision {
	if p == nil || !validAppAction(action) {
		return Decision{Statement: -1}
	}
	if i := firstAppMatch(p.app.deny, action, resource); i >= 0 {
		return p.decision(false, i)
	}
	if i := firstAppMatch(p.app.allow, action, resource); i >= 0 {
		return p.decision(true, i)
	}
	return Decision{Statement: -1}
}

// decision builds the Decision made by statement i.
func (p *Policy) decision(allowed bool, i int) Decision {
	return Decision{Allowed: allowed, Statement: i, Sid: p.doc.Statement[i].Sid}
}

// Allowed reports whether the policy lets a function perform action on
// resource; it is Evaluate(action, resource).Allowed.
func (p *Policy) Allowed(action Action, resource string) bool {
	return p.Evaluate(action, resource).Allowed
}

// MarshalJSON returns the policy's canonical document: the one it was
// parsed from with Version filled in, Action and Resource always written as
// arrays, fields in a fixed order and no insignificant white space. Parsing
// it gives an equivalent policy with the same canonical document. A nil or
// zero Policy marshals as the empty policy, which also denies everything.
func (p *Policy) MarshalJSON() ([]byte, error) {
	doc := document{Version: Version, Statement: []statement{}}
	if p != nil && p.doc.Version != "" { // not nil, nor a zero Policy
		doc = p.doc
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep & < > in URLs readable
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON parses data as Parse does and replaces p with the result,
// so a *Policy can be a field of a configuration decoded with
// encoding/json. A JSON null leaves p unchanged. It must not be called on a
// Policy that is in use.
func (p *Policy) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	q, err := Parse(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// Compile-time checks that Policy round-trips through encoding/json.
var (
	_ json.Marshaler   = (*Policy)(nil)
	_ json.Unmarshaler = (*Policy)(nil)
)

// NamesHost reports whether an Allow statement grants http:Fetch on a URL
// pattern whose host is exactly host, written without wildcards (host in
// lower case, with a port only when it is not the scheme's default). The
// engine lets a function reach a private or loopback address only when
// its policy names that host so, never through a wildcard.
func (p *Policy) NamesHost(host string) bool {
	if p == nil {
		return false
	}
	for _, r := range p.rules[HTTPFetch].allow {
		if u := r.m.url; u != nil && u.host.kind == globExact && u.host.a == host {
			return true
		}
	}
	return false
}
