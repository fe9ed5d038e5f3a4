package sandboxfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// open opens name in a fresh test tree and closes it when the test ends.
func open(t *testing.T, p *policy, name string, flag experimentalsys.Oflag) (experimentalsys.File, string) {
	t.Helper()
	fsys, base, _ := newFS(t, p)
	f, errno := fsys.OpenFile(name, flag, 0o644)
	require.Zero(t, errno, errno.Error())
	t.Cleanup(func() { assert.Zero(t, f.Close()) })
	return f, base
}

func TestFileReadAndSeek(t *testing.T) {
	f, _ := open(t, &policy{}, "hello.txt", experimentalsys.O_RDONLY)
	buf := make([]byte, 10)

	n, errno := f.Pread(buf, 1)
	require.Zero(t, errno)
	assert.Equal(t, "ello", string(buf[:n]))

	tests := []struct {
		name      string
		offset    int64
		whence    int
		want      int64
		wantErrno experimentalsys.Errno
		wantRead  string
	}{
		{name: "from start", offset: 1, whence: io.SeekStart, want: 1, wantRead: "ello"},
		{name: "from end", offset: -2, whence: io.SeekEnd, want: 3, wantRead: "lo"},
		{name: "past the end", offset: 10, whence: io.SeekStart, want: 10, wantRead: ""},
		{name: "bad whence", offset: 0, whence: 3, wantErrno: experimentalsys.EINVAL},
		{name: "negative", offset: -1, whence: io.SeekStart, wantErrno: experimentalsys.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errno := f.Seek(tc.offset, tc.whence)
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			if tc.wantErrno != 0 {
				return
			}
			assert.Equal(t, tc.want, got)
			n, errno := f.Read(buf)
			require.Zero(t, errno)
			assert.Equal(t, tc.wantRead, string(buf[:n]))
		})
	}

	t.Run("current", func(t *testing.T) {
		_, errno := f.Seek(2, io.SeekStart)
		require.Zero(t, errno)
		got, errno := f.Seek(1, io.SeekCurrent)
		require.Zero(t, errno)
		assert.Equal(t, int64(3), got)
	})
	t.Run("negative pread", func(t *testing.T) {
		_, errno := f.Pread(buf, -1)
		assert.Equal(t, experimentalsys.EINVAL, errno)
	})
	t.Run("empty read", func(t *testing.T) {
		n, errno := f.Read(nil)
		assert.Zero(t, errno)
		assert.Zero(t, n)
	})
}

func TestFileWrite(t *testing.T) {
	tests := []struct {
		name      string
		flag      experimentalsys.Oflag
		op        func(experimentalsys.File) experimentalsys.Errno
		wantErrno experimentalsys.Errno
		want      string
	}{
		{name: "write on read-only", flag: experimentalsys.O_RDONLY, op: func(f experimentalsys.File) experimentalsys.Errno {
			_, errno := f.Write([]byte("x"))
			return errno
		}, wantErrno: experimentalsys.EBADF, want: "hello"},
		{name: "truncate on read-only", flag: experimentalsys.O_RDONLY, op: func(f experimentalsys.File) experimentalsys.Errno {
			return f.Truncate(0)
		}, wantErrno: experimentalsys.EBADF, want: "hello"},
		{name: "pwrite", flag: experimentalsys.O_RDWR, op: func(f experimentalsys.File) experimentalsys.Errno {
			_, errno := f.Pwrite([]byte("J"), 0)
			return errno
		}, want: "Jello"},
		{name: "pwrite past the end", flag: experimentalsys.O_RDWR, op: func(f experimentalsys.File) experimentalsys.Errno {
			_, errno := f.Pwrite([]byte("!"), 5)
			return errno
		}, want: "hello!"},
		{name: "pwrite negative", flag: experimentalsys.O_RDWR, op: func(f experimentalsys.File) experimentalsys.Errno {
			_, errno := f.Pwrite([]byte("!"), -1)
			return errno
		}, wantErrno: experimentalsys.EINVAL, want: "hello"},
		{name: "pwrite in append mode", flag: experimentalsys.O_WRONLY | experimentalsys.O_APPEND, op: func(f experimentalsys.File) experimentalsys.Errno {
			_, errno := f.Pwrite([]byte("!"), 0)
			return errno
		}, wantErrno: experimentalsys.EINVAL, want: "hello"},
		{name: "truncate", flag: experimentalsys.O_RDWR, op: func(f experimentalsys.File) experimentalsys.Errno {
			return f.Truncate(2)
		}, want: "he"},
		{name: "truncate negative", flag: experimentalsys.O_RDWR, op: func(f experimentalsys.File) experimentalsys.Errno {
			return f.Truncate(-1)
		}, wantErrno: experimentalsys.EINVAL, want: "hello"},
		{name: "sync and datasync", flag: experimentalsys.O_WRONLY, op: func(f experimentalsys.File) experimentalsys.Errno {
			if _, errno := f.Write([]byte("j")); errno != 0 {
				return errno
			}
			if errno := f.Sync(); errno != 0 {
				return errno
			}
			return f.Datasync()
		}, want: "jello"},
		{name: "set append keeps the offset and appends", flag: experimentalsys.O_WRONLY, op: func(f experimentalsys.File) experimentalsys.Errno {
			if _, errno := f.Write([]byte("J")); errno != 0 {
				return errno
			}
			if f.IsAppend() {
				return experimentalsys.EIO
			}
			if errno := f.SetAppend(true); errno != 0 {
				return errno
			}
			if !f.IsAppend() {
				return experimentalsys.EIO
			}
			if _, errno := f.Write([]byte("!")); errno != 0 {
				return errno
			}
			if errno := f.SetAppend(false); errno != 0 {
				return errno
			}
			_, errno := f.Pwrite([]byte("j"), 0)
			return errno
		}, want: "jello!"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, base := open(t, &policy{}, "hello.txt", tc.flag)
			errno := tc.op(f)
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.want, content(t, filepath.Join(base, "root/hello.txt")))
		})
	}

	t.Run("set append after the file was replaced", func(t *testing.T) {
		f, base := open(t, &policy{}, "hello.txt", experimentalsys.O_WRONLY)
		require.NoError(t, os.Rename(filepath.Join(base, "root/sub/inner.txt"), filepath.Join(base, "root/hello.txt")))
		assert.Equal(t, experimentalsys.ENOENT, f.SetAppend(true))
		assert.False(t, f.IsAppend())
	})
}

func TestFileStat(t *testing.T) {
	f, base := open(t, &policy{}, "link-in", experimentalsys.O_RDONLY)
	st, errno := f.Stat()
	require.Zero(t, errno)
	assert.Equal(t, int64(5), st.Size)
	assert.True(t, st.Mode.IsRegular())

	fi, err := os.Stat(filepath.Join(base, "root/hello.txt"))
	require.NoError(t, err)
	ino, errno := f.Ino()
	require.Zero(t, errno)
	assert.Equal(t, st.Ino, ino)
	dev, errno := f.Dev()
	require.Zero(t, errno)
	assert.Equal(t, st.Dev, dev)
	isDir, errno := f.IsDir()
	require.Zero(t, errno)
	assert.False(t, isDir)
	assert.Equal(t, fi.ModTime().UnixNano(), st.Mtim)
}

func TestFileUtimens(t *testing.T) {
	old := time.Unix(1_000_000_000, 0)
	tests := []struct {
		name      string
		path      string
		denyWrite []string
		replace   bool
		wantErrno experimentalsys.Errno
		wantCalls []call
	}{
		{name: "allowed", path: "hello.txt", wantCalls: append(reads("/data/hello.txt"), writes("/data/hello.txt")...)},
		{name: "through a link asks about the file", path: "link-in", wantCalls: append(reads("/data/link-in", "/data/hello.txt"), writes("/data/hello.txt")...)},
		{name: "denied", path: "hello.txt", denyWrite: []string{"/data"}, wantErrno: experimentalsys.EACCES, wantCalls: append(reads("/data/hello.txt"), writes("/data/hello.txt")...)},
		{name: "replaced", path: "hello.txt", replace: true, wantErrno: experimentalsys.ENOENT, wantCalls: append(reads("/data/hello.txt"), writes("/data/hello.txt")...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyWrite: tc.denyWrite}
			f, base := open(t, p, tc.path, experimentalsys.O_RDONLY)
			hello := filepath.Join(base, "root/hello.txt")
			if tc.replace {
				require.NoError(t, os.Rename(filepath.Join(base, "root/sub/inner.txt"), hello))
			}
			errno := f.Utimens(old.UnixNano(), old.UnixNano())
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.wantCalls, p.asked())
			fi, err := os.Stat(hello)
			require.NoError(t, err)
			assert.Equal(t, tc.wantErrno == 0, old.Equal(fi.ModTime()))
		})
	}
}

func TestFileClosed(t *testing.T) {
	fsys, _, _ := newFS(t, &policy{})
	f, errno := fsys.OpenFile("hello.txt", experimentalsys.O_RDWR, 0)
	require.Zero(t, errno)
	require.Zero(t, f.Close())
	require.Zero(t, f.Close(), "closing twice")

	buf := make([]byte, 1)
	ops := map[string]func() experimentalsys.Errno{
		"Read":      func() experimentalsys.Errno { _, e := f.Read(buf); return e },
		"Pread":     func() experimentalsys.Errno { _, e := f.Pread(buf, 0); return e },
		"Write":     func() experimentalsys.Errno { _, e := f.Write(buf); return e },
		"Pwrite":    func() experimentalsys.Errno { _, e := f.Pwrite(buf, 0); return e },
		"Seek":      func() experimentalsys.Errno { _, e := f.Seek(0, io.SeekStart); return e },
		"Stat":      func() experimentalsys.Errno { _, e := f.Stat(); return e },
		"IsDir":     func() experimentalsys.Errno { _, e := f.IsDir(); return e },
		"Dev":       func() experimentalsys.Errno { _, e := f.Dev(); return e },
		"Ino":       func() experimentalsys.Errno { _, e := f.Ino(); return e },
		"Readdir":   func() experimentalsys.Errno { _, e := f.Readdir(-1); return e },
		"Truncate":  func() experimentalsys.Errno { return f.Truncate(0) },
		"Sync":      func() experimentalsys.Errno { return f.Sync() },
		"Datasync":  func() experimentalsys.Errno { return f.Datasync() },
		"SetAppend": func() experimentalsys.Errno { return f.SetAppend(true) },
		"Utimens":   func() experimentalsys.Errno { return f.Utimens(0, 0) },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, experimentalsys.EBADF, op())
		})
	}
}

func TestDirectory(t *testing.T) {
	t.Run("file operations refused", func(t *testing.T) {
		d, _ := open(t, &policy{}, "sub", experimentalsys.O_RDONLY|experimentalsys.O_DIRECTORY)
		buf := make([]byte, 1)
		ops := map[string]func() experimentalsys.Errno{
			"Read":      func() experimentalsys.Errno { _, e := d.Read(buf); return e },
			"Pread":     func() experimentalsys.Errno { _, e := d.Pread(buf, 0); return e },
			"Write":     func() experimentalsys.Errno { _, e := d.Write(buf); return e },
			"Pwrite":    func() experimentalsys.Errno { _, e := d.Pwrite(buf, 0); return e },
			"Truncate":  func() experimentalsys.Errno { return d.Truncate(0) },
			"SetAppend": func() experimentalsys.Errno { return d.SetAppend(true) },
			"Seek 1":    func() experimentalsys.Errno { _, e := d.Seek(1, io.SeekStart); return e },
			"Seek end":  func() experimentalsys.Errno { _, e := d.Seek(0, io.SeekEnd); return e },
		}
		for name, op := range ops {
			t.Run(name, func(t *testing.T) {
				assert.Equal(t, experimentalsys.EISDIR, op())
			})
		}
		isDir, errno := d.IsDir()
		require.Zero(t, errno)
		assert.True(t, isDir)
		assert.Zero(t, d.Sync())
	})

	t.Run("readdir", func(t *testing.T) {
		d, base := open(t, &policy{}, "link-dir", experimentalsys.O_RDONLY)
		dirents, errno := d.Readdir(-1)
		require.Zero(t, errno)
		assert.Equal(t, map[string]fs.FileMode{"inner.txt": 0, "link-up": fs.ModeSymlink}, types(dirents))
		for _, e := range dirents {
			assert.NotZero(t, e.Ino, e.Name)
		}

		dirents, errno = d.Readdir(-1)
		require.Zero(t, errno)
		assert.Empty(t, dirents, "at the end")

		require.NoError(t, os.WriteFile(filepath.Join(base, "root/sub/new.txt"), nil, 0o644))
		off, errno := d.Seek(0, io.SeekStart)
		require.Zero(t, errno)
		assert.Zero(t, off)
		var names []string
		for {
			dirents, errno := d.Readdir(1)
			require.Zero(t, errno)
			require.LessOrEqual(t, len(dirents), 1)
			if len(dirents) == 0 {
				break
			}
			names = append(names, dirents[0].Name)
		}
		sort.Strings(names)
		assert.Equal(t, []string{"inner.txt", "link-up", "new.txt"}, names, "a rewind sees new entries")
	})

	t.Run("readdir of a file", func(t *testing.T) {
		f, _ := open(t, &policy{}, "hello.txt", experimentalsys.O_RDONLY)
		_, errno := f.Readdir(-1)
		assert.Equal(t, experimentalsys.EBADF, errno)
	})

	t.Run("readdir of a directory since deleted", func(t *testing.T) {
		d, base := open(t, &policy{}, "out", experimentalsys.O_RDONLY)
		require.NoError(t, os.Remove(filepath.Join(base, "root/out")))
		_, errno := d.Readdir(-1)
		assert.Equal(t, experimentalsys.ENOENT, errno)
	})
}

// types maps directory entries' names to their types.
func types(dirents []experimentalsys.Dirent) map[string]fs.FileMode {
	m := make(map[string]fs.FileMode, len(dirents))
	for _, e := range dirents {
		m[e.Name] = e.Type
	}
	return m
}
