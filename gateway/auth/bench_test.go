package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkVerify measures Verify, which runs on every API request, on
// what the SDKs send: an Invoke with a small payload signed by the Go SDK
// (Content-Type, Content-Length, Host, X-Amz-Date signed), the AWS CLI's
// ListFunctions and the JavaScript SDK's Invoke (ten signed headers and
// x-amz-content-sha256), plus a 1 MiB payload, whose SHA-256 dominates.
// "cold key" derives the signing key each time (a new day, region or
// service); the others hit the key's cache, as all but the first request
// of a day do.
func BenchmarkVerify(b *testing.B) {
	invoke := signWithSDK(b, sdkRequest{method: "POST", url: invokeURL, body: `{"name":"Flint","n":42}`,
		header: http.Header{"Content-Type": {"application/json"}}})
	big := signWithSDK(b, sdkRequest{method: "POST", url: invokeURL, body: strings.Repeat("x", 1<<20)})
	cli := capturedRequest(b, "testdata/clients/awscli-1.45.11/list-functions.http")
	js := capturedRequest(b, "testdata/clients/js-sdk-3.1163.0/invoke-qualified.http")

	for _, bc := range []struct {
		name  string
		r     Request
		cold  bool
		bytes int
	}{
		{name: "go-sdk invoke", r: invoke},
		{name: "go-sdk invoke cold key", r: invoke, cold: true},
		{name: "awscli list-functions", r: cli.r},
		{name: "js-sdk invoke", r: js.r},
		{name: "go-sdk invoke 1MiB", r: big, bytes: 1 << 20},
	} {
		b.Run(strings.ReplaceAll(bc.name, " ", "_"), func(b *testing.B) {
			v := newVerifier(b, signedAt)
			if bc.r.Host == cli.r.Host && bc.r.Path == cli.r.Path {
				v = newVerifier(b, cli.at)
			} else if bc.r.Path == js.r.Path && bc.r.Host == js.r.Host {
				v = newVerifier(b, js.at)
			}
			if _, err := v.Verify(bc.r); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(bc.bytes))
			b.ReportAllocs()
			for b.Loop() {
				if bc.cold {
					v.Keys.byID[alice.AccessKeyID].derived.Store(nil)
				}
				if _, err := v.Verify(bc.r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// captured is a request from testdata/clients and when it was signed.
type captured struct {
	r  Request
	at time.Time
}

func capturedRequest(b *testing.B, file string) captured {
	b.Helper()
	wire, err := readFile(file)
	if err != nil {
		b.Fatal(err)
	}
	r := readWire(b, wire)
	at, err := time.Parse(amzDateLayout, header(r).Get("X-Amz-Date"))
	if err != nil {
		b.Fatal(err)
	}
	return captured{r, at}
}
