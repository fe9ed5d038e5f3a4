package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// role is a role as /flint/v1/roles/NAME answers.
type role struct {
	Name             string
	Arn              string
	Policy           json.RawMessage
	UpdatedFunctions []string
}

// putRole sets role name's policy document through the Flint API.
func (s *server) putRole(t testing.TB, name, doc string) role {
	t.Helper()
	r := s.signedRequest(t, adminKey, http.MethodPut, "/flint/v1/roles/"+name, []byte(doc))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	return decode[role](t, r)
}

const (
	denyAll      = `{"Version":"2026-11-01","Statement":[]}`
	kvCounterDoc = `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["kv:Get","kv:Put"],"Resource":["kv:counters/*"]}]}`
)

func TestRoles(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	ctx := context.Background()

	put := s.putRole(t, "counter", denyAll)
	assert.Equal(t, "counter", put.Name)
	assert.Equal(t, roleArn("counter"), put.Arn)
	assert.Empty(t, put.UpdatedFunctions)

	s.deployRole(t, "kvcounter", testguest.Go(t, "kvcounter"), roleArn("counter"))
	out := s.invoke(t, "kvcounter", `{"key":"x"}`)
	assert.Equal(t, "Handled", aws.ToString(out.FunctionError), "denied by the role: %s", out.Payload)
	assert.Contains(t, string(out.Payload), "kv:Get on kv:counters/x")
	assert.Contains(t, string(out.Payload), "denied")

	// Updating the role applies to the functions that use it.
	put = s.putRole(t, "counter", kvCounterDoc)
	assert.Equal(t, []string{"kvcounter"}, put.UpdatedFunctions)
	assert.JSONEq(t, kvCounterDoc, string(put.Policy))
	for want := 1; want <= 2; want++ {
		out = s.invoke(t, "kvcounter", `{"key":"x"}`)
		require.Nil(t, out.FunctionError, "%s", out.Payload)
		assert.JSONEq(t, fmt.Sprintf(`{"key":"x","count":%d}`, want), string(out.Payload))
	}

	got := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/roles/counter", nil)
	require.Equal(t, http.StatusOK, got.Status)
	assert.JSONEq(t, kvCounterDoc, string(decode[role](t, got).Policy))

	list := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/roles", nil)
	require.Equal(t, http.StatusOK, list.Status)
	var names []string
	for _, r := range decode[struct{ Roles []role }](t, list).Roles {
		names = append(names, r.Name)
		assert.Equal(t, roleArn(r.Name), r.Arn)
	}
	assert.Equal(t, []string{"counter", "default"}, names)

	t.Run("deleting a role in use", func(t *testing.T) {
		r := s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/roles/counter", nil)
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Equal(t, "ResourceConflictException", r.errorType())
		assert.Contains(t, r.message(), "kvcounter")
		r = s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/roles/default", nil)
		assert.Equal(t, http.StatusConflict, r.Status)
	})

	t.Run("a function moves to the default role", func(t *testing.T) {
		_, err := s.client(adminKey).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("kvcounter"),
			Role: aws.String(defaultRole)})
		require.NoError(t, err)
		out := s.invoke(t, "kvcounter", `{"key":"x"}`)
		assert.Equal(t, "Handled", aws.ToString(out.FunctionError), "the default role allows nothing")
		assert.Contains(t, string(out.Payload), "denied")
		assert.Equal(t, http.StatusNoContent, s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/roles/counter", nil).Status, "no longer used")
		r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/roles/counter", nil)
		assert.Equal(t, http.StatusNotFound, r.Status)
		assert.Equal(t, "ResourceNotFoundException", r.errorType())
		r = s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/roles/counter", nil)
		assert.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
	})

	t.Run("invalid documents", func(t *testing.T) {
		for _, tc := range []struct{ name, doc, msg string }{
			{name: "not JSON", doc: `not json`, msg: "invalid JSON at line 1"},
			{name: "empty", doc: ``, msg: "the document is empty"},
			{name: "no statements", doc: `{}`, msg: "Statement: is missing"},
			{name: "IAM version", doc: `{"Version":"2012-10-17","Statement":[]}`, msg: `Version "2012-10-17"`},
			{name: "bad effect", doc: `{"Statement":[{"Effect":"Maybe","Action":"kv:Get","Resource":"kv:a/*"}]}`, msg: `Effect "Maybe"`},
			{name: "unknown action", doc: `{"Statement":[{"Effect":"Allow","Action":"kv:Fly","Resource":"kv:a/*"}]}`, msg: `Action "kv:Fly": is not a known action`},
			{name: "unknown resource", doc: `{"Statement":[{"Effect":"Allow","Action":"kv:Get","Resource":"s3:a/*"}]}`, msg: `Resource "s3:a/*"`},
			{name: "unknown field", doc: `{"Statement":[],"Extra":1}`, msg: "Extra: is not a known field"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.signedRequest(t, adminKey, http.MethodPut, "/flint/v1/roles/bad", []byte(tc.doc))
				assert.Equal(t, http.StatusBadRequest, r.Status)
				assert.Equal(t, "InvalidParameterValueException", r.errorType())
				assert.Contains(t, r.message(), tc.msg)
			})
		}
		assert.Equal(t, http.StatusNotFound, s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/roles/bad", nil).Status, "nothing stored")
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct{ name, method, path, code string }{
			{name: "bad name", method: http.MethodPut, path: "/flint/v1/roles/a%20b", code: "InvalidParameterValueException"},
			{name: "long name", method: http.MethodGet, path: "/flint/v1/roles/" + strings.Repeat("r", 65), code: "InvalidParameterValueException"},
			{name: "nested path", method: http.MethodGet, path: "/flint/v1/roles/a/b", code: "UnknownOperationException"},
			{name: "post to the list", method: http.MethodPost, path: "/flint/v1/roles", code: "MethodNotAllowedException"},
			{name: "patch a role", method: http.MethodPatch, path: "/flint/v1/roles/default", code: "MethodNotAllowedException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.signedRequest(t, adminKey, tc.method, tc.path, []byte(denyAll))
				assert.Equal(t, tc.code, r.errorType(), "%d %s", r.Status, r.Body)
				assert.GreaterOrEqual(t, r.Status, 400)
				assert.Less(t, r.Status, 500)
			})
		}
		r := s.signedRequest(t, invokerKey, http.MethodGet, "/flint/v1/roles", nil)
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, "AccessDeniedException", r.errorType())
	})
}
