package gateway_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// urlEvent is the part of a payload format 2.0 event the tests look at.
type urlEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryStringParameters"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		AccountID  string `json:"accountId"`
		Authorizer *struct {
			IAM struct {
				AccessKey string `json:"accessKey"`
			} `json:"iam"`
		} `json:"authorizer"`
		HTTP struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		} `json:"http"`
	} `json:"requestContext"`
}

// createURL gives function target (NAME[:ALIAS]) a URL of authType.
func (s *server) createURL(t testing.TB, target string, authType types.FunctionUrlAuthType) *lambda.CreateFunctionUrlConfigOutput {
	t.Helper()
	name, q, _ := strings.Cut(target, ":")
	in := &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: authType}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := s.client(adminKey).CreateFunctionUrlConfig(context.Background(), in)
	require.NoError(t, err)
	return out
}

// allowPublicURL adds the permission an AuthType NONE URL needs.
func (s *server) allowPublicURL(t testing.TB, function string) {
	t.Helper()
	_, err := s.client(adminKey).AddPermission(context.Background(), &lambda.AddPermissionInput{FunctionName: aws.String(function),
		StatementId: aws.String("public-url"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
		FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
	require.NoError(t, err)
}

func TestFunctionURLConfig(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)

	created := s.createURL(t, "fn", types.FunctionUrlAuthTypeNone)
	assert.Equal(t, s.URL+"/fn/fn/", aws.ToString(created.FunctionUrl))
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn", aws.ToString(created.FunctionArn))
	assert.Equal(t, types.FunctionUrlAuthTypeNone, created.AuthType)
	assert.Equal(t, types.InvokeModeBuffered, created.InvokeMode)
	_, err = time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(created.CreationTime))
	assert.NoError(t, err)

	live := s.createURL(t, "fn:live", types.FunctionUrlAuthTypeAwsIam)
	assert.Equal(t, s.URL+"/fn/fn:live/", aws.ToString(live.FunctionUrl))
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn:live", aws.ToString(live.FunctionArn))

	got, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, created.FunctionUrl, got.FunctionUrl)
	assert.Equal(t, types.FunctionUrlAuthTypeNone, got.AuthType)

	updated, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeAwsIam,
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}}})
	require.NoError(t, err)
	assert.Equal(t, types.FunctionUrlAuthTypeAwsIam, updated.AuthType)
	assert.Equal(t, aws.ToString(created.CreationTime), aws.ToString(updated.CreationTime))
	require.NotNil(t, updated.Cors)
	assert.Equal(t, []string{"https://example.com"}, updated.Cors.AllowOrigins)
	got, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, types.FunctionUrlAuthTypeAwsIam, got.AuthType)

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			in   lambda.CreateFunctionUrlConfigInput
			want string
		}{
			{name: "exists", in: lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeNone}, want: "ResourceConflictException"},
			{name: "bad auth type", in: lambda.CreateFunctionUrlConfigInput{Qualifier: aws.String("$LATEST"), AuthType: "OPEN"}, want: "InvalidParameterValueException"},
			{name: "bad invoke mode", in: lambda.CreateFunctionUrlConfigInput{Qualifier: aws.String("$LATEST"), AuthType: types.FunctionUrlAuthTypeNone,
				InvokeMode: "TRICKLE"}, want: "InvalidParameterValueException"},
			{name: "a version", in: lambda.CreateFunctionUrlConfigInput{Qualifier: aws.String("1"), AuthType: types.FunctionUrlAuthTypeNone},
				want: "InvalidParameterValueException"},
			{name: "no alias", in: lambda.CreateFunctionUrlConfigInput{Qualifier: aws.String("nosuch"), AuthType: types.FunctionUrlAuthTypeNone},
				want: "ResourceNotFoundException"},
			{name: "no function", in: lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("nosuch"), AuthType: types.FunctionUrlAuthTypeNone},
				want: "ResourceNotFoundException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.in.FunctionName == nil {
					tc.in.FunctionName = aws.String("fn")
				}
				_, err := lc.CreateFunctionUrlConfig(ctx, &tc.in)
				assert.Equal(t, tc.want, apiCode(err), "%v", err)
			})
		}
		_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: "OPEN"})
		assert.Equal(t, "InvalidParameterValueException", apiCode(err))
		_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("nosuch")})
		assert.Equal(t, "ResourceNotFoundException", apiCode(err))
	})

	_, err = lc.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	var nf *types.ResourceNotFoundException
	_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf)
	_, err = lc.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf)
	_, err = lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone})
	require.ErrorAs(t, err, &nf)
	_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live")})
	require.NoError(t, err, "the alias's URL stays")
}

func TestFunctionURLServing(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	s.deploy(t, "echo", echo)
	s.createURL(t, "echo", types.FunctionUrlAuthTypeNone)

	t.Run("NONE needs a public permission", func(t *testing.T) {
		r := s.request(t, http.MethodGet, "/fn/echo/", nil)
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, "Forbidden", r.message())
		// A statement for AWS_IAM URLs does not open a NONE one.
		_, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("echo"), StatementId: aws.String("iam-only"),
			Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeAwsIam})
		require.NoError(t, err)
		assert.Equal(t, http.StatusForbidden, s.request(t, http.MethodGet, "/fn/echo/", nil).Status)
		s.allowPublicURL(t, "echo")
		r = s.request(t, http.MethodGet, "/fn/echo/", nil)
		assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	})

	t.Run("the request reaches the function", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path, contentType, body string
			rawPath, rawQuery                     string
			query                                 map[string]string
			eventBody                             string
			base64                                bool
		}{
			{name: "root", method: http.MethodGet, path: "/fn/echo/", rawPath: "/"},
			{name: "no slash", method: http.MethodGet, path: "/fn/echo", rawPath: "/"},
			{name: "path and query", method: http.MethodGet, path: "/fn/echo/a/b%20c/?x=1&y=two&x=3", rawPath: "/a/b%20c/", rawQuery: "x=1&y=two&x=3",
				query: map[string]string{"x": "1,3", "y": "two"}},
			{name: "text body", method: http.MethodPost, path: "/fn/echo/items", contentType: "application/json", body: `{"a":1}`, rawPath: "/items", eventBody: `{"a":1}`},
			{name: "binary body", method: http.MethodPut, path: "/fn/echo/blob", contentType: "application/octet-stream", body: "\x00\x01\xff", rawPath: "/blob",
				eventBody: "AAH/", base64: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := s.newRequest(t, tc.method, tc.path, []byte(tc.body))
				req.Header.Set("Content-Type", tc.contentType)
				req.Header.Set("X-Custom", "custom value")
				req.Header.Add("Cookie", "a=1; b=2")
				r := do(t, req)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "a bare JSON response")
				assert.NotEmpty(t, r.Header.Get("X-Amzn-Requestid"))
				ev := decode[urlEvent](t, r)
				assert.Equal(t, "2.0", ev.Version)
				assert.Equal(t, tc.rawPath, ev.RawPath)
				assert.Equal(t, tc.rawPath, ev.RequestContext.HTTP.Path)
				assert.Equal(t, tc.rawQuery, ev.RawQueryString)
				assert.Equal(t, tc.query, ev.QueryParameters)
				assert.Equal(t, tc.method, ev.RequestContext.HTTP.Method)
				assert.Equal(t, "custom value", ev.Headers["x-custom"])
				assert.Equal(t, []string{"a=1", "b=2"}, ev.Cookies)
				assert.Equal(t, "anonymous", ev.RequestContext.AccountID)
				assert.Nil(t, ev.RequestContext.Authorizer)
				assert.Equal(t, tc.eventBody, ev.Body)
				assert.Equal(t, tc.base64, ev.IsBase64Encoded)
			})
		}
	})

	t.Run("structured response", func(t *testing.T) {
		s.deploy(t, "structured", testguest.File(t, "gateway/testdata/urlresponse.wasm"))
		s.createURL(t, "structured", types.FunctionUrlAuthTypeNone)
		s.allowPublicURL(t, "structured")
		r := s.request(t, http.MethodGet, "/fn/structured/", nil)
		assert.Equal(t, http.StatusCreated, r.Status)
		assert.Equal(t, "text/plain; charset=utf-8", r.Header.Get("Content-Type"))
		assert.Equal(t, "yes", r.Header.Get("X-Flint-Test"))
		assert.Equal(t, []string{"a=1; Path=/", "b=2; HttpOnly"}, r.Header.Values("Set-Cookie"))
		assert.Equal(t, "hello, world", string(r.Body), "the base64 body decoded")
	})

	t.Run("bad gateway", func(t *testing.T) {
		for name, code := range map[string][]byte{"fails": wasm(t, "fail"), "traps": wasm(t, "unreachable"), "not-json": wasm(t, "env")} {
			s.deploy(t, name, code)
			s.createURL(t, name, types.FunctionUrlAuthTypeNone)
			s.allowPublicURL(t, name)
			r := s.request(t, http.MethodPost, "/fn/"+name+"/", []byte(`{}`))
			assert.Equal(t, http.StatusBadGateway, r.Status, name)
			assert.Equal(t, "Internal Server Error", r.message(), name)
		}
	})

	t.Run("not found", func(t *testing.T) {
		s.deploy(t, "nourl", echo)
		s.allowPublicURL(t, "nourl")
		for _, path := range []string{"/fn/nosuch/", "/fn/nourl/", "/fn/echo:live/", "/fn/echo:/", "/fn/a:b:c/", "/fn/", "/fn//x", "/fn/bad%20name/"} {
			r := s.request(t, http.MethodGet, path, nil)
			assert.Equal(t, http.StatusNotFound, r.Status, path)
			assert.Equal(t, "Not Found", r.message(), path)
		}
	})

	t.Run("alias URL", func(t *testing.T) {
		_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("echo")})
		require.NoError(t, err)
		_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
		require.NoError(t, err)
		s.createURL(t, "echo:live", types.FunctionUrlAuthTypeNone)
		r := s.request(t, http.MethodGet, "/fn/echo:live/status?verbose=1", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		ev := decode[urlEvent](t, r)
		assert.Equal(t, "/status", ev.RawPath)
		assert.Equal(t, "verbose=1", ev.RawQueryString)
		assert.Equal(t, http.StatusNotFound, s.request(t, http.MethodGet, "/fn/echo:1/", nil).Status, "versions have no URL")
	})
}

func TestFunctionURLAuthIAM(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "echo", testguest.WATEcho(t))
	s.createURL(t, "echo", types.FunctionUrlAuthTypeAwsIam)
	signed := func(key, method, path, body string) response {
		t.Helper()
		req := s.newRequest(t, method, path, []byte(body))
		k := adminKey
		if key == "invoker" {
			k = invokerKey
		}
		sign(t, req, k, []byte(body), time.Now())
		return do(t, req)
	}

	r := s.request(t, http.MethodGet, "/fn/echo/x", nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "unsigned")
	assert.Equal(t, "Forbidden", r.message())

	r = signed("admin", http.MethodPost, "/fn/echo/x?q=1", `{"a":1}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	ev := decode[urlEvent](t, r)
	require.NotNil(t, ev.RequestContext.Authorizer)
	assert.Equal(t, adminKey.AccessKeyID, ev.RequestContext.Authorizer.IAM.AccessKey)
	assert.Equal(t, "000000000000", ev.RequestContext.AccountID)
	assert.Equal(t, `{"a":1}`, ev.Body)

	assert.Equal(t, http.StatusForbidden, signed("invoker", http.MethodGet, "/fn/echo/x", "").Status, "no permission")
	// A tampered request is refused like an unsigned one.
	req := s.newRequest(t, http.MethodPost, "/fn/echo/x", []byte(`{"a":1}`))
	sign(t, req, adminKey, []byte(`{"a":2}`), time.Now())
	assert.Equal(t, http.StatusForbidden, do(t, req).Status, "tampered")

	// A public statement is for NONE URLs: it does not admit the invoker here.
	s.allowPublicURL(t, "echo")
	assert.Equal(t, http.StatusForbidden, signed("invoker", http.MethodGet, "/fn/echo/x", "").Status)
	_, err := s.client(adminKey).AddPermission(context.Background(), &lambda.AddPermissionInput{FunctionName: aws.String("echo"), StatementId: aws.String("invoker"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String(invokerKey.AccessKeyID), FunctionUrlAuthType: types.FunctionUrlAuthTypeAwsIam})
	require.NoError(t, err)
	r = signed("invoker", http.MethodGet, "/fn/echo/x", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, invokerKey.AccessKeyID, decode[urlEvent](t, r).RequestContext.Authorizer.IAM.AccessKey)
	assert.Equal(t, http.StatusForbidden, s.request(t, http.MethodGet, "/fn/echo/x", nil).Status, "still not unsigned")
}

func TestFunctionURLHTTPApp(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join(testguest.Root(t), "guest-examples", "httpapp")); err != nil {
		t.Skip("guest-examples/httpapp is not there yet")
	}
	s := startServer(t, false)
	s.deploy(t, "httpapp", testguest.Go(t, "httpapp"))
	s.createURL(t, "httpapp", types.FunctionUrlAuthTypeNone)
	s.allowPublicURL(t, "httpapp")

	r := s.request(t, http.MethodGet, "/fn/httpapp/hello/ana", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"message":"Hello, ana!"}`, string(r.Body))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))

	r = s.request(t, http.MethodGet, "/fn/httpapp/", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Contains(t, string(r.Body), "You have been here 1 time.")
	require.Len(t, r.Header.Values("Set-Cookie"), 1)
	assert.True(t, strings.HasPrefix(r.Header.Get("Set-Cookie"), "visits=1;"), r.Header.Get("Set-Cookie"))
	req := s.newRequest(t, http.MethodGet, "/fn/httpapp/", nil)
	req.Header.Set("Cookie", "visits=4")
	r = do(t, req)
	assert.Contains(t, string(r.Body), "You have been here 5 times.")

	req = s.newRequest(t, http.MethodGet, "/fn/httpapp/headers?x=1", nil)
	req.Header.Set("X-Request-Tag", "t1")
	r = do(t, req)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, []string{"t1"}, decode[map[string][]string](t, r)["X-Request-Tag"])

	req = s.newRequest(t, http.MethodPost, "/fn/httpapp/echo", []byte("\x00\x01binary\xff"))
	req.Header.Set("Content-Type", "application/octet-stream")
	r = do(t, req)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "\x00\x01binary\xff", string(r.Body))
	assert.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"))

	assert.Equal(t, http.StatusNotFound, s.request(t, http.MethodGet, "/fn/httpapp/nope", nil).Status)
	assert.Equal(t, http.StatusMethodNotAllowed, s.request(t, http.MethodDelete, "/fn/httpapp/echo", nil).Status)
}
