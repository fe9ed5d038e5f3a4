package guest

import (
	"encoding/binary"
	"maps"
	"testing"

	"github.com/flintfaas/flint/abi"
	"github.com/stretchr/testify/assert"
)

func TestDecodeMetadata(t *testing.T) {
	le := func(n uint32) string { return string(binary.LittleEndian.AppendUint32(nil, n)) }
	tests := []struct {
		name string
		raw  string
		want map[string]string
	}{
		{"none", "", map[string]string{}},
		{"zero pairs", le(0), map[string]string{}},
		{"two pairs", le(2) + le(4) + "plan" + le(3) + "pro" + le(4) + "user" + le(0), map[string]string{"plan": "pro", "user": ""}},
		{"short count", "\x01\x00", map[string]string{}},
		{"truncated value keeps what came before", le(2) + le(1) + "a" + le(1) + "b" + le(1) + "c" + le(9) + "d", map[string]string{"a": "b"}},
		{"length past the end", le(1) + le(0xffffffff) + "k", map[string]string{}},
		{"more pairs claimed than sent", le(1000) + le(1) + "a" + le(1) + "b", map[string]string{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, decodeMetadata([]byte(tt.raw)))
		})
	}
}

// What the host encodes (abi.EncodeMetadata) decodes to the same pairs,
// and nothing the decoder is given makes it fail.
func FuzzDecodeMetadata(f *testing.F) {
	f.Add("plan", "pro", "user", "alice", []byte(nil))
	f.Add("", "", "k", "\x00\xff", []byte("\x02\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, raw []byte) {
		decodeMetadata(raw)
		want := map[string]string{k1: v1, k2: v2}
		got := decodeMetadata(abi.EncodeMetadata(maps.All(want)))
		assert.Equal(t, want, got)
	})
}
