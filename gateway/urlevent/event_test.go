package urlevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/ascii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// arrived is when every test request arrived.
var arrived = time.Date(2021, 9, 7, 22, 50, 22, 677_000_000, time.UTC)

// base is a request with the fields every test shares.
func base(method, rawPath, rawQuery string, headers ...Header) Request {
	return Request{
		Method:     method,
		RawPath:    rawPath,
		RawQuery:   rawQuery,
		Host:       "127.0.0.1:8080",
		SourceIP:   "203.0.113.7",
		Headers:    headers,
		RequestID:  "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		Time:       arrived,
		URLID:      "shop",
		DomainName: "shop.flint.localhost",
	}
}

// eventCases are the requests whose events are kept in
// testdata/events/NAME.json.
func eventCases() []struct {
	name string
	req  Request
} {
	post := base("POST", "/orders", "", Header{"Content-Type", "application/json; charset=utf-8"}, Header{"User-Agent", "curl/8.5.0"})
	post.Body = []byte(`{"item":"tea","qty":2,"note":"\"green\" <b>&</b>"}`)

	binary := base("PUT", "/images/logo.png", "", Header{"Content-Type", "image/png"})
	binary.Body = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff")

	notUTF8 := base("POST", "/notes", "", Header{"Content-Type", "text/plain"})
	notUTF8.Body = []byte("caf\xe9")

	untyped := base("POST", "/raw", "")
	untyped.Body = []byte("hello")

	form := base("POST", "/login", "", Header{"content-type", "application/x-www-form-urlencoded"})
	form.Body = []byte("user=ana&pass=s%26cret")

	iam := base("GET", "/", "", Header{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20210907/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"})
	iam.AccountID = "123456789012"
	iam.IAM = &IAMCaller{
		AccessKey: "AKIAIOSFODNN7EXAMPLE",
		AccountID: "111122223333",
		CallerID:  "AIDACKCEVSQ6C2EXAMPLE",
		UserARN:   "arn:aws:iam::111122223333:user/example-user",
		UserID:    "AIDACKCEVSQ6C2EXAMPLE",
	}

	minimal := Request{Method: "GET", RawPath: "/"} // the zero Time is the Unix epoch

	return []struct {
		name string
		req  Request
	}{
		{"get-query-cookies", base("GET", "/items", "sort=asc&limit=10",
			Header{"Accept", "text/html"},
			Header{"Cookie", "session=abc123; theme=dark"},
			Header{"User-Agent", "Mozilla/5.0"},
			Header{"Cookie", "lang=en"},
		)},
		{"post-json", post},
		{"binary-body", binary},
		{"text-not-utf8", notUTF8},
		{"no-content-type", untyped},
		{"form", form},
		{"multi-value", base("GET", "/search", "tag=a&tag=b&q=caf%C3%A9+au+lait&empty=&flag&bad=%zz&=orphan&tag=c",
			Header{"X-Forwarded-For", "198.51.100.1"},
			Header{"Accept", "text/html"},
			Header{"x-forwarded-for", "198.51.100.2"},
			Header{"ACCEPT", "application/json"},
			Header{"Host", "shop.example.com"},
			Header{"X-Control", "tab\there, nul\x00 and \xff"},
		)},
		{"escaped-path", base("GET", "/files/a%2Fb/caf%C3%A9%20menu.txt", "download=1")},
		{"iam", iam},
		{"minimal", minimal},
	}
}

func TestEventGolden(t *testing.T) {
	for _, tt := range eventCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Event(tt.req)
			require.NoError(t, err)
			require.True(t, json.Valid(got), "%s", got)

			var indented bytes.Buffer
			require.NoError(t, json.Indent(&indented, got, "", "  "))
			indented.WriteByte('\n')
			path := filepath.Join("testdata", "events", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, indented.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestEventGolden -update to create it")
			assert.Equal(t, string(want), indented.String())
		})
	}
}

// The event, decoded by encoding/json, says what the request held.
func TestEventFields(t *testing.T) {
	for _, tt := range eventCases() {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := Event(tt.req)
			require.NoError(t, err)
			var ev decodedEvent
			require.NoError(t, json.Unmarshal(raw, &ev))
			assert.Equal(t, "2.0", ev.Version)
			assert.Equal(t, "$default", ev.RouteKey)
			assert.Equal(t, tt.req.RawPath, ev.RawPath)
			assert.Equal(t, tt.req.RawPath, ev.RequestContext.HTTP.Path)
			assert.Equal(t, tt.req.RawQuery, ev.RawQueryString)
			assert.Equal(t, tt.req.Method, ev.RequestContext.HTTP.Method)
			if tt.req.Time.IsZero() {
				assert.Zero(t, ev.RequestContext.TimeEpoch)
			} else {
				assert.Equal(t, tt.req.Time.UnixMilli(), ev.RequestContext.TimeEpoch)
			}
			assert.Equal(t, tt.req.Body, ev.body(t), "body")
			assert.NotContains(t, ev.Headers, "cookie")
			for name := range ev.Headers {
				assert.Equal(t, ascii.LowerString(name), name, "header names are lower case")
			}
		})
	}
}

// decodedEvent is the part of an event the tests check.
type decodedEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	RequestContext        struct {
		HTTP struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		} `json:"http"`
		TimeEpoch int64 `json:"timeEpoch"`
	} `json:"requestContext"`
	Body            *string `json:"body"`
	IsBase64Encoded bool    `json:"isBase64Encoded"`
}

func (ev *decodedEvent) body(t testing.TB) []byte {
	if ev.Body == nil {
		if ev.IsBase64Encoded {
			t.Fatal("isBase64Encoded without a body")
		}
		return nil
	}
	if !ev.IsBase64Encoded {
		return []byte(*ev.Body)
	}
	var b []byte
	require.NoError(t, json.Unmarshal([]byte(`"`+*ev.Body+`"`), &b), "base64")
	return b
}

func TestEventDetails(t *testing.T) {
	tests := []struct {
		name  string
		req   Request
		check func(t *testing.T, ev decodedEvent)
	}{
		{"cookies split and trimmed, empty ones dropped", base("GET", "/", "", Header{"cookie", " a=1 ;;b=2;\t c = 3 ; "}, Header{"COOKIE", ";"}),
			func(t *testing.T, ev decodedEvent) { assert.Equal(t, []string{"a=1", "b=2", "c = 3"}, ev.Cookies) }},
		{"no cookies: omitted", base("GET", "/", "", Header{"Cookie", " ; "}),
			func(t *testing.T, ev decodedEvent) { assert.Nil(t, ev.Cookies) }},
		{"repeated query values joined in order", base("GET", "/", "b=2&a=1&b=3&a=%31"),
			func(t *testing.T, ev decodedEvent) {
				assert.Equal(t, map[string]string{"a": "1,1", "b": "2,3"}, ev.QueryStringParameters)
			}},
		{"no query: omitted", base("GET", "/", "&&"),
			func(t *testing.T, ev decodedEvent) { assert.Nil(t, ev.QueryStringParameters) }},
		{"host header wins over Host", base("GET", "/", "", Header{"HOST", "a.example"}),
			func(t *testing.T, ev decodedEvent) { assert.Equal(t, "a.example", ev.Headers["host"]) }},
		{"Host becomes the host header", base("GET", "/", "", Header{"Zeta", "z"}, Header{"Alpha", "a"}),
			func(t *testing.T, ev decodedEvent) {
				assert.Equal(t, map[string]string{"alpha": "a", "host": "127.0.0.1:8080", "zeta": "z"}, ev.Headers)
			}},
		{"headers with an empty name are dropped", base("GET", "/", "", Header{"", "x"}),
			func(t *testing.T, ev decodedEvent) {
				assert.Equal(t, map[string]string{"host": "127.0.0.1:8080"}, ev.Headers)
			}},
		{"text types with parameters", withBody(base("POST", "/", "", Header{"Content-Type", " Application/Problem+JSON ; charset=utf-8"}), "{}"),
			func(t *testing.T, ev decodedEvent) { assert.False(t, ev.IsBase64Encoded) }},
		{"the first Content-Type decides", withBody(base("POST", "/", "", Header{"Content-Type", "application/octet-stream"}, Header{"Content-Type", "text/plain"}), "x"),
			func(t *testing.T, ev decodedEvent) { assert.True(t, ev.IsBase64Encoded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := Event(tt.req)
			require.NoError(t, err)
			var ev decodedEvent
			require.NoError(t, json.Unmarshal(raw, &ev), "%s", raw)
			tt.check(t, ev)
		})
	}
}

func withBody(r Request, body string) Request {
	r.Body = []byte(body)
	return r
}

func TestEventUserAgent(t *testing.T) {
	tests := []struct {
		name      string
		field     string
		headers   []Header
		wantAgent string
	}{
		{"from the header", "", []Header{{"user-agent", "h"}}, "h"},
		{"the field wins", "f", []Header{{"User-Agent", "h"}}, "f"},
		{"the first header", "", []Header{{"User-Agent", "1"}, {"User-Agent", "2"}}, "1"},
		{"none", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base("GET", "/", "", tt.headers...)
			r.UserAgent = tt.field
			raw, err := Event(r)
			require.NoError(t, err)
			var ev struct {
				RequestContext struct {
					HTTP struct {
						UserAgent string `json:"userAgent"`
					} `json:"http"`
				} `json:"requestContext"`
			}
			require.NoError(t, json.Unmarshal(raw, &ev))
			assert.Equal(t, tt.wantAgent, ev.RequestContext.HTTP.UserAgent)
		})
	}
}

func TestEventInvalid(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		rawPath   string
		wantField string
	}{
		{"no method", "", "/", "Method"},
		{"method with a space", "GET /", "/", "Method"},
		{"method with CRLF", "GET\r\n", "/", "Method"},
		{"no path", "GET", "", "RawPath"},
		{"relative path", "GET", "items", "RawPath"},
		{"absolute URL", "GET", "http://x/", "RawPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Event(Request{Method: tt.method, RawPath: tt.rawPath})
			assert.Nil(t, ev)
			require.ErrorIs(t, err, ErrInvalidRequest)
			var re *RequestError
			require.True(t, errors.As(err, &re))
			assert.Equal(t, tt.wantField, re.Field)
			assert.Contains(t, err.Error(), "urlevent: invalid request: "+tt.wantField+": ")
		})
	}
}

func TestDomainPrefix(t *testing.T) {
	tests := []struct{ domain, want string }{
		{"abc123.lambda-url.us-east-1.on.aws", "abc123"},
		{"shop.flint.localhost:8080", "shop"},
		{"localhost:8080", "localhost"},
		{"localhost", "localhost"},
		{"127.0.0.1:8080", "127.0.0.1"},
		{"127.0.0.1", "127.0.0.1"},
		{"[::1]:8080", "::1"},
		{"[::1]", "::1"},
		{"::1", "::1"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			assert.Equal(t, tt.want, domainPrefix(tt.domain))
		})
	}
}
