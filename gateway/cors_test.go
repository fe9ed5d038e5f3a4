package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corsRequest sends an unsigned request to a function URL path with the
// given headers (name, value, name, value...).
func (s *server) corsRequest(t testing.TB, method, path string, headers ...string) response {
	t.Helper()
	req := s.newRequest(t, method, path, nil)
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

// corsOf is the CORS headers of a response, "" for those absent.
func corsOf(r response) map[string]string {
	out := map[string]string{}
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Max-Age"} {
		if v := r.Header.Get(h); v != "" {
			out[h] = v
		}
	}
	return out
}

func TestFunctionURLCORS(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	configure := func(t *testing.T, name string, c *types.Cors, auth types.FunctionUrlAuthType) {
		t.Helper()
		s.deploy(t, name, testguest.File(t, "gateway/testdata/corsy.wasm"))
		_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: auth, Cors: c})
		require.NoError(t, err)
		if auth == types.FunctionUrlAuthTypeNone {
			s.allowPublicURL(t, name)
		}
	}
	configure(t, "strict", &types.Cors{
		AllowOrigins:     []string{"https://app.example.com", "http://localhost:3000"},
		AllowMethods:     []string{"GET", "POST"},
		AllowHeaders:     []string{"content-type", "x-token"},
		ExposeHeaders:    []string{"x-secret"},
		MaxAge:           aws.Int32(600),
		AllowCredentials: aws.Bool(true),
	}, types.FunctionUrlAuthTypeNone)
	configure(t, "open", &types.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}}, types.FunctionUrlAuthTypeNone)
	configure(t, "wildcred", &types.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET"}, AllowCredentials: aws.Bool(true)},
		types.FunctionUrlAuthTypeNone)
	configure(t, "iam", &types.Cors{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}}, types.FunctionUrlAuthTypeAwsIam)
	configure(t, "none", nil, types.FunctionUrlAuthTypeNone)

	preflight := func(path, origin, method string) response {
		return s.corsRequest(t, http.MethodOptions, path, "Origin", origin, "Access-Control-Request-Method", method,
			"Access-Control-Request-Headers", "content-type")
	}
	t.Run("preflight", func(t *testing.T) {
		for _, tc := range []struct {
			name           string
			path           string
			origin, method string
			want           map[string]string
		}{
			{"every field", "/fn/strict/x", "https://app.example.com", "POST", map[string]string{
				"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET,POST",
				"Access-Control-Allow-Headers": "content-type,x-token", "Access-Control-Max-Age": "600",
				"Access-Control-Allow-Credentials": "true",
			}},
			{"another allowed origin", "/fn/strict/", "http://localhost:3000", "GET", map[string]string{
				"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Methods": "GET,POST",
				"Access-Control-Allow-Headers": "content-type,x-token", "Access-Control-Max-Age": "600",
				"Access-Control-Allow-Credentials": "true",
			}},
			{"origins match without regard to case", "/fn/strict/", "HTTPS://APP.EXAMPLE.COM", "GET", map[string]string{
				"Access-Control-Allow-Origin": "HTTPS://APP.EXAMPLE.COM", "Access-Control-Allow-Methods": "GET,POST",
				"Access-Control-Allow-Headers": "content-type,x-token", "Access-Control-Max-Age": "600",
				"Access-Control-Allow-Credentials": "true",
			}},
			{"an origin not listed", "/fn/strict/", "https://evil.example.com", "GET", map[string]string{}},
			{"a subdomain is another origin", "/fn/strict/", "https://x.app.example.com", "GET", map[string]string{}},
			{"another scheme is another origin", "/fn/strict/", "http://app.example.com", "GET", map[string]string{}},
			{"another port is another origin", "/fn/strict/", "http://localhost:3001", "GET", map[string]string{}},
			{"a suffix is not a match", "/fn/strict/", "https://app.example.com.evil.com", "GET", map[string]string{}},
			{"the null origin", "/fn/strict/", "null", "GET", map[string]string{}},
			{"a method not allowed", "/fn/strict/", "https://app.example.com", "DELETE", map[string]string{}},
			{"any origin, any method", "/fn/open/", "https://anyone.test", "PATCH", map[string]string{
				"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*",
			}},
			{"any origin with credentials: the origin itself", "/fn/wildcred/", "https://anyone.test", "GET", map[string]string{
				"Access-Control-Allow-Origin": "https://anyone.test", "Access-Control-Allow-Methods": "GET",
				"Access-Control-Allow-Credentials": "true",
			}},
			{"an AWS_IAM URL answers unsigned preflights", "/fn/iam/", "https://app.example.com", "PUT", map[string]string{
				"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "PUT",
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := preflight(tc.path, tc.origin, tc.method)
				assert.Equal(t, http.StatusOK, r.Status)
				assert.Equal(t, tc.want, corsOf(r))
				assert.Empty(t, r.Header.Get("X-Secret"), "the function was not invoked")
			})
		}
		before, err := s.Engine.Stats("strict")
		require.NoError(t, err)
		preflight("/fn/strict/", "https://app.example.com", "GET")
		after, err := s.Engine.Stats("strict")
		require.NoError(t, err)
		assert.Equal(t, before.Invocations, after.Invocations, "preflights do not invoke")
	})

	t.Run("simple requests", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			method string
			path   string
			origin string
			status int
			want   map[string]string
		}{
			{"allowed origin", "GET", "/fn/strict/x", "https://app.example.com", http.StatusOK, map[string]string{
				"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "x-secret",
				"Access-Control-Allow-Credentials": "true",
			}},
			{"origin not allowed: the function's own header is removed too", "GET", "/fn/strict/x", "https://evil.example.com", http.StatusOK,
				map[string]string{}},
			{"no origin: no CORS headers", "GET", "/fn/strict/x", "", http.StatusOK, map[string]string{}},
			{"any origin", "POST", "/fn/open/", "https://anyone.test", http.StatusOK, map[string]string{"Access-Control-Allow-Origin": "*"}},
			{"errors carry them too", "GET", "/fn/iam/", "https://app.example.com", http.StatusForbidden,
				map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
			{"without Cors, the function's headers stand", "GET", "/fn/none/", "https://evil.example.com", http.StatusOK,
				map[string]string{"Access-Control-Allow-Origin": "*"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var headers []string
				if tc.origin != "" {
					headers = []string{"Origin", tc.origin}
				}
				r := s.corsRequest(t, tc.method, tc.path, headers...)
				assert.Equal(t, tc.status, r.Status, "%s", r.Body)
				assert.Equal(t, tc.want, corsOf(r))
			})
		}
		r := s.corsRequest(t, http.MethodGet, "/fn/strict/", "Origin", "https://app.example.com")
		assert.Contains(t, r.Header.Values("Vary"), "Origin", "a response that names an origin varies by it")
	})

	t.Run("OPTIONS without Cors reaches the function", func(t *testing.T) {
		r := preflight("/fn/none/", "https://app.example.com", "GET")
		assert.Equal(t, "s", r.Header.Get("X-Secret"), "the function answered")
	})

	t.Run("refused configurations", func(t *testing.T) {
		for name, c := range map[string]*types.Cors{
			"an origin with a path":  {AllowOrigins: []string{"https://a.test/path"}},
			"an origin with no host": {AllowOrigins: []string{"https://"}},
			"a method too long":      {AllowMethods: []string{"GETTING"}},
			"a header with a space":  {AllowHeaders: []string{"x token"}},
			"max age over a day":     {MaxAge: aws.Int32(86401)},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("none"), Cors: c})
				assert.Equal(t, "InvalidParameterValueException", apiCode(err), "%v", err)
			})
		}
	})
}
