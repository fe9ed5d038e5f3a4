package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ordersPolicy lets the orders example keep its counts.
const ordersPolicy = `{"Version": "2026-11-01", "Statement": [
  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:orders/*"]}]}`

// TestEventSourcesSurviveKill drives streams and event source mappings
// with the flint commands against the real binary, then kills the server
// (SIGKILL) while batches are in flight: after a restart on the same data
// every order published is taken at least once, the bad ones end in the
// dead-letter store, and nothing is lost.
func TestEventSourcesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the flint binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("sends SIGKILL")
	}
	bin := buildFlint(t)
	data := t.TempDir()
	require.NoError(t, os.Symlink(testguest.CacheDir(t), filepath.Join(data, "compile-cache")))
	srv := startServeWith(t, bin, data, "--source-ack-margin", "2s")

	srv.flintCmd(t, bin, "role", "put", "orders", writeFile(t, "orders.json", ordersPolicy))
	srv.flintCmd(t, bin, "deploy", "orders", goGuest(t, "orders"), "--role", "orders", "--env", "SLEEP_MS=20", "--timeout", "10s")
	assert.Contains(t, srv.flintCmd(t, bin, "stream", "create", "orders", "--subject", "orders.>"), "stream orders (arn:aws:nats:us-east-1:000000000000:stream/orders) keeps orders.>")
	assert.Contains(t, srv.flintCmd(t, bin, "stream", "pub", "orders", `{"id":"first","qty":1}`, "--subject", "orders.new"), "published to orders.new as #1")

	added := decode[sourceOut](t, srv.flintCmd(t, bin, "source", "add", "orders", "orders", "--report-failures", "--batch-size", "10",
		"--retries", "2", "--concurrency", "2", "-o", "json"))
	require.Len(t, added.UUID, 36)
	assert.Equal(t, "Creating", added.State)
	waitFor(t, 30*time.Second, "the first order to be taken", func() bool {
		return sourceStats(t, srv, bin, added.UUID)["Succeeded"] >= 1
	})

	t.Run("pause and resume", func(t *testing.T) {
		assert.Contains(t, srv.flintCmd(t, bin, "source", "pause", added.UUID), "paused event source mapping "+added.UUID)
		waitFor(t, 30*time.Second, "the mapping to stop", func() bool {
			return decode[sourceOut](t, srv.flintCmd(t, bin, "source", "get", added.UUID, "-o", "json")).State == "Disabled"
		})
		ls := decode[[]sourceOut](t, srv.flintCmd(t, bin, "source", "ls", "--function", "orders", "-o", "json"))
		require.Len(t, ls, 1)
		assert.Equal(t, "Disabled", ls[0].State)
		assert.Contains(t, srv.flintCmd(t, bin, "source", "resume", added.UUID), "resumed")
	})

	// Two hundred orders and five bad ones, in one file.
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf(`{"id":"o-%d","qty":%d}`, i, 1+i%3))
		if i%40 == 0 {
			lines = append(lines, fmt.Sprintf(`{"id":"bad-%d","qty":0}`, i))
		}
	}
	file := writeFile(t, "orders.txt", strings.Join(lines, "\n")+"\n")
	assert.Contains(t, srv.flintCmd(t, bin, "stream", "pub", "orders", "--file", file, "--subject", "orders.new"), "published 205 messages (#2 to #206)")
	info := decode[streamOut](t, srv.flintCmd(t, bin, "stream", "info", "orders", "-o", "json"))
	assert.Equal(t, uint64(206), info.Messages)

	// Kill the server in the middle: batches are running (20 ms a record).
	waitFor(t, 60*time.Second, "orders to be in flight", func() bool {
		st := sourceStats(t, srv, bin, added.UUID)
		return st["Succeeded"] >= 40 && st["InFlight"] > 0
	})
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.done
	t.Logf("killed the server mid-batch")

	srv2 := startServeWith(t, bin, data, "--source-ack-margin", "2s")
	waitFor(t, 120*time.Second, "the mapping to take every order after the restart", func() bool {
		st := sourceStats(t, srv2, bin, added.UUID)
		return st["Lag"] == 0 && st["InFlight"] == 0 && st["SentToFailureDestination"] == 5
	})
	var dlq []struct{ Function, Condition string }
	require.NoError(t, json.Unmarshal([]byte(srv2.flintCmd(t, bin, "dlq", "ls", "-o", "json")), &dlq))
	assert.Len(t, dlq, 5, "the five bad orders, out of retries, are in the dead-letter store")
	code, _ := srv2.terminate(t)
	require.Equal(t, 0, code)

	st, err := store.Open(data, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	orders, err := st.Bucket("kv/orders")
	require.NoError(t, err)
	var missing []string
	again := 0
	for i := range 200 {
		id := fmt.Sprintf("o-%d", i)
		v, err := orders.Get(context.Background(), id)
		if err != nil {
			missing = append(missing, id)
			continue
		}
		if n, _ := strconv.Atoi(string(v)); n > 1 {
			again++
		}
	}
	assert.Empty(t, missing, "orders published and never taken")
	t.Logf("every order taken; %d of 200 were taken again after the kill (at least once, as documented)", again)
}

// sourceStats reads a mapping's counters through flint source get.
func sourceStats(t *testing.T, srv *serveProcess, bin, id string) map[string]uint64 {
	t.Helper()
	var out struct{ Stats map[string]any }
	require.NoError(t, json.Unmarshal([]byte(srv.flintCmd(t, bin, "source", "get", id, "-o", "json")), &out))
	st := map[string]uint64{}
	for k, v := range out.Stats {
		if f, ok := v.(float64); ok {
			st[k] = uint64(f)
		}
	}
	return st
}
