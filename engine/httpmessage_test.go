package engine_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithHTTPRequest: testdata/http_raw takes HTTP request messages and
// answers with the request's body as its response message; its handle
// echoes an event. The message goes to a version that takes messages, for
// a buffered response; everything else gets the event, made only then.
func TestWithHTTPRequest(t *testing.T) {
	t.Parallel()
	eng := newEngine(t, engine.Config{MaxRequestBytes: 1024})
	code := wat(t, "http_raw")
	deploy(t, eng, engine.Function{Name: "raw", Code: code})
	deploy(t, eng, engine.Function{Name: "old", Code: testguest.WithoutExport(t, code, abi.HTTPHandlerExport)})

	const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
	post := []byte("POST / HTTP/1.1\r\nContent-Length: 41\r\n\r\n" + answer)
	tests := []struct {
		name     string
		function string
		msg      []byte
		stream   bool
		want     string // the payload (or what was streamed)
		http     bool   // Result.HTTPResponse
		events   int    // how many times the event was made
	}{
		{"takes messages", "raw", post, false, answer, true, 0},
		{"built without the export", "old", post, false, `{"event":1}`, false, 1},
		{"declined", "raw", []byte("DELETE / HTTP/1.1\r\n\r\n"), false, `{"event":1}`, false, 1},
		{"streamed", "raw", post, true, `{"event":1}`, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := 0
			event := func() []byte { events++; return []byte(`{"event":1}`) }
			opts := []engine.InvokeOption{engine.WithHTTPRequest(tt.msg, event)}
			var streamed bytes.Buffer
			if tt.stream {
				opts = append(opts, engine.WithResponseStream(&streamed))
			}
			res, err := eng.Invoke(context.Background(), tt.function, nil, opts...)
			require.NoError(t, err)
			require.Nil(t, res.FunctionError)
			got := string(res.Payload)
			if tt.stream {
				got = streamed.String()
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.http, res.HTTPResponse)
			assert.Equal(t, tt.events, events)
		})
	}

	t.Run("a payload given is the event", func(t *testing.T) {
		res, err := eng.Invoke(context.Background(), "old", []byte(`{"given":1}`),
			engine.WithHTTPRequest(post, func() []byte { t.Fatal("event made"); return nil }))
		require.NoError(t, err)
		assert.Equal(t, `{"given":1}`, string(res.Payload))
	})
	t.Run("declined, with a payload given and no event function", func(t *testing.T) {
		res, err := eng.Invoke(context.Background(), "raw", []byte(`{"given":1}`),
			engine.WithHTTPRequest([]byte("DELETE / HTTP/1.1\r\n\r\n"), nil))
		require.NoError(t, err)
		assert.Equal(t, `{"given":1}`, string(res.Payload))
		assert.False(t, res.HTTPResponse)
	})
	t.Run("a message over the request limit", func(t *testing.T) {
		big := []byte("POST / HTTP/1.1\r\n\r\n" + strings.Repeat("x", 1024))
		_, err := eng.Invoke(context.Background(), "raw", nil, engine.WithHTTPRequest(big, nil))
		assert.ErrorIs(t, err, engine.ErrPayloadTooLarge)
	})
	t.Run("an event over the request limit", func(t *testing.T) {
		big := func() []byte { return bytes.Repeat([]byte("x"), 2048) }
		_, err := eng.Invoke(context.Background(), "old", nil, engine.WithHTTPRequest(post, big))
		assert.ErrorIs(t, err, engine.ErrPayloadTooLarge)
		// Declined after the message was taken: the function's failure.
		res, err := eng.Invoke(context.Background(), "raw", nil, engine.WithHTTPRequest([]byte("DELETE / HTTP/1.1\r\n\r\n"), big))
		require.NoError(t, err)
		require.NotNil(t, res.FunctionError)
		assert.Equal(t, engine.ErrorTypeRequestTooLarge, res.FunctionError.Type)
		assert.ErrorIs(t, res.FunctionError, engine.ErrPayloadTooLarge)
		// The instance was not harmed: the next message is served.
		res, err = eng.Invoke(context.Background(), "raw", nil, engine.WithHTTPRequest(post, nil))
		require.NoError(t, err)
		assert.Equal(t, answer, string(res.Payload))
	})
	t.Run("the function's timeout applies", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "slow", Code: code, Timeout: 100 * time.Millisecond})
		res, err := eng.Invoke(context.Background(), "slow", nil, engine.WithHTTPRequest([]byte("SPIN / HTTP/1.1\r\n\r\n"), nil))
		require.NoError(t, err)
		require.NotNil(t, res.FunctionError)
		assert.ErrorIs(t, res.FunctionError, engine.ErrTimeout)
		res, err = eng.Invoke(context.Background(), "slow", nil, engine.WithHTTPRequest(post, nil))
		require.NoError(t, err)
		assert.Equal(t, answer, string(res.Payload), "a new instance serves the next request")
	})
	t.Run("asynchronous invocations refuse it", func(t *testing.T) {
		_, err := eng.InvokeAsync(context.Background(), "raw", []byte(`{}`), engine.WithHTTPRequest(post, nil))
		assert.ErrorIs(t, err, engine.ErrInvalidFunction)
	})
	t.Run("a wrong signature is refused at deploy", func(t *testing.T) {
		_, err := eng.Deploy(context.Background(), engine.Function{Name: "bad", Code: wat(t, "http_bad_signature")})
		require.ErrorIs(t, err, engine.ErrInvalidModule)
		assert.Contains(t, err.Error(), `export "flint_http_handle" has signature (i32) -> (), want (i32) -> (i32)`)
	})
}
