package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlainTable(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c >= 0x20 && c != '"' && c != '\\'
		assert.Equal(t, want, plain[c] != 0, "byte %#x", c)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		doc    string
		depth  int
		reason string // "" when valid
		off    int
	}{
		{name: "object", doc: `{"a":[1,-2.5e+3,"x",true,false,null,{}],"b":{}}`, depth: 3},
		{name: "scalar", doc: ` "x" `, depth: 1},
		{name: "empty", doc: ``, depth: 1, reason: "unexpected end of input", off: 0},
		{name: "depth", doc: `[[[]]]`, depth: 2, reason: "nested too deeply", off: 2},
		{name: "depth ok", doc: `[[[]]]`, depth: 3},
		{name: "missing colon", doc: `{"a" 1}`, depth: 3, reason: "expected ':'", off: 5},
		{name: "missing comma", doc: `[1 2]`, depth: 3, reason: "expected ',' or ']'", off: 3},
		{name: "wrong closer", doc: `[1}`, depth: 3, reason: "expected ',' or ']'", off: 2},
		{name: "bad literal", doc: `[tru]`, depth: 3, reason: "invalid literal", off: 1},
		{name: "minus alone", doc: `-`, depth: 3, reason: "invalid number", off: 1},
		{name: "exponent without digits", doc: `1e+`, depth: 3, reason: "digit in the exponent", off: 3},
		{name: "control character", doc: "\"a\tb\"", depth: 3, reason: "control character", off: 2},
		{name: "unterminated", doc: `"abc`, depth: 3, reason: "unterminated string", off: 4},
		{name: "unterminated after backslash", doc: `"abc\`, depth: 3, reason: "unterminated string", off: 4},
		{name: "key not a string", doc: `{1:2}`, depth: 3, reason: "expected a string as the object key", off: 1},
		{name: "after the value", doc: `{} x`, depth: 3, reason: "unexpected data", off: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parser{maxDepth: tc.depth}
			err := p.parse([]byte(tc.doc))
			if tc.reason == "" {
				require.Nil(t, err)
				assert.Equal(t, int32(len(p.nodes)), p.nodes[0].next)
				return
			}
			require.NotNil(t, err)
			assert.Contains(t, err.reason, tc.reason)
			assert.Equal(t, tc.off, err.off)
		})
	}
}

func TestAppendUnescaped(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
	}{
		{"none", `plain`},
		{"short escapes", `a\"b\\c\/d\be\ff\ng\rh\ti`},
		{"unicode", `\u00e9\u4e2D`},
		{"surrogate pair", `\ud83d\ude00!`},
		{"lone high surrogate", `\ud83dx`},
		{"lone low surrogate", `\ude00`},
		{"high then not low", `\ud83d\u0041`},
		{"long", strings.Repeat(`x\n`, 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(`"`+tc.raw+`"`), &want))
			assert.Equal(t, want, string(appendUnescaped(nil, []byte(tc.raw))), "as encoding/json reads it")
		})
	}
}
