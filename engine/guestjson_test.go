package engine_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/jsoncompat"
	"github.com/flintfaas/flint/internal/testguest"
)

// TestGuestJSONCompat runs every event of jsoncompat through a Go guest
// built with the SDK's default JSON codec (guest.HandleJSON, inside
// WebAssembly) and through encoding/json on the host: the guest answers
// with what encoding/json encodes, byte for byte, or fails with an
// InvalidEvent error where encoding/json fails, with a message that says
// what is wrong with the event.
func TestGuestJSONCompat(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	builds := map[string]testguest.Build{"encoding-json": {}, "goccy": {Tags: []string{"flintjson_goccy"}}}
	for name, b := range builds {
		deploy(t, eng, engine.Function{Name: name, Code: testguest.GoBuild(t, "engine/testdata/jsoncompat", b)})
	}
	for fn := range builds {
		for _, tc := range jsoncompat.Cases() {
			t.Run(fn+"/"+tc.Name, func(t *testing.T) { checkJSONCase(t, eng, fn, tc) })
		}
	}
}

// checkJSONCase invokes fn with the case's event and checks its answer
// against encoding/json's.
func checkJSONCase(t *testing.T, eng *engine.Engine, fn string, tc jsoncompat.Case) {
	var want jsoncompat.Everything
	wantErr := json.Unmarshal([]byte(tc.Event), &want)
	res := invoke(t, eng, fn, tc.Event)
	if tc.Event == "" { // HandleJSON gives an empty event the zero value
		wantErr = nil
	}
	if wantErr != nil {
		require.NotNil(t, res.FunctionError, "encoding/json: %v; the guest answered %s", wantErr, res.Payload)
		assert.Equal(t, "InvalidEvent", res.FunctionError.Type)
		assert.False(t, res.FunctionError.Unhandled, "the instance crashed: %s", res.FunctionError.Message)
		assert.NotEmpty(t, res.FunctionError.Message)
		t.Logf("encoding/json: %v\nguest: %s", wantErr, res.FunctionError.Message)
		return
	}
	require.Nil(t, res.FunctionError, "the guest failed where encoding/json did not")
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	assert.Equal(t, string(wantJSON), string(res.Payload))
}

// TestGuestJSONHostileEvents sends events of 6 MB, Lambda's limit, built
// to hurt a JSON decoder: each is decoded (valid JSON) or refused with an
// InvalidEvent error, never a crashed instance, and the function answers a
// plain event afterwards. A slow machine may run past the generous
// timeout; that is the engine's clear Sandbox.Timedout, also accepted.
func TestGuestJSONHostileEvents(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "fn", Code: testguest.Go(t, "engine/testdata/jsoncompat"),
		MemoryMB: 512, Timeout: 30 * time.Second})
	const size = 6<<20 - 64
	tests := []struct {
		name    string
		event   string
		invalid bool // refused as an InvalidEvent
	}{
		{"nesting", jsoncompat.Nest(size/2 - 8), true},
		{"a number too big for float64", `{"ratio":1` + strings.Repeat("0", size-12) + `}`, true},
		{"invalid utf-8", `{"name":"` + strings.Repeat("\xff", size-12) + `"}`, false},
		{"unterminated string", `{"name":"` + strings.Repeat("a", size-12), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.event), engine.DefaultMaxRequestBytes)
			res := invoke(t, eng, "fn", tc.event)
			switch fe := res.FunctionError; {
			case fe != nil && fe.Type == engine.ErrorTypeTimeout:
				t.Logf("timed out on this machine: %v", fe)
			case tc.invalid:
				require.NotNil(t, fe, "answered %.100s", res.Payload)
				assert.Equal(t, "InvalidEvent", fe.Type, "%.300s", fe.Message)
				t.Logf("%.200s", fe.Message)
			case fe != nil:
				// The answer may be over the response limit (every invalid
				// byte becomes \ufffd); a crash is not accepted.
				assert.Equal(t, "Function.ResponseSizeTooLarge", fe.Type, "%.300s", fe.Message)
			}
			res = mustSucceed(t, eng, "fn", `{"name":"after"}`)
			assert.Contains(t, string(res.Payload), `"name":"after"`)
		})
	}
}
