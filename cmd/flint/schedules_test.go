package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startSchedulerServer is startServer (signed) with a Scheduler, whose
// engine it returns.
func startSchedulerServer(t *testing.T) (*testServer, *engine.Engine) {
	t.Helper()
	unsetenv(t, "FLINT_ENDPOINT", "FLINT_ACCESS_KEY", "FLINT_SECRET_KEY", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	sch, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	require.NoError(t, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: []auth.Key{testKey}, Scheduler: sch})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.NoError(t, sch.Close(ctx))
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &testServer{URL: "http://" + ln.Addr().String()}, eng
}

func TestScheduleCommands(t *testing.T) {
	s, eng := startSchedulerServer(t)
	_, err := eng.Deploy(context.Background(), engine.Function{Name: "report",
		Code: testguest.File(t, "engine/testdata/logpayload.wasm")})
	require.NoError(t, err)

	arn := "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly"
	assert.Equal(t, "schedule nightly created: "+arn+"\n",
		s.ok(t, "schedule", "put", "nightly", "--cron", "0 3 * * ? *", "--tz", "Europe/Berlin", "--target", "report"))
	got := decode[scheduleOut](t, s.ok(t, "schedule", "get", "nightly", "-o", "json"))
	assert.Equal(t, "cron(0 3 * * ? *)", got.Expression)
	assert.Equal(t, "Europe/Berlin", got.Timezone)
	assert.Equal(t, "ENABLED", got.State)
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:report", got.Target)
	require.NotNil(t, got.NextDue)
	assert.Equal(t, 3, got.NextDue.In(mustZone(t, "Europe/Berlin")).Hour(), "the next due time is 03:00 in Berlin")

	// put replaces: flags not given take their defaults.
	input := filepath.Join(t.TempDir(), "input.json")
	require.NoError(t, os.WriteFile(input, []byte(`{"kind":"nightly"}`), 0o644))
	out := decode[map[string]string](t, s.ok(t, "schedule", "put", "nightly", "--rate", "12 hours", "--target", "report:$LATEST",
		"--input", "@"+input, "--disabled", "--window", "10", "--retries", "2", "--max-age", "1h", "--dead-letter", "dead-letter",
		"--description", "twice a day", "--delete-after-completion", "-o", "json"))
	assert.Equal(t, map[string]string{"arn": arn, "result": "updated"}, out)
	got = decode[scheduleOut](t, s.ok(t, "schedule", "get", "nightly", "-o", "json"))
	assert.Equal(t, "rate(12 hours)", got.Expression)
	assert.Empty(t, got.Timezone)
	assert.Equal(t, "DISABLED", got.State)
	assert.Equal(t, map[string]any{"kind": "nightly"}, got.Input)
	assert.EqualValues(t, 10, got.WindowMinutes)
	assert.EqualValues(t, 2, *got.MaximumRetryAttempts)
	assert.EqualValues(t, 3600, *got.MaximumEventAgeSecs)
	assert.Equal(t, schedule.DeadLetterStoreArn, got.DeadLetter)
	assert.Equal(t, "DELETE", got.ActionAfterCompletion)
	assert.Nil(t, got.NextDue, "a disabled schedule is not due")

	text := s.ok(t, "schedule", "get", "nightly")
	for _, want := range []string{"rate(12 hours)", "DISABLED", "10 min", "2 within 1h0m0s", "flint:dead-letter", "twice a day"} {
		assert.Contains(t, text, want)
	}

	// A rate fires at creation: the function gets the input, with the
	// context attributes replaced.
	s.ok(t, "schedule", "put", "ticker", "--rate", "1 minute", "--target", "report", "--input",
		`{"at":"<aws.scheduler.scheduled-time>"}`)
	waitFor(t, 20*time.Second, "the ticker's first fire", func() bool {
		logs, err := eng.Logs("report", 0)
		require.NoError(t, err)
		return len(logs) > 0 && strings.Contains(string(logs[0].Text), `{"at":"20`)
	})

	ls := s.ok(t, "schedule", "ls")
	assert.Regexp(t, `(?m)^NAME +GROUP +STATE +TARGET +LAST MODIFIED\n`, ls)
	assert.Regexp(t, `(?m)^nightly +default +DISABLED +report:\$LATEST +`, ls)
	assert.Regexp(t, `(?m)^ticker +default +ENABLED +report +`, ls)
	rows := decode[[]map[string]any](t, s.ok(t, "schedule", "ls", "--state", "enabled", "-o", "json"))
	require.Len(t, rows, 1)
	assert.Equal(t, "ticker", rows[0]["name"])

	assert.Equal(t, "schedule ticker deleted\n", s.ok(t, "schedule", "rm", "ticker"))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"gone", []string{"schedule", "get", "ticker"}, exitUsage, "Schedule ticker does not exist. (ResourceNotFoundException)"},
		{"rm gone", []string{"schedule", "rm", "ticker"}, exitUsage, "does not exist"},
		{"no expression", []string{"schedule", "put", "x", "--target", "report"}, exitUsage, "give one of --cron, --rate, --at and --expression"},
		{"two expressions", []string{"schedule", "put", "x", "--rate", "1 hour", "--cron", "0 * * * ? *", "--target", "report"}, exitUsage, "give one of"},
		{"no target", []string{"schedule", "put", "x", "--rate", "1 hour"}, exitUsage, "--target NAME[:QUALIFIER] is required"},
		{"bad cron", []string{"schedule", "put", "x", "--cron", "0 3 * * * *", "--target", "report"}, exitUsage, "Invalid Schedule Expression cron(0 3 * * * *)"},
		{"bad zone", []string{"schedule", "put", "x", "--rate", "1 hour", "--tz", "Mars/Base", "--target", "report"}, exitUsage, "(ValidationException)"},
		{"bad start", []string{"schedule", "put", "x", "--rate", "1 hour", "--start", "tomorrow", "--target", "report"}, exitUsage, "--start \"tomorrow\": use RFC 3339"},
		{"missing group", []string{"schedule", "put", "x", "--rate", "1 hour", "--group", "nogroup", "--target", "report"}, exitUsage, "Schedule group nogroup does not exist."},
		{"bad target", []string{"schedule", "put", "x", "--rate", "1 hour", "--target", "a:b:c"}, exitUsage, "(ValidationException)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { s.fails(t, tt.code, tt.want, tt.args...) })
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
