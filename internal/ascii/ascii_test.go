package ascii

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLowerString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "empty", in: "", want: ""},
		{name: "already lower", in: "abc-1", want: "abc-1"},
		{name: "upper", in: "AbC", want: "abc"},
		{name: "edges of the range", in: "@AZ[`az{", want: "@az[`az{"},
		{name: "non-ASCII untouched", in: "ÀB\u212a", want: "Àb\u212a"},
		{name: "invalid UTF-8 untouched", in: "\xffA", want: "\xffa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, LowerString(tt.in))
		})
	}
}

func TestLowerStringDoesNotAllocateWhenLower(t *testing.T) {
	s := strings.Repeat("abc", 10)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = LowerString(s) }))
}

func TestEqualFold(t *testing.T) {
	tests := []struct {
		s, t string
		want bool
	}{
		{"Content-Type", "content-type", true},
		{"", "", true},
		{"abc", "abcd", false},
		{"k", "\u212a", false}, // strings.EqualFold says true
		{"[", "{", false},      // 0x5b and 0x7b differ by the case bit but are not letters
		{"@", "`", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EqualFold(tt.s, tt.t), "%q %q", tt.s, tt.t)
		assert.Equal(t, tt.want, EqualFold(tt.t, tt.s), "%q %q", tt.t, tt.s)
	}
}

func TestHasSuffixFold(t *testing.T) {
	assert.True(t, HasSuffixFold("vnd.api+JSON", "+json"))
	assert.False(t, HasSuffixFold("+json", "+json"), "a suffix alone")
	assert.False(t, HasSuffixFold("json", "+json"))
	assert.False(t, HasSuffixFold("vnd+jsom", "+json"))
}

func TestCompareFold(t *testing.T) {
	words := []string{"", "a", "A", "ab", "B", "host", "Host", "HOST-x", "z", "_", "[", "\xff"}
	for _, s := range words {
		for _, u := range words {
			assert.Equal(t, strings.Compare(LowerString(s), LowerString(u)), CompareFold(s, u), "%q %q", s, u)
		}
	}
}
