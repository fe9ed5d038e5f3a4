package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Text a function controls — its response, its log, its error's type and
// message — must not control the operator's terminal: an escape sequence
// could rewrite or hide what is on the screen, move the cursor, set the
// window title, or put text into the clipboard; a carriage return
// overwrites a line. So such text is shown with those characters escaped:
// always in the one-line messages on stderr, and in payloads and logs when
// they go to a terminal (to a file or a pipe they go as they are, so that
// a binary response saved with > is the function's bytes).

// escapeText returns s with every character that could control a terminal
// written as a Go escape: C0 controls but tab and (unless oneLine)
// newline, DEL, C1 controls (U+0080-U+009F), the Unicode bidirectional
// overrides and isolates (which reorder what is shown), and bytes that are
// not UTF-8. A backslash stays as it is: the output is for eyes, not for
// parsing back.
func escapeText(s string, oneLine bool) string {
	if safeText(s, oneLine) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !oneLine, r == '\t':
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// safeText reports whether escapeText would leave s as it is.
func safeText(s string, oneLine bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false // checked rune by rune
		}
		if (c < 0x20 && c != '\t' && (c != '\n' || oneLine)) || c == 0x7f {
			return false
		}
	}
	return true
}

// unsafeRune reports the non-ASCII runes that could control or deceive a
// terminal: C1 controls, and bidirectional overrides and isolates.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// isTerminal reports whether w is a terminal (a character device), where
// a progress bar makes sense and function-controlled text is escaped. A
// writer may say so itself (a test's stand-in for one).
func isTerminal(w io.Writer) bool {
	switch v := w.(type) {
	case interface{ IsTerminal() bool }:
		return v.IsTerminal()
	case *os.File:
		fi, err := v.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return false
}

// writeShown writes function-controlled text to w: escaped when w is a
// terminal (see escapeText), as it is otherwise.
func writeShown(w io.Writer, b []byte) error {
	if isTerminal(w) {
		_, err := io.WriteString(w, escapeText(string(b), false))
		return err
	}
	_, err := w.Write(b)
	return err
}

// functionErrorLine is the one line on stderr for a function that failed.
func functionErrorLine(typ, msg string) string {
	msg = escapeText(msg, true)
	if typ == "" {
		return "function error: " + msg
	}
	return fmt.Sprintf("function error (%s): %s", escapeText(typ, true), msg)
}
