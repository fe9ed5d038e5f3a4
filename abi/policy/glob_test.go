package policy

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/ascii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// globRegexp is the reference implementation of a pattern: a regular
// expression in which '*' is ".*", '?' is "." (one character; invalid UTF-8
// bytes count one each, as in globMatch) and everything else is literal.
func globRegexp(t testing.TB, p string) *regexp.Regexp {
	t.Helper()
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	require.NoError(t, err, "pattern %q", p)
	return re
}

// referenceComparable reports whether the regexp reference applies to
// pattern p: it must be valid UTF-8 and must not hold U+FFFD, which a
// regexp also matches against any invalid byte while the glob matches
// only its own encoding.
func referenceComparable(p string) bool {
	return utf8.ValidString(p) && !strings.ContainsRune(p, utf8.RuneError)
}

func TestCompileGlob(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		fold    bool
		kind    globKind
		a, b    string
		mid     []string
	}{
		{name: "star", pattern: "*", kind: globAny},
		{name: "stars", pattern: "***", kind: globAny},
		{name: "exact", pattern: "kv:a/b", kind: globExact, a: "kv:a/b"},
		{name: "empty", pattern: "", kind: globExact},
		{name: "prefix", pattern: "kv:a/*", kind: globPrefix, a: "kv:a/"},
		{name: "prefix with repeated stars", pattern: "kv:a/**", kind: globPrefix, a: "kv:a/"},
		{name: "suffix", pattern: "*.json", kind: globSuffix, a: ".json"},
		{name: "contains", pattern: "*/tmp/*", kind: globContains, a: "/tmp/"},
		{name: "prefix and suffix", pattern: "kv:a/*.json", kind: globPrefixSuffix, a: "kv:a/", b: ".json"},
		{name: "question mark", pattern: "kv:a/?", kind: globGeneral, a: "kv:a/?"},
		{name: "two inner stars", pattern: "a*b*c", kind: globSegments, a: "a", b: "c", mid: []string{"b"}},
		{name: "collapsed segments", pattern: "a**b**c", kind: globSegments, a: "a", b: "c", mid: []string{"b"}},
		{name: "segments with empty ends", pattern: "*a*b*c", kind: globSegments, a: "", b: "c", mid: []string{"a", "b"}},
		{name: "question mark and stars", pattern: "a*?*c", kind: globGeneral, a: "a*?*c"},
		{name: "folded segments fall back to general", pattern: "a*B*c", fold: true, kind: globGeneral, a: "a*b*c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := compileGlob(tt.pattern, tt.fold)
			assert.Equal(t, tt.kind, g.kind)
			assert.Equal(t, tt.a, g.a)
			assert.Equal(t, tt.b, g.b)
			assert.Equal(t, tt.mid, g.mid)
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		s       string
		want    bool
	}{
		{name: "empty matches empty", pattern: "", s: "", want: true},
		{name: "empty does not match a character", pattern: "", s: "a"},
		{name: "star matches empty", pattern: "*", s: "", want: true},
		{name: "star crosses slashes", pattern: "a*z", s: "a/b/z", want: true},
		{name: "question needs a character", pattern: "?", s: ""},
		{name: "question is one character", pattern: "?", s: "é", want: true},
		{name: "question is not two bytes of one character", pattern: "??", s: "é"},
		{name: "question is one character of three bytes", pattern: "*??", s: "€"},
		{name: "question is one invalid byte", pattern: "?", s: "\xff", want: true},
		{name: "backtracking", pattern: "*a*b", s: "xaxxaxb", want: true},
		{name: "backtracking fails", pattern: "*a*b", s: "xaxxaxc"},
		{name: "star then question", pattern: "*?x", s: "éx", want: true},
		{name: "many stars", pattern: "*a*a*a*a*a*b", s: strings.Repeat("a", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, globMatch(tt.pattern, tt.s, false))
			g := compileGlob(tt.pattern, false)
			assert.Equal(t, tt.want, g.match(tt.s), "compiled")
		})
	}
}

// TestGlobAgainstRegexp compares every matcher kind with the regexp
// reference on random patterns and strings over a small alphabet, where
// matches and near misses are both frequent.
func TestGlobAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab/é*?"
	runes := []rune(alphabet)
	randString := func(n int, wild bool) string {
		var b strings.Builder
		for range n {
			r := runes[rng.IntN(len(runes))]
			if !wild && (r == '*' || r == '?') && rng.IntN(2) == 0 {
				r = 'a'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for range 3000 {
		p := randString(rng.IntN(8), true)
		re := globRegexp(t, p)
		g := compileGlob(p, false)
		for range 20 {
			s := randString(rng.IntN(10), false)
			want := re.MatchString(s)
			require.Equal(t, want, globMatch(p, s, false), "globMatch(%q, %q)", p, s)
			require.Equal(t, want, g.match(s), "compiled %q (kind %d) on %q", p, g.kind, s)
		}
	}
}

// TestGlobFold checks case-insensitive matching against lowering both
// sides and matching exactly.
func TestGlobFold(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "aAbB.*?"
	randString := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 3000 {
		p := randString(rng.IntN(8))
		g := compileGlob(p, true)
		exact := compileGlob(ascii.LowerString(p), false)
		for range 20 {
			s := strings.ReplaceAll(strings.ReplaceAll(randString(rng.IntN(10)), "*", "x"), "?", "y")
			require.Equal(t, exact.match(ascii.LowerString(s)), g.match(s), "fold %q (kind %d) on %q", p, g.kind, s)
		}
	}
}
