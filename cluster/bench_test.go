package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
)

// BenchmarkPropagation measures how long a change made on one node takes
// to be served by the others: an alias moved between two versions on node
// 0, until nodes 1 and 2 both route it to the new version. It reports the
// median and 99th percentile from the start of the call on node 0
// ("from-call"), and how much of that came after the call returned
// ("after-return"): the call returns once JetStream has stored the change
// on a majority of its servers.
//
//	go test -run '^$' -bench Propagation -benchtime 300x ./cluster/
func BenchmarkPropagation(b *testing.B) {
	c := startFlintCluster(b, 3)
	ctx := context.Background()
	a := c.nodes[0]
	_, err := a.eng.Deploy(ctx, engine.Function{Name: "env", Code: envGuest(b)})
	require.NoError(b, err)
	v1, err := a.eng.PublishVersion(ctx, "env", "")
	require.NoError(b, err)
	_, err = a.eng.Update(ctx, "env", func(f *engine.Function) error { f.Description = "two"; return nil })
	require.NoError(b, err)
	v2, err := a.eng.PublishVersion(ctx, "env", "")
	require.NoError(b, err)
	var fromCall, afterReturn []time.Duration
	i := 0
	for b.Loop() {
		i++
		version := []string{v1.Version, v2.Version}[i%2]
		start := time.Now()
		_, err := a.eng.SetAlias(ctx, "env", engine.Alias{Name: "live", FunctionVersion: version})
		require.NoError(b, err)
		returned := time.Now()
		for _, n := range c.nodes[1:] {
			for {
				got, err := n.eng.Alias("env", "live")
				if err == nil && got.FunctionVersion == version {
					break
				}
				time.Sleep(10 * time.Microsecond)
			}
		}
		fromCall = append(fromCall, time.Since(start))
		afterReturn = append(afterReturn, time.Since(returned))
	}
	report := func(d []time.Duration, unit string) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, unit+"-p50-ms")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, unit+"-p99-ms")
	}
	report(fromCall, "from-call")
	report(afterReturn, "after-return")
}

// BenchmarkWarmInvoke compares a warm invocation on a cluster's node (its
// store on JetStream, its limits shared) with one on a single node (bbolt),
// in one run: the warm path reads only the node's memory, so they should
// be within noise.
//
//	go test -run '^$' -bench WarmInvoke -count 6 ./cluster/
func BenchmarkWarmInvoke(b *testing.B) {
	ctx := context.Background()
	echo := testguest.WATEcho(b)
	payload := []byte(`{"hello":"world"}`)
	run := func(b *testing.B, eng *engine.Engine) {
		_, err := eng.Deploy(ctx, engine.Function{Name: "echo", Code: echo})
		require.NoError(b, err)
		if _, err := eng.UpdateSettings(ctx, "echo", func(s *engine.Settings) error {
			n := 100
			s.ReservedConcurrency = &n // so that the cluster's shares are in the path
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		_, err = eng.Invoke(ctx, "echo", payload)
		require.NoError(b, err)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := eng.Invoke(ctx, "echo", payload); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("single-node", func(b *testing.B) {
		st, err := store.Open(b.TempDir(), store.Options{})
		require.NoError(b, err)
		defer st.Close()
		eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(b)})
		require.NoError(b, err)
		defer eng.Close(ctx)
		run(b, eng)
	})
	b.Run("cluster-node", func(b *testing.B) {
		c := startFlintClusterWith(b, 3, cluster.DefaultHeartbeat)
		run(b, c.nodes[0].eng)
	})
}

// BenchmarkAsyncThroughput queues events on node 0 and measures how fast
// the nodes together run them all, on one node and on three (on this
// machine the three share its cores: compare the per-node rate, not a
// speed-up). The function is the WAT echo.
//
//	go test -run '^$' -bench AsyncThroughput -benchtime 2000x -count 3 ./cluster/
func BenchmarkAsyncThroughput(b *testing.B) {
	ctx := context.Background()
	echo := testguest.WATEcho(b)
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes-%d", n), func(b *testing.B) {
			c := startFlintCluster(b, n)
			a := c.nodes[0]
			_, err := a.eng.Deploy(ctx, engine.Function{Name: "echo", Code: echo})
			require.NoError(b, err)
			for _, node := range c.nodes {
				require.Eventually(b, func() bool { _, err := node.eng.Function("echo"); return err == nil }, settle, tick)
			}
			// Queued by many callers at once, as a gateway's would be.
			start := time.Now()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if _, err := a.eng.InvokeAsync(ctx, "echo", fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			for {
				total := uint64(0)
				for _, node := range c.nodes {
					s, _ := node.eng.Stats("echo")
					total += s.Invocations
				}
				if total >= uint64(b.N) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			rate := float64(b.N) / time.Since(start).Seconds()
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(rate/float64(n), "events/s/node")
		})
	}
}
