package auth

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// updateFuzzSeeds rewrites the committed seed corpora under testdata/fuzz
// from the seeds the fuzz tests add: go test -run '^Fuzz' -update-fuzz-seeds
var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/ from the fuzz tests' seeds")

// addSeeds adds each seed to f and, with -update-fuzz-seeds, writes it to
// testdata/fuzz/NAME/ in the corpus file format.
func addSeeds(f *testing.F, seeds [][]any) {
	f.Helper()
	dir := filepath.Join("testdata", "fuzz", f.Name())
	if *updateFuzzSeeds {
		require.NoError(f, os.RemoveAll(dir))
		require.NoError(f, os.MkdirAll(dir, 0o755))
	}
	for i, seed := range seeds {
		f.Add(seed...)
		if !*updateFuzzSeeds {
			continue
		}
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range seed {
			switch v := v.(type) {
			case string:
				fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
			case []byte:
				fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
			default:
				f.Fatalf("seed type %T", v)
			}
		}
		require.NoError(f, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(b.String()), 0o644))
	}
}

// checkError checks that a refusal is an *Error for one of Verify's
// sentinels whose message cannot forge a log line.
func checkError(t *testing.T, err error, allowNewlines bool) {
	t.Helper()
	var ae *Error
	require.ErrorAs(t, err, &ae)
	n := 0
	for _, s := range []error{ErrMissing, ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired, ErrBodyMismatch} {
		if errors.Is(err, s) {
			n++
		}
	}
	assert.Equal(t, 1, n, "%v matches %d sentinels", err, n)
	if !allowNewlines {
		assert.NotContains(t, ae.Message, "\n")
	}
	assert.NotContains(t, ae.Message, "\r")
}

func FuzzParseAuthorization(f *testing.F) {
	cred := "AKIAFLINTALICE000001/20261128/us-east-1/lambda/aws4_request"
	addSeeds(f, [][]any{
		{authz(cred, "host;x-amz-date", testSig)},
		{"AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-client-context;x-amz-content-sha256;x-amz-date;x-amz-invocation-type;x-amz-user-agent,Signature=" + testSig},
		{"AWS4-HMAC-SHA256 Signature=" + testSig + " , SignedHeaders=host , Credential=" + cred},
		{"AWS4-HMAC-SHA256"},
		{"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=;, Signature="},
		{"AWS4-ECDSA-P256-SHA256 Credential=" + cred},
		{"Bearer x"},
		{""},
		{authz(cred, "host;host", testSig) + ",,"},
		{authz("AKIA/20261128/us-east-1/lambda/aws4_request/", "a;b;host", strings.ToUpper(testSig))},
		{authz("\x00/\xff/\n/\t/aws4_request", "h\u00e9st", testSig)},
	})
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			checkError(t, err, false)
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		assert.NotEmpty(t, a.accessKeyID)
		assert.Equal(t, a.date+"/"+a.region+"/"+a.service+"/"+terminator, a.scope)
		assert.Len(t, a.date, 8)
		require.NoError(t, checkSignedHeaders(a.signedHeaders, "t"))
		assert.True(t, hasSignedHeader(a.signedHeaders, "host"))
		// What was read, written in the canonical form, reads the same.
		again, err := parseAuthorization(authz(a.accessKeyID+"/"+a.scope, a.signedHeaders, fmt.Sprintf("%x", a.signature)))
		require.NoError(t, err)
		assert.Equal(t, a, again)
	})
}

func FuzzParseQuery(f *testing.F) {
	addSeeds(f, [][]any{
		{"Qualifier=%24LATEST"},
		{"Marker=a%20b%2Fc%2Bd~%C3%A9&MaxItems=3"},
		{"b=2&a=3&a=1&a=2&empty=&flag"},
		{"a=b+c&%7E=%7e&x=%2f"},
		{"&&=&=x&%"},
		{"a=%zz"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAFLINTALICE000001%2F20261128%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Signature=00"},
	})
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, err := parseQuery(raw, nil)
		if err != nil {
			checkError(t, err, false)
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		assert.True(t, sortedPairs(pairs), "pairs must be in canonical order")
		for _, p := range pairs {
			for _, s := range []string{p.key, p.value} {
				c, err := canonicalComponent(s)
				require.NoError(t, err)
				assert.Equal(t, s, c, "canonical form must be a fixed point")
			}
		}
		// net/url, which reads the query the same way the gateway does
		// ('+' is a space), is the oracle for what the pairs mean.
		want, err := url.ParseQuery(raw)
		if err != nil || strings.Contains(raw, ";") {
			return
		}
		got := url.Values{}
		for _, p := range pairs {
			got[unescapeCanonical(p.key)] = append(got[unescapeCanonical(p.key)], unescapeCanonical(p.value))
		}
		for k := range want {
			slices.Sort(want[k])
			slices.Sort(got[k])
		}
		assert.Equal(t, want, got)
	})
}

// sortedPairs reports whether pairs are in canonical order.
func sortedPairs(pairs []queryPair) bool {
	for i := 1; i < len(pairs); i++ {
		a, b := pairs[i-1], pairs[i]
		if a.key > b.key || a.key == b.key && a.value > b.value {
			return false
		}
	}
	return true
}

func FuzzParseCredentials(f *testing.F) {
	good, err := os.ReadFile("testdata/credentials")
	require.NoError(f, err)
	addSeeds(f, [][]any{
		{good},
		{[]byte("[a]\naws_access_key_id=AKIAFLINTALICE000001\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nflint_admin=1\n[b]\n")},
		{[]byte("\xef\xbb\xbf[a]\r\nAWS_ACCESS_KEY_ID = AKIAFLINTALICE000001\r\n")},
		{[]byte("[a\n")},
		{[]byte("x=y")},
		{[]byte("[]\n[a]\n[a]\n  indented\n=\n")},
		{[]byte("")},
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseCredentials("fuzz", data)
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				assert.GreaterOrEqual(t, le.Line, 1)
				assert.LessOrEqual(t, le.Line, bytes.Count(data, []byte("\n"))+1)
			}
			assert.True(t, errors.Is(err, ErrSyntax) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrDuplicateKey), "%v", err)
			return
		}
		require.NotEmpty(t, keys)
		ks, err := NewKeys(keys)
		require.NoError(t, err, "parsed keys must be valid")
		assert.Equal(t, len(keys), ks.Len())
	})
}

// FuzzVerify starts from a signed request and varies every part of it.
// Verify must never panic, must refuse with an *Error, and may accept
// only a request that means what the signed one does.
func FuzzVerify(f *testing.F) {
	ref := signWithSDK(f, sdkRequest{method: "POST", url: invokeURL, body: `{"name":"Flint"}`,
		header: http.Header{"Content-Type": {"application/json"}}})
	h := header(ref)
	seed := func(change func(s []any)) []any {
		s := []any{ref.Method, ref.Path, ref.RawQuery, ref.Host, h.Get("Authorization"), h.Get("X-Amz-Date"),
			h.Get("Content-Type"), "", bytes.Clone(ref.Body)}
		if change != nil {
			change(s)
		}
		return s
	}
	presigned := "Qualifier=%24LATEST&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAFLINTALICE000001%2F20260314%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260314T150926Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=" + testSig
	addSeeds(f, [][]any{
		seed(nil),
		seed(func(s []any) { s[8] = []byte(`{"name":"Flinx"}`) }),
		seed(func(s []any) { s[2] = "Qualifier=$LATEST" }),
		seed(func(s []any) { s[2] = "Qualifier=%24LATEST&a=b+c" }),
		seed(func(s []any) { s[1] = "/2015-03-31//functions/./my-fn%3A%24LATEST/invocations" }),
		seed(func(s []any) { s[7] = sha256Hex(`{"name":"Flint"}`) }),
		seed(func(s []any) { s[7] = "UNSIGNED-PAYLOAD" }),
		seed(func(s []any) { s[4] = "" }),
		seed(func(s []any) { s[4], s[2] = "", presigned }),
		seed(func(s []any) { s[5] = "20260314T150926" }),
		seed(func(s []any) { s[6] = "  application/json  " }),
		{"", "", "%", "", "AWS4-HMAC-SHA256 ,", "", "", "", []byte(nil)},
	})
	v := newVerifier(f, signedAt)
	f.Fuzz(func(t *testing.T, method, path, query, host, authorization, amzDate, contentType, contentSHA string, body []byte) {
		hdr := http.Header{}
		for name, value := range map[string]string{"Authorization": authorization, "X-Amz-Date": amzDate,
			"Content-Type": contentType, "X-Amz-Content-Sha256": contentSHA} {
			if value != "" {
				hdr.Set(name, value)
			}
		}
		r := Request{Method: method, Path: path, RawQuery: query, Host: host, Header: hdr, Body: body}
		key, err := v.Verify(r)
		if err != nil {
			checkError(t, err, errors.Is(err, ErrBadSignature))
			assert.Equal(t, Key{}, key)
			return
		}
		// Accepted: it must be the signed request, in a form the gateway
		// reads the same way.
		assert.Equal(t, alice.AccessKeyID, key.AccessKeyID)
		assert.Equal(t, ref.Method, method)
		assert.Equal(t, ref.Body, body, "body")
		assert.True(t, path == ref.Path || normalizePath(path) == ref.Path, "path %q", path)
		assert.Equal(t, ref.Host, string(appendTrimmed(nil, host)))
		assert.Equal(t, h.Get("Content-Type"), string(appendTrimmed(nil, contentType)))
		assert.Equal(t, h.Get("X-Amz-Date"), strings.TrimSpace(amzDate))
		assert.Contains(t, []string{"", sha256Hex(string(ref.Body))}, contentSHA)
		want, _ := url.ParseQuery(ref.RawQuery)
		got, err := url.ParseQuery(query)
		if err == nil && authorization != "" {
			assert.True(t, reflect.DeepEqual(want, got), "query %q", query)
		}
	})
}
