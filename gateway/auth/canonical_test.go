package auth

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderValuesMatchesHTTPHeader(t *testing.T) {
	h := http.Header{}
	names := []string{"host", "x-amz-date", "content-type", "amz-sdk-invocation-id", "x-amz-content-sha256",
		"x-", "-x", "a--b", "x_y", "x1-2y", "www-authenticate", "te", strings.Repeat("a-", 40) + "z"}
	for i, n := range names {
		h.Add(n, "v"+n)
		h.Add(n, "w"+string(rune('0'+i%10)))
	}
	for _, n := range append(names, "missing", "x-amz-missing") {
		t.Run(n, func(t *testing.T) {
			assert.Equal(t, h.Values(n), headerValues(h, n))
			assert.Equal(t, h.Values(n), headerValues(HeaderFunc(h.Values), n))
		})
	}
	assert.Nil(t, headerValues(nil, "host"))
}

// TestNormalizePath checks normalizePath against what botocore's
// remove_dot_segments returns for the same paths.
func TestNormalizePath(t *testing.T) {
	tests := map[string]string{
		"":                  "/",
		"/":                 "/",
		"//":                "/",
		"/a/b":              "/a/b",
		"/a//b":             "/a/b",
		"/a/./b/":           "/a/b/",
		"/a/../b":           "/b",
		"/../a":             "/a",
		"/a/b/..":           "/a",
		"/a/b/../":          "/a/",
		"/%2E/a":            "/%2E/a",
		"/fn/my-fn%3A%24LA": "/fn/my-fn%3A%24LA",
	}
	for in, want := range tests {
		assert.Equal(t, want, normalizePath(in), in)
	}
}

func TestCanonicalComponent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019-_.~", "abcXYZ019-_.~"},
		{"%24LATEST", "%24LATEST"},
		{"$LATEST", "%24LATEST"},
		{"a+b", "a%20b"},
		{"a%20b", "a%20b"},
		{"%2f", "%2F"},
		{"%7E%41", "~A"},
		{"é", "%C3%A9"},
		{"a/b=c&", "a%2Fb%3Dc%26"},
	}
	for _, tt := range tests {
		got, err := canonicalComponent(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"%", "%2", "%zz", "a%g0"} {
		_, err := canonicalComponent(bad)
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
}
