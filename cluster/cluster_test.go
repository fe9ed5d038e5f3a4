package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/internal/testguest"
)

const (
	role = "arn:aws:iam::000000000000:role/default"
	// settle bounds how long a change made on one node takes to reach the
	// others: measured in milliseconds (BenchmarkPropagation), bounded
	// generously for a machine running the whole suite under -race.
	settle = 30 * time.Second
	tick   = 5 * time.Millisecond
)

// invokeEnv invokes target on node n through the Lambda API and returns
// env.wasm's answer, or nil when the invocation failed.
func invokeEnv(t testing.TB, n *flintNode, target string) map[string]string {
	t.Helper()
	name, q, _ := strings.Cut(target, ":")
	in := &lambda.InvokeInput{FunctionName: aws.String(name)}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := n.lambda.Invoke(context.Background(), in)
	if err != nil || out.FunctionError != nil {
		return nil
	}
	return envOf(out.Payload)
}

// TestClusterServesEveryChangeEverywhere makes changes through each node's
// Lambda API and sees every node serve them: a function created on one
// node runs on the others, its update replaces their warm code, an alias
// set on one routes on another, a removal removes it everywhere.
func TestClusterServesEveryChangeEverywhere(t *testing.T) {
	c := startFlintCluster(t, 3)
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]
	ctx := context.Background()

	_, err := a.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("env"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: envGuest(t)},
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "one"}},
	})
	require.NoError(t, err)
	for _, n := range []*flintNode{b, cc} {
		require.Eventually(t, func() bool { return invokeEnv(t, n, "env")["STAGE"] == "one" }, settle, tick,
			"%s runs what %s created", n.name, a.name)
	}

	// b updates; a and c, warm on the old code, take the new.
	_, err = b.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}},
	})
	require.NoError(t, err)
	for _, n := range []*flintNode{a, cc} {
		require.Eventually(t, func() bool { return invokeEnv(t, n, "env")["STAGE"] == "two" }, settle, tick,
			"%s runs %s's update", n.name, b.name)
	}

	// Versions published on a; an alias made on c routes on a, and moves.
	v1, err := a.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("env")})
	require.NoError(t, err)
	_, err = a.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "three"}},
	})
	require.NoError(t, err)
	v2, err := a.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("env")})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := cc.eng.Function("env:" + *v2.Version); return err == nil }, settle, tick)
	_, err = cc.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("env"), Name: aws.String("live"),
		FunctionVersion: v1.Version})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return invokeEnv(t, a, "env:live")["AWS_LAMBDA_FUNCTION_VERSION"] == *v1.Version },
		settle, tick, "a routes c's alias")
	_, err = cc.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("env"), Name: aws.String("live"),
		FunctionVersion: v2.Version})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return invokeEnv(t, a, "env:live")["AWS_LAMBDA_FUNCTION_VERSION"] == *v2.Version },
		settle, tick, "a follows c moving the alias")

	// Deleted on b: gone everywhere.
	_, err = b.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("env")})
	require.NoError(t, err)
	for _, n := range []*flintNode{a, cc} {
		require.Eventually(t, func() bool {
			_, err := n.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("env")})
			var nf *types.ResourceNotFoundException
			return errors.As(err, &nf)
		}, settle, tick, "%s no longer has the function", n.name)
	}
}

// TestClusterAsyncEventsSpreadOverNodes queues events on one node and
// finds every one handled, by more than one node: the async queue is one
// work-queue stream every node's workers take from.
func TestClusterAsyncEventsSpreadOverNodes(t *testing.T) {
	c := startFlintCluster(t, 3)
	ctx := context.Background()
	a := c.nodes[0]
	_, err := a.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
	})
	require.NoError(t, err)
	for _, n := range c.nodes {
		require.Eventually(t, func() bool { _, err := n.eng.Function("echo"); return err == nil }, settle, tick)
	}
	const events = 300
	for i := range events {
		_, err := a.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"),
			InvocationType: types.InvocationTypeEvent, Payload: fmt.Appendf(nil, `{"n":%d}`, i)})
		require.NoError(t, err)
	}
	perNode := make([]uint64, len(c.nodes))
	require.Eventually(t, func() bool {
		total := uint64(0)
		for i, n := range c.nodes {
			s, err := n.eng.Stats("echo")
			require.NoError(t, err)
			perNode[i] = s.Invocations
			total += s.Invocations
		}
		return total >= events
	}, time.Minute, 20*time.Millisecond, "every event handled")
	t.Logf("events handled per node: %v", perNode)
	busy := 0
	for _, n := range perNode {
		if n > 0 {
			busy++
		}
	}
	assert.GreaterOrEqual(t, busy, 2, "events spread over the nodes: %v", perNode)

	// Usage and logs from any node cover every node.
	resp, err := http.Get(c.nodes[2].url + "/flint/v1/usage")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), fmt.Sprintf(`"Requests":%d`, events), "usage sums the nodes: %s", body)
	assert.Contains(t, string(body), `"Nodes":3`)
	resp, err = http.Get(c.nodes[1].url + "/flint/v1/functions/echo/logs")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, events, strings.Count(string(body), "REPORT RequestId:"), "logs gather every node's")
}

// TestClusterFollowLogsFromAnyNode follows a function's log on one node
// and sees invocations on the others.
func TestClusterFollowLogsFromAnyNode(t *testing.T) {
	c := startFlintCluster(t, 3)
	ctx := context.Background()
	_, err := c.nodes[0].lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
	})
	require.NoError(t, err)
	for _, n := range c.nodes {
		require.Eventually(t, func() bool { _, err := n.eng.Function("echo"); return err == nil }, settle, tick)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(fctx, http.MethodGet, c.nodes[0].url+"/flint/v1/functions/echo/logs?follow=1", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var mu sync.Mutex
	var followed strings.Builder
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			mu.Lock()
			followed.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// Invoke on the other nodes until the follower has shown one
	// invocation of each: a node publishes a followed function's records
	// from the moment it hears of the follower (within a second).
	ids := map[string][]string{}
	require.Eventually(t, func() bool {
		for _, n := range c.nodes[1:] {
			out, err := n.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
			require.NoError(t, err)
			id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
			require.True(t, ok)
			ids[n.name] = append(ids[n.name], id)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, n := range c.nodes[1:] {
			if !slices.ContainsFunc(ids[n.name], func(id string) bool { return strings.Contains(followed.String(), "REPORT RequestId: "+id) }) {
				return false
			}
		}
		return true
	}, settle, 200*time.Millisecond, "the follower on node 0 sees invocations on nodes 1 and 2")

	// The kept records, as JSON lines (flint logs -o json), from every node.
	resp2, err := http.Get(c.nodes[0].url + "/flint/v1/functions/echo/logs?format=json")
	require.NoError(t, err)
	defer resp2.Body.Close()
	assert.Equal(t, "application/x-ndjson", resp2.Header.Get("Content-Type"))
	var requests []string
	for dec := json.NewDecoder(resp2.Body); dec.More(); {
		var r struct {
			RequestID string `json:"requestId"`
		}
		require.NoError(t, dec.Decode(&r))
		requests = append(requests, r.RequestID)
	}
	for _, n := range c.nodes[1:] {
		assert.Contains(t, requests, ids[n.name][0], "a record of %s's first invocation", n.name)
	}
}

// TestClusterRolesChangedElsewhere changes a role through one node and
// creates a function with it through another, which has read the role
// before: the function gets the role's new policy.
func TestClusterRolesChangedElsewhere(t *testing.T) {
	c := startFlintCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	putRole := func(n *flintNode, doc string) {
		req, err := http.NewRequest(http.MethodPut, n.url+"/flint/v1/roles/fetcher", strings.NewReader(doc))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	}
	create := func(n *flintNode, name string) {
		_, err := n.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::000000000000:role/fetcher"),
			Code: &types.FunctionCode{ZipFile: testguest.WATEcho(t)},
		})
		require.NoError(t, err)
	}
	putRole(a, `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":"http:Fetch","Resource":"https://one.example/*"}]}`)
	create(a, "first") // a reads the role
	putRole(b, `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":"http:Fetch","Resource":"https://two.example/*"}]}`)
	require.Eventually(t, func() bool {
		info, err := a.eng.Function("first")
		return err == nil && info.Policy != nil && strings.Contains(policyText(t, info.Policy), "two.example")
	}, settle, tick, "b's change of the role reached the function a created")
	create(a, "second")
	info, err := a.eng.Function("second")
	require.NoError(t, err)
	assert.Contains(t, policyText(t, info.Policy), "two.example", "a function created on a uses the role as b left it")
}

func policyText(t *testing.T, p *policy.Policy) string {
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	return string(b)
}
