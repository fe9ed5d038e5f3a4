package urlevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/ascii"
)

// Whatever the request holds, Event returns a *RequestError or an event
// that encoding/json decodes to what the request said (strings as
// encoding/json itself would write them).
func FuzzEvent(f *testing.F) {
	f.Add("GET", "/items/a%2Fb", "a=1&a=2&b=%zz", "X-Name", "v1", "a=1; b=2", "text/plain", []byte("hello"), "host:8080", "203.0.113.7")
	f.Add("POST", "/", "", "Content-Type", "application/json", "", "application/json", []byte(`{"a":"\u2028"}`), "", "::1")
	f.Add("PUT", "/\xff\x00\"\\", "q=\xfe+%20", "\xff\r\n", "\x00\x1f\x7f", ";;=;", "image/png", []byte{0, 0xff, 0xfe}, "\xe2\x80\xa8", "")
	f.Fuzz(func(t *testing.T, method, rawPath, rawQuery, name, value, cookie, contentType string, body []byte, host, sourceIP string) {
		r := Request{
			Method: method, RawPath: rawPath, RawQuery: rawQuery, Host: host, SourceIP: sourceIP,
			Headers: []Header{{name, value}, {"Cookie", cookie}, {"Content-Type", contentType}, {name, value}},
			Body:    body,
		}
		raw, err := Event(r)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Event error %T %v is not a *RequestError", err, err)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("Event(%+v) is not valid JSON: %s", r, raw)
		}
		var ev decodedEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("json.Unmarshal: %v\n%s", err, raw)
		}
		if want := viaJSON(t, rawPath); ev.RawPath != want || ev.RequestContext.HTTP.Path != want {
			t.Fatalf("rawPath %q, http.path %q; want %q", ev.RawPath, ev.RequestContext.HTTP.Path, want)
		}
		if want := viaJSON(t, rawQuery); ev.RawQueryString != want {
			t.Fatalf("rawQueryString %q, want %q", ev.RawQueryString, want)
		}
		if ev.RequestContext.HTTP.Method != method {
			t.Fatalf("method %q, want %q", ev.RequestContext.HTTP.Method, method)
		}
		if got := ev.body(t); !bytes.Equal(got, body) {
			t.Fatalf("body %q, want %q", got, body)
		}
		if len(body) > 0 && !ev.IsBase64Encoded && !utf8.Valid(body) {
			t.Fatalf("a body that is not UTF-8 was sent as text")
		}
		for k := range ev.Headers {
			if k == "cookie" || k != ascii.LowerString(k) {
				t.Fatalf("header %q in the event", k)
			}
		}
	})
}

// viaJSON is s as it reads after encoding/json wrote it.
func viaJSON(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// ParseResponse never panics, its errors are *ResponseError, and what it
// accepts agrees with encoding/json's reading of the payload.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain","X":1},"cookies":["a=1"],"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`"Hello, world!"`))
	f.Add([]byte(`{"statusCode":200,"headers":{"X":"a\r\nb"}}`))
	f.Add([]byte(`{"status\u0043ode":404,"body":"\ud83d\ude00\ud800"}`))
	f.Add([]byte("not json"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := ParseResponse(payload)
		if err != nil {
			var re *ResponseError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("ParseResponse error %T %v is not a *ResponseError", err, err)
			}
			if len(trimJSONSpace(payload)) > 0 && !json.Valid(payload) {
				return
			}
		}
		blank := len(trimJSONSpace(payload)) == 0
		if !blank && !json.Valid(payload) {
			t.Fatalf("ParseResponse accepted %q, which is not JSON", payload)
		}
		var obj map[string]json.RawMessage
		structured := json.Unmarshal(payload, &obj) == nil && obj != nil && obj["statusCode"] != nil
		if !structured {
			if err != nil {
				t.Fatalf("ParseResponse(%q) inferred response failed: %v", payload, err)
			}
			if !blank && (r.Status != 200 || !bytes.Equal(r.Body, payload)) {
				t.Fatalf("ParseResponse(%q) = %+v, want it inferred", payload, r)
			}
			return
		}
		if err != nil {
			return
		}
		var status int
		if json.Unmarshal(obj["statusCode"], &status) != nil || status != r.Status || status < 200 || status > 599 {
			t.Fatalf("status %d; encoding/json reads %s", r.Status, obj["statusCode"])
		}
		if raw, ok := obj["body"]; ok && string(raw) != "null" {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("accepted body %s: %v", raw, err)
			}
			var encoded bool
			_ = json.Unmarshal(obj["isBase64Encoded"], &encoded)
			want := []byte(s)
			if encoded {
				if err := json.Unmarshal(raw, &want); err != nil {
					// encoding/json's base64 is stricter about line breaks.
					return
				}
			}
			if !bytes.Equal(r.Body, want) {
				t.Fatalf("body %q; encoding/json reads %q", r.Body, want)
			}
		}
		for _, h := range r.Headers {
			if !validToken(h.Name) || invalidValueByte(h.Value) >= 0 {
				t.Fatalf("invalid header %q: %q accepted", h.Name, h.Value)
			}
		}
		for _, c := range r.Cookies {
			if invalidValueByte(c) >= 0 {
				t.Fatalf("invalid cookie %q accepted", c)
			}
		}
	})
}

// valid agrees with json.Valid on every input.
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,-2.5e+3,true,false,null,{"b":"\u00e9\"\\\/\b\f\n\r\t"}]}`, ` "x" `, `0`, `-0.0E-0`,
		`{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `1e`, `"\x"`, `"\u12"`, "\"a\x01\"", `{"a" 1}`, `{1:2}`,
		`[[[[[[[[]]]]]]]]`, `[[[`, `{} {}`, `tru`, `nul`, "\"\xff\xfe\"", ``, ` `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := valid(b), json.Valid(b); got != want {
			t.Fatalf("valid(%q) = %v, json.Valid: %v", b, got, want)
		}
	})
}
