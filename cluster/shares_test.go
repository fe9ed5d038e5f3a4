package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/internal/testguest"
)

// shareSum is the sum of the running nodes' shares of a limit of n for
// function fn.
func shareSum(nodes []*flintNode, fn string, n int) (sum int) {
	for _, node := range nodes {
		if !node.stopped {
			sum += node.member.Share(fn, n)
		}
	}
	return sum
}

// TestClusterReservedConcurrencyShares sets a reserved concurrency through
// one node and finds it divided among the live nodes, and divided again
// when a node leaves and when one joins; it measures how far the sum of
// the shares goes over the limit while a joining node is being seen.
func TestClusterReservedConcurrencyShares(t *testing.T) {
	c := startFlintCluster(t, 3)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	_, err := a.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("sleep"), Role: aws.String(role),
		Code: &types.FunctionCode{ZipFile: testguest.File(t, "engine/testdata/sleep.wasm")}, Timeout: aws.Int32(30),
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := b.eng.Function("sleep"); return err == nil }, settle, tick)
	_, err = b.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("sleep"), ReservedConcurrentExecutions: aws.Int32(3)})
	require.NoError(t, err)
	for _, n := range c.nodes {
		require.Eventually(t, func() bool {
			s, err := n.eng.Settings("sleep")
			return err == nil && s.ReservedConcurrency != nil
		}, settle, tick)
	}
	for limit := range 10 {
		assert.Equal(t, limit, shareSum(c.nodes, "sleep", limit), "the shares of %d add up", limit)
	}

	// Each node holds one of the three: a second invocation at once on a
	// node is throttled there while another node still runs one.
	held := make(chan error, 1)
	go func() {
		_, err := a.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("1500")})
		held <- err
	}()
	require.Eventually(t, func() bool { s, _ := a.eng.Stats("sleep"); return s.Busy == 1 }, settle, tick)
	_, err = a.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("0")})
	var throttled *types.TooManyRequestsException
	require.True(t, errors.As(err, &throttled), "a's share of 1 is taken: %v", err)
	assert.Contains(t, *throttled.Message, "this node's share")
	_, err = b.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("0")})
	require.NoError(t, err, "b has a share of its own")
	require.NoError(t, <-held)

	// A node leaves: the two left hold the three between them.
	c.nodes[2].stop(t)()
	require.Eventually(t, func() bool {
		return a.member.Share("sleep", 3)+b.member.Share("sleep", 3) == 3 && len(a.member.Members(ctx)) == 2
	}, settle, tick, "the leaver's share goes to the others")

	// A node joins: its share counts from its first heartbeat, the
	// others' until they see it, so the shares add up to more than the
	// limit meanwhile. A member alone (no engine behind it, so that its
	// share counts at once) measures how much, and for how long; a real
	// node's engine starts after its first heartbeat.
	nc := c.nats.Connect(2)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	st, err := jsstore.New(ctx, js, jsstore.Options{Prefix: c.prefix, Replicas: 3})
	require.NoError(t, err)
	defer st.Close()
	start := time.Now()
	joiner, err := cluster.Join(ctx, cluster.Config{Name: "joiner", Store: st, Conn: nc, JetStream: js,
		Prefix: c.prefix, Heartbeat: testHeartbeat})
	require.NoError(t, err)
	defer joiner.Leave(ctx)
	sum := func() int { return a.member.Share("sleep", 3) + b.member.Share("sleep", 3) + joiner.Share("sleep", 3) }
	over, overFor := 0, time.Duration(0)
	for s := sum(); s != 3; s = sum() {
		over, overFor = max(over, s-3), time.Since(start)
		require.Less(t, overFor, settle, "the shares settle")
		time.Sleep(50 * time.Microsecond)
	}
	t.Logf("a member joined: the shares of 3 went over by at most %d, for %v after its first heartbeat", over, overFor)
	assert.LessOrEqual(t, over, 1, "at most the joiner's own share over")
}
