package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fsOp invokes the fsfunc test function with one operation and returns
// its data, or the errno name its error has ("" when it succeeded).
func fsOp(t *testing.T, eng *engine.Engine, target string, ev map[string]any) (data, errType string) {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	res := invoke(t, eng, target, string(b))
	if fe := res.FunctionError; fe != nil {
		return "", fe.Type
	}
	var out struct{ Data string }
	require.NoError(t, json.Unmarshal(res.Payload, &out))
	return out.Data, ""
}

// tmpDirs lists the instance directories under an engine's TmpDir.
func tmpDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestTmp(t *testing.T) {
	t.Parallel()
	code := testguest.Go(t, "engine/testdata/fsfunc")
	base := t.TempDir()
	eng := newEngine(t, engine.Config{TmpDir: base})
	deploy(t, eng, engine.Function{Name: "fs", Code: code})
	deploy(t, eng, engine.Function{Name: "other", Code: code})
	deploy(t, eng, engine.Function{Name: "fresh", Code: code, SingleUse: true})
	info, err := eng.Function("fs")
	require.NoError(t, err)
	assert.Equal(t, engine.DefaultEphemeralStorageMB, info.EphemeralStorageMB)

	t.Run("an instance keeps its /tmp between invocations, without a policy", func(t *testing.T) {
		_, errType := fsOp(t, eng, "fs", map[string]any{"op": "write", "path": "/tmp/a.txt", "data": "mine"})
		require.Empty(t, errType)
		data, errType := fsOp(t, eng, "fs", map[string]any{"op": "read", "path": "/tmp/a.txt"})
		require.Empty(t, errType)
		assert.Equal(t, "mine", data)
	})
	t.Run("another function's instance does not see it", func(t *testing.T) {
		_, errType := fsOp(t, eng, "other", map[string]any{"op": "read", "path": "/tmp/a.txt"})
		assert.Equal(t, "ENOENT", errType)
	})
	t.Run("another instance of the same function does not see it", func(t *testing.T) {
		for range 3 {
			_, errType := fsOp(t, eng, "fresh", map[string]any{"op": "read", "path": "/tmp/b.txt"})
			assert.Equal(t, "ENOENT", errType, "each invocation of a single-use function is a new instance")
			_, errType = fsOp(t, eng, "fresh", map[string]any{"op": "write", "path": "/tmp/b.txt", "data": "x"})
			require.Empty(t, errType)
		}
	})
	t.Run("capped at EphemeralStorageMB, ENOSPC past it", func(t *testing.T) {
		// A byte at the end of the last 4 KiB fills it: the file itself
		// counts one block, and a hole counts as written.
		const capBytes = engine.DefaultEphemeralStorageMB << 20
		_, errType := fsOp(t, eng, "fs", map[string]any{"op": "remove", "path": "/tmp/a.txt"})
		require.Empty(t, errType)
		_, errType = fsOp(t, eng, "fs", map[string]any{"op": "writeat", "path": "/tmp/big", "offset": capBytes - 4096 - 1, "data": "x"})
		require.Empty(t, errType, "up to the cap")
		_, errType = fsOp(t, eng, "fs", map[string]any{"op": "writeat", "path": "/tmp/big", "offset": capBytes - 4096, "data": "x"})
		assert.Equal(t, "ENOSPC", errType, "one byte more")
		_, errType = fsOp(t, eng, "fs", map[string]any{"op": "write", "path": "/tmp/more", "data": ""})
		assert.Equal(t, "ENOSPC", errType, "not even an empty file")
		_, errType = fsOp(t, eng, "fs", map[string]any{"op": "remove", "path": "/tmp/big"})
		require.Empty(t, errType)
		_, errType = fsOp(t, eng, "fs", map[string]any{"op": "write", "path": "/tmp/more", "data": "room again"})
		assert.Empty(t, errType)
	})
	t.Run("a larger cap", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "large", Code: code, EphemeralStorageMB: 1024})
		_, errType := fsOp(t, eng, "large", map[string]any{"op": "writeat", "path": "/tmp/big", "offset": 1000 << 20, "data": "x"})
		assert.Empty(t, errType)
	})
	t.Run("emptied when the instance goes", func(t *testing.T) {
		assert.NotEmpty(t, tmpDirs(t, base), "instances that used /tmp have directories")
		for _, name := range []string{"fs", "other", "large"} {
			require.NoError(t, eng.Remove(context.Background(), name))
		}
		require.Eventually(t, func() bool { return len(tmpDirs(t, base)) == 0 }, 20*time.Second, 10*time.Millisecond,
			"every instance is gone, and so is its /tmp: %v", tmpDirs(t, base))
	})
}

func TestTmpRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := engine.New(ctx, engine.Config{Mounts: []engine.Mount{{HostDir: t.TempDir(), GuestPath: "/tmp"}}})
	require.ErrorIs(t, err, engine.ErrInvalidFunction, "every instance has its own /tmp")
	eng := newEngine(t, engine.Config{})
	for _, mb := range []int{511, engine.MaxEphemeralStorageMB + 1, -1} {
		_, err := eng.Deploy(ctx, engine.Function{Name: "f", Code: testguest.WATEcho(t), EphemeralStorageMB: mb})
		require.ErrorIs(t, err, engine.ErrInvalidFunction, "%d MB", mb)
		assert.Contains(t, err.Error(), "between 512 and 10240")
	}
}

// A snapshot cannot hold what init wrote to /tmp: the function starts the
// slow way, its init running in every instance, as with other effects.
func TestTmpWrittenAtInitStopsTheSnapshot(t *testing.T) {
	t.Parallel()
	code := testguest.Go(t, "engine/testdata/fsfunc")
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "initwriter", Code: code, Env: map[string]string{"WRITE_TMP_AT_INIT": "1"}})
	deploy(t, eng, engine.Function{Name: "plain", Code: code})
	data, errType := fsOp(t, eng, "initwriter", map[string]any{"op": "read", "path": "/tmp/init.txt"})
	require.Empty(t, errType)
	assert.Equal(t, "written at init", data, "init ran on the instance")
	st := stats(t, eng, "initwriter")
	assert.Contains(t, st.Snapshot, "off:")
	assert.Contains(t, st.Snapshot, "/tmp")

	_, errType = fsOp(t, eng, "plain", map[string]any{"op": "list", "path": "/tmp"})
	require.Empty(t, errType)
	assert.Contains(t, stats(t, eng, "plain").Snapshot, "ready", "a /tmp untouched at init keeps the snapshot")
}
