package gateway_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

func TestSmokeSDK(t *testing.T) {
	s := startServer(t, false)
	ctx := context.Background()
	lc := s.client(adminKey)
	out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"),
		Role:         aws.String("arn:aws:iam::000000000000:role/default"),
		Code:         &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
	})
	require.NoError(t, err)
	t.Logf("%+v", *out.FunctionArn)
	inv, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"a":1}`), LogType: types.LogTypeTail})
	require.NoError(t, err)
	t.Logf("%s %v %s", inv.Payload, aws.ToString(inv.ExecutedVersion), aws.ToString(inv.LogResult))
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	_, err = s.client(invokerKey).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
	t.Logf("invoker: %v", err)
	require.Error(t, err)
}
