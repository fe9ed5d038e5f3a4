package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCHeader builds a C function that imports every host function the C
// guest SDK's header declares and deploys it: the engine checks each
// import's name and signature against its own, so the header cannot drift
// from the host. It needs clang, lld and wasi-libc (make wasm-tools).
func TestCHeader(t *testing.T) {
	t.Parallel()
	clang, err := exec.LookPath("clang")
	if err != nil || !fileExists("/usr/lib/wasm32-wasi/libc.a") {
		t.Skip("clang and wasi-libc are not installed: run make wasm-tools")
	}
	root := testguest.Root(t)
	out := filepath.Join(t.TempDir(), "all.wasm")
	cmd := exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-mexec-model=reactor", "-O2", "-Wall", "-Wextra", "-Werror",
		"-I", filepath.Join(root, "abi", "guest", "c"), "-o", out, filepath.Join(root, "engine", "testdata", "cheader", "all.c"))
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	code, err := os.ReadFile(out)
	require.NoError(t, err)

	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "c", Code: code})
	res := mustSucceed(t, eng, "c", "{}")
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:c", string(res.Payload))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
