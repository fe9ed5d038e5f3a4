package policy

import (
	"errors"
	"strconv"
	"testing"

	"github.com/flintfaas/flint/internal/ascii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// a *ValidationError wrapping ErrInvalidPolicy, and that a parsed policy's
// canonical document parses again to an equivalent policy.
func FuzzParse(f *testing.F) {
	// probes are calls a fuzzed policy and its re-parsed canonical form
	// must decide alike.
	probes := []struct {
		a Action
		r string
	}{
		{KVGet, "kv:sessions/abc"},
		{KVPut, "kv:sessions/admin"},
		{KVList, "kv:a/"},
		{HTTPFetch, "https://api.example.com/v1/x"},
		{HTTPFetch, "http://localhost:8080/"},
		{FnInvoke, "fn:resize"},
		{FnInvoke, "fn:resize:3"},
		{FSRead, "fs:/data/x"},
		{FSWrite, "fs:/tmp/y"},
		{ConfigGet, "config:db/url"},
	}
	appProbes := []struct{ a, r string }{
		{"app:orders.Get", "app:orders/tenant-42/o-1"},
		{"app:orders.Annotate", "app:orders/tenant-42/archived-1"},
		{"app:billing.Charge", "app:x"},
	}
	f.Add([]byte(examplePolicy))
	f.Add([]byte(tenantPolicy))
	f.Add([]byte(doc(allow("*Get", "app:*"))))
	f.Add([]byte(`{"Statement": []}`))
	f.Add([]byte(doc(allow("*", "*"))))
	f.Add([]byte(doc(allow("http:Fetch", "https://*.example.com:*/v?/*"))))
	f.Add([]byte(doc(`{"Sid": "x", "Effect": "Deny", "Action": ["fs:*"], "Resource": ["fs:/data/*"]}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			require.Nil(t, p)
			require.True(t, errors.Is(err, ErrInvalidPolicy), "%v", err)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "%T", err)
			require.NotEmpty(t, ve.Reason)
			if ve.Statement >= 0 {
				require.Contains(t, err.Error(), "Statement["+strconv.Itoa(ve.Statement)+"]")
			}
			return
		}
		canonical, err := p.MarshalJSON()
		require.NoError(t, err)
		again, err := Parse(canonical)
		require.NoError(t, err, "canonical form %s", canonical)
		canonical2, err := again.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(canonical), string(canonical2))
		for _, pr := range probes {
			assert.Equal(t, p.Evaluate(pr.a, pr.r), again.Evaluate(pr.a, pr.r), "%s %s", pr.a, pr.r)
		}
		for _, pr := range appProbes {
			assert.Equal(t, p.EvaluateApp(pr.a, pr.r), again.EvaluateApp(pr.a, pr.r), "%s %s", pr.a, pr.r)
		}
	})
}

// FuzzGlob checks the compiled matcher and globMatch against the regexp
// reference.
func FuzzGlob(f *testing.F) {
	f.Add("kv:sessions/*", "kv:sessions/a/b")
	f.Add("kv:s/user-?", "kv:s/user-é")
	f.Add("*a*b", "xaxxaxb")
	f.Add("*??", "€")
	f.Add("a*b?c*", "ab€c")
	f.Add("*.json", "x.json")
	f.Fuzz(func(t *testing.T, p, s string) {
		if !referenceComparable(p) || len(p) > 64 || len(s) > 256 {
			t.Skip()
		}
		want := globRegexp(t, p).MatchString(s)
		require.Equal(t, want, globMatch(p, s, false), "globMatch(%q, %q)", p, s)
		g := compileGlob(p, false)
		require.Equal(t, want, g.match(s), "compiled %q (kind %d) on %q", p, g.kind, s)
		// Folding agrees with lowering both sides.
		fold := compileGlob(p, true)
		lowered := compileGlob(ascii.LowerString(p), false)
		require.Equal(t, lowered.match(ascii.LowerString(s)), fold.match(s), "fold %q on %q", p, s)
	})
}
