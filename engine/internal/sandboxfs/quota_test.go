package sandboxfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// capped mounts a fresh, empty directory at /tmp with a cap of max bytes,
// and counts how often the cap refused an operation.
func capped(t *testing.T, max int64) (experimentalsys.FS, string, *int) {
	t.Helper()
	dir := t.TempDir()
	full := 0
	fsys, err := NewWithOptions(dir, "/tmp", func(bool, string) error { return nil }, Options{MaxBytes: max, OnFull: func() { full++ }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fsys.(interface{ Close() error }).Close() })
	return fsys, dir, &full
}

func used(t *testing.T, fsys experimentalsys.FS) int64 {
	t.Helper()
	n, ok := Used(fsys)
	require.True(t, ok)
	return n
}

func create(t *testing.T, fsys experimentalsys.FS, name string) experimentalsys.File {
	t.Helper()
	f, errno := fsys.OpenFile(name, experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	require.Zero(t, errno)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestQuota(t *testing.T) {
	const max = 3*EntryBytes + 1000

	t.Run("files and directories count", func(t *testing.T) {
		fsys, dir, full := capped(t, max)
		f := create(t, fsys, "a")
		assert.Equal(t, int64(EntryBytes), used(t, fsys))
		n, errno := f.Write(bytes.Repeat([]byte("x"), 300))
		require.Zero(t, errno)
		assert.Equal(t, 300, n)
		require.Zero(t, fsys.Mkdir("d", 0o755))
		assert.Equal(t, int64(2*EntryBytes+300), used(t, fsys))

		// Over the cap: the part that fits is written, then ENOSPC.
		g := create(t, fsys, "d/b")
		n, errno = g.Write(bytes.Repeat([]byte("y"), 1000))
		require.Zero(t, errno)
		assert.Equal(t, 700, n, "what fits")
		n, errno = g.Write([]byte("z"))
		assert.Equal(t, errNoSpace, errno)
		assert.Zero(t, n)
		assert.Equal(t, 1, *full)
		assert.Equal(t, int64(max), used(t, fsys))
		_, errno = fsys.OpenFile("c", experimentalsys.O_WRONLY|experimentalsys.O_CREAT, 0o644)
		assert.Equal(t, errNoSpace, errno, "no room for another file")
		assert.Equal(t, errNoSpace, fsys.Mkdir("e", 0o755), "nor a directory")
		_, err := os.Stat(filepath.Join(dir, "c"))
		assert.True(t, os.IsNotExist(err), "nothing was created")

		// Removing gives room back.
		require.Zero(t, fsys.Unlink("d/b"))
		assert.Equal(t, int64(2*EntryBytes+300), used(t, fsys))
		require.Zero(t, g.Close())
		require.Zero(t, fsys.Rmdir("d"))
		assert.Equal(t, int64(EntryBytes+300), used(t, fsys))
	})

	t.Run("a hole counts", func(t *testing.T) {
		fsys, _, _ := capped(t, max)
		f := create(t, fsys, "sparse")
		_, errno := f.Pwrite([]byte("x"), 10<<30)
		assert.Equal(t, errNoSpace, errno, "a byte 10 GiB in is 10 GiB")
		n, errno := f.Pwrite([]byte("x"), 999)
		require.Zero(t, errno)
		assert.Equal(t, 1, n)
		assert.Equal(t, int64(EntryBytes+1000), used(t, fsys))
		n, errno = f.Pwrite([]byte("abc"), 0)
		require.Zero(t, errno)
		assert.Equal(t, 3, n, "rewriting costs nothing")
		assert.Equal(t, int64(EntryBytes+1000), used(t, fsys))
	})

	t.Run("truncate", func(t *testing.T) {
		fsys, _, _ := capped(t, max)
		f := create(t, fsys, "t")
		assert.Equal(t, errNoSpace, f.Truncate(max))
		require.Zero(t, f.Truncate(500))
		assert.Equal(t, int64(EntryBytes+500), used(t, fsys))
		require.Zero(t, f.Truncate(100))
		assert.Equal(t, int64(EntryBytes+100), used(t, fsys))
		require.Zero(t, f.Close())
		g, errno := fsys.OpenFile("t", experimentalsys.O_WRONLY|experimentalsys.O_TRUNC, 0)
		require.Zero(t, errno)
		defer g.Close()
		assert.Equal(t, int64(EntryBytes), used(t, fsys), "O_TRUNC gives the contents back")
	})

	t.Run("append", func(t *testing.T) {
		fsys, _, _ := capped(t, EntryBytes+10)
		f, errno := fsys.OpenFile("log", experimentalsys.O_WRONLY|experimentalsys.O_CREAT|experimentalsys.O_APPEND, 0o644)
		require.Zero(t, errno)
		defer f.Close()
		for range 2 {
			n, errno := f.Write([]byte("12345"))
			require.Zero(t, errno)
			assert.Equal(t, 5, n)
		}
		_, errno = f.Write([]byte("6"))
		assert.Equal(t, errNoSpace, errno)
	})

	t.Run("rename over a file gives it back", func(t *testing.T) {
		fsys, _, _ := capped(t, max)
		a := create(t, fsys, "a")
		_, errno := a.Write([]byte("aaaa"))
		require.Zero(t, errno)
		b := create(t, fsys, "b")
		_, errno = b.Write([]byte("bb"))
		require.Zero(t, errno)
		require.Zero(t, fsys.Rename("a", "b"))
		assert.Equal(t, int64(EntryBytes+4), used(t, fsys))
		require.Zero(t, fsys.Rename("b", "b"), "onto itself")
		assert.Equal(t, int64(EntryBytes+4), used(t, fsys))
	})

	t.Run("no cap", func(t *testing.T) {
		_, root := tree(t)
		fsys, err := New(root, "/data", func(bool, string) error { return nil })
		require.NoError(t, err)
		defer fsys.(interface{ Close() error }).Close()
		_, ok := Used(fsys)
		assert.False(t, ok)
	})
}
