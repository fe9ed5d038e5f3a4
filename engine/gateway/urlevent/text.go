package urlevent

import "unicode/utf8"

// IsText reports whether a body of this Content-Type is sent as a JSON
// string rather than base64: the rule in the package documentation, which
// also requires the body to be valid UTF-8. The Go guest SDK's package
// httpguest applies the same rule to responses.
func IsText(contentType string, body []byte) bool {
	return textType(contentType) && utf8.Valid(body)
}

// textType reports whether contentType (a Content-Type header value) names
// a text media type.
func textType(contentType string) bool {
	// The media type is everything before ";", without surrounding space.
	end := len(contentType)
	for i := 0; i < len(contentType); i++ {
		if contentType[i] == ';' {
			end = i
			break
		}
	}
	mt := trimOWS(contentType[:end])
	slash := -1
	for i := 0; i < len(mt); i++ {
		if mt[i] == '/' {
			slash = i
			break
		}
	}
	if slash <= 0 || slash == len(mt)-1 {
		return false
	}
	typ, sub := mt[:slash], mt[slash+1:]
	if equalFold(typ, "text") {
		return true
	}
	if !equalFold(typ, "application") {
		return false
	}
	switch {
	case hasSuffixFold(sub, "+json"), hasSuffixFold(sub, "+xml"):
		return true
	}
	for _, s := range [...]string{
		"json", "javascript", "ecmascript", "xml", "x-www-form-urlencoded",
		"graphql", "yaml", "x-yaml", "x-ndjson",
	} {
		if equalFold(sub, s) {
			return true
		}
	}
	return false
}

// trimOWS trims HTTP optional white space (SP, HTAB) from both ends.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// lower returns the ASCII lower case of c.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether s and t are equal under ASCII case folding
// (header names and media types are ASCII; strings.EqualFold would also
// fold Unicode).
func equalFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(t[i]) {
			return false
		}
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) > len(suffix) && equalFold(s[len(s)-len(suffix):], suffix)
}

// compareFold compares s and t as their ASCII lower cases would compare.
func compareFold(s, t string) int {
	n := min(len(s), len(t))
	for i := 0; i < n; i++ {
		a, b := lower(s[i]), lower(t[i])
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
