package jsoncodec_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/abi/guest/internal/jsoncodec"
	"github.com/flintfaas/flint/internal/jsoncompat"
)

// TestUnmarshalLikeEncodingJSON decodes every event of jsoncompat with
// encoding/json and with the codec: both fail, or both give the same
// value, which both encode to the same bytes.
func TestUnmarshalLikeEncodingJSON(t *testing.T) {
	for _, tc := range jsoncompat.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			var want, got jsoncompat.Everything
			wantErr := json.Unmarshal([]byte(tc.Event), &want)
			gotErr := jsoncodec.Unmarshal([]byte(tc.Event), &got)
			if wantErr != nil {
				require.Error(t, gotErr, "encoding/json: %v", wantErr)
				t.Logf("encoding/json: %v\n%s: %v", wantErr, jsoncodec.Name, gotErr)
				return
			}
			require.NoError(t, gotErr)
			assert.Equal(t, want.Any, got.Any)
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(got)
			require.NoError(t, err)
			assert.Equal(t, string(wantJSON), string(gotJSON), "decoded values differ")
			codecJSON, err := jsoncodec.Marshal(got)
			require.NoError(t, err)
			assert.Equal(t, string(wantJSON), string(codecJSON), "encodings differ")
		})
	}
}

type omitting struct {
	S   string         `json:"s,omitempty"`
	I   int            `json:"i,omitempty"`
	P   *int           `json:"p,omitempty"`
	M   map[string]int `json:"m,omitempty"`
	L   []int          `json:"l,omitempty"`
	St  struct{}       `json:"st,omitempty"`
	Any any            `json:"any,omitempty"`
}

type rawMarshaler struct{ out string }

func (r rawMarshaler) MarshalJSON() ([]byte, error) { return []byte(r.out), nil }

type conflict struct {
	A
	B
	Name string `json:"name"`
}

// A and B are embedded in conflict with clashing fields (untagged, so
// that go vet lets the clash be).
type A struct {
	Dup  string
	Name string `json:"name"`
}

// B clashes with A on Dup: neither is encoded.
type B struct {
	Dup string
}

// TestMarshalLikeEncodingJSON encodes Go values with encoding/json and
// with the codec: the same bytes, or an error for both.
func TestMarshalLikeEncodingJSON(t *testing.T) {
	seven := 7
	tests := []struct {
		name string
		v    any
	}{
		{"html is escaped", map[string]string{"h": "<script>a && b</script>", "ls": "\u2028\u2029"}},
		{"invalid utf-8 is replaced", "a\xffb"},
		{"control characters", "\x00\x01\t\n\r\x1f\x7f"},
		{"map keys sorted", map[string]int{"b": 1, "a": 2, "c": 3, "A": 4}},
		{"int map keys", map[int]bool{10: true, 2: false, -1: true}},
		{"nil and empty slices", map[string]any{"nil": []int(nil), "empty": []int{}, "nilmap": map[string]int(nil), "bytes": []byte(nil)}},
		{"bytes are base64", []byte("hello, world")},
		{"omitempty", omitting{}},
		{"omitempty set", omitting{S: "s", I: 1, P: &seven, M: map[string]int{"a": 1}, L: []int{1}, Any: 0}},
		{"floats", []float64{0, math.Copysign(0, -1), 1, 1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64}},
		{"float32", []float32{0.1, 1e21, 3.4e38}},
		{"integers", []any{int8(-128), uint64(math.MaxUint64), int64(math.MinInt64)}},
		{"NaN", math.NaN()},
		{"infinity", math.Inf(1)},
		{"marshaler output is compacted", rawMarshaler{out: "{ \"a\" :\n [1, 2] }"}},
		{"marshaler invalid output", rawMarshaler{out: "{"}},
		{"raw message", map[string]json.RawMessage{"r": json.RawMessage(`{"x": 1}`), "nil": nil}},
		{"channel", make(chan int)},
		{"function", func() {}},
		{"conflicting embedded fields", conflict{A: A{Dup: "a", Name: "an"}, B: B{Dup: "b"}, Name: "top"}},
		{"everything zero", jsoncompat.Everything{}},
		{"nil pointer", (*jsoncompat.Everything)(nil)},
		{"nil interface", nil},
		{"number", json.Number("12.50")},
		{"bad number", json.Number("1x")},
		{"long string", strings.Repeat("é<", 5000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := json.Marshal(tc.v)
			got, gotErr := jsoncodec.Marshal(tc.v)
			if wantErr != nil {
				require.Error(t, gotErr, "encoding/json: %v", wantErr)
				t.Logf("encoding/json: %v\n%s: %v", wantErr, jsoncodec.Name, gotErr)
				return
			}
			require.NoError(t, gotErr)
			assert.Equal(t, string(want), string(got))
		})
	}
}

// TestKnownDifferences pins what the codec does where it is known to differ
// from encoding/json, so that a change of it is seen.
func TestKnownDifferences(t *testing.T) {
	if jsoncodec.Name != "goccy/go-json" {
		t.Skipf("%s has no known difference", jsoncodec.Name)
	}
	var want, got struct {
		N int `json:"n,string"`
	}
	event := []byte(`{"n":"+1"}`)
	require.Error(t, json.Unmarshal(event, &want), "encoding/json refuses a leading + in a ,string number")
	require.NoError(t, jsoncodec.Unmarshal(event, &got), "the codec accepts it")
	assert.Equal(t, 1, got.N)
}

// TestPanicIsAnError checks that a codec that panics (here, in a
// json.Marshaler) returns an error matching ErrPanic.
func TestPanicIsAnError(t *testing.T) {
	tests := []struct {
		name string
		call func() error
	}{
		{"marshal", func() error { _, err := jsoncodec.Marshal(panicker{}); return err }},
		{"unmarshal", func() error { var p panicker; return jsoncodec.Unmarshal([]byte(`1`), &p) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, jsoncodec.ErrPanic)
			assert.Contains(t, err.Error(), "boom")
		})
	}
}

type panicker struct{}

func (panicker) MarshalJSON() ([]byte, error) { panic("boom") }

func (*panicker) UnmarshalJSON([]byte) error { panic("boom") }
