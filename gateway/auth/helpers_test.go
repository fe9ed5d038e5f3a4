package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// The keys the tests sign with. alice is the key the captured client
// requests under testdata/clients were signed with.
var (
	alice = Key{AccessKeyID: "AKIAFLINTALICE000001", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Admin: true, Name: "alice"}
	bob   = Key{AccessKeyID: "AKIAFLINTBOB00000002", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", Name: "bob"}
)

// signedAt is when the tests' requests are signed.
var signedAt = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// newVerifier returns a verifier of alice and bob whose clock says now.
func newVerifier(t testing.TB, now time.Time) *Verifier {
	t.Helper()
	keys, err := NewKeys([]Key{alice, bob})
	require.NoError(t, err)
	return &Verifier{Keys: keys, Now: func() time.Time { return now }}
}

// sdkRequest describes a request for signWithSDK.
type sdkRequest struct {
	method string
	url    string // absolute; the path as it is to be sent ("%24LATEST")
	header http.Header
	body   string
	key    Key    // zero: alice
	region string // empty: us-east-1
	// service empty: lambda
	service string
	at      time.Time // zero: signedAt
	token   string    // a session token, signed as X-Amz-Security-Token
}

// signWithSDK signs spec with the AWS SDK for Go v2's SigV4 signer, sends
// it through net/http's wire format and returns it as a net/http server
// would have received it.
func signWithSDK(t testing.TB, spec sdkRequest) Request {
	t.Helper()
	req, err := http.NewRequest(spec.method, spec.url, strings.NewReader(spec.body))
	require.NoError(t, err)
	if spec.body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for name, values := range spec.header {
		req.Header[name] = append([]string(nil), values...)
	}
	key := spec.key
	if key.AccessKeyID == "" {
		key = alice
	}
	region, service, at := spec.region, spec.service, spec.at
	if region == "" {
		region = "us-east-1"
	}
	if service == "" {
		service = "lambda"
	}
	if at.IsZero() {
		at = signedAt
	}
	sum := sha256.Sum256([]byte(spec.body))
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: spec.token}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, at))
	return overTheWire(t, req)
}

// overTheWire writes a client request in HTTP/1.1 and reads it back as a
// server does, so that tests see what a gateway sees.
func overTheWire(t testing.TB, req *http.Request) Request {
	t.Helper()
	var wire bytes.Buffer
	require.NoError(t, req.Write(&wire))
	return readWire(t, wire.Bytes())
}

// readWire parses a raw HTTP/1.1 request as a net/http server does.
func readWire(t testing.TB, wire []byte) Request {
	t.Helper()
	got, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	require.NoError(t, err)
	body, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	return FromHTTP(got, body)
}

// clone returns a deep copy of r, to tamper with.
func clone(r Request) Request {
	c := r
	if h, ok := r.Header.(http.Header); ok {
		c.Header = h.Clone()
	}
	c.Body = bytes.Clone(r.Body)
	return c
}

// header returns r's headers, which the tests keep in an http.Header.
func header(r Request) http.Header { return r.Header.(http.Header) }

// readFile reads a test fixture.
func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
