package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunsACommand runs WASI commands (testdata, built from their .wat by
// make wat): one that calls a stubbed import of Flint's host module and
// exits with 3 (9 had the stub not returned 0), one that returns.
// `make bench-guest` runs Go test binaries with it.
func TestRunsACommand(t *testing.T) {
	code, err := run(context.Background(), "testdata/exit.wasm", nil)
	require.NoError(t, err)
	assert.Equal(t, 3, code, "the module's own exit code comes back")

	code, err = run(context.Background(), "testdata/return.wasm", []string{"-v"})
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}

func TestRunRefusesWhatIsNotAModule(t *testing.T) {
	dir := t.TempDir()
	_, err := run(context.Background(), filepath.Join(dir, "missing.wasm"), nil)
	assert.Error(t, err)

	junk := filepath.Join(dir, "junk.wasm")
	require.NoError(t, os.WriteFile(junk, []byte("\x00asm\x01\x00\x00\x00\xff\xff"), 0o644))
	code, err := run(context.Background(), junk, nil)
	assert.Error(t, err)
	assert.Equal(t, 1, code)
}
