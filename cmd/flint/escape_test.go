package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		oneLine bool
		want    string
	}{
		{"plain", "hello, world", false, "hello, world"},
		{"lines and tabs stay", "a\tb\nc\n", false, "a\tb\nc\n"},
		{"one line: newlines escaped", "a\nb", true, `a\nb`},
		{"escape sequences", "\x1b[2J\x1b]0;title\x07", false, `\x1b[2J\x1b]0;title\x07`},
		{"carriage return", "overwrite\rme", false, `overwrite\rme`},
		{"NUL and DEL", "\x00\x7f", false, `\x00\x7f`},
		{"C1 control", "\u009b31m", false, `\u009b31m`},
		{"bidi override", "abc\u202edef", false, `abc\u202edef`},
		{"not UTF-8", "a\xffb", false, `a\xffb`},
		{"other Unicode stays", "héllo, 世界 🎉", false, "héllo, 世界 🎉"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, escapeText(tt.in, tt.oneLine))
		})
	}
}

func FuzzEscapeText(f *testing.F) {
	f.Add("\x1b[2J", false)
	f.Add("a\nb\r\u202e\xff", true)
	f.Fuzz(func(t *testing.T, s string, oneLine bool) {
		out := escapeText(s, oneLine)
		if !utf8.ValidString(out) {
			t.Fatalf("escapeText(%q) = %q is not UTF-8", s, out)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\t' && (r != '\n' || oneLine)) || r == 0x7f || unsafeRune(r) {
				t.Fatalf("escapeText(%q) = %q keeps %U", s, out, r)
			}
		}
		if safeText(s, oneLine) && out != s {
			t.Fatalf("escapeText(%q) changed safe text", s)
		}
	})
}

// tty is a buffer that says it is a terminal.
type tty struct{ bytes.Buffer }

func (*tty) IsTerminal() bool { return true }

// flintTTY runs a command with stdout and stderr as terminals.
func flintTTY(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut tty
	code = run(append([]string{"flint"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// What a function writes reaches a terminal escaped, never as control
// characters: its response, its log and its error.
func TestFunctionTextIsEscaped(t *testing.T) {
	controls := writeFile(t, "controls.wasm", string(testguest.File(t, "engine/testdata/controls.wasm")))
	noControls := func(t *testing.T, s string) {
		t.Helper()
		assert.NotContains(t, s, "\x1b")
		assert.NotContains(t, s, "\r")
		assert.NotContains(t, s, "\x00")
		assert.NotContains(t, s, "\u202e")
	}

	t.Run("run, to a terminal", func(t *testing.T) {
		code, stdout, stderr := flintTTY(t, "run", controls, "--payload", "{}")
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, `\x1b]0;pwned\x07\x1b[2Jhello\r`+"\n", stdout)
		assert.Contains(t, stderr, `\x1b[31mred\x1b[0m\u202e`)
		noControls(t, stdout+stderr)
	})
	t.Run("run, to a file: the bytes as they are", func(t *testing.T) {
		code, stdout, _ := flint(t, "", "run", controls, "--payload", "{}")
		require.Equal(t, exitOK, code)
		assert.Equal(t, "\x1b]0;pwned\x07\x1b[2Jhello\r\n", stdout)
	})
	t.Run("run, a function error: one line, escaped, wherever it goes", func(t *testing.T) {
		code, _, stderr := flint(t, "", "run", controls, "--payload", `"fail"`)
		assert.Equal(t, exitFunctionError, code)
		assert.True(t, strings.HasSuffix(stderr, `function error (Bad\x1b[31m): msg\r\nsecond\x00`+"\n"), stderr)
	})

	s := startServer(t, false)
	s.ok(t, "deploy", "controls", controls)
	args := func(a ...string) []string {
		return append(a, "--endpoint", s.URL, "--access-key", testKey.AccessKeyID, "--secret-key", testKey.SecretAccessKey)
	}
	t.Run("invoke", func(t *testing.T) {
		code, stdout, stderr := flintTTY(t, args("invoke", "controls", "--log")...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, `\x1b]0;pwned\x07\x1b[2Jhello\r`+"\n", stdout)
		assert.Contains(t, stderr, `\x1b[31mred`)
		noControls(t, stdout+stderr)

		code, stdout, stderr = flintTTY(t, args("invoke", "controls", "--payload", `"fail"`)...)
		assert.Equal(t, exitFunctionError, code)
		assert.Empty(t, stdout)
		assert.Equal(t, `function error (Bad\x1b[31m): msg\r\nsecond\x00`+"\n", stderr)
	})
	t.Run("logs", func(t *testing.T) {
		code, stdout, stderr := flintTTY(t, args("logs", "controls")...)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, `\x1b[31mred\x1b[0m\u202e`)
		noControls(t, stdout)
	})
}
