package jsstore

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/flintfaas/flint/engine/store"
)

// tokenRE is what stream, KV bucket and subject names may hold.
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// FuzzEncodeName checks that encodeName turns every valid store name into
// a short token JetStream accepts, and two different names into two
// different tokens.
func FuzzEncodeName(f *testing.F) {
	for _, seed := range [][2]string{
		{"functions", "kv/tenant-1/fn_a.v2"},
		{"a_b", "a.b"},
		{"a_s", "a/"},
		{"_u", "__"},
		{strings.Repeat("a", store.MaxNameBytes), strings.Repeat(".", store.MaxNameBytes)},
		{strings.Repeat("_", 32), strings.Repeat("_", 33)},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if store.CheckName(a) != nil || store.CheckName(b) != nil {
			return
		}
		ea, eb := encodeName(a), encodeName(b)
		for _, e := range []string{ea, eb} {
			if !tokenRE.MatchString(e) || len(e) > maxEncodedName {
				t.Fatalf("encodeName gave %q, not a token of at most %d characters", e, maxEncodedName)
			}
		}
		if a != b && ea == eb {
			t.Fatalf("encodeName(%q) == encodeName(%q) == %q", a, b, ea)
		}
	})
}

// FuzzEncodeKey checks that KV keys keep store keys' values, byte order
// and prefixes, and that decodeKey refuses what encodeKey cannot make.
func FuzzEncodeKey(f *testing.F) {
	for _, seed := range [][2]string{{"a", "a/1"}, {"\x00", "\xff"}, {"ab", "b"}, {"a", "a"}} {
		f.Add(seed[0], seed[1], "not hex")
	}
	f.Add("k", "K", "")
	f.Add("k", "kk", "6")
	f.Add("k", "kk", "6G")
	f.Fuzz(func(t *testing.T, a, b, raw string) {
		if _, ok := decodeKey(raw); ok && encodeKey(mustDecode(t, raw)) != raw {
			t.Fatalf("decodeKey accepted %q, which encodeKey does not make", raw)
		}
		if store.CheckKey(a) != nil || store.CheckKey(b) != nil {
			return
		}
		ea, eb := encodeKey(a), encodeKey(b)
		if got, ok := decodeKey(ea); !ok || got != a {
			t.Fatalf("decodeKey(encodeKey(%q)) = %q, %v", a, got, ok)
		}
		if !tokenRE.MatchString(ea) {
			t.Fatalf("encodeKey(%q) = %q is not a KV key", a, ea)
		}
		if want, got := strings.Compare(a, b), strings.Compare(ea, eb); want != got {
			t.Fatalf("order of %q, %q is %d, of their KV keys %d", a, b, want, got)
		}
		if want, got := strings.HasPrefix(b, a), strings.HasPrefix(eb, ea); want != got {
			t.Fatalf("%q prefix of %q: %v, of their KV keys: %v", a, b, want, got)
		}
	})
}

func mustDecode(t *testing.T, raw string) string {
	k, ok := decodeKey(raw)
	if !ok {
		t.Fatalf("decodeKey(%q) failed", raw)
	}
	return k
}

// FuzzParseSubject checks that a subject that is not one of the queue's
// message subjects is refused, and one that is comes apart and together
// again.
func FuzzParseSubject(f *testing.F) {
	q := &queue{root: "flint.queue.async"}
	for _, s := range []string{
		"flint.queue.async.r.abc", "flint.queue.async.s.abc", "flint.queue.async.x.abc",
		"flint.queue.async.r.", "flint.queue.async.r.a.b", "flint.queue.asyncr.abc", "", "flint.queue.async",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		kind, token, ok := q.parseSubject(subject)
		if !ok {
			return
		}
		if kind != readyToken && kind != scheduledToken || token == "" || strings.Contains(token, ".") {
			t.Fatalf("parseSubject(%q) = %q, %q", subject, kind, token)
		}
		if got := q.root + "." + kind + "." + token; got != subject {
			t.Fatalf("parseSubject(%q) = %q, %q, which make %q", subject, kind, token, got)
		}
	})
}

// TestEncodeNameExamples shows names as operators see them in `nats
// stream ls`, and keys as `nats kv ls` lists them.
func TestEncodeNameExamples(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"functions", "functions"},
		{"kv/tenant-1/fn_a.v2", "kv_stenant-1_sfn_ua_dv2"},
		{"A-Z_0.9/-", "A-Z_u0_d9_s-"},
	} {
		assert.Equal(t, tc.want, encodeName(tc.name), tc.name)
	}
	long := encodeName(strings.Repeat("/", 33))
	assert.Regexp(t, `^_h[0-9a-f]{40}$`, long, "a name too long escaped is hashed")
	assert.Equal(t, "666e2f68656c6c6f", encodeKey("fn/hello"))
}
