package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPermissions(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	admin, invoker := s.client(adminKey), s.client(invokerKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	_, err := admin.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = admin.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)
	invoke := func(target string) error {
		_, err := invoker.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(target), Payload: []byte(`{}`)})
		return err
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:function:fn"

	var nf *types.ResourceNotFoundException
	_, err = admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf, "no policy yet")
	err = invoke("fn")
	assert.Equal(t, "AccessDeniedException", apiCode(err))
	assert.ErrorContains(t, err, "is not authorized to perform: lambda:InvokeFunction on resource: "+arn)

	added, err := admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("invoker"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(invokerKey.AccessKeyID)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Sid":"invoker","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+arn+`","Principal":{"AWS":"`+invokerKey.AccessKeyID+`"}}`,
		aws.ToString(added.Statement))
	require.NoError(t, invoke("fn"))
	require.NoError(t, invoke("fn:live"), "an unqualified statement covers the versions and aliases")

	// The invoker may invoke, nothing more.
	_, err = invoker.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	assert.Equal(t, "AccessDeniedException", apiCode(err))
	_, err = invoker.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("me"),
		Action: aws.String("lambda:*"), Principal: aws.String("*")})
	assert.Equal(t, "AccessDeniedException", apiCode(err))

	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("url"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
	require.NoError(t, err)
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("live-only"), Qualifier: aws.String("live"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("000000000000"), SourceArn: aws.String("arn:aws:events:us-east-1:000000000000:rule/x")})
	require.NoError(t, err)

	got, err := admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.NotEmpty(t, aws.ToString(got.RevisionId))
	assert.JSONEq(t, `{"Version":"2012-10-17","Id":"default","Statement":[
		{"Sid":"invoker","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+arn+`","Principal":{"AWS":"`+invokerKey.AccessKeyID+`"}},
		{"Sid":"url","Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"`+arn+`","Principal":"*",
		 "Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`, aws.ToString(got.Policy))
	live, err := admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Id":"default","Statement":[
		{"Sid":"live-only","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+arn+`:live","Principal":{"AWS":"000000000000"},
		 "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:000000000000:rule/x"}}}]}`, aws.ToString(live.Policy))

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			in   lambda.AddPermissionInput
			want string
		}{
			{name: "same statement id", in: lambda.AddPermissionInput{StatementId: aws.String("invoker"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")},
				want: "ResourceConflictException"},
			{name: "bad statement id", in: lambda.AddPermissionInput{StatementId: aws.String("a b"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")},
				want: "InvalidParameterValueException"},
			{name: "other action", in: lambda.AddPermissionInput{StatementId: aws.String("x"), Action: aws.String("lambda:DeleteFunction"), Principal: aws.String("*")},
				want: "InvalidParameterValueException"},
			{name: "bad auth type", in: lambda.AddPermissionInput{StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
				FunctionUrlAuthType: "OPEN"}, want: "InvalidParameterValueException"},
			{name: "no function", in: lambda.AddPermissionInput{FunctionName: aws.String("nosuch"), StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"),
				Principal: aws.String("*")}, want: "ResourceNotFoundException"},
			{name: "no version", in: lambda.AddPermissionInput{Qualifier: aws.String("9"), StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"),
				Principal: aws.String("*")}, want: "ResourceNotFoundException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.in.FunctionName == nil {
					tc.in.FunctionName = aws.String("fn")
				}
				_, err := admin.AddPermission(ctx, &tc.in)
				assert.Equal(t, tc.want, apiCode(err), "%v", err)
			})
		}
		_, err := admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("nosuch")})
		require.ErrorAs(t, err, &nf)
		_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("live-only")})
		require.ErrorAs(t, err, &nf, "the statement is the alias's")
	})

	_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("invoker")})
	require.NoError(t, err)
	assert.Equal(t, "AccessDeniedException", apiCode(invoke("fn")))
	require.NoError(t, invoke("fn:live"), "the account principal, on the alias")
	assert.Equal(t, "AccessDeniedException", apiCode(invoke("fn:1")))
	_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("live-only"), Qualifier: aws.String("live")})
	require.NoError(t, err)
	assert.Equal(t, "AccessDeniedException", apiCode(invoke("fn:live")))

	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("everyone"),
		Action: aws.String("lambda:*"), Principal: aws.String("*")})
	require.NoError(t, err)
	require.NoError(t, invoke("fn"), `Principal "*"`)

	// A signed key is still needed: "*" means every key, not no key.
	r := s.request(t, http.MethodPost, "/2015-03-31/functions/fn/invocations", []byte(`{}`))
	assert.Equal(t, http.StatusForbidden, r.Status)
	assert.Equal(t, "MissingAuthenticationTokenException", r.errorType())

	// Left: the URL statement and everyone's.
	var doc struct{ Statement []json.RawMessage }
	got, err = admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(got.Policy)), &doc))
	assert.Len(t, doc.Statement, 2)
}

// TestRecreatedFunction checks that a function deleted and created again
// under the same name starts with no invoke policy and no URL: nothing of
// its predecessor's grants survives.
func TestRecreatedFunction(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	admin := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	s.deploy(t, "fn", echo)
	s.createURL(t, "fn", types.FunctionUrlAuthTypeNone)
	s.allowPublicURL(t, "fn")
	_, err := admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("invoker"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(invokerKey.AccessKeyID)})
	require.NoError(t, err)
	_, err = s.client(invokerKey).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, s.request(t, http.MethodGet, "/fn/fn/", nil).Status)

	_, err = admin.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	s.deploy(t, "fn", echo)
	_, err = s.client(invokerKey).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn")})
	assert.Equal(t, "AccessDeniedException", apiCode(err))
	assert.Equal(t, http.StatusNotFound, s.request(t, http.MethodGet, "/fn/fn/", nil).Status)
	_, err = admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err))
}
