package sandboxfs

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// runGuest runs testdata/fsguest once with fsys mounted at /data, asking it
// to perform ops in order, and returns the line it printed for each.
func runGuest(t *testing.T, fsys experimentalsys.FS, ops []string) []string {
	t.Helper()
	ctx := context.Background()
	wasm := testguest.Go(t, "engine/internal/sandboxfs/testdata/fsguest")
	cache, err := wazero.NewCompilationCacheWithDir(testguest.CacheDir(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cache.Close(ctx)) })
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	t.Cleanup(func() { require.NoError(t, r.Close(ctx)) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)

	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().
		WithArgs(append([]string{"fsguest"}, ops...)...).
		WithStdout(&stdout).
		WithStderr(&stderr).
		WithFSConfig(wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(fsys, "/data")).
		WithStartFunctions("_initialize")
	mod, err := r.InstantiateWithConfig(ctx, wasm, cfg)
	require.NoError(t, err, stderr.String())
	run := mod.ExportedFunction("run")
	require.NotNil(t, run, "fsguest exports run")
	_, err = run.Call(ctx)
	require.NoError(t, err, stderr.String())
	require.NoError(t, mod.Close(ctx))

	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	require.Len(t, lines, len(ops), "one line per operation:\n%s\n%s", stdout.String(), stderr.String())
	return lines
}

// TestGuest runs a Go guest doing ordinary os calls on a mount: it can do
// what the policy grants inside the mount, and nothing else.
func TestGuest(t *testing.T) {
	p := &policy{
		denyRead:  []string{"/data/private"},
		denyWrite: []string{"/data/hello.txt", "/data/sub", "/data/private"},
	}
	fsys, base, _ := newFS(t, p)

	// The guest performs these in order, so later ones see earlier effects.
	steps := []struct {
		name string
		op   string
		want string
	}{
		{name: "read a file", op: "read:/data/hello.txt", want: "ok hello"},
		{name: "read a nested file", op: "read:/data/sub/inner.txt", want: "ok inner"},
		{name: "read a denied file", op: "read:/data/private/key.txt", want: "err EACCES"},
		{name: "read through a link", op: "read:/data/link-in", want: "ok hello"},
		{name: "read through a chain of links", op: "read:/data/link-chain", want: "ok hello"},
		{name: "read through a link to a denied file", op: "read:/data/link-private", want: "err EACCES"},
		{name: "read through a relative link out", op: "read:/data/link-rel", want: "err EPERM"},
		{name: "read through an absolute link out", op: "read:/data/link-abs", want: "err EPERM"},
		{name: "read through a link to the parent", op: "read:/data/link-rel-dir/secret.txt", want: "err EPERM"},
		{name: "open dot dot", op: "openat:../secret.txt", want: "err EPERM"},
		{name: "open dot dot deeper", op: "openat:sub/../../secret.txt", want: "err EPERM"},
		{name: "open a link out", op: "openat:link-rel", want: "err EPERM"},
		{name: "open dot dot inside", op: "openat:sub/../hello.txt", want: "ok hello"},
		// Go cleans the name to /secret.txt, under no preopen.
		{name: "read above the mount", op: "read:/data/../secret.txt", want: "err EBADF"},
		{name: "stat a link out", op: "stat:/data/link-rel", want: "err EPERM"},
		{name: "lstat a link out", op: "lstat:/data/link-rel", want: "ok symlink"},
		{name: "stat a file", op: "stat:/data/hello.txt", want: "ok file 5"},
		{name: "readlink inside", op: "readlink:/data/sub/link-up", want: "ok ../hello.txt"},
		{name: "readlink out", op: "readlink:/data/link-abs", want: "err EPERM"},
		{name: "list the mount", op: "list:/data", want: "ok hello.txt,link-abs,link-abs-in,link-chain,link-dangling,link-dir,link-in,link-private,link-rel,link-rel-dir,out,private,sub"},
		{name: "list a directory", op: "list:/data/sub", want: "ok inner.txt,link-up"},
		{name: "list a denied directory", op: "list:/data/private", want: "err EACCES"},
		{name: "write a new file", op: "write:/data/out/new.txt:fresh", want: "ok "},
		{name: "append to it", op: "append:/data/out/new.txt:+more", want: "ok "},
		{name: "write a denied file", op: "write:/data/hello.txt:pwned", want: "err EACCES"},
		{name: "write through a link out", op: "write:/data/link-rel:pwned", want: "err EPERM"},
		{name: "create through a dangling link", op: "write:/data/link-dangling:made", want: "ok "},
		{name: "make a directory", op: "mkdir:/data/out/d", want: "ok "},
		{name: "make a denied directory", op: "mkdir:/data/sub/d", want: "err EACCES"},
		{name: "rename", op: "rename:/data/out/new.txt:/data/out/renamed.txt", want: "ok "},
		{name: "rename a denied file", op: "rename:/data/hello.txt:/data/out/hello.txt", want: "err EACCES"},
		{name: "read the renamed file", op: "read:/data/out/renamed.txt", want: "ok fresh+more"},
		{name: "remove a directory", op: "remove:/data/out/d", want: "ok "},
		{name: "remove a denied file", op: "remove:/data/hello.txt", want: "err EACCES"},
		{name: "symlink out", op: "symlink:/etc/passwd:/data/out/evil", want: "err EPERM"},
		{name: "symlink inside", op: "symlink:../hello.txt:/data/out/l", want: "err EPERM"},
		{name: "hard link", op: "link:/data/private/key.txt:/data/out/key", want: "err EPERM"},
	}
	ops := make([]string, len(steps))
	for i, s := range steps {
		ops[i] = s.op
	}
	lines := runGuest(t, fsys, ops)
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			assert.Equal(t, s.want, lines[i], s.op)
			assert.NotContains(t, lines[i], secret)
		})
	}

	t.Run("disk", func(t *testing.T) {
		want := map[string]string{
			"secret.txt":           secret,
			"root/hello.txt":       "hello",
			"root/out/renamed.txt": "fresh+more",
			"root/out/created.txt": "made",
			"root/out/new.txt":     "<absent>",
			"root/out/hello.txt":   "<absent>",
			"root/out/evil":        "<absent>",
			"root/out/l":           "<absent>",
			"root/out/key":         "<absent>",
			"root/private/key.txt": "key",
			"root/sub/inner.txt":   "inner",
			"root/sub/d/whatever":  "<absent>",
			"root/out/d/whatever":  "<absent>",
		}
		for rel, data := range want {
			assert.Equal(t, data, content(t, filepath.Join(base, rel)), rel)
		}
	})

	t.Run("policy saw only paths under the mount", func(t *testing.T) {
		for _, c := range p.asked() {
			assert.True(t, c.Path == "/data" || strings.HasPrefix(c.Path, "/data/"), c.Path)
		}
	})
}

// TestGuestWithoutAccessToTheRoot checks that a guest whose policy grants
// nothing at the mount's root still starts (wazero opens the root itself)
// and can use what it is granted below it.
func TestGuestWithoutAccessToTheRoot(t *testing.T) {
	// Grant reads under /data/sub only.
	check := func(write bool, guestPath string) error {
		if !write && (guestPath == "/data/sub" || strings.HasPrefix(guestPath, "/data/sub/")) {
			return nil
		}
		return errDenied
	}
	_, root := tree(t)
	fsys, err := New(root, "/data", check)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fsys.(io.Closer).Close()) })

	lines := runGuest(t, fsys, []string{"list:/data", "read:/data/hello.txt", "read:/data/sub/inner.txt", "list:/data/sub"})
	assert.Equal(t, []string{"err EACCES", "err EACCES", "ok inner", "ok inner.txt,link-up"}, lines)
}
