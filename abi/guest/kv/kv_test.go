package kv

import (
	"errors"
	"testing"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeKeys(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		keys []string
		more bool
		ok   bool
	}{
		{"empty", "\x00\x00\x00\x00\x00", []string{}, false, true},
		{"empty, more", "\x00\x00\x00\x00\x01", []string{}, true, true},
		{"two", "\x02\x00\x00\x00\x00\x01\x00\x00\x00a\x03\x00\x00\x00b/c", []string{"a", "b/c"}, false, true},
		{"empty key", "\x01\x00\x00\x00\x01\x00\x00\x00\x00", []string{""}, true, true},
		{"binary key", "\x01\x00\x00\x00\x00\x02\x00\x00\x00\xff\x00", []string{"\xff\x00"}, false, true},
		{"nothing", "", nil, false, false},
		{"short header", "\x00\x00\x00\x00", nil, false, false},
		{"bad more flag", "\x00\x00\x00\x00\x02", nil, false, false},
		{"count too big", "\x02\x00\x00\x00\x00\x01\x00\x00\x00a", nil, false, false},
		{"huge count", "\xff\xff\xff\xff\x00", nil, false, false},
		{"key past end", "\x01\x00\x00\x00\x00\x05\x00\x00\x00abc", nil, false, false},
		{"huge key length", "\x01\x00\x00\x00\x00\xff\xff\xff\xffabcd", nil, false, false},
		{"truncated length", "\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", nil, false, false},
		{"trailing bytes", "\x01\x00\x00\x00\x00\x01\x00\x00\x00ax", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, more, err := decodeKeys([]byte(tt.raw))
			if !tt.ok {
				require.ErrorIs(t, err, errBadList)
				assert.Nil(t, keys)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.keys, keys)
			assert.Equal(t, tt.more, more)
		})
	}
}

// The decoder reads what the host's encoder writes.
func TestDecodeKeysReadsHostEncoding(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		more bool
	}{
		{"none", []string{}, false},
		{"some, more", []string{"", "a", "user-1", "ключ", string(make([]byte, 1024))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, more, err := decodeKeys(abi.EncodeKeys(tt.keys, tt.more))
			require.NoError(t, err)
			assert.Equal(t, tt.keys, keys)
			assert.Equal(t, tt.more, more)
		})
	}
}

func FuzzDecodeKeys(f *testing.F) {
	f.Add([]byte("\x02\x00\x00\x00\x01\x01\x00\x00\x00a\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xff\xff\x7f\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		keys, more, err := decodeKeys(raw)
		if err != nil {
			return
		}
		// What decodes is exactly what the host would have encoded.
		if got := abi.EncodeKeys(keys, more); string(got) != string(raw) {
			t.Fatalf("decodeKeys(%q) = %q, %v: re-encodes as %q", raw, keys, more, got)
		}
	})
}

func TestResource(t *testing.T) {
	tests := []struct {
		name, store, key, want string
	}{
		{"key", "sessions", "x", "kv:sessions/x"},
		{"nested key", "sessions", "a/b", "kv:sessions/a/b"},
		{"whole store (list)", "sessions", "", "kv:sessions/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, resource(tt.store, tt.key))
		})
	}
}

func TestStoreError(t *testing.T) {
	s := Open("sessions")
	assert.Equal(t, &guest.DeniedError{Action: "kv:Get", Resource: "kv:sessions/x"}, s.error("kv_get", 6, "kv:Get", "x"))
	assert.Equal(t, &guest.DeniedError{Action: "kv:List", Resource: "kv:sessions/user-"}, s.error("kv_list", 6, "kv:List", "user-"))
	err := s.error("kv_get", 4, "kv:Get", "x")
	assert.Equal(t, &guest.HostError{Call: "kv_get", Errno: 4}, err)
	assert.True(t, errors.Is(err, guest.ErrNotFound))
}
