package peers

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newNaive compiles code on a naive host closed with the test.
func newNaive(t *testing.T, code []byte) *Naive {
	t.Helper()
	n, err := NewNaive(context.Background(), code, "handle", map[string]string{"K": "v"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n
}

func TestNaiveEcho(t *testing.T) {
	ctx := context.Background()
	n := newNaive(t, testguest.WATEcho(t))
	out, err := n.Cold(ctx, []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(out))

	in, err := n.Instance(ctx)
	require.NoError(t, err)
	defer in.Close(ctx)
	for _, p := range []string{"first", "second, longer", ""} {
		out, err := in.Call([]byte(p))
		require.NoError(t, err)
		assert.Equal(t, p, string(out), "a reused instance answers each call afresh")
	}
}

func TestNaiveStubsTheImportsItDoesNotImplement(t *testing.T) {
	n := newNaive(t, testguest.File(t, "engine/testdata/cap_call.wasm"))
	// kv_get of store "s", key "k": the stub answers INTERNAL.
	payload := []byte{'g', 1, 0, 0, 0, 's', 1, 0, 0, 0, 'k'}
	out, err := n.Cold(context.Background(), payload)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(out), 4)
	assert.Equal(t, int32(errInternal), int32(binary.LittleEndian.Uint32(out)))
}

func TestNaiveFunctionError(t *testing.T) {
	n := newNaive(t, testguest.File(t, "engine/testdata/fail.wasm"))
	_, err := n.Cold(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "function error (Boom): failed on purpose")
}

func TestNaiveRefusesAModuleWithoutHandler(t *testing.T) {
	_, err := NewNaive(context.Background(), testguest.WATEcho(t), "nope", nil)
	require.ErrorContains(t, err, `no handler "nope"`)
}
