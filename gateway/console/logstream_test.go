package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogStream reads the live log's event stream as a browser's
// EventSource would: the backlog from ?since=, then each new record as
// one event whose data is one JSON line, however the function's log
// tries to frame events of its own.
func TestLogStream(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "fn")
	ctx := context.Background()
	for _, p := range []string{`"first"`, `"second"`} {
		_, err := s.Engine.Invoke(ctx, "fn", []byte(p))
		require.NoError(t, err)
	}
	c := s.client(t)
	c.signIn(adminKey)

	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, "GET", s.URL+"/console/functions/fn/logs/stream?since=1", nil)
	require.NoError(t, err)
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")

	type event struct {
		id   string
		data string
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() event {
		var ev event
		for lines.Scan() {
			line := lines.Text()
			switch {
			case line == "" && ev.data != "":
				return ev
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				require.Empty(t, ev.data, "one data line per event")
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "", strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry: "):
			default:
				t.Fatalf("a line no event of the console's has: %q", line)
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
		return ev
	}
	var rec struct {
		Seq  uint64 `json:"seq"`
		Text string `json:"text"`
	}
	ev := next()
	require.NoError(t, json.Unmarshal([]byte(ev.data), &rec))
	assert.Equal(t, "1", ev.id, "the backlog from since=1: the second invocation")
	assert.Contains(t, rec.Text, `"second"`)

	// A log line that tries to end the event and start one of its own.
	// (The engine takes any bytes; the log call turns a newline into a
	// carriage return, which ends a line in an event stream too.)
	framing := "x\r\n\r\nevent: forged\r\ndata: forged\n\nid: 99\n"
	_, err = s.Engine.Invoke(ctx, "fn", []byte(framing))
	require.NoError(t, err)
	ev = next()
	assert.Equal(t, "2", ev.id)
	require.NoError(t, json.Unmarshal([]byte(ev.data), &rec))
	assert.Contains(t, rec.Text, `event: forged`, "the attempt is in the record's text")
	assert.Contains(t, rec.Text, "REPORT RequestId")
}
