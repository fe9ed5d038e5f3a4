package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/ascii"
)

// A pattern's wildcards: '*' matches any run of characters (including none,
// and including '/'), '?' matches exactly one character (one UTF-8 encoded
// code point, or one byte that is not valid UTF-8). Every other character
// matches itself. There is no escape: a '*' in a pattern is always a
// wildcard.

// globKind is the cheapest way to match a given pattern.
type globKind uint8

const (
	globAny          globKind = iota // "*": everything
	globExact                        // "abc": s == a
	globPrefix                       // "abc*": s starts with a
	globSuffix                       // "*abc": s ends with a
	globContains                     // "*abc*": s contains a
	globPrefixSuffix                 // "ab*cd": s starts with a and ends with b
	globSegments                     // "ab*c*d*ef": a, then each of mid in turn, then b
	globGeneral                      // anything else (it has a '?'): a is the pattern
)

// glob is a compiled pattern. Matching never allocates.
type glob struct {
	kind globKind
	// fold makes matching ASCII case-insensitive; a and b are then lower
	// case. Used for URL hosts.
	fold bool
	a, b string
	// mid are the literals between the first and the last '*' of a
	// globSegments pattern.
	mid []string
}

// compileGlob picks the matcher for pattern p. With fold, p is lowered
// (ASCII only) and matching ignores ASCII case.
func compileGlob(p string, fold bool) glob {
	if fold {
		p = ascii.LowerString(p)
	}
	p = collapseStars(p)
	g := glob{fold: fold}
	if p == "*" {
		g.kind = globAny
		return g
	}
	if strings.IndexByte(p, '?') >= 0 {
		g.kind, g.a = globGeneral, p
		return g
	}
	switch n := strings.Count(p, "*"); {
	case n == 0:
		g.kind, g.a = globExact, p
	case n == 1 && p[len(p)-1] == '*':
		g.kind, g.a = globPrefix, p[:len(p)-1]
	case n == 1 && p[0] == '*':
		g.kind, g.a = globSuffix, p[1:]
	case n == 1:
		i := strings.IndexByte(p, '*')
		g.kind, g.a, g.b = globPrefixSuffix, p[:i], p[i+1:]
	case n == 2 && p[0] == '*' && p[len(p)-1] == '*':
		g.kind, g.a = globContains, p[1:len(p)-1]
	case fold:
		g.kind, g.a = globGeneral, p // rare in hosts; not worth a folding Index
	default:
		parts := strings.Split(p, "*")
		g.kind, g.a, g.b, g.mid = globSegments, parts[0], parts[len(parts)-1], parts[1:len(parts)-1]
	}
	return g
}

// match reports whether s matches the pattern.
func (g *glob) match(s string) bool {
	if g.fold {
		return g.matchFold(s)
	}
	switch g.kind {
	case globAny:
		return true
	case globExact:
		return s == g.a
	case globPrefix:
		return strings.HasPrefix(s, g.a)
	case globSuffix:
		return strings.HasSuffix(s, g.a)
	case globContains:
		return strings.Contains(s, g.a)
	case globPrefixSuffix:
		return len(s) >= len(g.a)+len(g.b) && strings.HasPrefix(s, g.a) && strings.HasSuffix(s, g.b)
	case globSegments:
		return matchSegments(g.a, g.mid, g.b, s)
	default:
		return globMatch(g.a, s, false)
	}
}

// matchSegments reports whether s matches the pattern
// prefix*mid[0]*mid[1]*...*suffix, whose parts hold no wildcards. Taking
// the leftmost occurrence of each middle part is always right: it leaves
// the most room for the parts after it, and a '*' can absorb whatever lies
// between. strings.Index makes each step fast.
func matchSegments(prefix string, mid []string, suffix, s string) bool {
	if len(s) < len(prefix)+len(suffix) || !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return false
	}
	s = s[len(prefix) : len(s)-len(suffix)]
	for _, m := range mid {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
}

// matchFold is match ignoring ASCII case in s (the pattern is lower case).
func (g *glob) matchFold(s string) bool {
	switch g.kind {
	case globAny:
		return true
	case globExact:
		return len(s) == len(g.a) && equalFoldLower(s, g.a)
	case globPrefix:
		return len(s) >= len(g.a) && equalFoldLower(s[:len(g.a)], g.a)
	case globSuffix:
		return len(s) >= len(g.a) && equalFoldLower(s[len(s)-len(g.a):], g.a)
	case globContains:
		for i := 0; i+len(g.a) <= len(s); i++ {
			if equalFoldLower(s[i:i+len(g.a)], g.a) {
				return true
			}
		}
		return false
	case globPrefixSuffix:
		return len(s) >= len(g.a)+len(g.b) &&
			equalFoldLower(s[:len(g.a)], g.a) && equalFoldLower(s[len(s)-len(g.b):], g.b)
	default: // globGeneral; compileGlob never makes globSegments with fold
		return globMatch(g.a, s, true)
	}
}

// globMatch reports whether s matches pattern p. It is iterative: on a
// mismatch it backtracks only to the most recent '*', which then swallows
// one more character. That is enough because a later '*' can absorb
// anything an earlier one could, so the worst case is O(len(p)*len(s)) and
// typical patterns are linear. With fold, bytes of s are lowered (ASCII)
// before comparing with p, which must be lower case.
//
// Positions in s only ever advance by whole characters at '*' and '?', and
// a valid UTF-8 literal can only match starting at a character boundary, so
// '?' always sees the start of a character.
func globMatch(p, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				if px+1 == len(p) {
					return true // a trailing '*' takes the rest
				}
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					sx += charLen(s, sx)
					px++
					continue
				}
			default:
				if sx < len(s) {
					b := s[sx]
					if fold && 'A' <= b && b <= 'Z' {
						b += 'a' - 'A'
					}
					if b == c {
						px++
						sx++
						continue
					}
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx += charLen(s, starSx)
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// charLen is the length in bytes of the character starting at s[i]: its
// UTF-8 encoding, or 1 for a byte that does not start a valid encoding.
func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// collapseStars replaces each run of '*' by one; "a**b" and "a*b" match the
// same strings, and one star is cheaper to backtrack.
func collapseStars(p string) string {
	if !strings.Contains(p, "**") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '*' && i > 0 && p[i-1] == '*' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// hasWildcard reports whether p contains '*' or '?'.
func hasWildcard(p string) bool { return strings.ContainsAny(p, "*?") }

// equalFoldLower reports whether s equals lower, ignoring ASCII case in s;
// lower must already be lower case and the same length as s.
func equalFoldLower(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}
