package gateway

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouter(t *testing.T) {
	r := newRouter(routes[:])
	tests := []struct {
		name, method, path string
		op                 string // "" when no route matches
		status             int    // when none matches
		params             map[string]string
	}{
		{name: "list functions", method: "GET", path: "/2015-03-31/functions", op: "ListFunctions"},
		{name: "a trailing slash", method: "GET", path: "/2015-03-31/functions/", op: "ListFunctions"},
		{name: "create", method: "POST", path: "/2015-03-31/functions", op: "CreateFunction"},
		{name: "invoke", method: "POST", path: "/2015-03-31/functions/fn:live/invocations", op: "Invoke",
			params: map[string]string{"fn": "fn:live"}},
		{name: "an ARN", method: "GET", path: "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:fn", op: "GetFunction",
			params: map[string]string{"fn": "arn:aws:lambda:us-east-1:000000000000:function:fn"}},
		{name: "alias", method: "DELETE", path: "/2015-03-31/functions/fn/aliases/live", op: "DeleteAlias",
			params: map[string]string{"fn": "fn", "alias": "live"}},
		{name: "API version decides", method: "GET", path: "/2019-09-30/functions/fn/concurrency", op: "GetFunctionConcurrency"},
		{name: "API version of another operation", method: "GET", path: "/2017-10-31/functions/fn/concurrency", status: http.StatusMethodNotAllowed},
		{name: "unknown API version", method: "GET", path: "/2099-01-01/functions", status: http.StatusNotFound},
		{name: "wrong method", method: "PATCH", path: "/2015-03-31/functions/fn", status: http.StatusMethodNotAllowed},
		{name: "unknown sub-resource", method: "GET", path: "/2015-03-31/functions/fn/nope", status: http.StatusNotFound},
		{name: "too deep", method: "GET", path: "/2015-03-31/functions/fn/aliases/a/b", status: http.StatusNotFound},
		{name: "an empty segment", method: "GET", path: "/2015-03-31/functions//aliases", status: http.StatusNotFound},
		{name: "root", method: "GET", path: "/", status: http.StatusNotFound},
		{name: "function URL root", method: "PUT", path: "/fn/app", op: "InvokeFunctionUrl", params: map[string]string{"target": "app"}},
		{name: "function URL path", method: "DELETE", path: "/fn/app:live/a/b/c", op: "InvokeFunctionUrl",
			params: map[string]string{"target": "app:live", "path": "a/b/c"}},
		{name: "health", method: "GET", path: "/healthz", op: "Health"},
		{name: "redrive", method: "POST", path: "/flint/v1/dead-letters/abc/redrive", op: "RedriveDeadLetter", params: map[string]string{"id": "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p params
			rt, status := r.match(tt.method, tt.path, &p)
			if tt.op == "" {
				assert.Nil(t, rt)
				assert.Equal(t, tt.status, status)
				return
			}
			require.NotNil(t, rt, "status %d", status)
			assert.Equal(t, tt.op, rt.op)
			for name, want := range tt.params {
				assert.Equal(t, want, p.get(name), name)
			}
		})
	}
}

func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		assert.False(t, seen[key], "%s is in the table twice", key)
		seen[key] = true
		assert.NotEmpty(t, rt.op, key)
		assert.NotNil(t, rt.handle, key)
	}
}

func BenchmarkRouterInvoke(b *testing.B) {
	r := newRouter(routes[:])
	b.ReportAllocs()
	for b.Loop() {
		var p params
		if rt, _ := r.match("POST", "/2015-03-31/functions/my-function/invocations", &p); rt == nil {
			b.Fatal("no route")
		}
	}
}

func TestSubjectMatches(t *testing.T) {
	for _, tt := range []struct {
		filter, subject string
		want            bool
	}{
		{"orders", "orders", true},
		{"orders", "orders.eu", false},
		{"orders.>", "orders.eu", true},
		{"orders.>", "orders.eu.de", true},
		{"orders.>", "orders", false},
		{"orders.*", "orders.eu", true},
		{"orders.*", "orders.eu.de", false},
		{"*.eu", "orders.eu", true},
		{"*.eu", "orders.us", false},
		{">", "anything.at.all", true},
	} {
		assert.Equal(t, tt.want, subjectMatches(tt.filter, tt.subject), "%s ~ %s", tt.filter, tt.subject)
	}
}
