package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultRole is the role every gateway has, which allows nothing.
const defaultRole = "arn:aws:iam::000000000000:role/default"

// roleArn is the ARN of the gateway role name.
func roleArn(name string) string { return "arn:aws:iam::000000000000:role/" + name }

// startServerWith is startServer with the gateway's and the engine's
// configurations adjusted by configure (Engine, Store and Keys are set
// before it runs; Keys are the test keys).
func startServerWith(t testing.TB, configure func(*gateway.Config, *engine.Config)) *server {
	t.Helper()
	st := store.NewMemory()
	ecfg := engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)}
	gcfg := gateway.Config{Store: st, Keys: []auth.Key{adminKey, invokerKey}}
	configure(&gcfg, &ecfg)
	eng, err := engine.New(context.Background(), ecfg)
	require.NoError(t, err)
	gcfg.Engine = eng
	gw, err := gateway.New(gcfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &server{URL: "http://" + ln.Addr().String(), Engine: eng, GW: gw}
}

// wasm returns the committed WAT test module engine/testdata/NAME.wasm.
func wasm(t testing.TB, name string) []byte {
	return testguest.File(t, "engine/testdata/"+name+".wasm")
}

// zipOf returns a zip archive holding files (name, content, name, content...).
func zipOf(t testing.TB, files ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i].(string))
		require.NoError(t, err)
		_, err = w.Write(files[i+1].([]byte))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// deploy creates function name from code (a module or a zip) with the
// default role, through the SDK as the admin.
func (s *server) deploy(t testing.TB, name string, code []byte) *lambda.CreateFunctionOutput {
	return s.deployRole(t, name, code, defaultRole)
}

// deployRole creates function name from code with role.
func (s *server) deployRole(t testing.TB, name string, code []byte, role string) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := s.client(adminKey).CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: code},
	})
	require.NoError(t, err)
	return out
}

// invoke invokes function (NAME[:QUALIFIER]) synchronously as the admin.
func (s *server) invoke(t testing.TB, function, payload string) *lambda.InvokeOutput {
	t.Helper()
	out, err := s.client(adminKey).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function), Payload: []byte(payload)})
	require.NoError(t, err)
	return out
}

// apiCode is the error code of an SDK error ("" for none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// response is an HTTP response read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// errorType is the Lambda error type the response carries, if any.
func (r response) errorType() string { return r.Header.Get("X-Amzn-Errortype") }

// message is the "message" (API) or "Message" (function URL) of an error body.
func (r response) message() string {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	for _, k := range []string{"message", "Message"} {
		if s, ok := m[k].(string); ok {
			return s
		}
	}
	return ""
}

// newRequest builds a request to the server.
func (s *server) newRequest(t testing.TB, method, path string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// sign signs req with key, as the AWS SDKs do, at time at.
func sign(t testing.TB, req *http.Request, key auth.Key, body []byte, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", at))
}

// do sends req on a fresh connection and reads the response whole.
func do(t testing.TB, req *http.Request) response {
	t.Helper()
	r, err := send(req)
	require.NoError(t, err)
	return r
}

// doOrReset is do for a request the server may refuse before reading it
// all (headers over its limit): the server answers and closes, and a
// client still writing can see the connection reset before it reads the
// answer. It reports false for that reset, which is an answer too.
func doOrReset(t testing.TB, req *http.Request) (response, bool) {
	t.Helper()
	r, err := send(req)
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return response{}, false
	}
	require.NoError(t, err)
	return r, true
}

// send sends req on a fresh connection and reads the response whole.
func send(req *http.Request) (response, error) {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// signedRequest sends method path with body, signed with key.
func (s *server) signedRequest(t testing.TB, key auth.Key, method, path string, body []byte) response {
	t.Helper()
	req := s.newRequest(t, method, path, body)
	sign(t, req, key, body, time.Now())
	return do(t, req)
}

// request sends method path with body, unsigned.
func (s *server) request(t testing.TB, method, path string, body []byte) response {
	return do(t, s.newRequest(t, method, path, body))
}

// decode unmarshals a response body into a new T.
func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.Body, &v), "body: %s", r.Body)
	return v
}

// checkGoroutines, registered with t.Cleanup before anything else of a
// test, fails the test if the goroutines it started outlive it.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		const slack = 3
		ok := assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+slack }, 10*time.Second, 20*time.Millisecond,
			"goroutines: %d before the test", before)
		if !ok {
			buf := make([]byte, 1<<20)
			t.Logf("%d goroutines now:\n%s", runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	})
}

// b64 is standard base64, as JSON carries bytes.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
