package jsonstr_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/flintfaas/flint/internal/jsonstr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodingJSON is what encoding/json writes for s, HTML left alone.
func encodingJSON(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(s))
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendAsEncodingJSON(t *testing.T) {
	for name, s := range map[string]string{
		"empty":            "",
		"plain":            "hello, world",
		"quotes":           `say "hi" \ bye`,
		"controls":         "a\nb\rc\td\x00e\x1f\x7f",
		"html":             "<a href='x'>&</a>",
		"unicode":          "héllo, 世界, 🎉",
		"line separators":  "a\u2028b\u2029c",
		"invalid UTF-8":    "a\xffb\xc3",
		"a lone surrogate": "\xed\xa0\x80",
	} {
		t.Run(name, func(t *testing.T) {
			want := encodingJSON(t, s)
			assert.Equal(t, want, string(jsonstr.Append(nil, s)))
			assert.Equal(t, want, string(jsonstr.AppendBytes(nil, []byte(s))))
			assert.Equal(t, want[1:len(want)-1], string(jsonstr.AppendContent(nil, s)))
		})
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("hello")
	f.Add("\x00\"\\\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonstr.Append(nil, s)
		require.True(t, json.Valid(got), "%q", got)
		// The same string as encoding/json's (which may spell \b and \f
		// shorter): invalid UTF-8 replaced alike.
		var ours, theirs string
		require.NoError(t, json.Unmarshal(got, &ours))
		require.NoError(t, json.Unmarshal([]byte(encodingJSON(t, s)), &theirs))
		assert.Equal(t, theirs, ours)
	})
}

func BenchmarkAppendBytes(b *testing.B) {
	body := bytes.Repeat([]byte(`{"order":42,"note":"a \"quoted\" word"} `), 25)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		buf = jsonstr.AppendBytes(buf[:0], body)
	}
}
