package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSigV4(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "echo", testguest.WATEcho(t))
	const list = "/2015-03-31/functions/"
	const invoke = "/2015-03-31/functions/echo/invocations"
	unknownKey := auth.Key{AccessKeyID: "AKIAFLINTUNKNOWN0001", SecretAccessKey: "unknown-secret-key-0123456789"}
	wrongSecret := auth.Key{AccessKeyID: adminKey.AccessKeyID, SecretAccessKey: "not-the-admin-secret-0123"}

	for _, tc := range []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		code   string
		msg    string
	}{
		{name: "unsigned", req: func(t *testing.T) *http.Request { return s.newRequest(t, http.MethodGet, list, nil) },
			status: http.StatusForbidden, code: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"},
		{name: "malformed", status: http.StatusBadRequest, code: "IncompleteSignatureException", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			return req
		}},
		{name: "other algorithm", status: http.StatusBadRequest, code: "IncompleteSignatureException", msg: "Unsupported signing algorithm", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, adminKey, nil, time.Now())
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
			return req
		}},
		{name: "unknown access key", status: http.StatusForbidden, code: "UnrecognizedClientException", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, unknownKey, nil, time.Now())
			return req
		}},
		{name: "wrong secret", status: http.StatusForbidden, code: "InvalidSignatureException", msg: "does not match", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, wrongSecret, nil, time.Now())
			return req
		}},
		{name: "tampered body", status: http.StatusForbidden, code: "InvalidSignatureException", req: func(t *testing.T) *http.Request {
			signed := s.newRequest(t, http.MethodPost, invoke, []byte(`{"amount":1}`))
			sign(t, signed, adminKey, []byte(`{"amount":1}`), time.Now())
			req := s.newRequest(t, http.MethodPost, invoke, []byte(`{"amount":9}`))
			req.Header = signed.Header
			return req
		}},
		{name: "tampered query", status: http.StatusForbidden, code: "InvalidSignatureException", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list+"?MaxItems=1", nil)
			sign(t, req, adminKey, nil, time.Now())
			req.URL.RawQuery = "MaxItems=2"
			return req
		}},
		{name: "expired", status: http.StatusForbidden, code: "InvalidSignatureException", msg: "Signature expired", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, adminKey, nil, time.Now().Add(-6*time.Minute))
			return req
		}},
		{name: "from the future", status: http.StatusForbidden, code: "InvalidSignatureException", msg: "not yet current", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, adminKey, nil, time.Now().Add(6*time.Minute))
			return req
		}},
		{name: "unsigned payload", status: http.StatusForbidden, code: "InvalidSignatureException", msg: "UNSIGNED-PAYLOAD", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodPost, invoke, []byte(`{}`))
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			sign(t, req, adminKey, []byte(`{}`), time.Now())
			return req
		}},
		{name: "a non-admin key on the management API", status: http.StatusForbidden, code: "AccessDeniedException", msg: invokerKey.AccessKeyID, req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, invokerKey, nil, time.Now())
			return req
		}},
		{name: "a non-admin key creating a function", status: http.StatusForbidden, code: "AccessDeniedException", req: func(t *testing.T) *http.Request {
			body := []byte(`{"FunctionName":"mine","Role":"` + defaultRole + `","Code":{"ZipFile":"` + b64(testguest.WATEcho(t)) + `"}}`)
			req := s.newRequest(t, http.MethodPost, "/2015-03-31/functions", body)
			sign(t, req, invokerKey, body, time.Now())
			return req
		}},
		{name: "a non-admin key on the Flint API", status: http.StatusForbidden, code: "AccessDeniedException", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, "/flint/v1/usage", nil)
			sign(t, req, invokerKey, nil, time.Now())
			return req
		}},
		{name: "within the allowed skew", status: http.StatusOK, req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list, nil)
			sign(t, req, adminKey, nil, time.Now().Add(-4*time.Minute))
			return req
		}},
		{name: "presigned URL", status: http.StatusOK, req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list+"?X-Amz-Expires=60", nil)
			sum := sha256.Sum256(nil)
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey.AccessKeyID, SecretAccessKey: adminKey.SecretAccessKey},
				req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
			require.NoError(t, err)
			req, err = http.NewRequest(http.MethodGet, u, nil)
			require.NoError(t, err)
			return req
		}},
		{name: "expired presigned URL", status: http.StatusForbidden, code: "InvalidSignatureException", msg: "Request has expired", req: func(t *testing.T) *http.Request {
			req := s.newRequest(t, http.MethodGet, list+"?X-Amz-Expires=60", nil)
			sum := sha256.Sum256(nil)
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey.AccessKeyID, SecretAccessKey: adminKey.SecretAccessKey},
				req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now().Add(-2*time.Minute))
			require.NoError(t, err)
			req, err = http.NewRequest(http.MethodGet, u, nil)
			require.NoError(t, err)
			return req
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.req(t))
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
			assert.Equal(t, tc.code, r.errorType())
			assert.NotEmpty(t, r.Header.Get("X-Amzn-Requestid"))
			if tc.status >= 400 {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.Contains(t, r.message(), tc.msg)
				assert.NotContains(t, string(r.Body), adminKey.SecretAccessKey)
			}
		})
	}

	t.Run("SDK", func(t *testing.T) {
		ctx := context.Background()
		_, err := s.client(unknownKey).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		assert.Equal(t, "UnrecognizedClientException", apiCode(err))
		_, err = s.client(wrongSecret).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
		assert.Equal(t, "InvalidSignatureException", apiCode(err))
		_, err = s.client(invokerKey).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		assert.Equal(t, "AccessDeniedException", apiCode(err))
		_, err = s.client(adminKey).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		assert.NoError(t, err)
	})
}

func TestOpenServer(t *testing.T) {
	t.Parallel()
	s := startServer(t, true)
	echo := testguest.WATEcho(t)

	r := s.request(t, http.MethodPost, "/2015-03-31/functions", []byte(`{"FunctionName":"echo","Role":"`+defaultRole+`","Code":{"ZipFile":"`+
		b64(echo)+`"}}`))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = s.request(t, http.MethodPost, "/2015-03-31/functions/echo/invocations", []byte(`{"open":true}`))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"open":true}`, string(r.Body))
	r = s.request(t, http.MethodGet, "/flint/v1/usage", nil)
	assert.Equal(t, http.StatusOK, r.Status)

	// Any signature is taken as it comes: there are no keys to check it with.
	out, err := s.client(auth.Key{AccessKeyID: "AKIAANYTHING00000001", SecretAccessKey: "whatever-secret-0000"}).
		GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("echo")})
	require.NoError(t, err)
	res, err := http.Get(aws.ToString(out.Code.Location))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}
