package schedule_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leaveClaim makes the schedule's record look as a process that died
// while firing due would have left it: a claim by another owner, valid
// until until.
func leaveClaim(t *testing.T, st store.Store, key string, due, until time.Time) {
	t.Helper()
	b, err := st.Bucket(schedule.SchedulesBucket)
	require.NoError(t, err)
	require.NoError(t, b.Update(context.Background(), key, func(old []byte, exists bool) ([]byte, error) {
		require.True(t, exists)
		var rec map[string]any
		require.NoError(t, json.Unmarshal(old, &rec))
		fire := rec["fire"].(map[string]any)
		assert.Equal(t, due.Format(time.RFC3339Nano), fire["next"], "the record waits for the due time")
		fire["claim"] = map[string]any{"due": due, "owner": "a-process-that-died", "until": until}
		return json.Marshal(rec)
	}))
}

func TestACrashedFireIsFiredAgainAfterItsClaimRunsOut(t *testing.T) {
	tests := []struct {
		name string
		// The dead process's claim: its due time and how long it holds.
		lease time.Duration
	}{
		{"the claim runs out after the restart", 5 * time.Minute},
		{"the claim ran out before the restart", -time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store.NewMemory()
			t.Cleanup(func() { _ = st.Close() })
			first := newHarness(t, st, nil)
			_, err := first.S.Create(context.Background(), sched("hourly", "cron(0 * * * ? *)"))
			require.NoError(t, err)
			require.NoError(t, first.S.Close(context.Background()))

			due := t0.Add(time.Hour)
			leaveClaim(t, st, "default/hourly", due, due.Add(tt.lease))
			h := newHarness(t, st, newFakeClock(due.Add(30*time.Second)))
			if tt.lease > 30*time.Second {
				// Someone holds it: nothing fires until the claim runs out.
				h.set(t, due.Add(tt.lease-time.Second))
				assert.Empty(t, h.Rec.got())
				h.set(t, due.Add(tt.lease))
			}
			h.settled(t, schedule.Stats{Fired: 1})
			assert.Equal(t, uint64(1), h.S.Stats().Recovered)
			fires := h.Rec.got()
			require.Len(t, fires, 1)
			assert.Equal(t, "2026-03-02T11:00:00Z", fires[0].Scheduled)
		})
	}
}

func TestCloseLeavesNoClaim(t *testing.T) {
	// A clean shutdown in the middle of fires: the next process fires
	// nothing twice and waits for no claim.
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	first := newHarness(t, st, nil)
	block := make(chan struct{})
	first.Rec.err = func(int) error { <-block; return nil }
	_, err := first.S.Create(context.Background(), sched("m", "rate(1 minute)"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return first.S.Stats().Firing == 1 }, 10*time.Second, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- first.S.Close(context.Background()) }()
	close(block)
	require.NoError(t, <-closed)
	fired := len(first.Rec.got())

	h := newHarness(t, st, newFakeClock(t0.Add(90*time.Second)))
	h.settled(t, schedule.Stats{Fired: uint64(2 - fired)})
	assert.Equal(t, uint64(0), h.S.Stats().Recovered)
	var all []string
	for _, f := range append(first.Rec.got(), h.Rec.got()...) {
		all = append(all, f.Scheduled)
	}
	assert.Equal(t, []string{"2026-03-02T10:00:00Z", "2026-03-02T10:01:00Z"}, all)
}
