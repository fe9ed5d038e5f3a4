package cluster_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
)

// deployEcho creates the WAT echo function on node 0 and waits until every
// node has it.
func deployEcho(t *testing.T, c *flintCluster) {
	t.Helper()
	_, err := c.nodes[0].lambda.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
	})
	require.NoError(t, err)
	for _, n := range c.nodes {
		require.Eventually(t, func() bool { _, err := n.eng.Function("echo"); return err == nil }, settle, tick)
	}
}

// invocations counts echo's invocations on each node, and in all.
func invocations(t *testing.T, c *flintCluster) ([]uint64, uint64) {
	t.Helper()
	per := make([]uint64, len(c.nodes))
	total := uint64(0)
	for i, n := range c.nodes {
		s, err := n.eng.Stats("echo")
		require.NoError(t, err)
		per[i] = s.Invocations
		total += s.Invocations
	}
	return per, total
}

// TestClusterSchedulesFireOncePerDueTime creates one-time schedules on
// every node, all due at the same second: each fires once in the cluster,
// not once per node, though every node waits for it.
func TestClusterSchedulesFireOncePerDueTime(t *testing.T) {
	c := startFlintCluster(t, 3)
	deployEcho(t, c)
	ctx := context.Background()
	// Far enough ahead that creating the schedules on a loaded machine
	// ends before it.
	due := time.Now().UTC().Add(8 * time.Second).Truncate(time.Second)
	const schedules = 12
	for i := range schedules {
		_, err := c.nodes[i%3].sched.Create(ctx, schedule.Schedule{
			Name:               fmt.Sprintf("once-%d", i),
			ScheduleExpression: "at(" + due.Format("2006-01-02T15:04:05") + ")",
			FlexibleTimeWindow: schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
			Target: schedule.Target{Arn: "arn:aws:lambda:us-east-1:000000000000:function:echo",
				RoleArn: "arn:aws:iam::000000000000:role/scheduler", Input: `{"schedule":"<aws.scheduler.schedule-arn>"}`},
		})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { _, total := invocations(t, c); return total >= schedules },
		time.Minute, 20*time.Millisecond, "every schedule fired")
	time.Sleep(2 * time.Second) // a second fire of any would land by now
	per, total := invocations(t, c)
	if !assert.Equal(t, uint64(schedules), total, "each due time fired once in the cluster (per node: %v)", per) {
		for _, n := range c.nodes {
			recs, _ := n.eng.Logs("echo", 0)
			for _, r := range recs {
				t.Logf("%s: %s %s %s", n.name, r.Time.Format("15:04:05.000000"), r.RequestID, bytes.TrimSpace(r.Text))
			}
			t.Logf("%s: async %+v; scheduler %+v", n.name, n.eng.Metrics(ctx).Async, n.sched.Stats())
		}
	}
	fired := uint64(0)
	for _, n := range c.nodes {
		fired += n.sched.Stats().Fired
	}
	assert.Equal(t, uint64(schedules), fired, "the nodes' schedulers fired %d in all", fired)
}

// TestClusterEventSourceMappingsShareTheirConsumer creates a mapping on
// one node and publishes to its stream: every record is handled, by more
// than one node, each pulling from the mapping's one durable consumer.
func TestClusterEventSourceMappingsShareTheirConsumer(t *testing.T) {
	c := startFlintCluster(t, 3)
	deployEcho(t, c)
	ctx := context.Background()
	a := c.nodes[0]
	_, err := a.js.CreateStream(ctx, jetstream.StreamConfig{Name: "orders", Subjects: []string{"orders.>"}, Replicas: 3})
	require.NoError(t, err)
	m, err := a.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("echo"), EventSourceArn: aws.String(a.sources.ARN("orders")), BatchSize: aws.Int32(1),
	})
	require.NoError(t, err)
	for _, n := range c.nodes[1:] {
		require.Eventually(t, func() bool { _, err := n.sources.Get(*m.UUID); return err == nil }, settle, tick,
			"%s runs the mapping too", n.name)
	}
	// Every node pulls: a pull request of each waits at the consumer (a
	// node that created the consumer while another did has its first one
	// dropped, and makes another within seconds).
	require.Eventually(t, func() bool {
		cons, err := a.js.Consumer(ctx, "orders", "flint-esm-"+*m.UUID)
		if err != nil {
			return false
		}
		ci, err := cons.Info(ctx)
		return err == nil && ci.NumWaiting >= len(c.nodes)
	}, settle, 50*time.Millisecond, "every node pulls")
	// A burst: a node's pull takes a few hundred records at a time, so a
	// trickle would all go to whichever node asks first.
	const records = 3000
	for i := range records {
		_, err := a.js.PublishAsync(fmt.Sprintf("orders.%d", i), fmt.Appendf(nil, `{"order":%d}`, i))
		require.NoError(t, err)
	}
	select {
	case <-a.js.PublishAsyncComplete():
	case <-time.After(settle):
		t.Fatal("the burst was not acknowledged")
	}
	var per []uint64
	require.Eventually(t, func() bool {
		var total uint64
		per, total = invocations(t, c)
		return total >= records
	}, time.Minute, 20*time.Millisecond, "every record handled")
	t.Logf("records handled per node: %v", per)
	busy := 0
	for _, n := range per {
		if n > 0 {
			busy++
		}
	}
	assert.GreaterOrEqual(t, busy, 2, "the nodes share the mapping's records: %v", per)
}
