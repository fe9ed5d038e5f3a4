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
		{"Call", func() error { _, err := Call("orders.Get", []byte("{}")); return err }, "app_call"},
		{"CallJSON", func() error { _, err := CallJSON[map[string]string, map[string]string]("orders.Get", nil); return err }, "app_call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var he *HostError
			require.True(t, errors.As(tt.call(), &he))
			assert.Equal(t, &HostError{Call: tt.want, Errno: 5}, he)
		})
	}
}

// Off WebAssembly the invocation has no context.
func TestNoHostContext(t *testing.T) {
	var ctx Context
	assert.Empty(t, ctx.Tenant())
	_, ok := ctx.Metadata("user")
	assert.False(t, ok)
	assert.Empty(t, ctx.AllMetadata())
}
