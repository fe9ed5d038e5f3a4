package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClusterNodeThatLosesNATS takes a node's NATS server away: the node
// goes on serving the functions it has, refuses changes with a clear
// error, and catches up with the changes made meanwhile once NATS is back.
func TestClusterNodeThatLosesNATS(t *testing.T) {
	c := startFlintCluster(t, 3)
	a, cut := c.nodes[0], c.nodes[2]
	ctx := context.Background()
	_, err := a.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("env"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: envGuest(t)},
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "one"}},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return invokeEnv(t, cut, "env")["STAGE"] == "one" }, settle, tick)

	c.nats.Stop(2)
	require.Eventually(t, func() bool { return !cut.nc.IsConnected() }, settle, tick)

	for range 20 {
		assert.Equal(t, "one", invokeEnv(t, cut, "env")["STAGE"], "the cut-off node serves what it has")
	}
	_, err = cut.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "cut"}},
	})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "a change on the cut-off node fails: %v", err)
	assert.Equal(t, "ServiceUnavailableException", apiErr.ErrorCode())
	assert.Contains(t, apiErr.ErrorMessage(), "refuses changes until it can")

	// The others, a majority, go on taking changes.
	require.Eventually(t, func() bool {
		_, err := a.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}},
		})
		return err == nil
	}, settle, 100*time.Millisecond, "the majority takes a change")
	assert.Equal(t, "one", invokeEnv(t, cut, "env")["STAGE"])

	c.nats.Start(2)
	require.Eventually(t, func() bool { return invokeEnv(t, cut, "env")["STAGE"] == "two" }, time.Minute, 20*time.Millisecond,
		"the node catches up once NATS is back")
	_, err = cut.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "three"}},
	})
	require.NoError(t, err, "and takes changes again")
	require.Eventually(t, func() bool { return invokeEnv(t, a, "env")["STAGE"] == "three" }, settle, tick)
}
