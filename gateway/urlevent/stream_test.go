package urlevent

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindPrelude(t *testing.T) {
	const d = Delimiter
	tests := []struct {
		name string
		in   string
		want Prelude
		body string // with PreludeFound: what follows the delimiter
	}{
		{"empty", "", PreludeUnknown, ""},
		{"white space", " \n", PreludeUnknown, ""},
		{"a raw body", "data: 1\n", PreludeNone, ""},
		{"an object, not yet ended", `{"statusCode":200`, PreludeUnknown, ""},
		{"a whole object, no delimiter yet", `{"statusCode":200}`, PreludeUnknown, ""},
		{"part of the delimiter", `{"statusCode":200}` + d[:3], PreludeUnknown, ""},
		{"a prelude", `{"statusCode":200}` + d + "body", PreludeFound, "body"},
		{"a prelude, nothing after", ` {"statusCode":201} ` + d, PreludeFound, ""},
		{"zeros inside the body", `{}` + d + "a\x00b", PreludeFound, "a\x00b"},
		{"a zero byte that is not the delimiter", `{"a":1}` + "\x00\x00x", PreludeNone, ""},
		{"not JSON before the delimiter", `{"a":` + d, PreludeNone, ""},
		{"an array", `[1]` + d, PreludeNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := FindPrelude([]byte(tt.in))
			assert.Equal(t, tt.want, got)
			if tt.want == PreludeFound {
				assert.Equal(t, tt.body, tt.in[n:])
			}
		})
	}
}

func TestParsePrelude(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Response
		wantErr string
	}{
		{"empty object", `{}`, Response{Status: 200}, ""},
		{"everything", `{"statusCode":201,"headers":{"Content-Type":"text/event-stream"},"cookies":["a=1"],"body":"ignored"}`,
			Response{Status: 201, Headers: []Header{{"Content-Type", "text/event-stream"}}, Cookies: []string{"a=1"}}, ""},
		{"null status", `{"statusCode":null}`, Response{Status: 200}, ""},
		{"bad status", `{"statusCode":99}`, Response{}, "statusCode"},
		{"bad header", `{"headers":{"X":"a\r\nb"}}`, Response{}, "control character"},
		{"not an object", `"hi"`, Response{}, "not a JSON object"},
		{"not JSON", `{`, Response{}, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrelude([]byte(tt.in))
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrInvalidResponse)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseAny(t *testing.T) {
	r, err := ParseAny([]byte(`{"statusCode":202,"headers":{"X":"1"}}` + Delimiter + "the body"))
	require.NoError(t, err)
	assert.Equal(t, Response{Status: 202, Headers: []Header{{"X", "1"}}, Body: []byte("the body")}, r)
	r, err = ParseAny([]byte(`{"statusCode":204}`))
	require.NoError(t, err)
	assert.Equal(t, 204, r.Status, "a structured response")
	_, err = ParseAny([]byte("a\x00b"))
	require.ErrorIs(t, err, ErrInvalidResponse, "neither")
}

func FuzzFindPrelude(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"b"}}` + Delimiter + "body"))
	f.Add([]byte(`{"a":1}` + "\x00\x00x"))
	f.Add([]byte("raw"))
	f.Add([]byte(` {}` + Delimiter))
	f.Add([]byte(`{"cookies":["\u0000"]}` + Delimiter))
	f.Fuzz(func(t *testing.T, b []byte) {
		found, n := FindPrelude(b)
		if found != PreludeFound {
			if n != 0 {
				t.Fatalf("FindPrelude = %v, %d: n without a prelude", found, n)
			}
		} else if n < len(Delimiter)+2 || n > len(b) || string(b[n-len(Delimiter):n]) != Delimiter {
			t.Fatalf("FindPrelude = found, %d: not after a delimiter in %q", n, b)
		}
		// Seeing more bytes never changes a decision made.
		if found != PreludeUnknown {
			more, m := FindPrelude(append(b[:len(b):len(b)], "more\x00"...))
			if more != found || m != n {
				t.Fatalf("FindPrelude changed its mind: %v, %d then %v, %d", found, n, more, m)
			}
		}
		r, err := ParseAny(b)
		if err != nil {
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("ParseAny error %T is not a *ResponseError", err)
			}
			return
		}
		if r.Status < 200 || r.Status > 599 {
			t.Fatalf("status %d", r.Status)
		}
		for _, h := range r.Headers {
			if strings.ContainsAny(h.Value, "\r\n\x00") {
				t.Fatalf("header value %q", h.Value)
			}
		}
	})
}
