package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/flintfaas/flint/schedule"
	"github.com/flintfaas/flint/schedule/expression"
)

// nextFires is how many of a schedule's next fire times the console shows.
const nextFires = 3

// sources shows the console the event source mappings and schedules this
// gateway serves (Config.EventSources, Config.Scheduler); either may be nil.
type sources struct {
	mappings  *eventsource.Manager
	scheduler *schedule.Scheduler
}

// consoleSources is what the console reads event sources from: the
// embedder's own when it set Console.Sources, else this gateway's event
// sources and scheduler, else nothing.
func (g *Gateway) consoleSources() console.Sources {
	switch {
	case g.cfg.Console.Sources != nil:
		return g.cfg.Console.Sources
	case g.cfg.EventSources != nil || g.cfg.Scheduler != nil:
		return sources{g.cfg.EventSources, g.cfg.Scheduler}
	}
	return nil
}

// Mappings lists the mappings that invoke function (any qualifier), or all
// of them, with each one's lag and last result.
func (s sources) Mappings(ctx context.Context, function string) ([]console.Mapping, error) {
	if s.mappings == nil {
		return nil, nil
	}
	var out []console.Mapping
	for _, m := range s.mappings.List("", "") {
		if function != "" && unqualified(m.Function) != function {
			continue
		}
		cm := console.Mapping{
			UUID: m.UUID, Function: m.Function, Source: s.mappings.ARN(m.Stream),
			State: m.State, BatchSize: m.BatchSize, LastProcessed: m.LastModified,
		}
		if r, ok := strings.CutPrefix(m.LastProcessingResult, "PROBLEM: "); ok {
			cm.LastError = r
		}
		if st, err := s.mappings.Stats(ctx, m.UUID); err == nil && st.Started {
			cm.Lag = int64(st.Lag)
		}
		out = append(out, cm)
	}
	return out, nil
}

// Schedules lists the schedules whose target is function (any qualifier),
// or all of them, with their next fire times.
func (s sources) Schedules(ctx context.Context, function string) ([]console.Schedule, error) {
	if s.scheduler == nil {
		return nil, nil
	}
	var out []console.Schedule
	opts := schedule.ListOptions{}
	for {
		page, next, err := s.scheduler.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, sc := range page {
			target := targetFunction(sc.Target.Arn)
			if function != "" && unqualified(target) != function {
				continue
			}
			out = append(out, console.Schedule{
				Name: sc.Name, Group: sc.GroupName, Target: target,
				Expression: sc.ScheduleExpression, TimeZone: sc.ScheduleExpressionTimezone,
				State: string(sc.State), Next: nextFireTimes(sc, time.Now()),
			})
		}
		if next == "" {
			return out, nil
		}
		opts.NextToken = next
	}
}

// nextFireTimes returns a schedule's next few fire times after now; none
// when it is disabled or its expression does not parse.
func nextFireTimes(sc schedule.Schedule, now time.Time) []time.Time {
	if sc.State == schedule.StateDisabled {
		return nil
	}
	e, err := expression.Parse(sc.ScheduleExpression, sc.ScheduleExpressionTimezone)
	if err != nil {
		return nil
	}
	b := expression.Bounds{Start: sc.StartDate, End: sc.EndDate, Anchor: sc.CreationDate}
	var times []time.Time
	for t := now; len(times) < nextFires; {
		next, ok := e.Next(t, b)
		if !ok {
			break
		}
		times = append(times, next)
		t = next
	}
	return times
}

// targetFunction is the "name" or "name:qualifier" a Lambda function ARN
// names; the ARN itself when it is not one.
func targetFunction(arn string) string {
	if _, fn, ok := strings.Cut(arn, ":function:"); ok {
		return fn
	}
	return arn
}

// unqualified drops a ":qualifier" from "name:qualifier".
func unqualified(fn string) string {
	name, _, _ := strings.Cut(fn, ":")
	return name
}
