package gateway_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTags(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()

	created, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("fn"), Role: aws.String(defaultRole), Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
		Tags: map[string]string{"team": "edge", "stage": "dev"},
	})
	require.NoError(t, err)
	arn := aws.ToString(created.FunctionArn)

	list := func() map[string]string {
		t.Helper()
		out, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
		require.NoError(t, err)
		return out.Tags
	}
	assert.Equal(t, map[string]string{"team": "edge", "stage": "dev"}, list(), "CreateFunction keeps its Tags")
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "edge", "stage": "dev"}, fn.Tags, "and GetFunction returns them")

	_, err = lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"stage": "prod", "owner": "me"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "edge", "stage": "prod", "owner": "me"}, list(), "TagResource adds and replaces")

	_, err = lc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team", "nosuch"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"stage": "prod", "owner": "me"}, list(), "UntagResource removes")

	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	fn, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"stage": "prod", "owner": "me"}, fn.Tags, "a version shows its function's tags")

	t.Run("refused", func(t *testing.T) {
		var ip *types.InvalidParameterValueException
		_, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"aws:x": "v"}})
		require.ErrorAs(t, err, &ip)
		assert.Contains(t, ip.ErrorMessage(), "reserved")
		_, err = lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn + ":1"), Tags: map[string]string{"k": "v"}})
		require.ErrorAs(t, err, &ip)
		assert.Contains(t, ip.ErrorMessage(), "unqualified")
		var nf *types.ResourceNotFoundException
		_, err = lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:000000000000:function:nosuch")})
		require.ErrorAs(t, err, &nf)
		_, err = lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String("bad"), Role: aws.String(defaultRole), Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
			Tags: map[string]string{"aws:x": "v"},
		})
		require.ErrorAs(t, err, &ip)
		_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("bad")})
		require.ErrorAs(t, err, &nf, "a create with bad tags creates nothing")
		_, err = s.client(invokerKey).ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
		assert.Equal(t, "AccessDeniedException", apiCode(err), "tags are an admin's")
	})
}
