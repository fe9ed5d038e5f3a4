package urlevent_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi/guest/httpguest"
	"github.com/flintfaas/flint/gateway/urlevent"
	"github.com/flintfaas/flint/internal/mediatype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The whole trip, on the host: the gateway's event, the Go guest SDK's
// net/http adapter (httpguest.Serve, what httpguest.Handle runs in the
// module), and the gateway's reading of the response. A guest's package
// may not import the gateway, so the test lives on this side.

// roundTrip sends r through Event, h and ParseResponse, and returns the
// response and the guest's raw response payload.
func roundTrip(t *testing.T, r urlevent.Request, h http.Handler) (urlevent.Response, map[string]any) {
	t.Helper()
	ev, err := urlevent.Event(r)
	require.NoError(t, err)
	payload, err := httpguest.Serve(context.Background(), h, ev)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(payload, &raw), "%s", payload)
	resp, err := urlevent.ParseResponse(payload)
	require.NoError(t, err, "%s", payload)
	return resp, raw
}

// seen is what the handler saw, sent back as JSON.
type seen struct {
	Method, Path, EscapedPath, RawQuery, RequestURI, Host, RemoteAddr, Proto string
	Query                                                                    map[string][]string
	Header                                                                   http.Header
	Cookies                                                                  []string
	Body                                                                     []byte
}

// describe answers with what it saw.
func describe(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		RequestURI: r.RequestURI, Host: r.Host, RemoteAddr: r.RemoteAddr, Proto: r.Proto,
		Query: r.URL.Query(), Header: r.Header, Body: body,
	}
	for _, c := range r.Cookies() {
		s.Cookies = append(s.Cookies, c.Name+"="+c.Value)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

func TestRoundTripRequest(t *testing.T) {
	body := []byte("\x89PNG\r\n\x1a\n\x00\xff")
	r := urlevent.Request{
		Method:   "PUT",
		RawPath:  "/files/a%2Fb/caf%C3%A9%20menu.txt",
		RawQuery: "tag=a&tag=b&q=caf%C3%A9+au+lait",
		Host:     "shop.example.com",
		SourceIP: "2001:db8::7",
		Headers: []urlevent.Header{
			{Name: "Content-Type", Value: "image/png"},
			{Name: "Cookie", Value: "session=abc123; theme=dark"},
			{Name: "X-Forwarded-For", Value: "198.51.100.1"},
			{Name: "x-forwarded-for", Value: "198.51.100.2"},
			{Name: "User-Agent", Value: "curl/8.5.0"},
		},
		Body:       body,
		RequestID:  "c6af9ac6",
		Time:       time.Date(2021, 9, 7, 22, 50, 22, 0, time.UTC),
		URLID:      "shop",
		DomainName: "shop.flint.localhost",
	}
	resp, _ := roundTrip(t, r, http.HandlerFunc(describe))
	require.Equal(t, 200, resp.Status)
	var s seen
	require.NoError(t, json.Unmarshal(resp.Body, &s))

	assert.Equal(t, "PUT", s.Method)
	assert.Equal(t, "/files/a/b/café menu.txt", s.Path)
	assert.Equal(t, r.RawPath, s.EscapedPath)
	assert.Equal(t, r.RawQuery, s.RawQuery)
	assert.Equal(t, r.RawPath+"?"+r.RawQuery, s.RequestURI)
	assert.Equal(t, map[string][]string{"tag": {"a", "b"}, "q": {"café au lait"}}, s.Query)
	assert.Equal(t, "shop.example.com", s.Host)
	assert.Equal(t, "[2001:db8::7]:0", s.RemoteAddr)
	assert.Equal(t, "HTTP/1.1", s.Proto)
	assert.Equal(t, []string{"session=abc123", "theme=dark"}, s.Cookies)
	assert.Equal(t, "198.51.100.1,198.51.100.2", s.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "curl/8.5.0", s.Header.Get("User-Agent"))
	assert.Equal(t, "image/png", s.Header.Get("Content-Type"))
	assert.Equal(t, body, s.Body)
}

func TestRoundTripResponse(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\xff")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("X-Injected", "a\r\nSet-Cookie: evil=1")
		http.SetCookie(w, &http.Cookie{Name: "id", Value: "7", Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark"})
		w.WriteHeader(http.StatusCreated)
		w.Write(png)
	})
	resp, raw := roundTrip(t, urlevent.Request{Method: "GET", RawPath: "/"}, h)
	assert.Equal(t, true, raw["isBase64Encoded"])
	assert.Equal(t, 201, resp.Status)
	assert.Equal(t, png, resp.Body)
	assert.Equal(t, []string{"id=7; Path=/; HttpOnly", "theme=dark"}, resp.Cookies)
	assert.ElementsMatch(t, []urlevent.Header{
		{Name: "Cache-Control", Value: "max-age=60"},
		{Name: "Content-Type", Value: "image/png"},
		{Name: "X-Injected", Value: "a  Set-Cookie: evil=1"},
	}, resp.Headers)
}

// The guest's rule for response bodies is the gateway's for requests: an
// echo sends a body back encoded as it arrived.
func TestRoundTripTextRule(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = r.Header["Content-Type"] // nil: no sniffing
		io.Copy(w, r.Body)
	})
	types := []string{
		"", "text/plain", "TEXT/HTML; charset=utf-8", " application/json ", "application/JSON;x=1",
		"application/javascript", "application/ecmascript", "application/xml", "application/x-www-form-urlencoded",
		"application/graphql", "application/yaml", "application/x-yaml", "application/x-ndjson",
		"application/problem+json", "application/atom+xml", "application/+json", "application/xml+",
		"application/octet-stream", "image/png", "image/svg+xml", "multipart/form-data; boundary=x",
		"text", "text/", "/plain", "application/jsonx", "application/\u212aml",
	}
	bodies := []string{"hello", "caf\xe9", "{}"}
	for _, ct := range types {
		for _, b := range bodies {
			r := urlevent.Request{Method: "POST", RawPath: "/", Body: []byte(b)}
			if ct != "" {
				r.Headers = []urlevent.Header{{Name: "Content-Type", Value: ct}}
			}
			ev, err := urlevent.Event(r)
			require.NoError(t, err)
			var event struct {
				IsBase64Encoded bool `json:"isBase64Encoded"`
			}
			require.NoError(t, json.Unmarshal(ev, &event))

			resp, raw := roundTrip(t, r, echo)
			assert.Equal(t, event.IsBase64Encoded, raw["isBase64Encoded"], "Content-Type %q, body %q", ct, b)
			assert.Equal(t, !mediatype.IsText(ct, []byte(b)), event.IsBase64Encoded, "Content-Type %q, body %q", ct, b)
			assert.Equal(t, b, string(resp.Body))
		}
	}
}
