package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunsAGuestTestBinary runs the guest SDK's httpguest tests, which
// import Flint's host ABI, compiled for wasip1.
func TestRunsAGuestTestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasip1 test binary")
	}
	bin := filepath.Join(t.TempDir(), "httpguest.test.wasm")
	build := exec.Command("go", "test", "-c", "-o", bin, "../../abi/guest/httpguest/")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	code, err := run(context.Background(), bin, []string{"-test.run", "^TestServeMessage", "-test.count", "1"})
	require.NoError(t, err)
	assert.Equal(t, 0, code, "the tests pass inside wazero")

	code, err = run(context.Background(), bin, []string{"-test.run", "^TestServeMessageRequest$", "-test.bench", "^$", "-no-such-flag"})
	require.NoError(t, err)
	assert.Equal(t, 2, code, "the module's own exit code comes back (the flag package exits 2)")
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
