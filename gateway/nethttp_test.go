package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startHTTPServer mounts a gateway in a net/http server (httptest), beside
// a handler of the embedding program's own, as a Go program that serves
// with net/http would.
func startHTTPServer(t testing.TB) *server {
	t.Helper()
	st := store.NewMemory()
	eng, err := engine.New(context.Background(), engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: []auth.Key{adminKey, invokerKey}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app/hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "the app's own route") })
	mux.Handle("/", gw)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &server{URL: srv.URL, Engine: eng, GW: gw}
}

func TestServeHTTPWithTheAWSSDK(t *testing.T) {
	t.Parallel()
	s := startHTTPServer(t)
	ctx := context.Background()
	admin, invoker := s.client(adminKey), s.client(invokerKey)

	created := s.deploy(t, "echo", testguest.WATEcho(t))
	assert.Equal(t, "echo", aws.ToString(created.FunctionName))
	out := s.invoke(t, "echo", `{"via":"net/http"}`)
	assert.JSONEq(t, `{"via":"net/http"}`, string(out.Payload))
	assert.Equal(t, "$LATEST", aws.ToString(out.ExecutedVersion))

	v, err := admin.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("echo")})
	require.NoError(t, err)
	_, err = admin.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("live"), FunctionVersion: v.Version})
	require.NoError(t, err)
	out = s.invoke(t, "echo:live", `"aliased"`)
	assert.Equal(t, "1", aws.ToString(out.ExecutedVersion))

	_, err = invoker.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{}`)})
	assert.Equal(t, "AccessDeniedException", apiCode(err), "signatures are checked as on the gateway's own server")
	_, err = admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &nf, "errors keep Lambda's types")

	list, err := admin.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	require.NoError(t, err)
	require.Len(t, list.Functions, 1)

	resp, err := http.Get(s.URL + "/app/hello")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "the app's own route", string(body), "the program's own routes are untouched")

	resp, err = http.Get(s.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestServeHTTPFunctionURLAndStreams(t *testing.T) {
	t.Parallel()
	s := startHTTPServer(t)
	ctx := context.Background()
	admin := s.client(adminKey)
	s.deploy(t, "echo", testguest.WATEcho(t))
	_, err := admin.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"), AuthType: types.FunctionUrlAuthTypeNone})
	require.NoError(t, err)
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("echo"), StatementId: aws.String("url"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
	require.NoError(t, err)

	resp, err := http.Post(s.URL+"/fn/echo/path?q=1", "text/plain", strings.NewReader("hello"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"rawPath":"/path"`, "the echo returns the payload 2.0 event")
	assert.Contains(t, string(body), `"rawQueryString":"q=1"`)

	t.Run("a body over the limit", func(t *testing.T) {
		resp, err := http.Post(s.URL+"/2015-03-31/functions", "application/json", strings.NewReader(strings.Repeat("x", gateway.DefaultMaxBodyBytes+1)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assert.Equal(t, "RequestTooLargeException", resp.Header.Get("X-Amzn-Errortype"))
	})

	t.Run("a log stream arrives as it is written", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/flint/v1/functions/echo/logs?follow=1", nil)
		require.NoError(t, err)
		sign(t, req, adminKey, nil, time.Now())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		lines := make(chan string, 64)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		out := s.invoke(t, "echo", `"followed"`)
		require.NotNil(t, out)
		deadline := time.After(10 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				require.True(t, ok, "the stream ended early")
				if strings.HasPrefix(line, "REPORT RequestId:") {
					return
				}
			case <-deadline:
				t.Fatal("no REPORT line arrived on the stream")
			}
		}
	})
}
