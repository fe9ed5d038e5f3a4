package engine_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportLine is a parsed REPORT line.
type reportLine struct {
	RequestID    string
	Duration     float64 // ms
	Billed       int64   // ms
	MemorySize   int     // MB
	MemoryUsed   int     // MB
	InitDuration float64 // ms; -1 when the line has none
}

var reportRE = regexp.MustCompile(`^REPORT RequestId: (\S+)\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d\d) ms)?$`)

// parseInvocationLog checks that text is one invocation's log as Lambda
// writes it (START, the function's lines, END, REPORT, each exactly once)
// for request id and version, and returns its REPORT.
func parseInvocationLog(t testing.TB, text []byte, id, version string) reportLine {
	t.Helper()
	s := string(text)
	require.True(t, strings.HasSuffix(s, "\n"), "%q", s)
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 3, "%q", s)
	for _, w := range []string{"START RequestId:", "END RequestId:", "REPORT RequestId:"} {
		assert.Equal(t, 1, strings.Count(s, w), "%s appears once in %q", w, s)
	}
	assert.Equal(t, "START RequestId: "+id+" Version: "+version, lines[0])
	assert.Equal(t, "END RequestId: "+id, lines[len(lines)-2])
	if fn := lines[1 : len(lines)-2]; len(fn) > 0 {
		parseLogs(t, []byte(strings.Join(fn, "\n")+"\n")) // the function's lines are well-formed
	}
	m := reportRE.FindStringSubmatch(lines[len(lines)-1])
	require.NotNil(t, m, "REPORT line: %q", lines[len(lines)-1])
	r := reportLine{RequestID: m[1], InitDuration: -1}
	r.Duration, _ = strconv.ParseFloat(m[2], 64)
	r.Billed, _ = strconv.ParseInt(m[3], 10, 64)
	r.MemorySize, _ = strconv.Atoi(m[4])
	r.MemoryUsed, _ = strconv.Atoi(m[5])
	if m[6] != "" {
		r.InitDuration, _ = strconv.ParseFloat(m[6], 64)
	}
	assert.Equal(t, id, r.RequestID)
	return r
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func TestInvocationLog(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "logs"), MemoryMB: 64})
	deploy(t, eng, engine.Function{Name: "slow", Code: wat(t, "sleep"), MemoryMB: 256})

	tests := []struct {
		name, function, payload string
		cold                    bool
	}{
		{"cold", "fn", "", true},
		{"warm", "fn", "", false},
		{"again", "fn", "", false},
		{"longer than a millisecond", "slow", "7", true},
	}
	results := map[string][]*engine.Result{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustSucceed(t, eng, tt.function, tt.payload)
			results[tt.function] = append(results[tt.function], res)
			require.Equal(t, tt.cold, res.Cold)
			r := parseInvocationLog(t, res.Log(), res.RequestID, "$LATEST")

			assert.Equal(t, fmt.Sprintf("%.2f", millis(res.Duration)), fmt.Sprintf("%.2f", r.Duration))
			assert.Positive(t, r.Duration)
			assert.Less(t, r.Duration, 5000.0)
			want := max(int64(math.Ceil(millis(res.Duration))), 1)
			assert.Equal(t, want, r.Billed, "billed: the duration rounded up to the millisecond")
			assert.Equal(t, res.BilledDuration(), time.Duration(r.Billed)*time.Millisecond)
			assert.GreaterOrEqual(t, float64(r.Billed), r.Duration)
			assert.Equal(t, res.MemoryMB, r.MemorySize)
			assert.Equal(t, int((res.MemoryUsed+1<<20-1)>>20), r.MemoryUsed, "max memory used, in MB rounded up")
			assert.GreaterOrEqual(t, r.MemoryUsed, 1)
			assert.LessOrEqual(t, r.MemoryUsed, r.MemorySize)
			if tt.cold {
				require.GreaterOrEqual(t, r.InitDuration, 0.0, "a cold start reports its init")
				assert.Equal(t, fmt.Sprintf("%.2f", millis(res.InitDuration)), fmt.Sprintf("%.2f", r.InitDuration))
			} else {
				assert.Equal(t, -1.0, r.InitDuration, "a warm start reports no init")
			}
		})
	}
	assert.GreaterOrEqual(t, results["slow"][0].Duration, 7*time.Millisecond)

	t.Run("Engine.Logs has the same records", func(t *testing.T) {
		for name, results := range results {
			recs, err := eng.Logs(name, 0)
			require.NoError(t, err)
			require.Len(t, recs, len(results), "one record per invocation")
			for i, res := range results {
				rec := recs[i]
				assert.Equal(t, uint64(i), rec.Seq)
				assert.Equal(t, res.RequestID, rec.RequestID)
				assert.Equal(t, "$LATEST", rec.Version)
				assert.False(t, rec.Failed)
				assert.Equal(t, string(res.Log()), string(rec.Text))
				parseInvocationLog(t, rec.Text, res.RequestID, "$LATEST")
			}
		}
	})

	t.Run("a failed invocation", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "fails", Code: wat(t, "fail")})
		res := invoke(t, eng, "fails", "")
		require.NotNil(t, res.FunctionError)
		parseInvocationLog(t, res.Log(), res.RequestID, "$LATEST")
		recs, err := eng.Logs("fails", 0)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		assert.True(t, recs[0].Failed)
		assert.Equal(t, string(res.Log()), string(recs[0].Text))
	})

	t.Run("a published version", func(t *testing.T) {
		require.Equal(t, "1", publish(t, eng, "fn"))
		res := mustSucceed(t, eng, "fn:1", "")
		parseInvocationLog(t, res.Log(), res.RequestID, "1")
		recs, err := eng.Logs("fn", 3)
		require.NoError(t, err)
		require.Len(t, recs, 1, "records from sequence number 3 on")
		assert.Equal(t, "1", recs[0].Version)
		assert.Equal(t, string(res.Log()), string(recs[0].Text))
	})
}

func TestLogRingIsBounded(t *testing.T) {
	const size, calls = 5, 12
	eng := newEngine(t, engine.Config{LogRingSize: size})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	var ids []string
	for i := range calls {
		ids = append(ids, mustSucceed(t, eng, "fn", fmt.Sprint(i)).RequestID)
	}

	tests := []struct {
		name  string
		since uint64
		first uint64 // sequence number of the first record returned
	}{
		{"all kept", 0, calls - size},
		{"since one no longer kept", 3, calls - size},
		{"since the oldest kept", calls - size, calls - size},
		{"since a recent one", calls - 2, calls - 2},
		{"since the next", calls, calls},
		{"since a future one", calls + 10, calls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := eng.Logs("fn", tt.since)
			require.NoError(t, err)
			require.Len(t, recs, calls-int(tt.first))
			for i, rec := range recs {
				seq := tt.first + uint64(i)
				assert.Equal(t, seq, rec.Seq, "sequence numbers increase by one")
				assert.Equal(t, ids[seq], rec.RequestID, "the last %d invocations, oldest first", size)
			}
		})
	}
	_, err := eng.Logs("nope", 0)
	assert.ErrorIs(t, err, engine.ErrFunctionNotFound)
}

func TestFollowLogs(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.WATEcho(t)})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	got := make(chan engine.LogRecord, 100)
	done := make(chan error, 1)
	go func() {
		done <- eng.FollowLogs(ctx, "fn", func(r engine.LogRecord) bool {
			got <- r
			return true
		})
	}()
	// The follower sees only what is logged once it has subscribed:
	// invoke until it sees something.
	sent := map[string]bool{}
	require.Eventually(t, func() bool {
		sent[mustSucceed(t, eng, "fn", "x").RequestID] = true
		return len(got) > 0
	}, 10*time.Second, time.Millisecond)
	next := func() engine.LogRecord {
		t.Helper()
		select {
		case r := <-got:
			return r
		case <-time.After(10 * time.Second):
			require.FailNow(t, "no log record arrived")
			return engine.LogRecord{}
		}
	}
	// Records arrive in order: those of the invocations above, up to a
	// last one's.
	last := mustSucceed(t, eng, "fn", "last").RequestID
	for r := next(); r.RequestID != last; r = next() {
		assert.True(t, sent[r.RequestID], "a record of an invocation made: %s", r.RequestID)
	}

	for i := range 3 {
		res := mustSucceed(t, eng, "fn", fmt.Sprint(i))
		r := next()
		assert.Equal(t, res.RequestID, r.RequestID, "new records arrive in order")
		assert.Equal(t, string(res.Log()), string(r.Text))
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	t.Run("stops when the callback says so", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			done <- eng.FollowLogs(context.Background(), "fn", func(engine.LogRecord) bool { return false })
		}()
		require.Eventually(t, func() bool {
			mustSucceed(t, eng, "fn", "x")
			select {
			case err := <-done:
				assert.NoError(t, err)
				return true
			default:
				return false
			}
		}, 10*time.Second, time.Millisecond)
	})
	t.Run("unknown function", func(t *testing.T) {
		assert.ErrorIs(t, eng.FollowLogs(context.Background(), "nope", func(engine.LogRecord) bool { return true }), engine.ErrFunctionNotFound)
	})
}

func TestShutdownLogRecord(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "lifecycle")})
	res := mustSucceed(t, eng, "fn", "")
	assert.Contains(t, string(res.Logs), "init hook ran", "init lines go into the first invocation's log")

	// Replacing the code retires the instance, which runs its shutdown hook.
	_, err := eng.Update(context.Background(), "fn", withCode(testguest.WATEcho(t)))
	require.NoError(t, err)
	var recs []engine.LogRecord
	require.Eventually(t, func() bool {
		recs, err = eng.Logs("fn", 0)
		require.NoError(t, err)
		return len(recs) == 2
	}, 10*time.Second, time.Millisecond, "the retiring instance's lines make a record")

	assert.Equal(t, res.RequestID, recs[0].RequestID)
	shutdown := recs[1]
	assert.Empty(t, shutdown.RequestID, "the shutdown lines belong to no invocation")
	assert.Equal(t, "$LATEST", shutdown.Version)
	assert.Equal(t, uint64(1), shutdown.Seq)
	assert.NotContains(t, string(shutdown.Text), "RequestId:", "no START, END or REPORT")
	lines := parseLogs(t, shutdown.Text)
	require.Len(t, lines, 1)
	assert.Equal(t, "shutdown hook ran", lines[0].Message)
	assert.Equal(t, "-", lines[0].RequestID)
	assert.Equal(t, "INFO", lines[0].Level)
}
