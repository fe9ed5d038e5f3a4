package urlevent

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jsonType() []Header { return []Header{{"content-type", "application/json"}} }

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    Response
	}{
		{"structured", `{"statusCode":201,"headers":{"Content-Type":"application/json","My-Custom-Header":"Custom Value"},"body":"{\"message\":\"Hello, world!\"}","isBase64Encoded":false}`,
			Response{Status: 201, Headers: []Header{{"Content-Type", "application/json"}, {"My-Custom-Header", "Custom Value"}}, Body: []byte(`{"message":"Hello, world!"}`)}},
		{"cookies", `{"statusCode":200,"cookies":["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT","Cookie_2=Value2; Max-Age=78000"],"body":"ok"}`,
			Response{Status: 200, Cookies: []string{"Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"}, Body: []byte("ok")}},
		{"base64 body", `{"statusCode":200,"headers":{"content-type":"image/png"},"body":"iVBORw0KGgo=","isBase64Encoded":true}`,
			Response{Status: 200, Headers: []Header{{"content-type", "image/png"}}, Body: []byte("\x89PNG\r\n\x1a\n")}},
		{"base64 with line breaks", `{"statusCode":200,"body":"aGVs\r\nbG8=","isBase64Encoded":true}`,
			Response{Status: 200, Body: []byte("hello")}},
		{"only a status", `{"statusCode":204}`, Response{Status: 204}},
		{"nulls", `{"statusCode":404,"headers":null,"cookies":null,"body":null,"isBase64Encoded":null}`, Response{Status: 404}},
		{"escapes in the body", `{"statusCode":200,"body":"a\"b\\c\/d\n\u00e9\ud83d\ude00\u2028"}`,
			Response{Status: 200, Body: []byte("a\"b\\c/d\né😀\u2028")}},
		{"unpaired surrogate", `{"statusCode":200,"body":"\ud800x"}`, Response{Status: 200, Body: []byte("\uFFFDx")}},
		{"invalid UTF-8 in the body", "{\"statusCode\":200,\"body\":\"a\xffb\"}", Response{Status: 200, Body: []byte("a\uFFFDb")}},
		{"scalar header values", `{"statusCode":200,"headers":{"X-Count":5,"X-Ratio":-1.5e3,"X-On":true,"X-Off":false,"X-None":null}}`,
			Response{Status: 200, Headers: []Header{{"X-Count", "5"}, {"X-Ratio", "-1.5e3"}, {"X-On", "true"}, {"X-Off", "false"}}}},
		{"repeated header kept in order", `{"statusCode":200,"headers":{"X-A":"1","X-A":"2"}}`,
			Response{Status: 200, Headers: []Header{{"X-A", "1"}, {"X-A", "2"}}}},
		{"header value with tab and non-ASCII", `{"statusCode":200,"headers":{"X-A":"a\tb é"}}`,
			Response{Status: 200, Headers: []Header{{"X-A", "a\tb é"}}}},
		{"escaped member names", `{"status\u0043ode":302,"headers":{"Loc\u0061tion":"/x"}}`,
			Response{Status: 302, Headers: []Header{{"Location", "/x"}}}},
		{"last member wins", `{"statusCode":500,"body":"a","statusCode":200,"body":"b"}`, Response{Status: 200, Body: []byte("b")}},
		{"unknown members ignored", `{"statusCode":200,"multiValueHeaders":{"X":["1","2"]},"extra":[{"a":"}"}],"body":"x"}`,
			Response{Status: 200, Body: []byte("x")}},
		{"white space everywhere", " \n{ \"statusCode\" :\t200 , \"body\" : \"x\" , \"headers\" : { \"A\" : \"b\" } }\r\n",
			Response{Status: 200, Headers: []Header{{"A", "b"}}, Body: []byte("x")}},
		{"599", `{"statusCode":599}`, Response{Status: 599}},

		// Inferred: anything else that is valid JSON is the body.
		{"a string", `"Hello, world!"`, Response{Status: 200, Headers: jsonType(), Body: []byte(`"Hello, world!"`)}},
		{"a number", `42`, Response{Status: 200, Headers: jsonType(), Body: []byte(`42`)}},
		{"null", `null`, Response{Status: 200, Headers: jsonType(), Body: []byte(`null`)}},
		{"an array", `[{"statusCode":500}]`, Response{Status: 200, Headers: jsonType(), Body: []byte(`[{"statusCode":500}]`)}},
		{"an object without statusCode", `{"message":"Hello, world!","body":"x","headers":{"a":"b"}}`,
			Response{Status: 200, Headers: jsonType(), Body: []byte(`{"message":"Hello, world!","body":"x","headers":{"a":"b"}}`)}},
		{"statusCode only nested", `{"inner":{"statusCode":500}}`, Response{Status: 200, Headers: jsonType(), Body: []byte(`{"inner":{"statusCode":500}}`)}},
		{"StatusCode is another member", `{"StatusCode":500}`, Response{Status: 200, Headers: jsonType(), Body: []byte(`{"StatusCode":500}`)}},
		{"statusCode only as a string", `{"message":"statusCode"}`, Response{Status: 200, Headers: jsonType(), Body: []byte(`{"message":"statusCode"}`)}},
		{"a \\u escape, no statusCode", `{"name":"Jos\u00e9"}`, Response{Status: 200, Headers: jsonType(), Body: []byte(`{"name":"Jos\u00e9"}`)}},
		{"verbatim, white space included", " [1, 2]\n", Response{Status: 200, Headers: jsonType(), Body: []byte(" [1, 2]\n")}},
		{"empty", ``, Response{Status: 200}},
		{"only white space", " \n", Response{Status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.payload))
			require.NoError(t, err)
			if len(tt.want.Body) == 0 {
				assert.Empty(t, got.Body)
				got.Body = tt.want.Body
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseResponseInvalid(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantMember string
		wantIn     string // a part of the message
	}{
		{"not JSON", `Hello, world!`, "", "not valid JSON"},
		{"truncated", `{"statusCode":200,"body":"x`, "", "not valid JSON"},
		{"two values", `{"statusCode":200} {}`, "", "not valid JSON"},
		{"status too low", `{"statusCode":42}`, "statusCode", "from 200 to 599, not 42"},
		{"informational status", `{"statusCode":101}`, "statusCode", "not 101"},
		{"status too high", `{"statusCode":600}`, "statusCode", "not 600"},
		{"status a string", `{"statusCode":"200"}`, "statusCode", `not "200"`},
		{"status a fraction", `{"statusCode":200.0}`, "statusCode", "not 200.0"},
		{"status an exponent", `{"statusCode":2e2}`, "statusCode", "not 2e2"},
		{"status negative", `{"statusCode":-200}`, "statusCode", "not -200"},
		{"status long", `{"statusCode":00200}`, "", "not valid JSON"},
		{"status null", `{"statusCode":null}`, "statusCode", "not null"},
		{"body an object", `{"statusCode":200,"body":{"message":"hi"}}`, "body", "must be a string"},
		{"body a number", `{"statusCode":200,"body":1}`, "body", "must be a string, not 1"},
		{"bad base64", `{"statusCode":200,"body":"not base64!","isBase64Encoded":true}`, "body", "not standard base64"},
		{"isBase64Encoded a string", `{"statusCode":200,"body":"","isBase64Encoded":"true"}`, "isBase64Encoded", `not "true"`},
		{"headers an array", `{"statusCode":200,"headers":[["a","b"]]}`, "headers", "must be an object"},
		{"header value an array", `{"statusCode":200,"headers":{"Set-Cookie":["a=1","b=2"]}}`, `headers["Set-Cookie"]`, "must be a string"},
		{"header value with CRLF", `{"statusCode":200,"headers":{"X-A":"ok\r\nSet-Cookie: evil=1"}}`, `headers["X-A"]`, `control character ('\r')`},
		{"header value with LF", `{"statusCode":200,"headers":{"X-A":"ok\nx"}}`, `headers["X-A"]`, `'\n'`},
		{"header value with NUL", `{"statusCode":200,"headers":{"X-A":"\u0000"}}`, `headers["X-A"]`, `'\x00'`},
		{"header value with DEL", `{"statusCode":200,"headers":{"X-A":"\u007f"}}`, `headers["X-A"]`, `'\x7f'`},
		{"header name with CRLF", `{"statusCode":200,"headers":{"X-A\r\nEvil":"1"}}`, "headers", "not a valid header name"},
		{"header name with a space", `{"statusCode":200,"headers":{"X A":"1"}}`, "headers", `"X A" is not a valid header name`},
		{"header name with a colon", `{"statusCode":200,"headers":{"X:A":"1"}}`, "headers", "not a valid header name"},
		{"empty header name", `{"statusCode":200,"headers":{"":"1"}}`, "headers", "not a valid header name"},
		{"cookies a string", `{"statusCode":200,"cookies":"a=1"}`, "cookies", "must be an array"},
		{"cookie a number", `{"statusCode":200,"cookies":["a=1",2]}`, "cookies[1]", "must be a string"},
		{"cookie with CRLF", `{"statusCode":200,"cookies":["a=1\r\nX-Evil: 1"]}`, "cookies[0]", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.payload))
			assert.Equal(t, Response{}, got)
			require.ErrorIs(t, err, ErrInvalidResponse)
			var re *ResponseError
			require.True(t, errors.As(err, &re))
			assert.Equal(t, tt.wantMember, re.Member)
			assert.Contains(t, err.Error(), tt.wantIn)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid function URL response: "), err.Error())
		})
	}
}

// A long bad value is cut short in the message.
func TestParseResponseErrorIsShort(t *testing.T) {
	_, err := ParseResponse([]byte(`{"statusCode":200,"body":{"x":"` + strings.Repeat("a", 10000) + `"}}`))
	require.ErrorIs(t, err, ErrInvalidResponse)
	assert.Less(t, len(err.Error()), 300)
}

// An inferred body shares the payload; a clean structured body too.
func TestParseResponseSharesPayload(t *testing.T) {
	payload := []byte(`{"statusCode":200,"body":"hello"}`)
	r, err := ParseResponse(payload)
	require.NoError(t, err)
	payload[len(payload)-3] = 'X'
	assert.Equal(t, "hellX", string(r.Body))
}
