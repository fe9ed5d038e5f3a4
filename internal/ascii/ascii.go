// Package ascii folds case the way HTTP and Flint's policies do: ASCII
// letters only. The standard library's strings.ToLower and EqualFold fold
// Unicode as well (the Kelvin sign "K" equals "k" under EqualFold), which is
// wrong for header names, media types, hosts and ARNs, where two strings
// that differ outside ASCII must stay different.
//
// The package has no dependencies, so the guest SDK (built for wasip1) and
// the host share it.
package ascii

// Lower returns the lower case of c if it is an ASCII upper-case letter,
// and c otherwise.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// LowerString returns s with its ASCII letters in lower case and every
// other byte unchanged. It returns s itself, without allocating, when s
// has no upper-case ASCII letter.
func LowerString(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = Lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// EqualFold reports whether s and t are equal when their ASCII letters are
// compared without case.
func EqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if Lower(s[i]) != Lower(t[i]) {
			return false
		}
	}
	return true
}

// HasSuffixFold reports whether s ends with suffix under EqualFold and has
// at least one byte before it: "+json" is not a suffix of itself here, as
// a media subtype of only a suffix names nothing.
func HasSuffixFold(s, suffix string) bool {
	return len(s) > len(suffix) && EqualFold(s[len(s)-len(suffix):], suffix)
}

// CompareFold compares s and t as LowerString(s) and LowerString(t) would
// compare, without allocating: -1, 0 or +1.
func CompareFold(s, t string) int {
	n := min(len(s), len(t))
	for i := 0; i < n; i++ {
		a, b := Lower(s[i]), Lower(t[i])
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(s) < len(t):
		return -1
	case len(s) > len(t):
		return 1
	}
	return 0
}
