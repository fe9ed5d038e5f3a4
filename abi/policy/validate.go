package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSidLen bounds a statement's Sid.
const maxSidLen = 128

// actionSet has bit a set for each Action a.
type actionSet uint16

// compiledStatement is a statement validated and ready to be spread over
// the per-action rule lists.
type compiledStatement struct {
	allow     bool
	actions   actionSet
	resources []compiledResource
	// appActions are the statement's action patterns that can match an
	// app action ("app:orders.*", and wildcards such as "*"), matched
	// against the whole action ("app:orders.Get").
	appActions []glob
}

// compiledResource is one resource pattern of a statement. It applies to
// the statement's actions of service svc, or to all of them when svc is
// svcNone (the pattern "*").
type compiledResource struct {
	svc service
	m   matcher
}

// validate decodes and validates a policy document, returning it in
// canonical form with its statements compiled. The first problem found is
// returned as a *ValidationError.
func validate(data []byte) (document, []compiledStatement, error) {
	docErr := func(field, value, reason string) error {
		return &ValidationError{Statement: -1, Field: field, Value: value, Reason: reason}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return document{}, nil, docErr("", "", `the document is empty; a policy is a JSON object such as {"Version": "`+Version+`", "Statement": [...]}`)
	}
	if !utf8.Valid(data) {
		return document{}, nil, docErr("", "", "the document is not valid UTF-8; save it as UTF-8")
	}
	// Unmarshal checks the syntax of the whole document first and reports
	// errors at absolute offsets, which json.Decoder does not.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		return document{}, nil, docErr("", "", syntaxReason(data, err))
	}
	ms, err := members(data)
	if err != nil {
		return document{}, nil, docErr("", "", `the document must be a JSON object: {"Version": "`+Version+`", "Statement": [...]}`)
	}

	var rawStatements json.RawMessage
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		if seen[m.name] {
			return document{}, nil, docErr(m.name, "", "appears more than once; keep one")
		}
		seen[m.name] = true
		switch m.name {
		case "Version":
			v, ok := stringValue(m.value)
			if !ok {
				return document{}, nil, docErr("Version", "", `must be the string "`+Version+`", not `+jsonType(m.value))
			}
			if v != Version {
				return document{}, nil, docErr("Version", v, `must be "`+Version+`", the only policy language version (or leave Version out, which means the same)`)
			}
		case "Statement":
			rawStatements = m.value
		default:
			return document{}, nil, docErr(m.name, "", unknownField(m.name, []string{"Version", "Statement"}, "a policy document has only the fields Version and Statement"))
		}
	}
	if rawStatements == nil {
		return document{}, nil, docErr("Statement", "", `is missing; list the statements, or write "Statement": [] for a policy that denies everything`)
	}
	var raws []json.RawMessage
	if rawStatements[0] != '[' || json.Unmarshal(rawStatements, &raws) != nil {
		return document{}, nil, docErr("Statement", "", "must be an array of statements, not "+jsonType(rawStatements))
	}

	doc := document{Version: Version, Statement: make([]statement, 0, len(raws))}
	compiled := make([]compiledStatement, 0, len(raws))
	sids := make(map[string]int)
	for i, raw := range raws {
		st, cs, err := validateStatement(i, raw, sids)
		if err != nil {
			return document{}, nil, err
		}
		doc.Statement = append(doc.Statement, st)
		compiled = append(compiled, cs)
	}
	return doc, compiled, nil
}

// validateStatement validates statement i of a document. sids maps the Sids
// of the statements before it to their indexes.
func validateStatement(i int, raw json.RawMessage, sids map[string]int) (statement, compiledStatement, error) {
	var st statement
	var cs compiledStatement
	ms, err := members(raw)
	if err != nil {
		return st, cs, &ValidationError{Statement: i, Field: "Statement", Reason: `a statement must be a JSON object such as {"Effect": "Allow", "Action": [...], "Resource": [...]}, not ` + jsonType(raw)}
	}
	// Find a usable Sid first, so that every error can name the statement
	// by it, whatever the order of its fields.
	for _, m := range ms {
		if s, ok := stringValue(m.value); ok && m.name == "Sid" && validSid(s) {
			st.Sid = s
		}
	}
	fail := func(field, value, reason string) (statement, compiledStatement, error) {
		return statement{}, compiledStatement{}, &ValidationError{Statement: i, Sid: st.Sid, Field: field, Value: value, Reason: reason}
	}

	fields := make(map[string]json.RawMessage, len(ms))
	for _, m := range ms {
		if _, dup := fields[m.name]; dup {
			return fail(m.name, "", "appears more than once in the statement; keep one")
		}
		switch m.name {
		case "Sid", "Effect", "Action", "Resource":
			fields[m.name] = m.value
		default:
			return fail(m.name, "", unknownStatementField(m.name))
		}
	}

	if v, ok := fields["Sid"]; ok {
		s, ok := stringValue(v)
		switch {
		case !ok:
			return fail("Sid", "", "must be a string, not "+jsonType(v))
		case !validSid(s):
			return fail("Sid", s, "must be 1-128 characters of A-Z a-z 0-9 _ . - (or leave Sid out)")
		}
		if j, dup := sids[s]; dup {
			return fail("Sid", s, "is also the Sid of Statement["+strconv.Itoa(j)+"]; Sids must be unique")
		}
		sids[s] = i
	}

	v, ok := fields["Effect"]
	if !ok {
		return fail("Effect", "", `is missing; write "Effect": "Allow" or "Effect": "Deny"`)
	}
	effect, ok := stringValue(v)
	if !ok {
		return fail("Effect", "", `must be the string "Allow" or "Deny", not `+jsonType(v))
	}
	switch effect {
	case "Allow":
		cs.allow = true
	case "Deny":
	default:
		reason := `must be "Allow" or "Deny"`
		if strings.EqualFold(effect, "Allow") || strings.EqualFold(effect, "Deny") {
			reason += " (Effect is case-sensitive)"
		}
		return fail("Effect", effect, reason)
	}
	st.Effect = effect

	v, ok = fields["Action"]
	if !ok {
		return fail("Action", "", `is missing; list the actions the statement covers, e.g. "Action": ["kv:Get", "kv:Put"]`)
	}
	actions, ok := stringList(v)
	switch {
	case !ok:
		return fail("Action", "", "must be a string or an array of strings, not "+jsonType(v))
	case len(actions) == 0:
		return fail("Action", "", `is empty; list at least one action, e.g. "kv:Get"`)
	}
	perPattern := make([]actionSet, len(actions))
	perApp := make([]bool, len(actions))
	for j, a := range actions {
		set, app, reason := matchActions(a)
		if reason != "" {
			return fail("Action", a, reason)
		}
		perPattern[j], perApp[j] = set, app
		cs.actions |= set
		if app {
			cs.appActions = append(cs.appActions, compileGlob(a, false))
		}
	}
	st.Action = actions

	v, ok = fields["Resource"]
	if !ok {
		return fail("Resource", "", `is missing; list the resources the statement covers, e.g. "Resource": ["kv:sessions/*"], or "*" for every resource`)
	}
	resources, ok := stringList(v)
	switch {
	case !ok:
		return fail("Resource", "", "must be a string or an array of strings, not "+jsonType(v))
	case len(resources) == 0:
		return fail("Resource", "", `is empty; list at least one resource, or "*" for every resource`)
	}
	var services [len(serviceNames)]bool // services with a resource in the statement
	for _, r := range resources {
		svc, m, reason := compileResource(r)
		if reason != "" {
			return fail("Resource", r, reason)
		}
		hasAction := cs.actions.hasService(svc)
		if svc == svcApp {
			hasAction = len(cs.appActions) > 0
		}
		if svc != svcNone && !hasAction {
			return fail("Resource", r, "is "+serviceArticles[svc]+" "+serviceNames[svc]+" resource, but the statement has no "+serviceNames[svc]+
				" action ("+serviceNames[svc]+":...) for it to apply to; add one, or move the resource to a statement that has one")
		}
		services[svc] = true
		cs.resources = append(cs.resources, compiledResource{svc: svc, m: m})
	}
	st.Resource = resources

	// Every action pattern needs a resource that applies to it; otherwise
	// it was probably meant to go with a resource that was forgotten.
	if !services[svcNone] {
		for j, set := range perPattern {
			covered := perApp[j] && services[svcApp]
			for a := Action(1); a < numActions && !covered; a++ {
				if set.has(a) && services[a.service()] {
					covered = true
					break
				}
			}
			if !covered {
				example := exampleResource(set)
				if set == 0 {
					example = `"app:NAME/*"`
				}
				return fail("Action", actions[j], "has no resource in the statement (a resource applies only to actions of its own kind); add a resource such as "+example+", or move the action to a statement that has one")
			}
		}
	}
	return st, cs, nil
}

// has reports whether a is in s.
func (s actionSet) has(a Action) bool { return s&(1<<a) != 0 }

// hasService reports whether s holds an action of service svc.
func (s actionSet) hasService(svc service) bool {
	for a := Action(1); a < numActions; a++ {
		if s.has(a) && a.service() == svc {
			return true
		}
	}
	return false
}

// exampleResource suggests a resource for the first service in s.
func exampleResource(s actionSet) string {
	for a := Action(1); a < numActions; a++ {
		if s.has(a) {
			switch a.service() {
			case svcKV:
				return `"kv:STORE/*"`
			case svcHTTP:
				return `"https://api.example.com/*"`
			case svcFn:
				return `"fn:NAME"`
			case svcFS:
				return `"fs:/data/*"`
			case svcConfig:
				return `"config:NAME"`
			}
		}
	}
	return `"*"`
}

// matchActions returns the known actions that action pattern p matches,
// and whether it can match app actions (the host application's
// capabilities, app:NAME). reason says what is wrong when it matches
// neither.
//
// A pattern reaches app actions when it starts with "app:" (whose rest
// must be a capability name pattern), or when it matches known actions
// and has a wildcard before anything that could rule "app:" out ("*",
// "*Get"): such a pattern is matched against the app action itself.
func matchActions(p string) (actionSet, bool, string) {
	if p == "" {
		return 0, false, `is empty; write an action such as "kv:Get", or "*" for every action`
	}
	if rest, ok := strings.CutPrefix(p, AppPrefix); ok {
		if reason := checkAppPattern(rest); reason != "" {
			return 0, false, reason
		}
		return 0, true, ""
	}
	var set actionSet
	for a := Action(1); a < numActions; a++ {
		if globMatch(collapseStars(p), actionInfo[a].name, false) {
			set |= 1 << a
		}
	}
	if set != 0 {
		literal := p
		if i := strings.IndexAny(p, "*?"); i >= 0 {
			literal = p[:i]
		}
		return set, hasWildcard(p) && strings.HasPrefix(AppPrefix, literal), ""
	}
	if !hasWildcard(p) {
		for a := Action(1); a < numActions; a++ {
			if strings.EqualFold(p, actionInfo[a].name) {
				return 0, false, `is not a known action; did you mean "` + actionInfo[a].name + `"? Action names are case-sensitive`
			}
		}
	}
	prefix, rest, _ := strings.Cut(p, ":")
	if strings.EqualFold(prefix, "app") {
		return 0, false, `is not a known action; a host capability's action is written "` + AppPrefix + rest + `" (action names are case-sensitive)`
	}
	what := "is not a known action"
	if hasWildcard(p) {
		what = "matches no known action"
	}
	for svc := svcKV; svc < svcApp; svc++ {
		if prefix == serviceNames[svc] {
			return 0, false, what + "; the " + prefix + " actions are " + actionList(svc)
		}
	}
	return 0, false, what + "; the known actions are " + actionList(svcNone) + ", and app:NAME for the host application's capabilities"
}

// checkAppPattern validates the part of an app action pattern after
// "app:": a capability name, with wildcards.
func checkAppPattern(rest string) string {
	switch {
	case rest == "":
		return `has an empty capability name; write app:NAME, e.g. "app:orders.Get", or "app:*" for every host capability`
	case len(rest) > MaxAppNameLen:
		return "has a capability name longer than " + strconv.Itoa(MaxAppNameLen) + " characters"
	case !allNameChars(rest, "_.-"):
		return "has an invalid capability name; a host capability's name is 1-128 characters of A-Z a-z 0-9 _ . - (and the wildcards * and ?)"
	}
	return ""
}

// actionList lists the names of the actions of svc, or of all actions when
// svc is svcNone.
func actionList(svc service) string {
	var names []string
	for a := Action(1); a < numActions; a++ {
		if svc == svcNone || a.service() == svc {
			names = append(names, actionInfo[a].name)
		}
	}
	return strings.Join(names, ", ")
}

// validSid reports whether s is a valid statement id.
func validSid(s string) bool {
	return s != "" && len(s) <= maxSidLen && allNameChars(s, "_.-") && !hasWildcard(s)
}

// unknownStatementField explains why a statement field is rejected.
func unknownStatementField(name string) string {
	switch name {
	case "NotAction", "NotResource":
		return "is not supported; list what the statement covers under Action and Resource, and carve out exceptions with a Deny statement"
	case "Condition":
		return "is not supported in an execution policy; express the rule with Action and Resource patterns"
	case "Principal", "NotPrincipal":
		return "does not belong in an execution policy, which always applies to the function it is attached to; remove it"
	}
	return unknownField(name, []string{"Sid", "Effect", "Action", "Resource"}, "a statement has only the fields Sid, Effect, Action and Resource")
}

// unknownField explains why field name is rejected, suggesting the known
// field it differs from only in case.
func unknownField(name string, known []string, hint string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return `is not a known field; did you mean "` + k + `"? Field names are case-sensitive`
		}
	}
	return "is not a known field; " + hint
}
