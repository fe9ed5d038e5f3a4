//go:build extism

package peers

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtismEcho(t *testing.T) {
	ctx := context.Background()
	x, err := NewExtismEcho(ctx)
	require.NoError(t, err)
	defer x.Close(ctx)
	// Eight-byte words, then a tail of bytes.
	payload := []byte(`{"name":"ana","n":12345}`)
	out, err := x.Cold(ctx, payload)
	require.NoError(t, err)
	assert.Equal(t, string(payload), string(out))

	in, err := x.Instance(ctx)
	require.NoError(t, err)
	defer in.Close(ctx)
	for _, p := range []string{"abc", "", "0123456789abcdef0"} {
		out, err := in.Call(ctx, []byte(p))
		require.NoError(t, err)
		assert.Equal(t, p, string(out))
	}
}
