package guest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecodeFunctionError(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want *Error
	}{
		{"typed", `{"errorType":"ValidationError","errorMessage":"bad input"}`, &Error{"ValidationError", "bad input"}},
		{"spaced, reordered", " {\n\t\"errorMessage\" : \"m\",\r\n \"errorType\" : \"T\" } ", &Error{"T", "m"}},
		{"escapes", `{"errorType":"Runtime.Panic","errorMessage":"a \u003cb\u003e\n\"q\"\\\/\b\f\r\t"}`, &Error{"Runtime.Panic", "a <b>\n\"q\"\\/\b\f\r\t"}},
		{"surrogate pair", `{"errorType":"T","errorMessage":"\ud83d\ude00"}`, &Error{"T", "😀"}},
		{"unpaired surrogate", `{"errorType":"T","errorMessage":"\ud83d\u0041"}`, &Error{"T", "\uFFFDA"}},
		{"invalid UTF-8", "{\"errorType\":\"T\",\"errorMessage\":\"a\xffb\"}", &Error{"T", "a\uFFFDb"}},
		{"extra members of every type", `{"errorType":"Sandbox.Timedout","errorMessage":"t","stackTrace":["a",{"b":[1,-2.5e+3,true,false,null]}],"n":0}`, &Error{"Sandbox.Timedout", "t"}},
		{"last one wins", `{"errorType":"A","errorType":"B","errorMessage":"m"}`, &Error{"B", "m"}},
		{"no type", `{"errorMessage":"m"}`, &Error{"Error", "m"}},
		{"unicode in the type", `{"errorType":"Ошибка","errorMessage":""}`, &Error{"Ошибка", ""}},
		{"neither member", `{}`, &Error{"Error", "the invoked function failed: {}"}},
		{"not JSON", `boom`, &Error{"Error", "the invoked function failed: boom"}},
		{"wrong types", `{"errorType":1}`, &Error{"Error", `the invoked function failed: {"errorType":1}`}},
		{"trailing data", `{"errorType":"T"} x`, &Error{"Error", `the invoked function failed: {"errorType":"T"} x`}},
		{"unterminated", `{"errorType":"T`, &Error{"Error", `the invoked function failed: {"errorType":"T`}},
		{"control character", "{\"errorType\":\"a\nb\"}", &Error{"Error", "the invoked function failed: {\"errorType\":\"a\nb\"}"}},
		{"bad escape", `{"errorType":"\x41"}`, &Error{"Error", `the invoked function failed: {"errorType":"\x41"}`}},
		{"bad number", `{"errorType":"T","n":01}`, &Error{"Error", `the invoked function failed: {"errorType":"T","n":01}`}},
		{"too deep", `{"errorType":"T","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, nil},
		{"empty", ``, &Error{"Error", "the invoked function failed: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeFunctionError([]byte(tt.raw))
			if tt.want == nil {
				assert.Equal(t, "Error", got.Type)
				assert.True(t, strings.HasPrefix(got.Message, "the invoked function failed: "))
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// What the host sends, json.Marshal of the failed function's type and
// message, decodes to what encoding/json would decode.
func FuzzDecodeFunctionErrorMarshalled(f *testing.F) {
	f.Add("ValidationError", "bad input")
	f.Add("", "")
	f.Add("Runtime.Panic", "<&>\u2028\x00\xff\xed\xa0\x80😀")
	f.Fuzz(func(t *testing.T, typ, msg string) {
		raw, err := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		got := decodeFunctionError(raw)
		if want["errorType"] == "" {
			want["errorType"] = "Error"
		}
		if got.Type != want["errorType"] || got.Message != want["errorMessage"] {
			t.Fatalf("decodeFunctionError(%s) = %q, %q; encoding/json: %q, %q", raw, got.Type, got.Message, want["errorType"], want["errorMessage"])
		}
	})
}

// The hand-written parser accepts exactly the JSON objects encoding/json
// accepts (up to its depth limit), with the same string values.
func FuzzParseStringObject(f *testing.F) {
	f.Add([]byte(`{"errorType":"T","errorMessage":"m"}`))
	f.Add([]byte(`{"a":[1,2.5e-3,{"b":null}],"c":"\ud800\udc00\ud800"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := map[string]string{}
		ok := parseStringObject(raw, func(k, v string) { got[k] = v })

		var generic map[string]any
		jsonOK := json.Unmarshal(raw, &generic) == nil && generic != nil
		deep := strings.Count(string(raw), "[")+strings.Count(string(raw), "{") >= maxDepth
		if ok != jsonOK && !(deep && !ok) {
			t.Fatalf("parseStringObject(%q) = %v, encoding/json: %v", raw, ok, jsonOK)
		}
		if !ok {
			return
		}
		for k, v := range generic {
			if s, isString := v.(string); isString && got[k] != s {
				t.Fatalf("parseStringObject(%q)[%q] = %q, encoding/json: %q", raw, k, got[k], s)
			}
		}
	})
}

func TestResources(t *testing.T) {
	assert.Equal(t, "fn:resize", invokeResource("resize"))
	assert.Equal(t, "fn:thumbnail:live", invokeResource("thumbnail:live"))
	assert.Equal(t, "config:db-password", configResource("db-password"))
}
