package urlevent

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/ascii"
	"github.com/flintfaas/flint/internal/jsonstr"
)

// The JSON string helpers below are hand-written because they run on every
// request and response: encoding/json would reflect over a struct and a
// map per event and allocate for each of them (BenchmarkEvent compares).

// appendLowerContent is jsonstr.AppendContent for a header name, in ASCII
// lower case.
func appendLowerContent(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			// Rare in a header name (it is not a token): lower a copy.
			b := []byte(s)
			for j, c := range b {
				b[j] = ascii.Lower(c)
			}
			return jsonstr.AppendContent(dst, string(b))
		}
	}
	for i := 0; i < len(s); i++ {
		dst = append(dst, ascii.Lower(s[i]))
	}
	return dst
}

// unquote decodes a JSON string token (quotes included) that valid
// has accepted, as encoding/json decodes it: invalid UTF-8 and unpaired
// surrogates become U+FFFD. Without escapes or invalid UTF-8 the result
// shares tok's memory.
func unquote(tok []byte) []byte {
	if len(tok) < 2 {
		return nil
	}
	s := tok[1 : len(tok)-1]
	clean := true
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean || (!containsBackslash(s) && utf8.Valid(s)) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r) // RuneError for an invalid byte
			i += size
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			i++
			continue
		}
		switch e := s[i+1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		i += 2
	}
	return out
}

func containsBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// hex4 decodes the four hex digits at the start of b (valid has
// checked them); -1 when b is shorter.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return -1
		}
	}
	return r
}
