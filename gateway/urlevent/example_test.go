package urlevent_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/flintfaas/flint/gateway/urlevent"
)

// The event for GET /fn/shop/items?sort=asc with a cookie.
func ExampleEvent() {
	ev, err := urlevent.Event(urlevent.Request{
		Method:   "GET",
		RawPath:  "/items",
		RawQuery: "sort=asc",
		Host:     "127.0.0.1:8080",
		SourceIP: "203.0.113.7",
		Headers: []urlevent.Header{
			{Name: "User-Agent", Value: "curl/8.5.0"},
			{Name: "Cookie", Value: "session=abc"},
		},
		RequestID: "8e1b7c2a",
		Time:      time.Date(2021, 9, 7, 22, 50, 22, 0, time.UTC),
		URLID:     "shop",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(ev))
	// Output:
	// {"version":"2.0","routeKey":"$default","rawPath":"/items","rawQueryString":"sort=asc","cookies":["session=abc"],"headers":{"host":"127.0.0.1:8080","user-agent":"curl/8.5.0"},"queryStringParameters":{"sort":"asc"},"requestContext":{"accountId":"anonymous","apiId":"shop","domainName":"127.0.0.1:8080","domainPrefix":"127.0.0.1","http":{"method":"GET","path":"/items","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},"requestId":"8e1b7c2a","routeKey":"$default","stage":"$default","time":"07/Sep/2021:22:50:22 +0000","timeEpoch":1631055022000},"isBase64Encoded":false}
}

// A structured response, a bare JSON value, and one the gateway answers
// with 502.
func ExampleParseResponse() {
	for _, payload := range []string{
		`{"statusCode":201,"headers":{"Content-Type":"text/plain"},"cookies":["id=7; HttpOnly"],"body":"created"}`,
		`{"message":"Hello, world!"}`,
		`{"statusCode":200,"headers":{"X-A":"1\r\nSet-Cookie: evil=1"}}`,
	} {
		r, err := urlevent.ParseResponse([]byte(payload))
		if errors.Is(err, urlevent.ErrInvalidResponse) {
			fmt.Println("502:", err)
			continue
		}
		fmt.Println(r.Status, r.Headers, r.Cookies, string(r.Body))
	}
	// Output:
	// 201 [{Content-Type text/plain}] [id=7; HttpOnly] created
	// 200 [{content-type application/json}] [] {"message":"Hello, world!"}
	// 502: invalid function URL response: headers["X-A"]: has a control character ('\r') in "1\r\nSet-Cookie: evil=1"
}
