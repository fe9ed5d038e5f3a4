package engine_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errno is the result a host function returns for code.
func errno(code abi.Errno) int32 { return -int32(code) }

func TestABIHostileCalls(t *testing.T) {
	const (
		payload  = "hello"
		name     = "abuse"
		timeout  = 5 * time.Second
		idLen    = 36
		bounds   = -int32(abi.ErrnoBounds)
		tooLarge = -int32(abi.ErrnoTooLarge)
		invalid  = -int32(abi.ErrnoInvalid)
	)
	// In the order engine/testdata/abuse.wat makes the calls. Its memory
	// ends at 0x20000.
	calls := []struct {
		name string
		want int32
	}{
		{"input_read at memory end, cap 0", int32(len(payload))},
		{"input_read at memory end, cap 1", bounds},
		{"input_read past memory end, cap 0", bounds},
		{"input_read range wrapping past 2^32", bounds},
		{"input_read cap 0xffffffff", bounds},
		{"input_read cap under the payload size", int32(len(payload))},
		{"input_read valid", int32(len(payload))},

		{"output_write at memory end, len 0", 0},
		{"output_write at memory end, len 1", bounds},
		{"output_write past memory end, len 0", bounds},
		{"output_write range wrapping past 2^32", bounds},
		{"output_write len 0xffffffff", bounds},

		{"error_set type at memory end, len 1", bounds},
		{"error_set message wrapping past 2^32", bounds},
		{"error_set type len 0xffffffff", bounds},
		{"error_set type over 256 bytes", tooLarge},
		{"error_set message over 64 KiB", tooLarge},

		{"log level -1", invalid},
		{"log level 4", invalid},
		{"log level 0x7fffffff", invalid},
		{"log at memory end, len 1", bounds},
		{"log range wrapping past 2^32", bounds},
		{"log len 0xffffffff", bounds},
		{"log at memory end, len 0", 0},

		{"context_get unknown field", invalid},
		{"context_get field -1", invalid},
		{"context_get at memory end, cap 1", bounds},
		{"context_get at memory end, cap 0", idLen},
		{"context_get range wrapping past 2^32", bounds},
		{"context_get cap 0xffffffff", bounds},
		{"context_get cap under the value size", idLen},
		{"context_get field from an i64 with high bits set", int32(len(name))},
		{"context_get request id valid", idLen},
	}

	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: name, Code: wat(t, "abuse"), Timeout: timeout})

	for i := range 3 {
		before := time.Now()
		res := mustSucceed(t, eng, name, payload)
		after := time.Now()
		assert.Equal(t, i == 0, res.Cold, "the instance survives its hostile calls")

		out := res.Payload
		require.Len(t, out, 8+4*len(calls)+idLen+len(payload))
		deadline := time.UnixMilli(int64(binary.LittleEndian.Uint64(out)))
		assert.WithinRange(t, deadline, before.Add(timeout).Truncate(time.Millisecond), after.Add(timeout), "deadline_ms")
		out = out[8:]
		for j, c := range calls {
			got := int32(binary.LittleEndian.Uint32(out[4*j:]))
			assert.Equal(t, c.want, got, "call %d: %s", j, c.name)
		}
		out = out[4*len(calls):]
		assert.Equal(t, res.RequestID, string(out[:idLen]), "context_get wrote the request id")
		assert.Equal(t, payload, string(out[idLen:]), "input_read wrote the payload")

		lines := parseLogs(t, res.Logs)
		require.Len(t, lines, 1, "only the valid log call logged; logs:\n%s", res.Logs)
		assert.Equal(t, logLine{Time: lines[0].Time, RequestID: res.RequestID, Level: "INFO"}, lines[0])
	}
	s := stats(t, eng, name)
	assert.Zero(t, s.Discarded)
	assert.Zero(t, s.Errors)
}

func TestABIDuringInit(t *testing.T) {
	const name = "initabi"
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: name, Code: wat(t, "init_abi")})

	// In the order engine/testdata/init_abi.wat makes the calls in its init hook.
	calls := []struct {
		name string
		want int32
	}{
		{"input_read", errno(abi.ErrnoState)},
		{"output_write", errno(abi.ErrnoState)},
		{"context_get request id", errno(abi.ErrnoState)},
		{"context_get invoked ARN", errno(abi.ErrnoState)},
		{"context_get function name", int32(len(name))},
		{"context_get function version", int32(len(engine.LatestVersion))},
		{"log", 0},
		{"error_set", 0},
	}
	res := mustSucceed(t, eng, name, "")
	require.Len(t, res.Payload, 4*len(calls)+8)
	for i, c := range calls {
		assert.Equal(t, c.want, int32(binary.LittleEndian.Uint32(res.Payload[4*i:])), c.name)
	}
	assert.Equal(t, int64(errno(abi.ErrnoState)), int64(binary.LittleEndian.Uint64(res.Payload[4*len(calls):])), "deadline_ms")

	lines := parseLogs(t, res.Logs)
	require.Len(t, lines, 1)
	assert.Equal(t, logLine{Time: lines[0].Time, RequestID: "-", Level: "INFO", Message: "set during init"}, lines[0])

	// On a new instance, the first invocation fails without error_set:
	// what init set must not stand in for it.
	deploy(t, eng, engine.Function{Name: "leak", Code: wat(t, "init_abi")})
	res = invoke(t, eng, "leak", "fail without error_set")
	require.NotNil(t, res.FunctionError)
	assert.True(t, res.Cold)
	assert.Equal(t, "Error", res.FunctionError.Type, "the error set during init does not leak into the invocation")
	assert.Equal(t, "the handler reported an error without calling error_set", res.FunctionError.Message)
}

func TestPayloadLimits(t *testing.T) {
	const requestLimit, responseLimit = 2048, 1024
	eng := newEngine(t, engine.Config{MaxRequestBytes: requestLimit, MaxResponseBytes: responseLimit})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})

	t.Run("response at the limit", func(t *testing.T) {
		res := mustSucceed(t, eng, "echo", strings.Repeat("x", responseLimit))
		assert.Len(t, res.Payload, responseLimit)
	})

	t.Run("response over the limit", func(t *testing.T) {
		res := invoke(t, eng, "echo", strings.Repeat("x", responseLimit+1))
		fe := res.FunctionError
		require.NotNil(t, fe)
		assert.ErrorIs(t, fe, engine.ErrResponseTooLarge)
		assert.Equal(t, engine.ErrorTypeResponseTooLarge, fe.Type)
		assert.Contains(t, fe.Message, "1024 bytes")
		assert.True(t, fe.Unhandled)
		assert.Nil(t, res.Payload)

		next := mustSucceed(t, eng, "echo", "fits")
		assert.Equal(t, "fits", string(next.Payload), "nothing of the refused output is left over")
		assert.False(t, next.Cold, "an oversized response does not break the instance")
	})

	t.Run("request at the limit", func(t *testing.T) {
		res := invoke(t, eng, "echo", strings.Repeat("x", requestLimit))
		assert.ErrorIs(t, res.FunctionError, engine.ErrResponseTooLarge, "accepted, then refused on the way out")
	})

	t.Run("request over the limit", func(t *testing.T) {
		before := stats(t, eng, "echo").Invocations
		res, err := eng.Invoke(t.Context(), "echo", make([]byte, requestLimit+1))
		assert.ErrorIs(t, err, engine.ErrPayloadTooLarge)
		assert.ErrorContains(t, err, "2049 bytes, over the 2048-byte limit")
		assert.Nil(t, res)
		assert.Equal(t, before, stats(t, eng, "echo").Invocations, "the function did not run")
		_, err = eng.Invoke(t.Context(), "nope", make([]byte, requestLimit+1))
		assert.ErrorIs(t, err, engine.ErrPayloadTooLarge, "the payload is checked before the function")
	})
}

// An error type a reader could not see (control characters, spaces, bytes
// that are not UTF-8) is no type: the default stands, and a terminal
// showing it is safe.
func TestErrorTypeWithoutVisibleCharacters(t *testing.T) {
	t.Parallel()
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "f", Code: wat(t, "error_type")})
	for _, tc := range []struct{ name, typ, want string }{
		{"NUL bytes", "\x00\x00\x00", "Error"},
		{"spaces and tabs", " \t ", "Error"},
		{"not UTF-8", "\xff\xfe", "Error"},
		{"an escape sequence has visible bytes: kept, for the CLI to escape", "\x1b[2J\x1b[H", "\x1b[2J\x1b[H"},
		{"empty", "", "Error"},
		{"a type", "ValidationError", "ValidationError"},
		{"a type with control characters is kept, for the CLI to escape", "Bad\x1b[31mType", "Bad\x1b[31mType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, eng, "f", tc.typ)
			require.NotNil(t, res.FunctionError)
			assert.Equal(t, tc.want, res.FunctionError.Type)
			assert.Equal(t, "as asked", res.FunctionError.Message)
		})
	}
}
