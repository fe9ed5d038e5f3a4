package urlevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/mediatype"
)

// browserGET is a request as a browser sends it: 13 headers, cookies and a
// query.
func browserGET() Request {
	return base("GET", "/items/42", "sort=asc&limit=10&tag=a&tag=b",
		Header{"Host", "shop.flint.localhost:8080"},
		Header{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
		Header{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
		Header{"Accept-Language", "en-GB,en;q=0.9"},
		Header{"Accept-Encoding", "gzip, deflate, br"},
		Header{"Cache-Control", "max-age=0"},
		Header{"Cookie", "session=7f1c2a9e4b; theme=dark; consent=yes"},
		Header{"Sec-Fetch-Dest", "document"},
		Header{"Sec-Fetch-Mode", "navigate"},
		Header{"Sec-Fetch-Site", "none"},
		Header{"Upgrade-Insecure-Requests", "1"},
		Header{"X-Forwarded-For", "198.51.100.1"},
		Header{"X-Amzn-Trace-Id", "Root=1-62ecd163-5f302e550dcde3b12402207d"},
	)
}

func benchRequests() []struct {
	name string
	req  Request
} {
	post := base("POST", "/orders", "", Header{"Content-Type", "application/json"}, Header{"User-Agent", "curl/8.5.0"})
	post.Body = bytes.Repeat([]byte(`{"item":"tea","qty":2},`), 45) // ~1 KB
	upload := base("PUT", "/images/logo.png", "", Header{"Content-Type", "image/png"})
	upload.Body = bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 16<<10) // 64 KiB
	return []struct {
		name string
		req  Request
	}{
		{"browser-GET", browserGET()},
		{"JSON-POST-1KB", post},
		{"binary-PUT-64KB", upload},
	}
}

func BenchmarkEvent(b *testing.B) {
	for _, bb := range benchRequests() {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Event(bb.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventEncodingJSON is the same event built the obvious way, with
// maps and json.Marshal: the reference Event's hand-written encoder is
// measured against.
func BenchmarkEventEncodingJSON(b *testing.B) {
	for _, bb := range benchRequests() {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eventViaMaps(bb.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func eventViaMaps(r Request) ([]byte, error) {
	headers := map[string]string{}
	var cookies []string
	contentType := ""
	for _, h := range r.Headers {
		name := strings.ToLower(h.Name)
		if name == "cookie" {
			for _, c := range strings.Split(h.Value, ";") {
				if c = strings.TrimSpace(c); c != "" {
					cookies = append(cookies, c)
				}
			}
			continue
		}
		if name == "content-type" && contentType == "" {
			contentType = h.Value
		}
		if v, ok := headers[name]; ok {
			headers[name] = v + "," + h.Value
		} else {
			headers[name] = h.Value
		}
	}
	query := map[string]string{}
	values, _ := url.ParseQuery(r.RawQuery)
	for k, vs := range values {
		query[k] = strings.Join(vs, ",")
	}
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": r.RawPath, "rawQueryString": r.RawQuery,
		"cookies": cookies, "headers": headers, "queryStringParameters": query,
		"requestContext": map[string]any{
			"accountId": "anonymous", "apiId": r.URLID, "domainName": r.DomainName, "domainPrefix": domainPrefix(r.DomainName),
			"http":      map[string]string{"method": r.Method, "path": r.RawPath, "protocol": "HTTP/1.1", "sourceIp": r.SourceIP, "userAgent": r.UserAgent},
			"requestId": r.RequestID, "routeKey": "$default", "stage": "$default",
			"time": r.Time.UTC().Format(timeLayout), "timeEpoch": r.Time.UnixMilli(),
		},
	}
	if mediatype.IsText(contentType, r.Body) {
		ev["body"], ev["isBase64Encoded"] = string(r.Body), false
	} else {
		ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString(r.Body), true
	}
	return json.Marshal(ev)
}

func BenchmarkParseResponse(b *testing.B) {
	html := strings.Repeat("<p>Hello, world!</p>\n", 50) // ~1 KB
	structured, _ := json.Marshal(map[string]any{
		"statusCode": 200,
		"headers":    map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Request-Id": "c6af9ac6"},
		"cookies":    []string{"session=7f1c2a9e4b; Path=/; HttpOnly; Secure"},
		"body":       html,
	})
	binary, _ := json.Marshal(map[string]any{
		"statusCode": 200, "headers": map[string]string{"Content-Type": "image/png"},
		"body": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 16<<10)), "isBase64Encoded": true,
	})
	// An object without statusCode, as an echo function returns the
	// event: the whole of it is the body.
	inferredObject, _ := json.Marshal(map[string]any{
		"version": "2.0", "rawPath": "/echo",
		"headers": map[string]string{"content-type": "text/html; charset=utf-8", "user-agent": "Mozilla/5.0", "accept": "*/*"},
		"body":    strings.Repeat("Hello, world! ", 70), "isBase64Encoded": false,
	})
	for _, bb := range []struct {
		name    string
		payload []byte
	}{
		{"structured-HTML-1KB", structured},
		{"inferred-JSON", []byte(`{"message":"Hello, world!","items":[1,2,3],"ok":true}`)},
		{"inferred-object-1KB", inferredObject},
		{"base64-64KB", binary},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.payload)))
			for b.Loop() {
				if _, err := ParseResponse(bb.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValid compares valid with json.Valid on a structured response
// whose body is 64 KiB of base64.
func BenchmarkValid(b *testing.B) {
	payload, _ := json.Marshal(map[string]any{
		"statusCode": 200, "headers": map[string]string{"Content-Type": "image/png"},
		"body": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 16<<10)), "isBase64Encoded": true,
	})
	for _, bb := range []struct {
		name  string
		valid func([]byte) bool
	}{
		{"valid", valid},
		{"json.Valid", json.Valid},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if !bb.valid(payload) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
