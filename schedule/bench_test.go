package schedule_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/require"
)

// jumpClock is the system clock shifted by an offset that a benchmark may
// change: its timers are real timers, re-armed when the offset jumps, so
// that a schedule due "at the next minute" fires after a wait of seconds,
// on the machine's real timers.
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
	timers map[*jumpTimer]struct{}
}

type jumpTimer struct {
	at time.Time // in shifted time
	f  func()
	t  *time.Timer
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *jumpClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	jt := &jumpTimer{at: time.Now().Add(c.offset + d), f: f}
	jt.t = time.AfterFunc(d, func() {
		c.mu.Lock()
		delete(c.timers, jt)
		c.mu.Unlock()
		f()
	})
	c.timers[jt] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.timers, jt)
		return jt.t.Stop()
	}
}

// shift is the clock's offset from the system clock.
func (c *jumpClock) shift() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// jumpTo makes the shifted time now t, re-arming the timers.
func (c *jumpClock) jumpTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
	for jt := range c.timers {
		if jt.t.Stop() {
			jt.t.Reset(jt.at.Sub(t))
		}
	}
}

// timingInvoker passes fires to the engine and notes when each was queued.
type timingInvoker struct {
	next  schedule.Invoker
	clock *jumpClock
	want  int
	mu    sync.Mutex
	times []time.Time
	done  chan struct{}
}

func (t *timingInvoker) InvokeAsync(ctx context.Context, target string, payload []byte, opts ...engine.InvokeOption) (string, error) {
	id, err := t.next.InvokeAsync(ctx, target, payload, opts...)
	if err == nil {
		now := t.clock.Now()
		t.mu.Lock()
		t.times = append(t.times, now)
		if len(t.times) == t.want {
			close(t.done)
		}
		t.mu.Unlock()
	}
	return id, err
}

// BenchmarkFiringAccuracy puts 1,000 schedules due in the same minute
// (cron(* * * * ? *)) on a Scheduler in front of a real engine (the WAT echo
// function) and measures how late each fire was: queued, when InvokeAsync
// returned (the event is durable), and ran, when the engine's log records
// the invocation. It reports the distribution (p50, p99, max in ms) over
// every fire of every round; ns/op is a round's whole time and means
// little. The default number of workers is compared with 64. The clock is shifted so that the minute starts two seconds after
// the schedules are created, on the machine's real timers.
//
//	go test -run '^$' -bench FiringAccuracy -benchtime 3x ./schedule/
func BenchmarkFiringAccuracy(b *testing.B) {
	for _, c := range []struct {
		durable bool
		workers int
	}{{true, 0}, {true, 64}, {false, 0}} {
		name := "store=memory"
		if c.durable {
			name = "store=bbolt"
		}
		if c.workers != 0 {
			name += fmt.Sprintf("/workers=%d", c.workers)
		}
		b.Run(name, func(b *testing.B) {
			const n = 1000
			var queued, ran []time.Duration
			for range b.N {
				b.StopTimer()
				q, r := firingRound(b, n, c.durable, c.workers)
				queued, ran = append(queued, q...), append(ran, r...)
			}
			report := func(unit string, ds []time.Duration) {
				slices.Sort(ds)
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				b.ReportMetric(ms(ds[len(ds)/2]), "p50-"+unit+"-ms")
				b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-"+unit+"-ms")
				b.ReportMetric(ms(ds[len(ds)-1]), "max-"+unit+"-ms")
			}
			report("queued", queued)
			report("ran", ran)
		})
	}
}

// firingRound runs one round and returns each fire's lateness, queued and
// ran.
func firingRound(b *testing.B, n int, durable bool, workers int) (queued, ran []time.Duration) {
	ctx := context.Background()
	var st store.Store = store.NewMemory()
	if durable {
		var err error
		st, err = store.Open(b.TempDir(), store.Options{})
		require.NoError(b, err)
	}
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(b), LogRingSize: 2 * n})
	require.NoError(b, err)
	defer eng.Close(ctx)
	_, err = eng.Deploy(ctx, engine.Function{Name: "echo", Code: testguest.WATEcho(b)})
	require.NoError(b, err)

	minute := time.Now().Truncate(time.Minute).Add(time.Hour)
	clock := &jumpClock{timers: map[*jumpTimer]struct{}{}}
	clock.jumpTo(minute.Add(-30 * time.Second))
	inv := &timingInvoker{next: eng, clock: clock, want: n, done: make(chan struct{})}
	s, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: inv, Clock: clock, Workers: workers})
	require.NoError(b, err)
	defer s.Close(ctx)
	for i := range n {
		_, err := s.Create(ctx, schedule.Schedule{
			Name: fmt.Sprintf("s%04d", i), ScheduleExpression: "cron(* * * * ? *)",
			FlexibleTimeWindow: schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
			Target:             schedule.Target{Arn: "arn:aws:lambda:us-east-1:000000000000:function:echo", RoleArn: role},
		})
		require.NoError(b, err)
	}

	clock.jumpTo(minute.Add(-2 * time.Second))
	b.StartTimer()
	<-inv.done
	require.Eventually(b, func() bool { return eng.Metrics(ctx).Async.Succeeded >= uint64(n) }, time.Minute, time.Millisecond)
	b.StopTimer()

	inv.mu.Lock()
	for _, t := range inv.times {
		queued = append(queued, t.Sub(minute))
	}
	inv.mu.Unlock()
	logs, err := eng.Logs("echo", 0)
	require.NoError(b, err)
	require.Len(b, logs, n)
	for _, l := range logs {
		ran = append(ran, l.Time.Add(clock.shift()).Sub(minute))
	}
	return queued, ran
}
