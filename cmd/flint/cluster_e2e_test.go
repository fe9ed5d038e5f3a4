package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/internal/natstest"
	"github.com/flintfaas/flint/internal/testguest"
)

// clusterNode is one "flint serve" of a cluster: its data directory and
// flags, to start it again after a kill.
type clusterNode struct {
	name  string
	data  string
	flags []string
	proc  *serveProcess
}

// TestClusterSurvivesKill runs three flint binaries as a cluster (their
// embedded NATS servers routed to each other), puts a load of synchronous
// and asynchronous invocations on all three, and kills one with SIGKILL in
// the middle: no event a node accepted is lost, every synchronous request
// either completed or failed where the client saw it, the survivors go on
// serving, and the killed node, started again, rejoins.
func TestClusterSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three flint binaries")
	}
	t.Parallel()
	bin := buildFlint(t)
	clientPorts, routePorts := natstest.FreePorts(t, 3), natstest.FreePorts(t, 3)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	nodes := make([]*clusterNode, 3)
	for i := range nodes {
		data := t.TempDir()
		require.NoError(t, os.Symlink(testguest.CacheDir(t), filepath.Join(data, "compile-cache")))
		nodes[i] = &clusterNode{name: fmt.Sprintf("n%d", i), data: data, flags: []string{
			"--node-name", fmt.Sprintf("n%d", i), "--nats-listen", fmt.Sprintf("127.0.0.1:%d", clientPorts[i]),
			"--cluster-name", "e2e", "--cluster-listen", fmt.Sprintf("127.0.0.1:%d", routePorts[i]),
			"--routes", strings.Join(routes, ","), "--async-lease", "5s",
		}}
	}
	for _, n := range nodes { // together: the first waits for a majority
		n.proc = launchServe(t, bin, n.data, n.flags...)
	}
	for _, n := range nodes {
		n.proc.waitReady(t)
	}
	a := nodes[0].proc

	// Deployed on one node, served by all.
	a.flintCmd(t, bin, "deploy", "loadecho", watEchoFile(t))
	a.flintCmd(t, bin, "role", "put", "counter", writeFile(t, "counter.json", kvPolicy))
	a.flintCmd(t, bin, "deploy", "kvcounter", goGuest(t, "kvcounter"), "--role", "counter")
	for _, n := range nodes {
		waitFor(t, 30*time.Second, n.name+" to have the functions", func() bool {
			out, err := n.proc.sdk().GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("kvcounter")})
			return err == nil && out.Configuration != nil
		})
	}
	status := decode[struct{ Nodes []struct{ Name string } }](t, a.flintCmd(t, bin, "cluster", "status", "-o", "json"))
	assert.Len(t, status.Nodes, 3, "flint cluster status shows the three nodes")

	// The load: on each node, sync workers check their echo and async
	// workers keep the keys of the events the node accepted.
	var (
		stop                     atomic.Bool
		mu                       sync.Mutex
		accepted                 []string
		syncOK, syncSeenFailed   atomic.Int64
		wrong                    []string
		asyncOK, asyncSeenFailed atomic.Int64
	)
	var wg sync.WaitGroup
	for i, n := range nodes {
		sdk := n.proc.sdk()
		for w := range 2 {
			wg.Go(func() {
				for k := 0; !stop.Load(); k++ {
					payload := fmt.Sprintf(`{"node":%d,"w":%d,"k":%d}`, i, w, k)
					out, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("loadecho"), Payload: []byte(payload)})
					switch {
					case err != nil:
						syncSeenFailed.Add(1) // the client saw it fail: nothing silent
						time.Sleep(50 * time.Millisecond)
					case string(out.Payload) != payload || out.FunctionError != nil:
						mu.Lock()
						wrong = append(wrong, fmt.Sprintf("%s: sent %s, got %s", n.name, payload, out.Payload))
						mu.Unlock()
					default:
						syncOK.Add(1)
					}
				}
			})
		}
		wg.Go(func() {
			for k := 0; !stop.Load(); k++ {
				key := fmt.Sprintf("e-%d-%d", i, k)
				_, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("kvcounter"),
					InvocationType: types.InvocationTypeEvent, Payload: fmt.Appendf(nil, `{"key":%q}`, key)})
				if err != nil {
					asyncSeenFailed.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				}
				asyncOK.Add(1)
				mu.Lock()
				accepted = append(accepted, key)
				mu.Unlock()
			}
		})
	}
	waitFor(t, 60*time.Second, "the load to get going", func() bool { return syncOK.Load() > 300 && asyncOK.Load() > 100 })
	victim := nodes[2]
	require.NoError(t, victim.proc.cmd.Process.Signal(syscall.SIGKILL))
	<-victim.proc.done
	killedAt := syncOK.Load()
	waitFor(t, 60*time.Second, "the survivors to go on serving", func() bool { return syncOK.Load() > killedAt+300 })
	stop.Store(true)
	wg.Wait()
	t.Logf("sync: %d completed, %d failed where the client saw it; async: %d accepted, %d refused where the client saw it",
		syncOK.Load(), syncSeenFailed.Load(), asyncOK.Load(), asyncSeenFailed.Load())
	assert.Empty(t, wrong, "a synchronous response that was not the request's")

	// The killed node starts again on its data and rejoins.
	victim.proc = launchServe(t, bin, victim.data, victim.flags...)
	victim.proc.waitReady(t)
	status = decode[struct{ Nodes []struct{ Name string } }](t, victim.proc.flintCmd(t, bin, "cluster", "status", "-o", "json"))
	assert.Len(t, status.Nodes, 3, "the restarted node sees the cluster")

	// Every accepted event ran (the killed node's in-flight ones once
	// their 5 s lease ran out): a sync kvcounter call finds each key
	// counted, and counts it once more. An event whose attempts timed out
	// while the streams elected new leaders waits Lambda's retry delays
	// (1 min, then 2 min) before it runs again, hence the long wait.
	waitFor(t, 4*time.Minute, "the async queue to drain", func() bool { return a.queueDepth(t) == 0 })
	sdk := victim.proc.sdk()
	dup := 0
	for _, key := range accepted {
		out, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("kvcounter"),
			Payload: fmt.Appendf(nil, `{"key":%q}`, key)})
		require.NoError(t, err)
		var got struct{ Count int }
		require.NoError(t, json.Unmarshal(out.Payload, &got), "%s", out.Payload)
		require.GreaterOrEqual(t, got.Count, 2, "event %s was accepted and never ran", key)
		dup += got.Count - 2
	}
	t.Logf("%d accepted events all ran; %d ran more than once (at least once, as on Lambda)", len(accepted), dup)
	assert.Equal(t, "[]\n", a.flintCmd(t, bin, "dlq", "ls", "-o", "json"), "nothing dead-lettered")
}

// sdk is the AWS SDK's Lambda client for the server, with retries off so
// that a failure shows.
func (p *serveProcess) sdk() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(p.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(e2eAccessKey, e2eSecretKey, ""),
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
		RetryMaxAttempts: 1,
	})
}
