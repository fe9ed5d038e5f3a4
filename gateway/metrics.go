package gateway

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/flintfaas/flint/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newMetrics builds the gateway's own Prometheus registry (never the
// global one): the engine's counters, read at scrape time, and the Go
// runtime's and process's.
func newMetrics(g *Gateway) *prometheus.Registry {
	r := prometheus.NewRegistry()
	var reg prometheus.Registerer = r
	if c := g.cfg.Cluster; c != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"node": c.Name()}, r)
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&engineCollector{g: g},
	)
	if g.cfg.Scheduler != nil {
		r.MustRegister(&schedulerCollector{s: g.cfg.Scheduler})
	}
	return r
}

var (
	labelsFV = []string{"function", "version"}

	descInvocations = prometheus.NewDesc("flint_invocations_total", "Invocations that ran the handler.", labelsFV, nil)
	descErrors      = prometheus.NewDesc("flint_errors_total", "Invocations that ended with a function error.", labelsFV, nil)
	descTimeouts    = prometheus.NewDesc("flint_timeouts_total", "Invocations that timed out.", labelsFV, nil)
	descThrottles   = prometheus.NewDesc("flint_throttles_total", "Invocations refused at a concurrency limit.", labelsFV, nil)
	descInitErrors  = prometheus.NewDesc("flint_init_errors_total", "Instance creations that failed.", labelsFV, nil)
	descColdStarts  = prometheus.NewDesc("flint_cold_starts_total", "Instances created on the request path.", labelsFV, nil)
	descPrewarmed   = prometheus.NewDesc("flint_prewarmed_instances_total", "Instances created ahead of demand.", labelsFV, nil)
	descDenials     = prometheus.NewDesc("flint_denials_total", "Capability calls the execution policy denied.", labelsFV, nil)
	descIdle        = prometheus.NewDesc("flint_idle_instances", "Instances ready to serve.", labelsFV, nil)
	descDuration    = prometheus.NewDesc("flint_invocation_duration_seconds", "Handler run time.", labelsFV, nil)
	descConcurrent  = prometheus.NewDesc("flint_concurrent_executions", "Invocations running now.", []string{"function"}, nil)
	descAllConc     = prometheus.NewDesc("flint_engine_concurrent_executions", "Invocations running now, all functions.", nil, nil)
	descQueueDepth  = prometheus.NewDesc("flint_async_queue_depth", "Asynchronous events queued, in flight included.", nil, nil)
	descQueueAge    = prometheus.NewDesc("flint_async_oldest_event_age_seconds", "Age of the oldest queued asynchronous event.", nil, nil)
	descDeadLetters = prometheus.NewDesc("flint_dead_letters", "Events in the dead-letter store.", nil, nil)
	descAsyncFailed = prometheus.NewDesc("flint_async_failed_total", "Asynchronous events given up on.", nil, nil)
	descMemCache    = prometheus.NewDesc("flint_memory_cache_bytes", "Committed memory of released instances kept for reuse.", nil, nil)
	descModuleBytes = prometheus.NewDesc("flint_module_bytes", "Estimated memory of the loaded compiled modules (the budget is --module-memory).", nil, nil)
	descModules     = prometheus.NewDesc("flint_modules", "Distinct compiled modules loaded.", nil, nil)
	descUnloads     = prometheus.NewDesc("flint_unloads_total", "Function versions unloaded to keep the modules under their memory budget.", nil, nil)
)

// engineCollector turns Engine.Metrics into Prometheus metrics at scrape
// time, so the hot path keeps its plain atomic counters.
type engineCollector struct{ g *Gateway }

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInvocations, descErrors, descTimeouts, descThrottles, descInitErrors,
		descColdStarts, descPrewarmed, descDenials, descIdle, descDuration, descConcurrent, descAllConc,
		descQueueDepth, descQueueAge, descDeadLetters, descAsyncFailed, descMemCache, descModuleBytes, descModules, descUnloads} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m := c.g.eng.Metrics(ctx)
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descAllConc, float64(m.Concurrent))
	gauge(descMemCache, float64(m.MemoryCacheBytes))
	gauge(descModuleBytes, float64(m.ModuleBytes))
	gauge(descModules, float64(m.Modules))
	counter(descUnloads, m.Unloads)
	for _, f := range m.Functions {
		gauge(descConcurrent, float64(f.Concurrent), f.Function)
		for _, v := range f.Versions {
			l := []string{v.Function, v.Version}
			counter(descInvocations, v.Invocations, l...)
			counter(descErrors, v.Errors, l...)
			counter(descTimeouts, v.Timeouts, l...)
			counter(descThrottles, v.Throttles, l...)
			counter(descInitErrors, v.InitErrors, l...)
			counter(descColdStarts, v.ColdStarts, l...)
			counter(descPrewarmed, v.Prewarmed, l...)
			counter(descDenials, v.Denials, l...)
			gauge(descIdle, float64(v.Idle), l...)
			buckets := make(map[float64]uint64, len(v.Duration.Bounds))
			var cum uint64
			for i, b := range v.Duration.Bounds {
				cum += v.Duration.Counts[i]
				buckets[b] = cum
			}
			total := cum + v.Duration.Counts[len(v.Duration.Counts)-1]
			ch <- prometheus.MustNewConstHistogram(descDuration, total, v.Duration.Sum.Seconds(), buckets, l...)
		}
	}
	gauge(descQueueDepth, float64(m.Async.Depth))
	gauge(descQueueAge, m.Async.OldestAge.Seconds())
	gauge(descDeadLetters, float64(m.Async.DeadLetters))
	counter(descAsyncFailed, m.Async.Failed)
}

// serveMetrics serves /metrics: to anyone, or, with Config.MetricsToken,
// to requests that present it as a bearer token.
func (g *Gateway) serveMetrics(c *call) error {
	if want := g.cfg.MetricsToken; want != "" {
		got, ok := strings.CutPrefix(string(c.ctx.Request.Header.Peek("Authorization")), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			c.ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="flint metrics"`)
			c.ctx.SetContentType("text/plain; charset=utf-8")
			c.ctx.SetStatusCode(http.StatusUnauthorized)
			c.ctx.SetBodyString("401 Unauthorized: /metrics takes the bearer token the server was given (--metrics-token)\n")
			return nil
		}
	}
	g.metricsHandler(c.ctx)
	return nil
}

var (
	descSchedules      = prometheus.NewDesc("flint_schedules", "Schedules kept.", nil, nil)
	descScheduleFires  = prometheus.NewDesc("flint_schedule_fires_total", "Schedule due times by outcome: fired (queued), dropped (older than their maximum event age), failed (refused by the engine).", []string{"outcome"}, nil)
	descScheduleErrors = prometheus.NewDesc("flint_schedule_errors_total", "Fire attempts that failed on a store error and were retried.", nil, nil)
	descScheduleLag    = prometheus.NewDesc("flint_schedule_next_fire_seconds", "Seconds until the next planned fire (negative: late).", nil, nil)
)

// schedulerCollector turns Scheduler.Stats into Prometheus metrics at
// scrape time.
type schedulerCollector struct{ s *schedule.Scheduler }

func (c *schedulerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSchedules, descScheduleFires, descScheduleErrors, descScheduleLag} {
		ch <- d
	}
}

func (c *schedulerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descSchedules, prometheus.GaugeValue, float64(st.Schedules))
	for outcome, n := range map[string]uint64{"fired": st.Fired, "dropped": st.Dropped, "failed": st.Failed} {
		ch <- prometheus.MustNewConstMetric(descScheduleFires, prometheus.CounterValue, float64(n), outcome)
	}
	ch <- prometheus.MustNewConstMetric(descScheduleErrors, prometheus.CounterValue, float64(st.Errors))
	if !st.NextFire.IsZero() {
		ch <- prometheus.MustNewConstMetric(descScheduleLag, prometheus.GaugeValue, time.Until(st.NextFire).Seconds())
	}
}
