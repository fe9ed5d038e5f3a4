package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamRecorder is a response stream that records each write, and the
// version StartStream announced.
type streamRecorder struct {
	mu      sync.Mutex
	writes  []string
	version string
	starts  int
	fail    bool // writes fail: the caller went away
}

func (r *streamRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return 0, errors.New("client gone")
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *streamRecorder) StartStream(version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.version = version
	r.starts++
}

var _ engine.StreamStarter = (*streamRecorder)(nil)

func TestResponseStream(t *testing.T) {
	t.Parallel()
	eng := newEngine(t, engine.Config{MaxStreamBytes: 64})
	deploy(t, eng, engine.Function{Name: "stream", Code: wat(t, "stream")})
	ctx := context.Background()

	tests := []struct {
		name     string
		payload  string
		fail     bool
		writes   []string
		errType  string
		streamed int64
	}{
		{"each flush is a write, the rest comes last", "ab|c|de", false, []string{"ab", "c", "de"}, "", 5},
		{"a flush with nothing new writes nothing", "||a||", false, []string{"a"}, "", 1},
		{"no flush: one write at the end", "abc", false, []string{"abc"}, "", 3},
		{"nothing at all", "", false, nil, "", 0},
		{"an error after a flush: what was flushed is gone, the rest dropped", "ab|cE", false, []string{"ab"}, "Boom", 2},
		{"a caller gone: the guest's flush fails", "ab|c", true, nil, "FlushFailed", 2},
		{"over MaxStreamBytes, all flushes together", strings.Repeat("0123456789|", 7), false,
			[]string{"0123456789", "0123456789", "0123456789", "0123456789", "0123456789", "0123456789", "0123"}, engine.ErrorTypeResponseTooLarge, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &streamRecorder{fail: tt.fail}
			res, err := eng.Invoke(ctx, "stream", []byte(tt.payload), engine.WithResponseStream(rec))
			require.NoError(t, err)
			assert.Equal(t, tt.writes, rec.writes)
			assert.Nil(t, res.Payload, "the response went to the stream")
			assert.Equal(t, tt.streamed, res.Streamed)
			assert.Equal(t, 1, rec.starts)
			assert.Equal(t, engine.LatestVersion, rec.version)
			if tt.errType == "" {
				require.Nil(t, res.FunctionError)
				return
			}
			require.NotNil(t, res.FunctionError)
			assert.Equal(t, tt.errType, res.FunctionError.Type)
		})
	}

	t.Run("buffered, flushes do nothing", func(t *testing.T) {
		res := mustSucceed(t, eng, "stream", "ab|c|de")
		assert.Equal(t, "abcde", string(res.Payload))
		assert.Zero(t, res.Streamed)
	})
	t.Run("the instance serves buffered invocations after streamed ones", func(t *testing.T) {
		rec := &streamRecorder{}
		_, err := eng.Invoke(ctx, "stream", []byte("x|y"), engine.WithResponseStream(rec))
		require.NoError(t, err)
		for range 3 {
			assert.Equal(t, "xy", string(mustSucceed(t, eng, "stream", "x|y").Payload))
		}
	})
}

func TestInvokedFunctionARN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name            string
		cfg             engine.Config
		target, wantArn string
	}{
		{"unqualified", engine.Config{}, "arn", "arn:aws:lambda:us-east-1:000000000000:function:arn"},
		{"$LATEST", engine.Config{}, "arn:$LATEST", "arn:aws:lambda:us-east-1:000000000000:function:arn:$LATEST"},
		{"version", engine.Config{}, "arn:1", "arn:aws:lambda:us-east-1:000000000000:function:arn:1"},
		{"alias: the alias's ARN, not its version's", engine.Config{}, "arn:live", "arn:aws:lambda:us-east-1:000000000000:function:arn:live"},
		{"region and account", engine.Config{Region: "eu-west-3", AccountID: "123456789012"}, "arn:live",
			"arn:aws:lambda:eu-west-3:123456789012:function:arn:live"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eng := newEngine(t, tc.cfg)
			deploy(t, eng, engine.Function{Name: "arn", Code: wat(t, "invoked_arn")})
			_, err := eng.PublishVersion(ctx, "arn", "")
			require.NoError(t, err)
			_, err = eng.SetAlias(ctx, "arn", engine.Alias{Name: "live", FunctionVersion: "1"})
			require.NoError(t, err)
			for range 2 { // a reused instance reads the new invocation's
				assert.Equal(t, tc.wantArn, string(mustSucceed(t, eng, tc.target, "").Payload))
			}
		})
	}
}
