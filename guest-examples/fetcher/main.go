// Command fetcher is a Flint function that fetches a URL with net/http,
// through the host (package fetch), and returns the status and the start
// of the body.
//
//	{"url":"https://example.com/"} -> {"status":200,"body":"<!doctype html>..."}
//
// The body is cut to its first 1 KiB (as text: bytes that are not UTF-8
// become U+FFFD). A non-2xx status is a response like any other, not an
// error. Redirects are followed by the host, which checks each one
// against the policy.
//
// Failures are handled errors:
//
//	InvalidEvent  the payload is not JSON, or has no "url"
//	Denied        the policy does not allow the URL (or a redirect), or it
//	              resolves to a loopback, link-local or private address
//	Unavailable   DNS, connection or timeout failure; trying again may work
//	FetchError    anything else (an invalid URL, a response over the limit)
//
// It needs http:Fetch on the URLs it may fetch, for example:
//
//	{"Version": "2026-11-01", "Statement": [
//	  {"Effect": "Allow", "Action": "http:Fetch", "Resource": ["https://example.com/*"]}]}
package main

import (
	"errors"
	"io"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/fetch"
)

func main() {}

// Event is fetcher's input.
type Event struct {
	URL string `json:"url"`
}

// Response is fetcher's output.
type Response struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// maxBody is how much of the body the response carries.
const maxBody = 1 << 10

func init() {
	client := fetch.Client()
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		if ev.URL == "" {
			return Response{}, &guest.Error{Type: "InvalidEvent", Message: `the event has no "url": send {"url":"https://..."}`}
		}
		resp, err := client.Get(ev.URL)
		if err != nil {
			return Response{}, fetchError(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return Response{}, fetchError(err)
		}
		return Response{Status: resp.StatusCode, Body: strings.ToValidUTF8(string(body), "\uFFFD")}, nil
	})
}

// fetchError sorts a failed fetch into the error types above.
func fetchError(err error) error {
	var denied *guest.DeniedError
	switch {
	case errors.As(err, &denied):
		return &guest.Error{Type: "Denied", Message: denied.Error()}
	case errors.Is(err, guest.ErrUnavailable):
		return &guest.Error{Type: "Unavailable", Message: err.Error()}
	}
	return &guest.Error{Type: "FetchError", Message: err.Error()}
}
