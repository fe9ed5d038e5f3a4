package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const invokeURL = "http://127.0.0.1:9000/2015-03-31/functions/my-fn%3A%24LATEST/invocations?Qualifier=%24LATEST"

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	tests := []struct {
		name string
		req  sdkRequest
		want Key // zero: alice without her secret
	}{
		{name: "invoke with qualifier", req: sdkRequest{method: "POST", url: invokeURL, body: `{"name":"Flint"}`,
			header: http.Header{"Content-Type": {"application/json"}}}},
		{name: "get without body", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/2015-03-31/functions/my-fn"}},
		{name: "root path", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/"}},
		{name: "empty path", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000"}},
		{name: "query to encode", req: sdkRequest{method: "GET",
			url: "http://127.0.0.1:9000/2015-03-31/functions/?Marker=a%20b%2Fc%2Bd~%C3%A9&MaxItems=10&FunctionVersion=ALL&empty=&flag"}},
		{name: "repeated query parameter", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/fn/x?b=2&a=3&a=1&a=2"}},
		{name: "arn in path", req: sdkRequest{method: "GET",
			url: "http://127.0.0.1:9000/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Amy-fn?Qualifier=7"}},
		{name: "non-ascii and reserved characters in path", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/fn/caf%C3%A9/a%20b/c+d/%7Ee/$x!'()*,;=@"}},
		{name: "double slash kept by the Go SDK", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/fn/a//b/./c"}},
		{name: "spaces collapsed in a signed header", req: sdkRequest{method: "POST", url: invokeURL, body: "{}",
			header: http.Header{"X-Amz-Client-Context": {"  a   b  c  "}, "X-Amz-Invocation-Type": {"Event"}}}},
		{name: "multi-value header", req: sdkRequest{method: "POST", url: invokeURL, body: "{}",
			header: http.Header{"X-Flint-Multi": {"one", " two   three ", "four"}}}},
		{name: "tab inside a header value", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/",
			header: http.Header{"X-Flint-Tab": {"a\tb"}}}},
		{name: "x-amz-content-sha256 signed", req: sdkRequest{method: "PUT", url: "http://127.0.0.1:9000/2015-03-31/functions/my-fn/code", body: `{"ZipFile":"UEsDBA=="}`,
			header: http.Header{"X-Amz-Content-Sha256": {sha256Hex(`{"ZipFile":"UEsDBA=="}`)}}}},
		{name: "1 MiB body", req: sdkRequest{method: "POST", url: invokeURL, body: big}},
		{name: "any region", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", region: "eu-west-3"}},
		{name: "made-up region", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", region: "flint-local"}},
		{name: "default port", req: sdkRequest{method: "GET", url: "http://flint.example:80/2015-03-31/functions/"}},
		{name: "session token signed along", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", token: "FQoGZXIvYXdzEXAMPLE"}},
		{name: "signed four minutes ago", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", at: signedAt.Add(-4 * time.Minute)}},
		{name: "signed four minutes ahead", req: sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", at: signedAt.Add(4 * time.Minute)}},
		{name: "non-admin key", req: sdkRequest{method: "POST", url: invokeURL, body: "{}", key: bob},
			want: Key{AccessKeyID: bob.AccessKeyID, Name: "bob"}},
	}
	v := newVerifier(t, signedAt)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signWithSDK(t, tt.req)
			got, err := v.Verify(r)
			require.NoError(t, err)
			want := tt.want
			if want.AccessKeyID == "" {
				want = Key{AccessKeyID: alice.AccessKeyID, Admin: true, Name: "alice"}
			}
			assert.Equal(t, want, got)
			assert.Empty(t, got.SecretAccessKey, "Verify must not hand out the secret")
		})
	}
}

func TestVerifyInvokePathIsSentEscaped(t *testing.T) {
	r := signWithSDK(t, sdkRequest{method: "POST", url: invokeURL, body: "{}"})
	assert.Equal(t, "/2015-03-31/functions/my-fn%3A%24LATEST/invocations", r.Path)
	assert.Equal(t, "Qualifier=%24LATEST", r.RawQuery)
}

// TestVerifyRejectsTampering changes one thing in a signed request at a
// time; each change must be refused, with the right error.
func TestVerifyRejectsTampering(t *testing.T) {
	base := signWithSDK(t, sdkRequest{method: "POST", url: invokeURL, body: `{"name":"Flint"}`,
		header: http.Header{"Content-Type": {"application/json"}, "X-Amz-Invocation-Type": {"RequestResponse"}}})
	authz := header(base).Get("Authorization")
	replaceAuth := func(old, new string) func(*Request) {
		return func(r *Request) {
			require.Contains(t, authz, old)
			header(*r).Set("Authorization", strings.Replace(authz, old, new, 1))
		}
	}
	tests := []struct {
		name    string
		tamper  func(*Request)
		now     time.Time // zero: signedAt
		wantErr error
		wantMsg string // a substring of the message
	}{
		{name: "body byte changed", tamper: func(r *Request) { r.Body[2] ^= 1 }, wantErr: ErrBadSignature,
			wantMsg: "The request signature we calculated does not match the signature you provided."},
		{name: "body byte appended", tamper: func(r *Request) { r.Body = append(r.Body, ' ') }, wantErr: ErrBadSignature},
		{name: "body removed", tamper: func(r *Request) { r.Body = nil }, wantErr: ErrBadSignature},
		{name: "function name", tamper: func(r *Request) { r.Path = strings.Replace(r.Path, "my-fn", "my-fm", 1) }, wantErr: ErrBadSignature},
		{name: "qualifier in path", tamper: func(r *Request) { r.Path = strings.Replace(r.Path, "%24LATEST", "%241", 1) }, wantErr: ErrBadSignature},
		{name: "path decoded", tamper: func(r *Request) { r.Path = strings.Replace(r.Path, "%3A%24", ":$", 1) }, wantErr: ErrBadSignature},
		{name: "path trailing slash", tamper: func(r *Request) { r.Path += "/" }, wantErr: ErrBadSignature},
		{name: "query value", tamper: func(r *Request) { r.RawQuery = "Qualifier=1" }, wantErr: ErrBadSignature},
		{name: "query parameter added", tamper: func(r *Request) { r.RawQuery += "&Qualifier=1" }, wantErr: ErrBadSignature},
		{name: "query removed", tamper: func(r *Request) { r.RawQuery = "" }, wantErr: ErrBadSignature},
		{name: "method", tamper: func(r *Request) { r.Method = "PUT" }, wantErr: ErrBadSignature},
		{name: "host", tamper: func(r *Request) { r.Host = "127.0.0.1:9001" }, wantErr: ErrBadSignature},
		{name: "signed header value", tamper: func(r *Request) { header(*r).Set("X-Amz-Invocation-Type", "Event") }, wantErr: ErrBadSignature},
		{name: "signed header removed", tamper: func(r *Request) { header(*r).Del("Content-Type") }, wantErr: ErrBadSignature},
		{name: "signed header repeated", tamper: func(r *Request) { header(*r).Add("X-Amz-Invocation-Type", "Event") }, wantErr: ErrBadSignature},
		{name: "date a second later", tamper: func(r *Request) {
			header(*r).Set("X-Amz-Date", signedAt.Add(time.Second).Format(amzDateLayout))
		}, wantErr: ErrBadSignature},
		{name: "scope region", tamper: replaceAuth("/us-east-1/", "/us-west-2/"), wantErr: ErrBadSignature},
		{name: "signature a digit longer", tamper: replaceAuth("Signature=", "Signature=0"), wantErr: ErrMalformed},
		{name: "signature flipped", tamper: func(r *Request) {
			i := strings.Index(authz, "Signature=") + len("Signature=")
			sig := []byte(authz[i:])
			sig[0] = "01"[boolInt(sig[0] == '0')]
			header(*r).Set("Authorization", authz[:i]+string(sig))
		}, wantErr: ErrBadSignature},
		{name: "signed header dropped from list", tamper: replaceAuth("content-type;", ""), wantErr: ErrBadSignature},
		{name: "scope service", tamper: replaceAuth("/lambda/", "/s3/"), wantErr: ErrBadSignature,
			wantMsg: "Credential should be scoped to correct service: 'lambda'."},
		{name: "scope date", tamper: replaceAuth("/20260314/", "/20260315/"), wantErr: ErrMalformed,
			wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260315' != '20260314'"},
		{name: "date a day later", tamper: func(r *Request) {
			header(*r).Set("X-Amz-Date", signedAt.Add(24*time.Hour).Format(amzDateLayout))
		}, now: signedAt.Add(24 * time.Hour), wantErr: ErrMalformed},
		{name: "unknown key", tamper: replaceAuth(alice.AccessKeyID, "AKIAFLINTMALLORY0003"), wantErr: ErrUnknownKey,
			wantMsg: "The security token included in the request is invalid."},
		{name: "signed by another key", tamper: replaceAuth(alice.AccessKeyID, bob.AccessKeyID), wantErr: ErrBadSignature},
		{name: "expired", now: signedAt.Add(5*time.Minute + time.Second), wantErr: ErrExpired,
			wantMsg: "Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T151427Z - 5 min.)"},
		{name: "not yet current", now: signedAt.Add(-5*time.Minute - time.Second), wantErr: ErrExpired,
			wantMsg: "Signature not yet current: 20260314T150926Z is still later than 20260314T150925Z (20260314T150425Z + 5 min.)"},
		{name: "no Authorization", tamper: func(r *Request) { header(*r).Del("Authorization") }, wantErr: ErrMissing},
		{name: "two Authorization headers", tamper: func(r *Request) { header(*r).Add("Authorization", authz) }, wantErr: ErrMalformed},
		{name: "Authorization and presigned query", tamper: func(r *Request) { r.RawQuery += "&X-Amz-Signature=00" }, wantErr: ErrMalformed},
		{name: "no X-Amz-Date", tamper: func(r *Request) { header(*r).Del("X-Amz-Date") }, wantErr: ErrMalformed},
		{name: "X-Amz-Date not a date", tamper: func(r *Request) { header(*r).Set("X-Amz-Date", "20260314T250926Z") }, wantErr: ErrMalformed},
		{name: "X-Amz-Date in another format", tamper: func(r *Request) {
			header(*r).Set("X-Amz-Date", signedAt.Format(time.RFC1123))
		}, wantErr: ErrMalformed},
		{name: "x-amz-date not signed", tamper: replaceAuth(";x-amz-date", ""), wantErr: ErrMalformed},
		{name: "host not signed", tamper: replaceAuth("host;", ""), wantErr: ErrMalformed},
		{name: "SigV4a", tamper: replaceAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), wantErr: ErrMalformed},
		{name: "bad query escape", tamper: func(r *Request) { r.RawQuery = "Qualifier=%2" }, wantErr: ErrMalformed},
		{name: "content hash of another body", tamper: func(r *Request) {
			header(*r).Set("X-Amz-Content-Sha256", sha256Hex("other"))
		}, wantErr: ErrBodyMismatch},
		{name: "unsigned payload", tamper: func(r *Request) { header(*r).Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, wantErr: ErrBodyMismatch},
		{name: "streaming payload", tamper: func(r *Request) {
			header(*r).Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}, wantErr: ErrBodyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clone(base)
			if tt.tamper != nil {
				tt.tamper(&r)
			}
			now := tt.now
			if now.IsZero() {
				now = signedAt
			}
			key, err := newVerifier(t, now).Verify(r)
			require.Error(t, err)
			assert.Equal(t, Key{}, key)
			assert.ErrorIs(t, err, tt.wantErr)
			var ae *Error
			require.ErrorAs(t, err, &ae)
			code, status := tableCode(t, tt.wantErr)
			assert.Equal(t, code, ae.Code)
			assert.Equal(t, status, ae.Status)
			if tt.wantMsg != "" {
				assert.Contains(t, ae.Message, tt.wantMsg)
			}
			assert.NotContains(t, err.Error(), alice.SecretAccessKey)
		})
	}
	// The untouched request passes, so each failure above is the tamper's.
	_, err := newVerifier(t, signedAt).Verify(clone(base))
	require.NoError(t, err)
}

// TestVerifyAcceptsEquivalentForms sends a signed request in forms a
// server reads the same way; each must still verify.
func TestVerifyAcceptsEquivalentForms(t *testing.T) {
	base := signWithSDK(t, sdkRequest{method: "GET",
		url: "http://127.0.0.1:9000/2015-03-31/functions/?Marker=a%20b%2Fc~d&MaxItems=10"})
	tests := []struct {
		name   string
		tamper func(*Request)
	}{
		{name: "query reordered", tamper: func(r *Request) { r.RawQuery = "MaxItems=10&Marker=a%20b%2Fc~d" }},
		{name: "plus for space", tamper: func(r *Request) { r.RawQuery = "Marker=a+b%2Fc~d&MaxItems=10" }},
		{name: "lower-case escapes", tamper: func(r *Request) { r.RawQuery = "Marker=a%20b%2fc~d&MaxItems=10" }},
		{name: "unreserved characters escaped", tamper: func(r *Request) { r.RawQuery = "Marker=a%20b%2Fc%7Ed&MaxItems=%310" }},
		{name: "slash not escaped", tamper: func(r *Request) { r.RawQuery = "Marker=a%20b/c~d&MaxItems=10" }},
		{name: "empty pairs", tamper: func(r *Request) { r.RawQuery = "&Marker=a%20b%2Fc~d&&MaxItems=10&" }},
		{name: "header name case", tamper: func(r *Request) {
			h := header(*r)
			h["X-AMZ-DATE"] = h["X-Amz-Date"]
			delete(h, "X-Amz-Date")
			*r = Request{Method: r.Method, Path: r.Path, RawQuery: r.RawQuery, Host: r.Host, Body: r.Body,
				Header: HeaderFunc(func(name string) []string {
					for k, v := range h {
						if strings.EqualFold(k, name) {
							return v
						}
					}
					return nil
				})}
		}},
		{name: "spaces around header values", tamper: func(r *Request) {
			h := header(*r)
			h.Set("X-Amz-Date", "  "+h.Get("X-Amz-Date")+" ")
		}},
		{name: "unsigned header added", tamper: func(r *Request) { header(*r).Set("X-Forwarded-For", "10.0.0.1") }},
		{name: "unsigned header changed", tamper: func(r *Request) { header(*r).Set("User-Agent", "other") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clone(base)
			tt.tamper(&r)
			_, err := newVerifier(t, signedAt).Verify(r)
			assert.NoError(t, err)
		})
	}
}

// TestVerifyNormalizedPath checks the botocore form of a path: it signs
// the path with "//", "." and ".." removed and sends it as it was.
func TestVerifyNormalizedPath(t *testing.T) {
	tests := []struct{ signed, sent string }{
		{"/fn/a/b", "/fn/a//b"},
		{"/fn/a/b", "/fn/a/./b"},
		{"/fn/b", "/fn/a/../b"},
		{"/fn/a/", "/fn//a//"},
	}
	for _, tt := range tests {
		t.Run(tt.sent, func(t *testing.T) {
			r := signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000" + tt.signed})
			r.Path = tt.sent
			_, err := newVerifier(t, signedAt).Verify(r)
			assert.NoError(t, err)
			r.Path = tt.sent + "x"
			_, err = newVerifier(t, signedAt).Verify(r)
			assert.ErrorIs(t, err, ErrBadSignature)
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	presign := func(t *testing.T, rawURL string, expires int, key Key) Request {
		t.Helper()
		u, err := url.Parse(rawURL)
		require.NoError(t, err)
		q := u.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(expires))
		u.RawQuery = q.Encode()
		req, err := http.NewRequest("GET", u.String(), nil)
		require.NoError(t, err)
		signed, signedHeader, err := v4.NewSigner().PresignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey},
			req, sha256Hex(""), "lambda", "us-east-1", signedAt)
		require.NoError(t, err)
		out, err := http.NewRequest("GET", signed, nil)
		require.NoError(t, err)
		for k, v := range signedHeader {
			if k != "Host" {
				out.Header[k] = v
			}
		}
		return overTheWire(t, out)
	}
	const getURL = "http://127.0.0.1:9000/2015-03-31/functions/my-fn?Qualifier=%24LATEST"

	r := presign(t, getURL, 900, alice)
	require.Contains(t, r.RawQuery, "X-Amz-Signature=")
	require.Empty(t, header(r).Get("Authorization"))
	key, err := newVerifier(t, signedAt.Add(14*time.Minute)).Verify(r)
	require.NoError(t, err)
	assert.Equal(t, alice.AccessKeyID, key.AccessKeyID)

	tests := []struct {
		name    string
		tamper  func(*Request)
		now     time.Time
		wantErr error
	}{
		{name: "expired", now: signedAt.Add(15*time.Minute + time.Second), wantErr: ErrExpired},
		{name: "not yet current", now: signedAt.Add(-6 * time.Minute), wantErr: ErrExpired},
		{name: "qualifier", tamper: func(r *Request) {
			r.RawQuery = strings.Replace(r.RawQuery, "Qualifier=%24LATEST", "Qualifier=1", 1)
		}, wantErr: ErrBadSignature},
		{name: "expiry lengthened", tamper: func(r *Request) {
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=9000", 1)
		}, now: signedAt.Add(time.Hour), wantErr: ErrBadSignature},
		{name: "expiry over 7 days", tamper: func(r *Request) {
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=604801", 1)
		}, wantErr: ErrMalformed},
		{name: "signature repeated", tamper: func(r *Request) {
			r.RawQuery += "&X-Amz-Signature=" + strings.Repeat("0", 64)
		}, wantErr: ErrMalformed},
		{name: "no signature", tamper: func(r *Request) {
			i := strings.Index(r.RawQuery, "&X-Amz-Signature=")
			r.RawQuery = r.RawQuery[:i]
		}, wantErr: ErrMalformed},
		{name: "path", tamper: func(r *Request) { r.Path += "x" }, wantErr: ErrBadSignature},
		{name: "body", tamper: func(r *Request) { r.Body = []byte("x") }, wantErr: ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clone(r)
			if tt.tamper != nil {
				tt.tamper(&r)
			}
			now := tt.now
			if now.IsZero() {
				now = signedAt
			}
			_, err := newVerifier(t, now).Verify(r)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestVerifierConfig(t *testing.T) {
	keys, err := NewKeys([]Key{alice})
	require.NoError(t, err)
	apigw := signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", service: "execute-api"})
	lambda := signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000/"})
	old := signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", at: signedAt.Add(-10 * time.Minute)})
	now := func() time.Time { return signedAt }

	tests := []struct {
		name    string
		v       Verifier
		r       Request
		wantErr error
	}{
		{name: "execute-api refused by default", v: Verifier{Keys: keys, Now: now}, r: apigw, wantErr: ErrBadSignature},
		{name: "execute-api allowed", v: Verifier{Keys: keys, Now: now, Services: []string{"lambda", "execute-api"}}, r: apigw},
		{name: "lambda not in the set", v: Verifier{Keys: keys, Now: now, Services: []string{"execute-api"}}, r: lambda, wantErr: ErrBadSignature},
		{name: "ten minutes old refused by default", v: Verifier{Keys: keys, Now: now}, r: old, wantErr: ErrExpired},
		{name: "ten minutes old within a wider skew", v: Verifier{Keys: keys, Now: now, MaxSkew: 15 * time.Minute}, r: old},
		{name: "no keys", v: Verifier{Now: now}, r: lambda, wantErr: ErrUnknownKey},
		{name: "real clock", v: Verifier{Keys: keys}, r: lambda, wantErr: ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(tt.r)
			if tt.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
			}
		})
	}
}

func TestVerifyMissing(t *testing.T) {
	tests := []struct {
		name string
		r    Request
	}{
		{name: "nil header", r: Request{Method: "GET", Path: "/2015-03-31/functions/", Host: "x"}},
		{name: "no auth header", r: Request{Method: "GET", Path: "/", Host: "x", Header: http.Header{"X-Amz-Date": {"20260314T150926Z"}}}},
		{name: "ordinary query", r: Request{Method: "GET", Path: "/", RawQuery: "Qualifier=1", Header: http.Header{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newVerifier(t, signedAt).Verify(tt.r)
			require.ErrorIs(t, err, ErrMissing)
			var ae *Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "MissingAuthenticationTokenException", ae.Code)
			assert.Equal(t, http.StatusForbidden, ae.Status)
		})
	}
}

// TestVerifyBadSignatureMessage checks that the message shows the
// canonical request and string to sign, as AWS's does, so that a client
// author can see where they differ.
func TestVerifyBadSignatureMessage(t *testing.T) {
	r := signWithSDK(t, sdkRequest{method: "POST", url: invokeURL, body: "{}"})
	r.Body = []byte("[]")
	_, err := newVerifier(t, signedAt).Verify(r)
	var ae *Error
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Message, "The Canonical String for this request should have been\n'POST\n/2015-03-31/functions/my-fn%253A%2524LATEST/invocations\nQualifier=%24LATEST\n")
	assert.Contains(t, ae.Message, "\n"+sha256Hex("[]")+"'\n")
	assert.Contains(t, ae.Message, "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260314T150926Z\n20260314/us-east-1/lambda/aws4_request\n")
}

func TestErrorTable(t *testing.T) {
	for _, c := range errorCodes {
		e := newError(c.err, "m")
		assert.Equal(t, c.code, e.Code)
		assert.Equal(t, c.status, e.Status)
		assert.True(t, errors.Is(e, c.err))
		assert.Equal(t, c.code+": m", e.Error())
	}
}

func TestFromHTTPClientRequest(t *testing.T) {
	req, err := http.NewRequest("GET", "http://127.0.0.1:9000/a%3Ab?x=1", nil)
	require.NoError(t, err)
	r := FromHTTP(req, nil)
	assert.Equal(t, Request{Method: "GET", Path: "/a%3Ab", RawQuery: "x=1", Host: "127.0.0.1:9000", Header: req.Header}, r)
}

// tableCode returns the code and status errorCodes gives sentinel.
func tableCode(t *testing.T, sentinel error) (string, int) {
	t.Helper()
	for _, c := range errorCodes {
		if c.err == sentinel {
			return c.code, c.status
		}
	}
	t.Fatalf("%v is not in errorCodes", sentinel)
	return "", 0
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
