package console_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/flintfaas/flint/gateway/console"
	"github.com/stretchr/testify/require"
)

// BenchmarkPages serves the console's pages from a server with 100
// functions deployed, each with a full hour of history (360 points), over
// loopback HTTP as a browser asks for them: the time per op is the
// server's time to answer a page, its network round trip included.
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 200x ./gateway/console/
func BenchmarkPages(b *testing.B) {
	clk := &clock{}
	s := startServer(b, serverOptions{console: console.Options{Now: clk.Now}})
	const functions = 100
	for i := range functions {
		s.deploy(b, fmt.Sprintf("fn-%03d", i))
	}
	c := s.client(b)
	c.signIn(adminKey)
	// An hour of history for every function: a few invocations a step,
	// one sample per step (a page render samples).
	ctx := context.Background()
	for step := range console.DefaultHistoryPoints {
		for i := range functions {
			if (step+i)%3 == 0 {
				_, err := s.Engine.Invoke(ctx, fmt.Sprintf("fn-%03d", i), []byte(`"x"`))
				require.NoError(b, err)
			}
		}
		clk.Advance(console.DefaultHistoryStep)
		require.Equal(b, http.StatusOK, c.get("/console/functions/fn-000/monitoring?range=5m").Status)
	}
	_, err := s.Engine.Invoke(ctx, "fn-000", []byte(`"!dead"`))
	require.NoError(b, err)
	pages := []struct{ name, path string }{
		{"functions", "/console/functions"},
		{"function", "/console/functions/fn-042"},
		{"test", "/console/functions/fn-042/test"},
		{"monitoring-1h", "/console/functions/fn-042/monitoring?range=1h"},
		{"logs", "/console/functions/fn-042/logs"},
		{"async", "/console/async"},
		{"usage", "/console/usage"},
		{"deploy", "/console/deploy"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var bytes int
			start := time.Now()
			for b.Loop() {
				pg := c.get(p.path)
				if pg.Status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, pg.Status)
				}
				bytes = len(pg.Body)
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/page")
			b.ReportMetric(float64(bytes), "bytes/page")
		})
	}
}
