//go:build !wasip1

package guest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Off WebAssembly the host calls report STATE; the SDK must turn that into
// errors, not crash.
func TestNoHost(t *testing.T) {
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"Invoke", func() error { _, err := Invoke(Context{}, "hello", []byte("{}")); return err }, "fn_invoke"},
		{"Config", func() error { _, err := Config("db-url"); return err }, "config_get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var he *HostError
			require.True(t, errors.As(tt.call(), &he))
			assert.Equal(t, &HostError{Call: tt.want, Errno: 5}, he)
		})
	}
}
