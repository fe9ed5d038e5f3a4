// Package mediatype holds the one rule the gateway and the Go guest SDK
// must agree on: whether an HTTP body of a given Content-Type travels in a
// function URL event or response as a JSON string (text) or base64
// (binary). Keeping it in one package, with no dependencies, lets the
// host's package urlevent and the guest's package httpguest (built for
// wasip1) call the same code instead of two copies kept in step by tests.
package mediatype

import (
	"strings"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/ascii"
)

// IsText reports whether a body of this Content-Type is sent as a JSON
// string rather than base64: its media type is text and the body is valid
// UTF-8.
//
// Text media types are text/*, application/json, application/javascript,
// application/ecmascript, application/xml, application/x-www-form-urlencoded,
// application/graphql, application/yaml, application/x-yaml,
// application/x-ndjson, and any application/*+json or application/*+xml
// (image/svg+xml is not: it is image/*). Parameters such as charset are
// ignored, and so is ASCII case; an empty Content-Type is binary.
func IsText(contentType string, body []byte) bool {
	return isTextType(contentType) && utf8.Valid(body)
}

// isTextType reports whether contentType (a Content-Type header value)
// names a text media type. It does not allocate.
func isTextType(contentType string) bool {
	// The media type is everything before ";", without surrounding white
	// space (HTTP's SP and HTAB).
	mt, _, _ := strings.Cut(contentType, ";")
	typ, sub, ok := strings.Cut(strings.Trim(mt, " \t"), "/")
	if !ok || typ == "" || sub == "" {
		return false
	}
	if ascii.EqualFold(typ, "text") {
		return true
	}
	if !ascii.EqualFold(typ, "application") {
		return false
	}
	if ascii.HasSuffixFold(sub, "+json") || ascii.HasSuffixFold(sub, "+xml") {
		return true
	}
	// The other application/* subtypes that are text.
	for _, s := range [...]string{
		"json", "javascript", "ecmascript", "xml", "x-www-form-urlencoded",
		"graphql", "yaml", "x-yaml", "x-ndjson",
	} {
		if ascii.EqualFold(sub, s) {
			return true
		}
	}
	return false
}
