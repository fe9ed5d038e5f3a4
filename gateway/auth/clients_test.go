package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCapturedClientRequests verifies requests real clients sent to a
// local listener, byte for byte as they arrived (see
// testdata/clients/README.md): the AWS CLI v1 (botocore, which signs
// only host and x-amz-date, and a boto3 presigned URL) and the AWS SDK for
// JavaScript v3 (which signs content-length, x-amz-content-sha256 and
// its amz-sdk-* headers). They were signed with the alice profile of
// testdata/credentials, which the CLI read as its own credentials file.
func TestCapturedClientRequests(t *testing.T) {
	fileKeys, err := LoadCredentialsFile("testdata/credentials")
	require.NoError(t, err)
	keys, err := NewKeys(fileKeys)
	require.NoError(t, err)

	files, err := filepath.Glob("testdata/clients/*/*.http")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 12)
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, "testdata/clients/"), func(t *testing.T) {
			wire, err := os.ReadFile(file)
			require.NoError(t, err)
			r := readWire(t, wire)
			date := header(r).Get("X-Amz-Date")
			if date == "" {
				q, _ := parseQuery(r.RawQuery, nil)
				for _, p := range q {
					if p.key == paramDate {
						date = p.value
					}
				}
			}
			at, err := time.Parse(amzDateLayout, date)
			require.NoError(t, err)
			v := &Verifier{Keys: keys, Now: func() time.Time { return at.Add(time.Minute) }}

			key, err := v.Verify(r)
			require.NoError(t, err)
			assert.Equal(t, Key{AccessKeyID: "AKIAFLINTALICE000001", Admin: true, Name: "alice"}, key)

			for name, tamper := range map[string]func(*Request){
				"path":  func(r *Request) { r.Path = strings.Replace(r.Path, "functions", "functionz", 1) },
				"host":  func(r *Request) { r.Host = "127.0.0.2" + r.Host[len("127.0.0.1"):] },
				"query": func(r *Request) { r.RawQuery += "&Qualifier=2" },
				"body": func(r *Request) {
					if len(r.Body) == 0 {
						r.Body = []byte("{}")
					} else {
						r.Body[len(r.Body)/2] ^= 0x20
					}
				},
			} {
				bad := clone(r)
				tamper(&bad)
				_, err := v.Verify(bad)
				assert.Error(t, err, "tampered %s", name)
			}
			_, err = (&Verifier{Keys: keys, Now: func() time.Time { return at.Add(time.Hour) }}).Verify(r)
			assert.ErrorIs(t, err, ErrExpired)
		})
	}
}

// recorder is a stand-in Lambda endpoint: it verifies each request the
// way the gateway will, remembers what it saw and answers enough for the
// SDK to parse.
type recorder struct {
	v    *Verifier
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, path, query, signedHeaders string
	err                                error
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r := FromHTTP(req, body)
	_, verr := rec.v.Verify(r)
	signed := req.Header.Get("Authorization")
	if i := strings.Index(signed, "SignedHeaders="); i >= 0 {
		signed, _, _ = strings.Cut(signed[i+len("SignedHeaders="):], ",")
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, seenRequest{r.Method, r.Path, r.RawQuery, signed, verr})
	rec.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	var ae *Error
	switch {
	case errors.As(verr, &ae):
		w.Header().Set("X-Amzn-Errortype", ae.Code)
		w.WriteHeader(ae.Status)
		_, _ = io.WriteString(w, `{"message":"verification failed"}`)
	case strings.HasSuffix(r.Path, "/invocations"):
		_, _ = w.Write(body)
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"FunctionName":"my-fn"}`)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		_, _ = io.WriteString(w, `{"Functions":[]}`)
	}
}

// startEndpoint starts a loopback endpoint that verifies against alice
// and bob with the real clock.
func startEndpoint(t *testing.T) (*recorder, string) {
	t.Helper()
	keys, err := NewKeys([]Key{alice, bob})
	require.NoError(t, err)
	rec := &recorder{v: &Verifier{Keys: keys}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// newLambdaClient returns the AWS SDK for Go v2's Lambda client for the
// endpoint, signing with key.
func newLambdaClient(endpoint, region string, key Key) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           region,
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

// TestLambdaClient drives the AWS SDK for Go v2's own Lambda client
// against a loopback endpoint that verifies every request it receives.
func TestLambdaClient(t *testing.T) {
	rec, endpoint := startEndpoint(t)
	ctx := context.Background()
	zip := make([]byte, 256<<10)
	for i := range zip {
		zip[i] = byte(i * 7)
	}
	tests := []struct {
		name      string
		region    string
		call      func(*lambda.Client) error
		wantPath  string
		wantQuery string
	}{
		{name: "ListFunctions", call: func(c *lambda.Client) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}, wantPath: "/2015-03-31/functions"},
		{name: "ListFunctions with marker", call: func(c *lambda.Client) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("a b/c+d~é="), MaxItems: aws.Int32(3),
				FunctionVersion: types.FunctionVersionAll})
			return err
		}, wantPath: "/2015-03-31/functions", wantQuery: "FunctionVersion=ALL&Marker=a%20b%2Fc%2Bd~%C3%A9%3D&MaxItems=3"},
		{name: "Invoke qualified name", call: func(c *lambda.Client) error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn:$LATEST"), Qualifier: aws.String("$LATEST"),
				Payload: []byte(`{"name":  "Flint"}`)})
			return err
		}, wantPath: "/2015-03-31/functions/my-fn%3A%24LATEST/invocations", wantQuery: "Qualifier=%24LATEST"},
		{name: "Invoke by ARN with headers", region: "eu-central-1", call: func(c *lambda.Client) error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:eu-central-1:000000000000:function:my-fn"),
				InvocationType: types.InvocationTypeEvent, LogType: types.LogTypeTail, ClientContext: aws.String("eyJhIjoxfQ=="),
				Payload: []byte(`{}`)})
			return err
		}, wantPath: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-central-1%3A000000000000%3Afunction%3Amy-fn/invocations"},
		{name: "Invoke without payload", call: func(c *lambda.Client) error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn")})
			return err
		}, wantPath: "/2015-03-31/functions/my-fn/invocations"},
		{name: "GetFunction", call: func(c *lambda.Client) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("my-fn"), Qualifier: aws.String("7")})
			return err
		}, wantPath: "/2015-03-31/functions/my-fn", wantQuery: "Qualifier=7"},
		{name: "CreateFunction 256 KiB", call: func(c *lambda.Client) error {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("my-fn"),
				Role: aws.String("arn:aws:iam::000000000000:role/flint"), Code: &types.FunctionCode{ZipFile: zip},
				Tags: map[string]string{"team": "a  b"}})
			return err
		}, wantPath: "/2015-03-31/functions"},
		{name: "DeleteFunction", call: func(c *lambda.Client) error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("my-fn"), Qualifier: aws.String("3")})
			return err
		}, wantPath: "/2015-03-31/functions/my-fn", wantQuery: "Qualifier=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region := tt.region
			if region == "" {
				region = "us-east-1"
			}
			n := len(rec.seen)
			require.NoError(t, tt.call(newLambdaClient(endpoint, region, alice)))
			require.Len(t, rec.seen, n+1)
			got := rec.seen[n]
			assert.NoError(t, got.err)
			assert.Equal(t, tt.wantPath, got.path)
			assert.Equal(t, tt.wantQuery, got.query)
			assert.Contains(t, got.signedHeaders, "host")
		})
	}
}

// TestLambdaClientRefused checks that the SDK sees the refusals as the
// AWS error codes it knows.
func TestLambdaClientRefused(t *testing.T) {
	_, endpoint := startEndpoint(t)
	tests := []struct {
		name     string
		key      Key
		wantCode string
	}{
		{name: "wrong secret", key: Key{AccessKeyID: alice.AccessKeyID, SecretAccessKey: bob.SecretAccessKey}, wantCode: "InvalidSignatureException"},
		{name: "unknown key", key: Key{AccessKeyID: "AKIAFLINTMALLORY0003", SecretAccessKey: alice.SecretAccessKey}, wantCode: "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newLambdaClient(endpoint, "us-east-1", tt.key).ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			assert.Equal(t, tt.wantCode, api.ErrorCode())
		})
	}
}
