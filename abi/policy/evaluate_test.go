package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examplePolicy is the policy of abi/POLICY.md's worked example.
const examplePolicy = `{"Version": "2026-11-01",
 "Statement": [
   {"Sid": "sessions", "Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:sessions/*"]},
   {"Effect": "Allow", "Action": "http:Fetch", "Resource": ["https://api.example.com/v1/*"]},
   {"Effect": "Allow", "Action": "fn:Invoke", "Resource": ["fn:resize", "fn:thumbnail:live"]},
   {"Effect": "Deny",  "Action": "kv:*", "Resource": ["kv:sessions/admin*"]}]}`

// check is one Evaluate call and its expected outcome.
type check struct {
	name     string
	action   Action
	resource string
	allowed  bool
	stmt     int // the deciding statement, -1 for the implicit deny
}

// runChecks evaluates every check against p.
func runChecks(t *testing.T, p *Policy, checks []check) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			d := p.Evaluate(c.action, c.resource)
			assert.Equal(t, c.allowed, d.Allowed, "Allowed: %s", d)
			assert.Equal(t, c.stmt, d.Statement, "Statement: %s", d)
			assert.Equal(t, c.allowed, p.Allowed(c.action, c.resource), "Allowed agrees with Evaluate")
		})
	}
}

func TestEvaluateExamplePolicy(t *testing.T) {
	p := MustParse(examplePolicy)
	runChecks(t, p, []check{
		{name: "kv get in the store", action: KVGet, resource: "kv:sessions/abc", allowed: true, stmt: 0},
		{name: "kv put in the store", action: KVPut, resource: "kv:sessions/abc", allowed: true, stmt: 0},
		{name: "star crosses slashes", action: KVGet, resource: "kv:sessions/a/b", allowed: true, stmt: 0},
		{name: "star matches the empty key", action: KVGet, resource: "kv:sessions/", allowed: true, stmt: 0},
		{name: "another store with the same prefix", action: KVGet, resource: "kv:sessionsX/a", stmt: -1},
		{name: "the store without a key", action: KVGet, resource: "kv:sessions", stmt: -1},
		{name: "action not allowed", action: KVDelete, resource: "kv:sessions/abc", stmt: -1},
		{name: "deny beats allow", action: KVGet, resource: "kv:sessions/admin", stmt: 3},
		{name: "deny prefix", action: KVPut, resource: "kv:sessions/admin/root", stmt: 3},
		{name: "deny applies to actions never allowed", action: KVDelete, resource: "kv:sessions/admins", stmt: 3},
		{name: "deny pattern is a prefix, not a segment", action: KVGet, resource: "kv:sessions/xadmin", allowed: true, stmt: 0},
		{name: "http allowed", action: HTTPFetch, resource: "https://api.example.com/v1/users?id=1", allowed: true, stmt: 1},
		{name: "http other version", action: HTTPFetch, resource: "https://api.example.com/v2/users", stmt: -1},
		{name: "http plain scheme", action: HTTPFetch, resource: "http://api.example.com/v1/users", stmt: -1},
		{name: "fn unqualified", action: FnInvoke, resource: "fn:resize", allowed: true, stmt: 2},
		{name: "fn qualified is not unqualified", action: FnInvoke, resource: "fn:resize:3", stmt: -1},
		{name: "fn alias", action: FnInvoke, resource: "fn:thumbnail:live", allowed: true, stmt: 2},
		{name: "fn other alias", action: FnInvoke, resource: "fn:thumbnail:dev", stmt: -1},
		{name: "fn unqualified is not the alias", action: FnInvoke, resource: "fn:thumbnail", stmt: -1},
		{name: "kv resource for an http action", action: HTTPFetch, resource: "kv:sessions/abc", stmt: -1},
		{name: "unknown action", action: 0, resource: "kv:sessions/abc", stmt: -1},
		{name: "action out of range", action: numActions, resource: "kv:sessions/abc", stmt: -1},
	})
	assert.Equal(t, "sessions", p.Evaluate(KVGet, "kv:sessions/a").Sid)
	assert.Equal(t, "", p.Evaluate(KVGet, "kv:sessions/admin").Sid)
}

func TestEvaluateDenyByDefault(t *testing.T) {
	empty := MustParse(`{"Statement": []}`)
	var nilPolicy *Policy
	for _, tt := range []struct {
		name string
		p    *Policy
	}{
		{name: "no statements", p: empty},
		{name: "nil policy", p: nilPolicy},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for a := Action(0); a <= numActions; a++ {
				d := tt.p.Evaluate(a, "*")
				assert.False(t, d.Allowed, a.String())
				assert.Equal(t, -1, d.Statement, a.String())
			}
		})
	}
}

func TestEvaluateDenyWins(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		check check
	}{
		{
			name:  "deny before allow",
			doc:   doc(`{"Effect": "Deny", "Action": "kv:Get", "Resource": "kv:a/b"}`, allow("kv:Get", "*")),
			check: check{action: KVGet, resource: "kv:a/b", stmt: 0},
		},
		{
			name:  "deny after allow",
			doc:   doc(allow("kv:Get", "*"), `{"Effect": "Deny", "Action": "kv:Get", "Resource": "kv:a/b"}`),
			check: check{action: KVGet, resource: "kv:a/b", stmt: 1},
		},
		{
			name:  "deny everything",
			doc:   doc(allow("kv:Get", "kv:a/b"), `{"Effect": "Deny", "Action": "*", "Resource": "*"}`),
			check: check{action: KVGet, resource: "kv:a/b", stmt: 1},
		},
		{
			name:  "first of two denies decides",
			doc:   doc(`{"Effect": "Deny", "Action": "kv:*", "Resource": "kv:a/*"}`, `{"Effect": "Deny", "Action": "kv:Get", "Resource": "kv:a/b"}`),
			check: check{action: KVGet, resource: "kv:a/b", stmt: 0},
		},
		{
			name:  "first of two allows decides",
			doc:   doc(allow("kv:Get", "kv:a/*"), allow("kv:Get", "kv:a/b")),
			check: check{action: KVGet, resource: "kv:a/b", allowed: true, stmt: 0},
		},
		{
			name:  "non-matching deny does not deny",
			doc:   doc(`{"Effect": "Deny", "Action": "kv:Get", "Resource": "kv:a/c"}`, allow("kv:Get", "kv:a/*")),
			check: check{action: KVGet, resource: "kv:a/b", allowed: true, stmt: 1},
		},
	}
	for _, tt := range tests {
		tt.check.name = tt.name
		runChecks(t, MustParse(tt.doc), []check{tt.check})
	}
}

func TestEvaluateActionWildcards(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    []Action
	}{
		{name: "everything", pattern: "*", want: []Action{KVGet, KVPut, KVDelete, KVList, HTTPFetch, FnInvoke, FSRead, FSWrite, ConfigGet}},
		{name: "all kv", pattern: "kv:*", want: []Action{KVGet, KVPut, KVDelete, KVList}},
		{name: "all fs", pattern: "fs:*", want: []Action{FSRead, FSWrite}},
		{name: "every Get", pattern: "*:Get", want: []Action{KVGet, ConfigGet}},
		{name: "question mark", pattern: "kv:?et", want: []Action{KVGet}},
		{name: "one action", pattern: "http:Fetch", want: []Action{HTTPFetch}},
		{name: "repeated stars", pattern: "kv:**", want: []Action{KVGet, KVPut, KVDelete, KVList}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustParse(doc(allow(tt.pattern, "*")))
			for a := Action(1); a < numActions; a++ {
				assert.Equal(t, contains(tt.want, a), p.Allowed(a, "*"), a.String())
			}
		})
	}
}

// contains reports whether as holds a.
func contains(as []Action, a Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func TestEvaluateResourceWildcards(t *testing.T) {
	tests := []struct {
		name     string
		action   string
		pattern  string
		match    []string
		nonMatch []string
	}{
		{
			name: "exact", action: "kv:Get", pattern: "kv:a/b",
			match:    []string{"kv:a/b"},
			nonMatch: []string{"kv:a/bc", "kv:a/", "kv:a/B", "kv:a/b/"},
		},
		{
			name: "store prefix", action: "kv:Get", pattern: "kv:sessions/*",
			match:    []string{"kv:sessions/", "kv:sessions/a", "kv:sessions/a/b", "kv:sessions/*"},
			nonMatch: []string{"kv:sessionsX/a", "kv:session/a", "kv:sessions"},
		},
		{
			name: "question mark is one character", action: "kv:Get", pattern: "kv:s/user-?",
			match:    []string{"kv:s/user-1", "kv:s/user-x", "kv:s/user-é", "kv:s/user-?", "kv:s/user-/"},
			nonMatch: []string{"kv:s/user-", "kv:s/user-12", "kv:s/user-é1"},
		},
		{
			name: "suffix", action: "kv:Get", pattern: "kv:*/config",
			match:    []string{"kv:a/config", "kv:a/b/config", "kv:a//config"},
			nonMatch: []string{"kv:a/config/x", "kv:a/confi", "kv:a/xconfig"},
		},
		{
			name: "contains", action: "kv:Get", pattern: "kv:*/tmp/*",
			match:    []string{"kv:a/tmp/x", "kv:a/b/tmp/", "kv:a//tmp/"},
			nonMatch: []string{"kv:a/tmp", "kv:tmp/x"},
		},
		{
			name: "prefix and suffix", action: "kv:Get", pattern: "kv:s/*.json",
			match:    []string{"kv:s/.json", "kv:s/a.json", "kv:s/a/b.json"},
			nonMatch: []string{"kv:s/a.jsonx", "kv:s.json", "kv:s/json"},
		},
		{
			name: "prefix and suffix do not overlap", action: "kv:Get", pattern: "kv:s/ab*ba",
			match:    []string{"kv:s/abba", "kv:s/ab/ba"},
			nonMatch: []string{"kv:s/aba"},
		},
		{
			name: "general", action: "kv:Get", pattern: "kv:s/*-?-*.log",
			match:    []string{"kv:s/a-1-b.log", "kv:s/-1-.log", "kv:s/a-b-c-d.log"},
			nonMatch: []string{"kv:s/a-12-b.log", "kv:s/a-1-b.txt"},
		},
		{
			name: "store wildcard without a key", action: "kv:Get", pattern: "kv:se*",
			match:    []string{"kv:sessions/a", "kv:se/x"},
			nonMatch: []string{"kv:s/x"},
		},
		{
			name: "any resource", action: "kv:Get", pattern: "*",
			match: []string{"kv:a/b", "", "anything"},
		},
		{
			name: "fn unqualified only", action: "fn:Invoke", pattern: "fn:resize",
			match:    []string{"fn:resize"},
			nonMatch: []string{"fn:resize:3", "fn:resize:$LATEST", "fn:resizer"},
		},
		{
			name: "fn any qualifier", action: "fn:Invoke", pattern: "fn:resize:*",
			match:    []string{"fn:resize:3", "fn:resize:$LATEST", "fn:resize:live"},
			nonMatch: []string{"fn:resize", "fn:resizer:3"},
		},
		{
			name: "fn qualified or not", action: "fn:Invoke", pattern: "fn:resize*",
			match:    []string{"fn:resize", "fn:resize:3", "fn:resizer"},
			nonMatch: []string{"fn:resiz"},
		},
		{
			name: "fn version", action: "fn:Invoke", pattern: "fn:resize:3",
			match:    []string{"fn:resize:3"},
			nonMatch: []string{"fn:resize:30", "fn:resize"},
		},
		{
			name: "fs directory tree", action: "fs:Read", pattern: "fs:/data/*",
			match:    []string{"fs:/data/a", "fs:/data/a/b"},
			nonMatch: []string{"fs:/data", "fs:/database/a", "fs:/etc/passwd"},
		},
		{
			name: "fs prefix without a slash", action: "fs:Read", pattern: "fs:/data*",
			match: []string{"fs:/data", "fs:/data/a", "fs:/database"},
		},
		{
			name: "config", action: "config:Get", pattern: "config:db/*",
			match:    []string{"config:db/url", "config:db/"},
			nonMatch: []string{"config:dbx", "config:cache/url"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustParse(doc(allow(tt.action, tt.pattern)))
			a, err := ParseAction(tt.action)
			require.NoError(t, err)
			for _, r := range tt.match {
				assert.True(t, p.Allowed(a, r), "%q should match %q", tt.pattern, r)
			}
			for _, r := range tt.nonMatch {
				assert.False(t, p.Allowed(a, r), "%q should not match %q", tt.pattern, r)
			}
		})
	}
}

func TestEvaluateHTTP(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		match    []string
		nonMatch []string
	}{
		{
			name:    "path prefix",
			pattern: "https://api.example.com/v1/*",
			match: []string{
				"https://api.example.com/v1/",
				"https://api.example.com/v1/users",
				"https://api.example.com/v1/users?id=1&x=2",
				"https://api.example.com:443/v1/x",
				"HTTPS://API.EXAMPLE.COM/v1/x",
			},
			nonMatch: []string{
				"https://api.example.com/v1",
				"https://api.example.com/V1/x",
				"http://api.example.com/v1/x",
				"https://api.example.com:8443/v1/x",
				"https://api.example.com.evil.test/v1/x",
				"https://evil.test/api.example.com/v1/x",
				"https://api.example.com@evil.test/v1/x",
				"https://user@api.example.com/v1/x",
				"https://api.example.com%2f/v1/x",
				"https://api.example.com\\@evil.test/v1/x",
				"api.example.com/v1/x",
				"",
			},
		},
		{
			name:    "host wildcard stays in the host",
			pattern: "https://*.example.com/*",
			match: []string{
				"https://a.example.com/",
				"https://a.b.example.com/x",
				"https://A.Example.COM/x",
			},
			nonMatch: []string{
				"https://example.com/",
				"https://evil.test/.example.com/",
				"https://evil.test?.example.com/",
				"https://evil.test#.example.com/",
				"https://a.example.com.evil.test/",
				"https://a.example.com:8080/",
				"https://evil.test:1.example.com/",
			},
		},
		{
			name:    "root only",
			pattern: "https://example.com/",
			match:   []string{"https://example.com/", "https://example.com"},
			nonMatch: []string{
				"https://example.com/x",
				"https://example.com?q=1",
			},
		},
		{
			name:    "empty path is the root path",
			pattern: "https://example.com/*",
			match:   []string{"https://example.com", "https://example.com?q=1", "https://example.com/a"},
		},
		{
			name:     "any port",
			pattern:  "http://localhost:*/*",
			match:    []string{"http://localhost:8080/", "http://localhost:1/x"},
			nonMatch: []string{"http://localhost/", "http://localhost:80/"},
		},
		{
			name:     "default port in the pattern",
			pattern:  "http://localhost:80/*",
			match:    []string{"http://localhost/", "http://localhost:80/x"},
			nonMatch: []string{"http://localhost:8080/"},
		},
		{
			name:     "IPv6",
			pattern:  "http://[::1]:8080/*",
			match:    []string{"http://[::1]:8080/x"},
			nonMatch: []string{"http://[::1]/x", "http://[::2]:8080/x"},
		},
		{
			name:    "any host still needs a well-formed authority",
			pattern: "http://*/*",
			match:   []string{"http://a/", "http://[::1]/", "http://[fe80::1%25eth0]:80/", "http://a:1/"},
			nonMatch: []string{
				"http:///x", "http://[::1/x", "http://[::1]x/", "http://a:/x", "http://a:b/x",
				"http://[::1]:b/", "http://[a b]/", "http://a b/", "https://a/", "ftp://a/",
			},
		},
		{
			name:     "query string",
			pattern:  "https://example.com/search?q=*",
			match:    []string{"https://example.com/search?q=flint"},
			nonMatch: []string{"https://example.com/search"},
		},
		{
			name:     "upper-case pattern host",
			pattern:  "https://API.Example.com/*",
			match:    []string{"https://api.example.com/x", "https://API.EXAMPLE.COM/x"},
			nonMatch: []string{"https://api.example.org/x"},
		},
		{
			name:     "host question mark",
			pattern:  "https://api?.example.com/*",
			match:    []string{"https://api1.example.com/", "https://apiX.example.com/"},
			nonMatch: []string{"https://api.example.com/", "https://api12.example.com/"},
		},
		{
			name:    "general host pattern",
			pattern: "https://*-?.*.example.com/*",
			match:   []string{"https://a-1.b.example.com/", "https://A-B.C.EXAMPLE.com/"},
		},
		{
			name:    "contains host pattern",
			pattern: "https://*example*/*",
			match:   []string{"https://www.example.com/", "https://WWW.EXAMPLE.COM/"},
		},
		{
			name:     "prefix and suffix host pattern",
			pattern:  "https://api*.com/*",
			match:    []string{"https://api.example.com/", "https://API.EXAMPLE.COM/"},
			nonMatch: []string{"https://api.example.org/", "https://ap.com/"},
		},
		{
			name:     "prefix host pattern",
			pattern:  "https://api.*/*",
			match:    []string{"https://API.example.org/"},
			nonMatch: []string{"https://www.example.org/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustParse(doc(allow("http:Fetch", tt.pattern)))
			for _, r := range tt.match {
				assert.True(t, p.Allowed(HTTPFetch, r), "%q should match %q", tt.pattern, r)
			}
			for _, r := range tt.nonMatch {
				assert.False(t, p.Allowed(HTTPFetch, r), "%q should not match %q", tt.pattern, r)
			}
		})
	}
}

func TestEvaluateResourcesApplyToTheirOwnService(t *testing.T) {
	p := MustParse(doc(`{"Effect": "Allow", "Action": ["kv:Get", "fs:Read"], "Resource": ["kv:a/*", "fs:/a/*"]}`))
	runChecks(t, p, []check{
		{name: "kv resource for kv", action: KVGet, resource: "kv:a/x", allowed: true, stmt: 0},
		{name: "fs resource for fs", action: FSRead, resource: "fs:/a/x", allowed: true, stmt: 0},
		{name: "fs resource for kv", action: KVGet, resource: "fs:/a/x", stmt: -1},
		{name: "kv resource for fs", action: FSRead, resource: "kv:a/x", stmt: -1},
	})
}

func TestDecisionString(t *testing.T) {
	tests := []struct {
		name string
		d    Decision
		want string
	}{
		{name: "implicit deny", d: Decision{Statement: -1}, want: "denied: no statement allows it"},
		{name: "explicit deny", d: Decision{Statement: 3}, want: "denied by Statement[3]"},
		{name: "allowed with sid", d: Decision{Allowed: true, Statement: 0, Sid: "sessions"}, want: `allowed by Statement[0] (Sid "sessions")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.d.String())
		})
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	p := MustParse(examplePolicy)
	for _, c := range []struct {
		a Action
		r string
	}{
		{KVGet, "kv:sessions/abc"},
		{KVGet, "kv:sessions/admin"},
		{HTTPFetch, "https://API.example.com/v1/x"},
		{FnInvoke, "fn:nope"},
	} {
		allocs := testing.AllocsPerRun(100, func() { p.Evaluate(c.a, c.r) })
		assert.Zero(t, allocs, "%s %s", c.a, c.r)
	}
}

func TestNamesHost(t *testing.T) {
	p := MustParse(`{"Statement": [
		{"Effect": "Allow", "Action": "http:Fetch", "Resource": ["http://10.0.0.5:8080/*", "https://*.internal/*", "https://API.example.com/v1/*"]},
		{"Effect": "Allow", "Action": "kv:Get", "Resource": "kv:hosts/*"},
		{"Effect": "Deny", "Action": "http:Fetch", "Resource": "http://denied.example/*"}]}`)
	tests := []struct {
		host string
		want bool
	}{
		{"10.0.0.5:8080", true},
		{"10.0.0.5", false},
		{"api.example.com", true},
		{"db.internal", false}, // named only through a wildcard
		{"denied.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			assert.Equal(t, tt.want, p.NamesHost(tt.host))
		})
	}
	var nilPolicy *Policy
	assert.False(t, nilPolicy.NamesHost("api.example.com"))
}
