package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// mount serves the gateway's Handler in a server of the test's own, as an
// embedder would, and returns its base URL.
func (s *server) mount(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &fasthttp.Server{Handler: s.GW.Handler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { assert.NoError(t, srv.Shutdown()) })
	return "http://" + ln.Addr().String()
}

// get fetches url unsigned.
func get(t testing.TB, url string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return do(t, req)
}

func TestHealthAndShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	mounted := s.mount(t)
	s.deploy(t, "sleep", wasm(t, "sleep"))

	for _, base := range []string{s.URL, mounted} {
		r := get(t, base+"/healthz")
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "ok\n", string(r.Body))
		r = get(t, base+"/readyz")
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "ready\n", string(r.Body))
	}

	// A log stream is open and an invocation is in flight when Shutdown
	// starts: the stream ends, the invocation finishes, /readyz says 503
	// meanwhile (seen through the mounted handler, since the gateway's own
	// listener is closed) and Shutdown returns once the invocation is done.
	req := s.newRequest(t, http.MethodGet, "/flint/v1/functions/sleep/logs?follow=1", nil)
	sign(t, req, adminKey, nil, time.Now())
	stream, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	streamEnded := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, stream.Body); streamEnded <- err }()

	invoked := make(chan *lambda.InvokeOutput, 1)
	go func() {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("1500")})
		assert.NoError(t, err)
		invoked <- out
	}()
	require.Eventually(t, func() bool { return s.Engine.Metrics(ctx).Concurrent == 1 }, 10*time.Second, time.Millisecond)

	shutdown := make(chan error, 1)
	start := time.Now()
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		shutdown <- s.GW.Shutdown(sctx)
	}()
	require.Eventually(t, func() bool {
		r := get(t, mounted+"/readyz")
		return r.Status == http.StatusServiceUnavailable && string(r.Body) == "shutting down\n"
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, http.StatusOK, get(t, mounted+"/healthz").Status, "alive while draining")
	select {
	case err := <-streamEnded:
		assert.NoError(t, err, "the stream ends cleanly")
	case <-time.After(5 * time.Second):
		t.Fatal("the log stream was not ended by Shutdown")
	}

	out := <-invoked
	require.NotNil(t, out)
	assert.Equal(t, "slept", string(out.Payload), "the invocation in flight finished")
	require.NoError(t, <-shutdown)
	assert.Less(t, time.Since(start), 5*time.Second)
	_, err = net.Dial("tcp", s.URL[len("http://"):])
	assert.Error(t, err, "no longer listening")
	assert.NoError(t, s.GW.Shutdown(ctx), "a second Shutdown is harmless")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "echo", testguest.WATEcho(t))
	s.deploy(t, "fail", wasm(t, "fail"))
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("echo")})
	require.NoError(t, err)
	s.invoke(t, "echo", `{}`)
	s.invoke(t, "echo", `{}`)
	s.invoke(t, "echo:1", `{}`)
	s.invoke(t, "fail", `{}`)

	r := get(t, s.URL+"/metrics") // no signature: scrapers do not sign
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/plain")
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	require.NoError(t, err)

	value := func(name, function, version string) float64 {
		t.Helper()
		f, ok := families[name]
		require.True(t, ok, "metric %s", name)
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["function"] != function || (version != "" && labels["version"] != version) {
				continue
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
		t.Fatalf("no %s{function=%q,version=%q}", name, function, version)
		return 0
	}
	assert.Equal(t, 2.0, value("flint_invocations_total", "echo", "$LATEST"))
	assert.Equal(t, 1.0, value("flint_invocations_total", "echo", "1"))
	assert.Equal(t, 0.0, value("flint_errors_total", "echo", "$LATEST"))
	assert.Equal(t, 1.0, value("flint_invocations_total", "fail", "$LATEST"))
	assert.Equal(t, 1.0, value("flint_errors_total", "fail", "$LATEST"))
	assert.Equal(t, 2.0, value("flint_invocation_duration_seconds", "echo", "$LATEST"))
	assert.GreaterOrEqual(t, value("flint_cold_starts_total", "echo", "$LATEST"), 1.0)
	assert.Equal(t, 0.0, value("flint_throttles_total", "echo", "$LATEST"))
	assert.Equal(t, 0.0, value("flint_concurrent_executions", "echo", ""))
	for _, name := range []string{"flint_engine_concurrent_executions", "flint_async_queue_depth", "flint_dead_letters",
		"flint_async_failed_total", "flint_memory_cache_bytes", "go_goroutines", "process_cpu_seconds_total"} {
		assert.Contains(t, families, name)
	}
	assert.Equal(t, 0.0, families["flint_engine_concurrent_executions"].Metric[0].GetGauge().GetValue())
}

// With a metrics token, /metrics takes only requests that present it: the
// operator's choice between an open scrape endpoint and a closed one.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(g *gateway.Config, _ *engine.Config) { g.MetricsToken = "scrape-secret" })
	for _, tc := range []struct {
		name, authorization string
		want                int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a wrong token", "Bearer nope", http.StatusUnauthorized},
		{"not a bearer token", "Basic c2NyYXBlLXNlY3JldA==", http.StatusUnauthorized},
		{"a longer token", "Bearer scrape-secret2", http.StatusUnauthorized},
		{"the token", "Bearer scrape-secret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
			require.NoError(t, err)
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			r := do(t, req)
			assert.Equal(t, tc.want, r.Status)
			if tc.want == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="flint metrics"`, r.Header.Get("WWW-Authenticate"))
				assert.NotContains(t, string(r.Body), "flint_")
			} else {
				assert.Contains(t, string(r.Body), "go_goroutines")
			}
		})
	}
	assert.Equal(t, http.StatusOK, get(t, s.URL+"/healthz").Status, "health stays open")
}
