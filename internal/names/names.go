// Package names holds the rules for the names Lambda gives things —
// functions, aliases and published versions — so that the engine, the
// gateway and the CLI check them alike.
package names

import "strconv"

// Latest names the mutable version of a function.
const Latest = "$LATEST"

// Function reports whether s can name a function: 1 to 64 letters,
// digits, hyphens and underscores.
func Function(s string) bool { return word(s, 64) }

// Alias reports whether s can name an alias: 1 to 128 letters, digits,
// hyphens and underscores, not only digits (those name versions).
func Alias(s string) bool { return word(s, 128) && !digits(s) }

// Version reports whether s names a published version: a decimal number
// from 1, without leading zeros.
func Version(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && strconv.Itoa(n) == s
}

// Qualifier reports whether s can qualify a function name: $LATEST, a
// published version or an alias.
func Qualifier(s string) bool { return s == Latest || Version(s) || Alias(s) }

func word(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
