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

// TestRunsAGuestTestBinary runs a test binary built for wasip1 that links
// the guest SDK, which imports Flint's host ABI (testdata/probe).
func TestRunsAGuestTestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "probe.test.wasm")
	build := exec.Command("go", "test", "-c", "-o", bin, "./testdata/probe")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	code, err := run(context.Background(), bin, []string{"-test.v"})
	require.NoError(t, err)
	assert.Equal(t, 0, code, "the test passes inside wazero")

	code, err = run(context.Background(), bin, []string{"-no-such-flag"})
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
