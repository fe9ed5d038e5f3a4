package schedule_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the fake clock's start: a Monday, 10:00:00 UTC.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fakeClock is a schedule.Clock that moves only when a test moves it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	if d <= 0 {
		t.done = true
		go f()
		return func() bool { return false }
	}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		stopped := !t.done
		t.done = true
		return stopped
	}
}

// Set moves the clock to t and runs the timers that are due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	var due []func()
	kept := c.timers[:0]
	for _, tm := range c.timers {
		switch {
		case tm.done:
		case !tm.at.After(t):
			tm.done = true
			due = append(due, tm.f)
		default:
			kept = append(kept, tm)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// fire is one InvokeAsync call a recorder took.
type fire struct {
	Target  string
	Payload string
	At      time.Time // the fake clock's time of the call
	// From the payload, when the test's Input carries them.
	Scheduled string `json:"t"`
	ID        string `json:"id"`
	Arn       string `json:"arn"`
	Attempt   string `json:"n"`
}

// recorder is a schedule.Invoker that records the fires and answers with
// err (nil: success).
type recorder struct {
	clock *fakeClock
	mu    sync.Mutex
	fires []fire
	calls int
	err   func(n int) error // the answer to the nth call (0-based); nil: success
}

func (r *recorder) InvokeAsync(_ context.Context, target string, payload []byte, _ ...engine.InvokeOption) (string, error) {
	f := fire{Target: target, Payload: string(payload)}
	if r.clock != nil {
		f.At = r.clock.Now()
	}
	_ = json.Unmarshal(payload, &f)
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	if r.err != nil {
		err = r.err(r.calls)
	}
	r.calls++
	if err == nil {
		r.fires = append(r.fires, f)
	}
	return f.ID, err
}

// got returns the fires recorded so far, by scheduled time and target.
func (r *recorder) got() []fire {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]fire(nil), r.fires...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Scheduled != out[j].Scheduled {
			return out[i].Scheduled < out[j].Scheduled
		}
		return out[i].Target < out[j].Target
	})
	return out
}

// waitFires waits until the recorder holds n fires.
func (r *recorder) waitFires(t *testing.T, n int) []fire {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.got()) >= n }, 10*time.Second, time.Millisecond, "want %d fires", n)
	return r.got()
}

// recordedInput is a target Input whose context attributes the recorder
// reads back.
const recordedInput = `{"t":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>","arn":"<aws.scheduler.schedule-arn>","n":"<aws.scheduler.attempt-number>"}`

// harness is a Scheduler on a fake clock and a recorder, over st.
type harness struct {
	S     *schedule.Scheduler
	Clock *fakeClock
	Rec   *recorder
	Store store.Store
}

// newHarness starts a Scheduler at the fake time now over st (a new
// memory store when nil), closed when the test ends.
func newHarness(t testing.TB, st store.Store, clock *fakeClock, configure ...func(*schedule.Config)) *harness {
	t.Helper()
	if st == nil {
		st = store.NewMemory()
		t.Cleanup(func() { _ = st.Close() })
	}
	if clock == nil {
		clock = newFakeClock(t0)
	}
	rec := &recorder{clock: clock}
	cfg := schedule.Config{Store: st, Invoker: rec, Clock: clock, Workers: 4}
	for _, f := range configure {
		f(&cfg)
	}
	s, err := schedule.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close(context.Background())) })
	return &harness{S: s, Clock: clock, Rec: rec, Store: st}
}

// settled waits until the scheduler has nothing to fire at the clock's
// current time: every due entry was handled.
func (h *harness) settled(t *testing.T, want schedule.Stats) {
	t.Helper()
	require.Eventually(t, func() bool {
		st := h.S.Stats()
		return st.Fired == want.Fired && st.Dropped == want.Dropped && st.Failed == want.Failed && st.Deleted == want.Deleted &&
			h.isIdle(st)
	}, 10*time.Second, time.Millisecond, "want %+v", want)
}

// isIdle reports whether nothing is firing or due at the clock's time.
func (h *harness) isIdle(st schedule.Stats) bool {
	return st.Firing == 0 && (st.NextFire.IsZero() || st.NextFire.After(h.Clock.Now()))
}

// set moves the clock to t and waits until the scheduler has fired what
// is due by then.
func (h *harness) set(t *testing.T, at time.Time) {
	t.Helper()
	h.Clock.Set(at)
	require.Eventually(t, func() bool { return h.isIdle(h.S.Stats()) }, 10*time.Second, time.Millisecond,
		"still firing at %s: %+v", at, h.S.Stats())
}

// fn is the ARN of a function.
func fn(name string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + name }

const role = "arn:aws:iam::000000000000:role/scheduler"

// sched returns a valid schedule to adjust.
func sched(name, expr string) schedule.Schedule {
	return schedule.Schedule{
		Name:               name,
		ScheduleExpression: expr,
		FlexibleTimeWindow: schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
		Target:             schedule.Target{Arn: fn("report"), RoleArn: role, Input: recordedInput},
	}
}

func ptr[T any](v T) *T { return &v }
