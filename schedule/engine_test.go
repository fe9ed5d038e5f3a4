package schedule_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newEngine starts an engine on st with the WAT functions report (logs
// its payload) and failing (always fails).
func newEngine(t testing.TB, st store.Store) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t),
		Async: engine.AsyncConfig{RetryDelay: time.Millisecond}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	for name, file := range map[string]string{"report": "logpayload", "failing": "fail"} {
		_, err := eng.Deploy(ctx, engine.Function{Name: name, Code: testguest.File(t, "engine/testdata/"+file+".wasm")})
		require.NoError(t, err)
	}
	return eng
}

func TestFiresThroughTheEngine(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	t.Cleanup(func() { _ = st.Close() })
	eng := newEngine(t, st)
	clock := newFakeClock(t0)
	s, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng, Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })

	t.Run("the function gets the input, under the fire's request id", func(t *testing.T) {
		_, err := s.Create(ctx, sched("logged", "rate(1 hour)"))
		require.NoError(t, err)
		var rec engine.LogRecord
		require.Eventually(t, func() bool {
			logs, err := eng.Logs("report", 0)
			require.NoError(t, err)
			for _, l := range logs {
				if strings.Contains(string(l.Text), "2026-03-02T10:00:00Z") {
					rec = l
					return true
				}
			}
			return false
		}, 20*time.Second, 5*time.Millisecond)
		line := string(rec.Text)
		start := strings.Index(line, `{"t":`)
		require.GreaterOrEqual(t, start, 0, line)
		var f fire
		require.NoError(t, json.NewDecoder(strings.NewReader(line[start:])).Decode(&f))
		assert.Equal(t, f.ID, rec.RequestID, "the execution id is the request id")
		assert.Equal(t, "arn:aws:scheduler:us-east-1:000000000000:schedule/default/logged", f.Arn)
	})

	t.Run("a failure goes to the target's dead-letter config, with its retry policy", func(t *testing.T) {
		sc := sched("doomed", "rate(1 hour)")
		sc.Target.Arn = fn("failing")
		sc.Target.RetryPolicy = &schedule.RetryPolicy{MaximumRetryAttempts: ptr(1)}
		sc.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: schedule.DeadLetterStoreArn}
		_, err := s.Create(ctx, sc)
		require.NoError(t, err)
		var dl engine.DeadLetter
		require.Eventually(t, func() bool {
			dls, _, err := eng.DeadLetters(ctx, "", 10)
			require.NoError(t, err)
			for _, d := range dls {
				if d.Function == "failing" {
					dl = d
					return true
				}
			}
			return false
		}, 20*time.Second, 5*time.Millisecond)
		assert.Equal(t, "RetriesExhausted", dl.Condition)
		assert.Equal(t, 2, dl.Attempts, "one attempt and one retry")
		var f fire
		require.NoError(t, json.Unmarshal(dl.Payload, &f))
		assert.Equal(t, f.ID, dl.ID)
	})

	t.Run("a target that is not deployed is counted as failed", func(t *testing.T) {
		sc := sched("orphan", "rate(1 hour)")
		sc.Target.Arn = fn("absent")
		before := s.Stats().Failed
		_, err := s.Create(ctx, sc)
		require.NoError(t, err)
		require.Eventually(t, func() bool { return s.Stats().Failed == before+1 }, 10*time.Second, time.Millisecond)
	})
}
