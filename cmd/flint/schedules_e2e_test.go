package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeFiresAScheduleMissedWhileKilled: a one-time schedule whose time
// passes while the server is down (killed with SIGKILL) fires once when it
// comes back, and not again after another restart.
func TestServeFiresAScheduleMissedWhileKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the flint binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("kills a process")
	}
	bin := buildFlint(t)
	data := t.TempDir()
	require.NoError(t, os.Symlink(testguest.CacheDir(t), filepath.Join(data, "compile-cache")))
	srv := startServe(t, bin, data)
	logpayload := filepath.Join(t.TempDir(), "logpayload.wasm")
	require.NoError(t, os.WriteFile(logpayload, testguest.File(t, "engine/testdata/logpayload.wasm"), 0o644))
	srv.flintCmd(t, bin, "deploy", "report", logpayload)

	due := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second)
	srv.flintCmd(t, bin, "schedule", "put", "once", "--at", due.Format("2006-01-02T15:04:05"), "--target", "report",
		"--input", `{"due":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>"}`)
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.done
	waitFor(t, 10*time.Second, "the due time to pass", func() bool { return time.Now().After(due.Add(time.Second)) })

	srv = startServe(t, bin, data)
	want := `{"due":"` + due.Format(time.RFC3339) + `","id":"`
	waitFor(t, 30*time.Second, "the missed fire", func() bool {
		return strings.Contains(srv.flintCmd(t, bin, "logs", "report"), want)
	})
	assert.Equal(t, 1.0, srv.metric(t, "flint_schedule_fires_total", "outcome=fired"))
	assert.Equal(t, 1, strings.Count(srv.flintCmd(t, bin, "logs", "report"), want))
	code, _ := srv.terminate(t)
	require.Equal(t, 0, code)

	srv = startServe(t, bin, data)
	assert.Equal(t, 0.0, srv.metric(t, "flint_schedule_fires_total", "outcome=fired"), "fired once: not again after a restart")
	assert.Regexp(t, `(?m)^next due +-$`, srv.flintCmd(t, bin, "schedule", "get", "once"))
}
