package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFiresEachDueTimeOnce(t *testing.T) {
	tests := []struct {
		name   string
		expr   string
		zone   string
		steps  []time.Duration // clock moves, from t0
		wanted []string        // scheduled times of the fires, UTC
	}{
		{
			name:   "a rate fires at creation and every interval",
			expr:   "rate(5 minutes)",
			steps:  []time.Duration{time.Minute, 5 * time.Minute, 9 * time.Minute, 10 * time.Minute},
			wanted: []string{"2026-03-02T10:00:00Z", "2026-03-02T10:05:00Z", "2026-03-02T10:10:00Z"},
		},
		{
			name:   "a cron fires on its minutes",
			expr:   "cron(*/15 * * * ? *)",
			steps:  []time.Duration{14 * time.Minute, 15 * time.Minute, 31 * time.Minute},
			wanted: []string{"2026-03-02T10:15:00Z", "2026-03-02T10:30:00Z"},
		},
		{
			name:   "a cron in a zone fires at its wall time",
			expr:   "cron(30 11 * * ? *)",
			zone:   "Europe/Berlin", // UTC+1 in March before the change
			steps:  []time.Duration{30 * time.Minute, time.Hour},
			wanted: []string{"2026-03-02T10:30:00Z"},
		},
		{
			name:   "a jump over several due times fires each, in order",
			expr:   "rate(1 minute)",
			steps:  []time.Duration{3*time.Minute + 30*time.Second},
			wanted: []string{"2026-03-02T10:00:00Z", "2026-03-02T10:01:00Z", "2026-03-02T10:02:00Z", "2026-03-02T10:03:00Z"},
		},
		{
			name:   "a one-time schedule fires once",
			expr:   "at(2026-03-02T10:20:00)",
			steps:  []time.Duration{20 * time.Minute, time.Hour},
			wanted: []string{"2026-03-02T10:20:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sc := sched("s", tt.expr)
			sc.ScheduleExpressionTimezone = tt.zone
			arn, err := h.S.Create(context.Background(), sc)
			require.NoError(t, err)
			for _, d := range tt.steps {
				h.set(t, t0.Add(d))
			}
			h.settled(t, schedule.Stats{Fired: uint64(len(tt.wanted))})
			fires := h.Rec.got()
			require.Len(t, fires, len(tt.wanted))
			for i, f := range fires {
				assert.Equal(t, tt.wanted[i], f.Scheduled)
				assert.Equal(t, "report", f.Target)
				assert.Equal(t, arn, f.Arn)
				assert.Equal(t, "1", f.Attempt)
				assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, f.ID)
			}
		})
	}
}

func TestFireIDIsStableForADueTime(t *testing.T) {
	// Two schedulers, on two stores, with the same schedule: the same due
	// time gives the same request id; another due time another.
	ids := make([][]string, 2)
	for i := range ids {
		h := newHarness(t, nil, nil)
		_, err := h.S.Create(context.Background(), sched("same", "rate(1 minute)"))
		require.NoError(t, err)
		h.Clock.Set(t0.Add(time.Minute))
		for _, f := range h.Rec.waitFires(t, 2) {
			ids[i] = append(ids[i], f.ID)
		}
	}
	assert.Equal(t, ids[0], ids[1])
	assert.NotEqual(t, ids[0][0], ids[0][1])
}

func TestPayload(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"no input: an empty object", "", "{}"},
		{"plain input: as it is", `{"report":"daily"}`, `{"report":"daily"}`},
		{"context attributes replaced", `{"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>"}`,
			`{"arn":"arn:aws:scheduler:us-east-1:000000000000:schedule/default/p","at":"2026-03-02T10:00:00Z"}`},
		{"unknown attribute left", `"<aws.scheduler.other>"`, `"<aws.scheduler.other>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sc := sched("p", "rate(1 hour)")
			sc.Target.Input = tt.input
			_, err := h.S.Create(context.Background(), sc)
			require.NoError(t, err)
			fires := h.Rec.waitFires(t, 1)
			assert.Equal(t, tt.want, fires[0].Payload)
		})
	}
}

func TestMissedFiresAfterRestart(t *testing.T) {
	// The server is down from 10:30 to the restart time; the schedule is
	// hourly at :00, with a maximum event age. Each missed due time fires
	// once after the restart if it is still within the age, and is dropped
	// and counted otherwise.
	tests := []struct {
		name        string
		maxAge      int // seconds
		restart     time.Duration
		wantFired   []string
		wantDropped uint64
	}{
		{"one missed fire within the age fires once", 3600, 80 * time.Minute, // 11:20
			[]string{"2026-03-02T11:00:00Z"}, 0},
		{"missed fires beyond the age are dropped and counted", 600, 200 * time.Minute, // 13:20
			nil, 3},
		{"the old are dropped, the recent fire", 3600, 200 * time.Minute, // 13:20
			[]string{"2026-03-02T13:00:00Z"}, 2},
		{"every missed fire within the age fires", 86400, 200 * time.Minute,
			[]string{"2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := store.Open(dir, store.Options{})
			require.NoError(t, err)
			clock := newFakeClock(t0)
			s, err := schedule.New(context.Background(), schedule.Config{Store: st, Invoker: &recorder{}, Clock: clock})
			require.NoError(t, err)
			sc := sched("hourly", "cron(0 * * * ? *)")
			sc.Target.RetryPolicy = &schedule.RetryPolicy{MaximumEventAgeInSeconds: ptr(tt.maxAge)}
			_, err = s.Create(context.Background(), sc)
			require.NoError(t, err)
			clock.Set(t0.Add(30 * time.Minute))
			require.NoError(t, s.Close(context.Background()))
			require.NoError(t, st.Close())

			// Down; then a new process on the same directory.
			st, err = store.Open(dir, store.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			clock.Set(t0.Add(tt.restart))
			h := newHarness(t, st, clock)
			h.settled(t, schedule.Stats{Fired: uint64(len(tt.wantFired)), Dropped: tt.wantDropped})
			var got []string
			for _, f := range h.Rec.got() {
				got = append(got, f.Scheduled)
			}
			assert.Equal(t, tt.wantFired, got)

			// And it carries on at the next hour, once.
			clock.Set(t0.Add(tt.restart).Truncate(time.Hour).Add(time.Hour))
			h.settled(t, schedule.Stats{Fired: uint64(len(tt.wantFired)) + 1, Dropped: tt.wantDropped})
			assert.Len(t, h.Rec.got(), len(tt.wantFired)+1)
		})
	}
}

func TestRestartDoesNotFireAgain(t *testing.T) {
	// Fired before the restart: not fired again after it.
	st, err := store.Open(filepath.Join(t.TempDir(), "data"), store.Options{})
	require.NoError(t, err)
	clock := newFakeClock(t0)
	rec := &recorder{}
	s, err := schedule.New(context.Background(), schedule.Config{Store: st, Invoker: rec, Clock: clock})
	require.NoError(t, err)
	_, err = s.Create(context.Background(), sched("m", "rate(1 minute)"))
	require.NoError(t, err)
	clock.Set(t0.Add(90 * time.Second))
	rec.waitFires(t, 2)
	require.Eventually(t, func() bool { return s.Stats().Fired == 2 }, 10*time.Second, time.Millisecond)
	require.NoError(t, s.Close(context.Background()))

	h := newHarness(t, st, clock)
	t.Cleanup(func() { _ = st.Close() })
	clock.Set(t0.Add(150 * time.Second))
	h.settled(t, schedule.Stats{Fired: 1})
	fires := h.Rec.got()
	require.Len(t, fires, 1)
	assert.Equal(t, "2026-03-02T10:02:00Z", fires[0].Scheduled)
}

func TestFlexibleWindow(t *testing.T) {
	h := newHarness(t, nil, nil)
	const n = 40
	for i := range n {
		sc := sched(fmt.Sprintf("flex-%02d", i), "cron(0 11 * * ? *)")
		sc.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: 10}
		_, err := h.S.Create(context.Background(), sc)
		require.NoError(t, err)
	}
	due := t0.Add(time.Hour)
	// At the due time, only the fires whose offset is 0 ms may go; then
	// minute by minute the rest, and all within the window.
	h.set(t, due)
	for m := 1; m <= 10; m++ {
		h.set(t, due.Add(time.Duration(m)*time.Minute))
	}
	fires := h.Rec.waitFires(t, n)
	h.settled(t, schedule.Stats{Fired: n})
	minutes := map[int]int{}
	for _, f := range fires {
		assert.Equal(t, "2026-03-02T11:00:00Z", f.Scheduled)
		late := f.At.Sub(due)
		assert.True(t, late >= 0 && late <= 10*time.Minute, "fired %s after its due time", late)
		minutes[int(late/time.Minute)]++
	}
	assert.Greater(t, len(minutes), 3, "40 fires in a 10-minute window land in more than 3 minutes: %v", minutes)
}

func TestFlexibleFireMomentSurvivesARestart(t *testing.T) {
	// The moment a flexible fire is planned for does not change when the
	// process restarts: the offset depends on the schedule and the due
	// time only.
	plan := func(clock *fakeClock, st store.Store) time.Time {
		h := newHarness(t, st, clock)
		due := t0.Add(time.Hour)
		for s := time.Duration(0); s <= 10*time.Minute; s += 5 * time.Second {
			h.set(t, due.Add(s))
			if len(h.Rec.got()) > 0 {
				break
			}
		}
		fires := h.Rec.waitFires(t, 1)
		return fires[0].At
	}
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	h := newHarness(t, st, nil)
	sc := sched("flex", "cron(0 11 * * ? *)")
	sc.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: 10}
	_, err := h.S.Create(context.Background(), sc)
	require.NoError(t, err)
	require.NoError(t, h.S.Close(context.Background()))

	// Two copies of the store would diverge once one fires; instead, two
	// fresh stores with the same schedule created at the same time.
	first := plan(newFakeClock(t0), st)
	st2 := store.NewMemory()
	t.Cleanup(func() { _ = st2.Close() })
	h2 := newHarness(t, st2, newFakeClock(t0))
	_, err = h2.S.Create(context.Background(), sc)
	require.NoError(t, err)
	require.NoError(t, h2.S.Close(context.Background()))
	second := plan(newFakeClock(t0), st2)
	assert.Equal(t, first, second)
}

func TestActionAfterCompletion(t *testing.T) {
	tests := []struct {
		name       string
		action     schedule.ActionAfterCompletion
		expr       string
		end        time.Duration // EndDate after t0 (0: none)
		steps      []time.Duration
		fires      int
		wantExists bool
	}{
		{"DELETE removes a one-time schedule after it fired", schedule.ActionDelete, "at(2026-03-02T10:05:00)", 0,
			[]time.Duration{5 * time.Minute}, 1, false},
		{"NONE keeps it", schedule.ActionNone, "at(2026-03-02T10:05:00)", 0,
			[]time.Duration{5 * time.Minute}, 1, true},
		{"DELETE removes a rate schedule after its EndDate", schedule.ActionDelete, "rate(1 minute)", 150 * time.Second,
			[]time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sc := sched("done", tt.expr)
			sc.ActionAfterCompletion = tt.action
			if tt.end != 0 {
				sc.EndDate = t0.Add(tt.end)
			}
			_, err := h.S.Create(context.Background(), sc)
			require.NoError(t, err)
			for _, d := range tt.steps {
				h.set(t, t0.Add(d))
			}
			want := schedule.Stats{Fired: uint64(tt.fires)}
			if !tt.wantExists {
				want.Deleted = 1
			}
			h.settled(t, want)
			_, err = h.S.Get(context.Background(), "", "done")
			if tt.wantExists {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, schedule.ErrNotFound)
			}
			assert.Len(t, h.Rec.got(), tt.fires)
		})
	}
}

func TestStateAndDates(t *testing.T) {
	t.Run("a disabled schedule does not fire, and does not catch up when enabled", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		sc := sched("d", "rate(1 minute)")
		sc.State = schedule.StateDisabled
		_, err := h.S.Create(context.Background(), sc)
		require.NoError(t, err)
		h.Clock.Set(t0.Add(5 * time.Minute))
		sc.State = schedule.StateEnabled
		_, err = h.S.Update(context.Background(), sc)
		require.NoError(t, err)
		h.Clock.Set(t0.Add(6 * time.Minute))
		h.settled(t, schedule.Stats{Fired: 1})
		fires := h.Rec.got()
		require.Len(t, fires, 1)
		assert.Equal(t, "2026-03-02T10:06:00Z", fires[0].Scheduled)
	})
	t.Run("StartDate: the first fire; EndDate: the last", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		sc := sched("bounded", "rate(10 minutes)")
		sc.StartDate = t0.Add(30*time.Minute + 7*time.Second)
		sc.EndDate = t0.Add(55 * time.Minute)
		_, err := h.S.Create(context.Background(), sc)
		require.NoError(t, err)
		for m := 10; m <= 90; m += 10 {
			h.set(t, t0.Add(time.Duration(m)*time.Minute+30*time.Second))
		}
		h.settled(t, schedule.Stats{Fired: 3})
		var got []string
		for _, f := range h.Rec.got() {
			got = append(got, f.Scheduled)
		}
		assert.Equal(t, []string{"2026-03-02T10:30:07Z", "2026-03-02T10:40:07Z", "2026-03-02T10:50:07Z"}, got)
	})
	t.Run("an update that keeps the timing keeps the due time", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		sc := sched("u", "cron(0 11 * * ? *)")
		sc.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: 60}
		_, err := h.S.Create(context.Background(), sc)
		require.NoError(t, err)
		// Inside the window, before the fire (the window is an hour, so
		// the offset is probably not 0): a description change does not
		// skip the 11:00 fire.
		h.Clock.Set(t0.Add(time.Hour))
		sc.Description = "changed"
		_, err = h.S.Update(context.Background(), sc)
		require.NoError(t, err)
		h.Clock.Set(t0.Add(2 * time.Hour))
		h.settled(t, schedule.Stats{Fired: 1})
		assert.Equal(t, "2026-03-02T11:00:00Z", h.Rec.got()[0].Scheduled)
	})
}

func TestFireFailures(t *testing.T) {
	t.Run("a target that does not exist consumes the due time, counted as failed", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		h.Rec.err = func(int) error { return fmt.Errorf("%w: report", engine.ErrFunctionNotFound) }
		_, err := h.S.Create(context.Background(), sched("gone", "rate(1 minute)"))
		require.NoError(t, err)
		h.settled(t, schedule.Stats{Failed: 1})
		h.Clock.Set(t0.Add(time.Minute))
		h.settled(t, schedule.Stats{Failed: 2})
	})
	t.Run("a store error is retried, and the due time fires once", func(t *testing.T) {
		h := newHarness(t, nil, nil, func(c *schedule.Config) { c.RetryDelay = time.Second })
		h.Rec.err = func(n int) error {
			if n == 0 {
				return errors.New("disk full")
			}
			return nil
		}
		_, err := h.S.Create(context.Background(), sched("flaky", "rate(1 hour)"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return h.S.Stats().Errors == 1 }, 10*time.Second, time.Millisecond)
		h.Clock.Set(t0.Add(time.Second))
		h.settled(t, schedule.Stats{Fired: 1})
		assert.Len(t, h.Rec.got(), 1)
	})
}

func TestDeleteWhileWaiting(t *testing.T) {
	h := newHarness(t, nil, nil)
	_, err := h.S.Create(context.Background(), sched("bye", "cron(0 11 * * ? *)"))
	require.NoError(t, err)
	require.NoError(t, h.S.Delete(context.Background(), "", "bye"))
	h.Clock.Set(t0.Add(2 * time.Hour))
	assert.Equal(t, schedule.Stats{}, h.S.Stats())
	assert.Empty(t, h.Rec.got())
}

func TestARateFiresAtOnceWhateverTheMoment(t *testing.T) {
	// The creation time is kept in milliseconds, and a rate runs from it
	// in whole seconds: the first fire is at once, not an interval later.
	at := t0.Add(459812345 * time.Nanosecond)
	h := newHarness(t, nil, newFakeClock(at))
	_, err := h.S.Create(context.Background(), sched("now", "rate(1 hour)"))
	require.NoError(t, err)
	h.settled(t, schedule.Stats{Fired: 1})
	assert.Equal(t, "2026-03-02T10:00:00Z", h.Rec.got()[0].Scheduled)
	assert.Equal(t, at.Truncate(time.Second).Add(time.Hour), h.S.Stats().NextFire)
}

// eagerWatchStore is a memory store whose buckets report each Update to
// their watcher before the Update returns: the order a cluster's store
// watch may take, where the watch can bring a schedule in before Create
// that wrote it has placed it.
type eagerWatchStore struct{ store.Store }

func (s eagerWatchStore) Bucket(name string) (store.Bucket, error) {
	b, err := s.Store.Bucket(name)
	return &eagerWatchBucket{Bucket: b}, err
}

type eagerWatchBucket struct {
	store.Bucket
	watch func(key string)
}

func (b *eagerWatchBucket) Watch(_ context.Context, fn func(key string)) error {
	b.watch = fn
	return nil
}

func (b *eagerWatchBucket) Update(ctx context.Context, key string, fn func([]byte, bool) ([]byte, error)) error {
	if err := b.Bucket.Update(ctx, key, fn); err != nil {
		return err
	}
	if b.watch != nil {
		done := make(chan struct{})
		go func() { defer close(done); b.watch(key) }()
		<-done
	}
	return nil
}

// TestCreateSeenFirstByTheWatchFiresOnce creates a schedule that the
// store's watch brings in before Create places it: the scheduler keeps
// one entry for it, and its due time fires once.
func TestCreateSeenFirstByTheWatchFiresOnce(t *testing.T) {
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	h := newHarness(t, eagerWatchStore{st}, nil)
	_, err := h.S.Create(context.Background(), sched("s", "at(2026-03-02T10:20:00)"))
	require.NoError(t, err)
	assert.Equal(t, 1, h.S.Stats().Waiting)
	h.set(t, t0.Add(time.Hour))
	h.settled(t, schedule.Stats{Fired: 1})
	assert.Len(t, h.Rec.got(), 1)
}

// flakyStore is a memory store whose buckets' Updates fail as unavailable
// the first failures times, as a cluster's store does while its streams
// elect leaders.
type flakyStore struct {
	store.Store
	failures *atomic.Int32
}

func (s flakyStore) Bucket(name string) (store.Bucket, error) {
	b, err := s.Store.Bucket(name)
	return flakyBucket{Bucket: b, failures: s.failures}, err
}

type flakyBucket struct {
	store.Bucket
	failures *atomic.Int32
}

func (b flakyBucket) Update(ctx context.Context, key string, fn func([]byte, bool) ([]byte, error)) error {
	if b.failures.Add(-1) >= 0 {
		return fmt.Errorf("%w: no response from stream", store.ErrUnavailable)
	}
	return b.Bucket.Update(ctx, key, fn)
}

func TestNewWaitsForAnUnavailableStore(t *testing.T) {
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	failures := &atomic.Int32{}
	failures.Store(3)
	h := newHarness(t, flakyStore{Store: st, failures: failures}, nil)
	_, err := h.S.Create(context.Background(), sched("s", "rate(1 hour)"))
	require.NoError(t, err, "the default group was made once the store answered")
}
