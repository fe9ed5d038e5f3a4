package sandboxfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

func TestNew(t *testing.T) {
	_, root := tree(t)
	allow := func(bool, string) error { return nil }
	tests := []struct {
		name    string
		hostDir string
		mount   string
		check   func(bool, string) error
		wantIs  error
	}{
		{name: "no check", hostDir: root, mount: "/data", wantIs: ErrNoCheck},
		{name: "relative mount", hostDir: root, mount: "data", check: allow, wantIs: ErrInvalidMount},
		{name: "empty mount", hostDir: root, mount: "", check: allow, wantIs: ErrInvalidMount},
		{name: "trailing slash", hostDir: root, mount: "/data/", check: allow, wantIs: ErrInvalidMount},
		{name: "dot dot in mount", hostDir: root, mount: "/data/../etc", check: allow, wantIs: ErrInvalidMount},
		{name: "missing host directory", hostDir: filepath.Join(root, "nope"), mount: "/data", check: allow, wantIs: fs.ErrNotExist},
		{name: "host file", hostDir: filepath.Join(root, "hello.txt"), mount: "/data", check: allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, err := New(tc.hostDir, tc.mount, tc.check)
			require.Error(t, err)
			assert.Nil(t, fsys)
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
		})
	}

	t.Run("root mount", func(t *testing.T) {
		p := &policy{}
		fsys, err := New(root, "/", p.check)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, fsys.(io.Closer).Close()) })
		_, errno := fsys.Stat("sub/inner.txt")
		require.Zero(t, errno)
		assert.Equal(t, reads("/sub/inner.txt"), p.asked())
	})
}

func TestOpenFileRead(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		flag      experimentalsys.Oflag
		denyRead  []string
		want      string
		wantErrno experimentalsys.Errno
		wantCalls []call
	}{
		{name: "allowed", path: "hello.txt", want: "hello", wantCalls: reads("/data/hello.txt")},
		{name: "denied", path: "private/key.txt", denyRead: []string{"/data/private"}, wantErrno: experimentalsys.EACCES, wantCalls: reads("/data/private/key.txt")},
		{name: "name is cleaned", path: "sub//./inner.txt", want: "inner", wantCalls: reads("/data/sub/inner.txt")},
		{name: "leading slash is the mount", path: "/hello.txt", want: "hello", wantCalls: reads("/data/hello.txt")},
		{name: "missing", path: "nope.txt", wantErrno: experimentalsys.ENOENT, wantCalls: reads("/data/nope.txt")},
		{name: "directory flag on a file", path: "hello.txt", flag: experimentalsys.O_DIRECTORY, wantErrno: experimentalsys.ENOTDIR, wantCalls: reads("/data/hello.txt")},

		{name: "dot dot", path: "../secret.txt", wantErrno: experimentalsys.EPERM},
		{name: "dot dot deeper", path: "sub/../../secret.txt", wantErrno: experimentalsys.EPERM},
		{name: "dot dot and back", path: "../root/hello.txt", wantErrno: experimentalsys.EPERM},
		{name: "dot dot inside", path: "sub/../hello.txt", want: "hello", wantCalls: reads("/data/hello.txt")},

		{name: "link inside", path: "link-in", want: "hello", wantCalls: reads("/data/link-in", "/data/hello.txt")},
		{name: "link to a directory", path: "link-dir/inner.txt", want: "inner", wantCalls: reads("/data/link-dir/inner.txt", "/data/sub/inner.txt")},
		{name: "link with dot dot inside", path: "sub/link-up", want: "hello", wantCalls: reads("/data/sub/link-up", "/data/hello.txt")},
		{name: "chain of links", path: "link-chain", want: "hello", wantCalls: reads("/data/link-chain", "/data/hello.txt")},
		{name: "link to a denied file", path: "link-private", denyRead: []string{"/data/private"}, wantErrno: experimentalsys.EACCES, wantCalls: reads("/data/link-private", "/data/private/key.txt")},
		{name: "relative link out", path: "link-rel", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel")},
		{name: "relative link to the parent", path: "link-rel-dir/secret.txt", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel-dir/secret.txt")},
		{name: "absolute link out", path: "link-abs", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-abs")},
		{name: "absolute link inside", path: "link-abs-in", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-abs-in")},
		{name: "no follow on a link", path: "link-in", flag: experimentalsys.O_NOFOLLOW, wantErrno: experimentalsys.ELOOP, wantCalls: reads("/data/link-in")},
		{name: "no follow on a file", path: "hello.txt", flag: experimentalsys.O_NOFOLLOW, want: "hello", wantCalls: reads("/data/hello.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyRead: tc.denyRead}
			fsys, _, _ := newFS(t, p)
			f, errno := fsys.OpenFile(tc.path, experimentalsys.O_RDONLY|tc.flag, 0)
			assert.Equal(t, tc.wantCalls, p.asked())
			if tc.wantErrno != 0 {
				assert.Equal(t, tc.wantErrno, errno, errno.Error())
				assert.Nil(t, f)
				return
			}
			require.Zero(t, errno, errno.Error())
			t.Cleanup(func() { assert.Zero(t, f.Close()) })
			got := readAll(t, f)
			assert.Equal(t, tc.want, got)
			assert.NotEqual(t, secret, got)
		})
	}
}

func TestOpenFileWrite(t *testing.T) {
	const (
		wr     = experimentalsys.O_WRONLY
		create = experimentalsys.O_WRONLY | experimentalsys.O_CREAT
	)
	tests := []struct {
		name      string
		path      string
		flag      experimentalsys.Oflag
		denyRead  []string
		denyWrite []string
		write     string
		wantErrno experimentalsys.Errno
		wantCalls []call
		// check is the host file, relative to base, and its expected content.
		check, want string
	}{
		{name: "create", path: "out/new.txt", flag: create, write: "data",
			wantCalls: writes("/data/out/new.txt"), check: "root/out/new.txt", want: "data"},
		{name: "create denied", path: "out/new.txt", flag: create, denyWrite: []string{"/data/out"}, write: "data",
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/out/new.txt"), check: "root/out/new.txt", want: "<absent>"},
		{name: "create read-only denied", path: "out/new.txt", flag: experimentalsys.O_RDONLY | experimentalsys.O_CREAT, denyWrite: []string{"/data"},
			wantErrno: experimentalsys.EACCES, wantCalls: append(reads("/data/out/new.txt"), writes("/data/out/new.txt")...), check: "root/out/new.txt", want: "<absent>"},
		{name: "truncate denied", path: "hello.txt", flag: wr | experimentalsys.O_TRUNC, denyWrite: []string{"/data"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt"), check: "root/hello.txt", want: "hello"},
		{name: "truncate", path: "hello.txt", flag: wr | experimentalsys.O_TRUNC, write: "bye",
			wantCalls: writes("/data/hello.txt"), check: "root/hello.txt", want: "bye"},
		{name: "write in place", path: "hello.txt", flag: wr, write: "J",
			wantCalls: writes("/data/hello.txt"), check: "root/hello.txt", want: "Jello"},
		{name: "append", path: "hello.txt", flag: wr | experimentalsys.O_APPEND, write: " world",
			wantCalls: writes("/data/hello.txt"), check: "root/hello.txt", want: "hello world"},
		{name: "append denied", path: "hello.txt", flag: experimentalsys.O_RDONLY | experimentalsys.O_APPEND, denyWrite: []string{"/data/hello.txt"},
			wantErrno: experimentalsys.EACCES, wantCalls: append(reads("/data/hello.txt"), writes("/data/hello.txt")...), check: "root/hello.txt", want: "hello"},
		{name: "read and write asks both", path: "hello.txt", flag: experimentalsys.O_RDWR, write: "y",
			wantCalls: append(reads("/data/hello.txt"), writes("/data/hello.txt")...), check: "root/hello.txt", want: "yello"},
		{name: "read and write without read", path: "hello.txt", flag: experimentalsys.O_RDWR, denyRead: []string{"/data/hello.txt"},
			wantErrno: experimentalsys.EACCES, wantCalls: reads("/data/hello.txt"), check: "root/hello.txt", want: "hello"},
		{name: "exclusive on an existing file", path: "hello.txt", flag: create | experimentalsys.O_EXCL,
			wantErrno: experimentalsys.EEXIST, wantCalls: writes("/data/hello.txt"), check: "root/hello.txt", want: "hello"},
		{name: "exclusive on a link", path: "link-dangling", flag: create | experimentalsys.O_EXCL,
			wantErrno: experimentalsys.EEXIST, wantCalls: writes("/data/link-dangling"), check: "root/out/created.txt", want: "<absent>"},
		{name: "create through a dangling link", path: "link-dangling", flag: create, write: "made",
			wantCalls: writes("/data/link-dangling", "/data/out/created.txt"), check: "root/out/created.txt", want: "made"},
		{name: "create through a link to a denied place", path: "link-dangling", flag: create, denyWrite: []string{"/data/out"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/link-dangling", "/data/out/created.txt"), check: "root/out/created.txt", want: "<absent>"},
		{name: "truncate through a link out", path: "link-rel", flag: wr | experimentalsys.O_TRUNC,
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-rel"), check: "secret.txt", want: secret},
		{name: "truncate through an absolute link out", path: "link-abs", flag: wr | experimentalsys.O_TRUNC,
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-abs"), check: "secret.txt", want: secret},
		{name: "create above the mount", path: "../evil.txt", flag: create,
			wantErrno: experimentalsys.EPERM, check: "evil.txt", want: "<absent>"},
		{name: "directory for writing", path: "sub", flag: experimentalsys.O_RDWR | experimentalsys.O_DIRECTORY,
			wantErrno: experimentalsys.EISDIR, check: "root/sub/inner.txt", want: "inner"},
		{name: "create a directory", path: "out/d", flag: experimentalsys.O_CREAT | experimentalsys.O_DIRECTORY,
			wantErrno: experimentalsys.EINVAL, check: "root/out/d", want: "<absent>"},
		{name: "write a directory", path: "sub", flag: wr,
			wantErrno: experimentalsys.EISDIR, wantCalls: writes("/data/sub"), check: "root/sub/inner.txt", want: "inner"},
		{name: "bad access mode", path: "hello.txt", flag: 3,
			wantErrno: experimentalsys.EINVAL, check: "root/hello.txt", want: "hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyRead: tc.denyRead, denyWrite: tc.denyWrite}
			fsys, base, _ := newFS(t, p)
			f, errno := fsys.OpenFile(tc.path, tc.flag, 0o644)
			assert.Equal(t, tc.wantCalls, p.asked())
			if tc.wantErrno != 0 {
				assert.Equal(t, tc.wantErrno, errno, errno.Error())
				assert.Nil(t, f)
			} else {
				require.Zero(t, errno, errno.Error())
				n, errno := f.Write([]byte(tc.write))
				require.Zero(t, errno)
				assert.Equal(t, len(tc.write), n)
				require.Zero(t, f.Close())
			}
			assert.Equal(t, tc.want, content(t, filepath.Join(base, tc.check)))
			assert.Equal(t, secret, content(t, filepath.Join(base, "secret.txt")))
		})
	}
}

func TestRootDirectory(t *testing.T) {
	t.Run("open is not checked, listing is", func(t *testing.T) {
		p := &policy{denyRead: []string{"/data"}}
		fsys, _, _ := newFS(t, p)
		f, errno := fsys.OpenFile(".", experimentalsys.O_RDONLY, 0)
		require.Zero(t, errno)
		t.Cleanup(func() { assert.Zero(t, f.Close()) })
		assert.Empty(t, p.asked())

		isDir, errno := f.IsDir()
		require.Zero(t, errno)
		assert.True(t, isDir)
		ino, errno := f.Ino()
		require.Zero(t, errno)
		assert.NotZero(t, ino)

		dirents, errno := f.Readdir(-1)
		assert.Equal(t, experimentalsys.EACCES, errno)
		assert.Empty(t, dirents)
		assert.Equal(t, reads("/data"), p.asked())
	})
	t.Run("stat of the root is checked", func(t *testing.T) {
		p := &policy{denyRead: []string{"/data"}}
		fsys, _, _ := newFS(t, p)
		_, errno := fsys.Stat(".")
		assert.Equal(t, experimentalsys.EACCES, errno)
		assert.Equal(t, reads("/data"), p.asked())
	})
	t.Run("writing the root is checked", func(t *testing.T) {
		p := &policy{denyWrite: []string{"/data"}}
		fsys, _, _ := newFS(t, p)
		_, errno := fsys.OpenFile(".", experimentalsys.O_RDONLY|experimentalsys.O_TRUNC, 0)
		assert.Equal(t, experimentalsys.EACCES, errno)
	})
	t.Run("a closed FS still answers ENOENT", func(t *testing.T) {
		// wazero panics if opening the preopen fails otherwise.
		_, root := tree(t)
		fsys, err := New(root, "/data", (&policy{}).check)
		require.NoError(t, err)
		require.NoError(t, fsys.(io.Closer).Close())
		require.NoError(t, fsys.(io.Closer).Close())
		_, errno := fsys.OpenFile(".", experimentalsys.O_RDONLY, 0)
		assert.Equal(t, experimentalsys.ENOENT, errno)
		_, errno = fsys.Stat("hello.txt")
		assert.Equal(t, experimentalsys.EBADF, errno)
	})
}

func TestStat(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		lstat     bool
		denyRead  []string
		wantMode  fs.FileMode
		wantErrno experimentalsys.Errno
		wantCalls []call
	}{
		{name: "file", path: "hello.txt", wantMode: 0, wantCalls: reads("/data/hello.txt")},
		{name: "directory", path: "sub/", wantMode: fs.ModeDir, wantCalls: reads("/data/sub")},
		{name: "root", path: ".", wantMode: fs.ModeDir, wantCalls: reads("/data")},
		{name: "denied", path: "private/key.txt", denyRead: []string{"/data/private"}, wantErrno: experimentalsys.EACCES, wantCalls: reads("/data/private/key.txt")},
		{name: "link followed", path: "link-in", wantMode: 0, wantCalls: reads("/data/link-in", "/data/hello.txt")},
		{name: "link not followed", path: "link-in", lstat: true, wantMode: fs.ModeSymlink, wantCalls: reads("/data/link-in")},
		{name: "link out followed", path: "link-rel", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel")},
		{name: "link out not followed", path: "link-rel", lstat: true, wantMode: fs.ModeSymlink, wantCalls: reads("/data/link-rel")},
		{name: "absolute link out followed", path: "link-abs", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-abs")},
		{name: "through a link out", path: "link-rel-dir/secret.txt", lstat: true, wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel-dir/secret.txt")},
		{name: "file as a directory", path: "hello.txt/", wantErrno: experimentalsys.ENOTDIR, wantCalls: reads("/data/hello.txt")},
		{name: "dot dot", path: "..", wantErrno: experimentalsys.EPERM},
		{name: "missing", path: "nope", wantErrno: experimentalsys.ENOENT, wantCalls: reads("/data/nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyRead: tc.denyRead}
			fsys, _, _ := newFS(t, p)
			stat := fsys.Stat
			if tc.lstat {
				stat = fsys.Lstat
			}
			st, errno := stat(tc.path)
			assert.Equal(t, tc.wantCalls, p.asked())
			if tc.wantErrno != 0 {
				assert.Equal(t, tc.wantErrno, errno, errno.Error())
				return
			}
			require.Zero(t, errno, errno.Error())
			assert.Equal(t, tc.wantMode, st.Mode.Type())
			assert.NotZero(t, st.Ino)
		})
	}
}

func TestReadlink(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		denyRead  []string
		want      string
		wantErrno experimentalsys.Errno
		wantCalls []call
	}{
		{name: "inside", path: "link-in", want: "hello.txt", wantCalls: reads("/data/link-in")},
		{name: "inside with dot dot", path: "sub/link-up", want: "../hello.txt", wantCalls: reads("/data/sub/link-up")},
		{name: "through a link", path: "link-dir/link-up", want: "../hello.txt", wantCalls: reads("/data/link-dir/link-up", "/data/sub/link-up")},
		{name: "denied", path: "link-in", denyRead: []string{"/data/link-in"}, wantErrno: experimentalsys.EACCES, wantCalls: reads("/data/link-in")},
		{name: "relative out", path: "link-rel", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel")},
		{name: "parent", path: "link-rel-dir", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-rel-dir")},
		{name: "absolute out", path: "link-abs", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-abs")},
		{name: "absolute inside", path: "link-abs-in", wantErrno: experimentalsys.EPERM, wantCalls: reads("/data/link-abs-in")},
		{name: "not a link", path: "hello.txt", wantErrno: experimentalsys.EINVAL, wantCalls: reads("/data/hello.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyRead: tc.denyRead}
			fsys, _, _ := newFS(t, p)
			got, errno := fsys.Readlink(tc.path)
			assert.Equal(t, tc.wantCalls, p.asked())
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPathOperations(t *testing.T) {
	exists := func(rel string) func(t *testing.T, base string) {
		return func(t *testing.T, base string) {
			_, err := os.Lstat(filepath.Join(base, rel))
			assert.NoError(t, err, "%s should exist", rel)
		}
	}
	absent := func(rel string) func(t *testing.T, base string) {
		return func(t *testing.T, base string) {
			_, err := os.Lstat(filepath.Join(base, rel))
			assert.ErrorIs(t, err, fs.ErrNotExist, "%s should not exist", rel)
		}
	}
	both := func(checks ...func(*testing.T, string)) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			for _, c := range checks {
				c(t, base)
			}
		}
	}
	mode := func(rel string, want fs.FileMode) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			fi, err := os.Stat(filepath.Join(base, rel))
			require.NoError(t, err)
			assert.Equal(t, want, fi.Mode())
		}
	}
	mtime := func(rel string, want time.Time) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			fi, err := os.Stat(filepath.Join(base, rel))
			require.NoError(t, err)
			assert.True(t, want.Equal(fi.ModTime()), "mtime %v, want %v", fi.ModTime(), want)
		}
	}
	old := time.Unix(1_000_000_000, 0)
	tests := []struct {
		name      string
		op        func(experimentalsys.FS) experimentalsys.Errno
		denyWrite []string
		wantErrno experimentalsys.Errno
		wantCalls []call
		after     func(t *testing.T, base string)
	}{
		{name: "mkdir", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Mkdir("out/d", 0o755) },
			wantCalls: writes("/data/out/d"), after: exists("root/out/d")},
		{name: "mkdir denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Mkdir("out/d", 0o755) }, denyWrite: []string{"/data/out"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/out/d"), after: absent("root/out/d")},
		{name: "mkdir existing", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Mkdir("sub", 0o755) },
			wantErrno: experimentalsys.EEXIST, wantCalls: writes("/data/sub"), after: exists("root/sub/inner.txt")},
		{name: "mkdir above the mount", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Mkdir("../d", 0o755) },
			wantErrno: experimentalsys.EPERM, after: absent("d")},
		{name: "mkdir through a link out", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Mkdir("link-rel-dir/d", 0o755) },
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-rel-dir/d"), after: absent("d")},

		{name: "rmdir", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rmdir("out") },
			wantCalls: writes("/data/out"), after: absent("root/out")},
		{name: "rmdir denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rmdir("out") }, denyWrite: []string{"/data/out"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/out"), after: exists("root/out")},
		{name: "rmdir a file", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rmdir("hello.txt") },
			wantErrno: experimentalsys.ENOTDIR, wantCalls: writes("/data/hello.txt"), after: exists("root/hello.txt")},
		{name: "rmdir not empty", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rmdir("sub") },
			wantErrno: experimentalsys.ENOTEMPTY, wantCalls: writes("/data/sub"), after: exists("root/sub/inner.txt")},
		{name: "rmdir the root", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rmdir(".") },
			wantErrno: experimentalsys.EINVAL, wantCalls: writes("/data"), after: exists("root")},

		{name: "unlink", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("hello.txt") },
			wantCalls: writes("/data/hello.txt"), after: absent("root/hello.txt")},
		{name: "unlink denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("hello.txt") }, denyWrite: []string{"/data/hello.txt"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt"), after: exists("root/hello.txt")},
		{name: "unlink a directory", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("out") },
			wantErrno: experimentalsys.EISDIR, wantCalls: writes("/data/out"), after: exists("root/out")},
		{name: "unlink a link removes the link", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("link-in") },
			wantCalls: writes("/data/link-in"), after: both(absent("root/link-in"), exists("root/hello.txt"))},
		{name: "unlink a link out removes the link", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("link-abs") },
			wantCalls: writes("/data/link-abs"), after: both(absent("root/link-abs"), exists("secret.txt"))},
		{name: "unlink through a link out", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("link-rel-dir/secret.txt") },
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-rel-dir/secret.txt"), after: exists("secret.txt")},
		{name: "unlink above the mount", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Unlink("../secret.txt") },
			wantErrno: experimentalsys.EPERM, after: exists("secret.txt")},

		{name: "rename", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("hello.txt", "out/moved.txt") },
			wantCalls: writes("/data/hello.txt", "/data/out/moved.txt"), after: both(absent("root/hello.txt"), exists("root/out/moved.txt"))},
		{name: "rename from denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("hello.txt", "out/moved.txt") }, denyWrite: []string{"/data/hello.txt"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt"), after: both(exists("root/hello.txt"), absent("root/out/moved.txt"))},
		{name: "rename to denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("hello.txt", "out/moved.txt") }, denyWrite: []string{"/data/out"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt", "/data/out/moved.txt"), after: both(exists("root/hello.txt"), absent("root/out/moved.txt"))},
		{name: "rename out of the mount", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("hello.txt", "../moved.txt") },
			wantErrno: experimentalsys.EPERM, after: both(exists("root/hello.txt"), absent("moved.txt"))},
		{name: "rename through a link out", op: func(s experimentalsys.FS) experimentalsys.Errno {
			return s.Rename("hello.txt", "link-rel-dir/moved.txt")
		},
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/hello.txt", "/data/link-rel-dir/moved.txt"), after: both(exists("root/hello.txt"), absent("moved.txt"))},
		{name: "rename into the mount", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("../secret.txt", "stolen.txt") },
			wantErrno: experimentalsys.EPERM, after: both(exists("secret.txt"), absent("root/stolen.txt"))},
		{name: "rename a directory onto an empty one", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("sub", "out") },
			wantCalls: writes("/data/sub", "/data/out"), after: both(absent("root/sub"), exists("root/out/inner.txt"))},
		{name: "rename a directory onto a full one", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("out", "sub") },
			wantErrno: experimentalsys.ENOTEMPTY, wantCalls: writes("/data/out", "/data/sub"), after: both(exists("root/out"), exists("root/sub/inner.txt"))},
		{name: "rename a file onto a directory", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Rename("hello.txt", "out") },
			wantErrno: experimentalsys.EISDIR, wantCalls: writes("/data/hello.txt", "/data/out"), after: both(exists("root/hello.txt"), exists("root/out"))},

		{name: "chmod", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Chmod("hello.txt", 0o600) },
			wantCalls: writes("/data/hello.txt"), after: mode("root/hello.txt", 0o600)},
		{name: "chmod denied", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Chmod("hello.txt", 0o600) }, denyWrite: []string{"/data"},
			wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt"), after: mode("root/hello.txt", 0o644)},
		{name: "chmod keeps to permission bits", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Chmod("hello.txt", 0o755|fs.ModeSetuid) },
			wantCalls: writes("/data/hello.txt"), after: mode("root/hello.txt", 0o755)},
		{name: "chmod through a link", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Chmod("link-in", 0o600) },
			wantCalls: writes("/data/link-in", "/data/hello.txt"), after: mode("root/hello.txt", 0o600)},
		{name: "chmod through a link out", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Chmod("link-rel", 0o600) },
			wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-rel"), after: mode("secret.txt", 0o644)},

		{name: "utimens", op: func(s experimentalsys.FS) experimentalsys.Errno {
			return s.Utimens("hello.txt", old.UnixNano(), old.UnixNano())
		}, wantCalls: writes("/data/hello.txt"), after: mtime("root/hello.txt", old)},
		{name: "utimens denied", op: func(s experimentalsys.FS) experimentalsys.Errno {
			return s.Utimens("hello.txt", old.UnixNano(), old.UnixNano())
		}, denyWrite: []string{"/data"}, wantErrno: experimentalsys.EACCES, wantCalls: writes("/data/hello.txt"), after: func(t *testing.T, base string) {
			fi, err := os.Stat(filepath.Join(base, "root/hello.txt"))
			require.NoError(t, err)
			assert.False(t, old.Equal(fi.ModTime()))
		}},
		{name: "utimens omitting mtime", op: func(s experimentalsys.FS) experimentalsys.Errno {
			if errno := s.Utimens("hello.txt", old.UnixNano(), old.UnixNano()); errno != 0 {
				return errno
			}
			return s.Utimens("hello.txt", time.Now().UnixNano(), experimentalsys.UTIME_OMIT)
		}, wantCalls: writes("/data/hello.txt", "/data/hello.txt"), after: mtime("root/hello.txt", old)},
		{name: "utimens through a link out", op: func(s experimentalsys.FS) experimentalsys.Errno {
			return s.Utimens("link-abs", old.UnixNano(), old.UnixNano())
		}, wantErrno: experimentalsys.EPERM, wantCalls: writes("/data/link-abs"), after: func(t *testing.T, base string) {
			fi, err := os.Stat(filepath.Join(base, "secret.txt"))
			require.NoError(t, err)
			assert.False(t, old.Equal(fi.ModTime()))
		}},

		{name: "symlink refused", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Symlink("hello.txt", "out/l") },
			wantErrno: experimentalsys.EPERM, after: absent("root/out/l")},
		{name: "absolute symlink refused", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Symlink("/etc/passwd", "out/l") },
			wantErrno: experimentalsys.EPERM, after: absent("root/out/l")},
		{name: "hard link refused", op: func(s experimentalsys.FS) experimentalsys.Errno { return s.Link("private/key.txt", "out/key.txt") },
			wantErrno: experimentalsys.EPERM, after: absent("root/out/key.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policy{denyWrite: tc.denyWrite}
			fsys, base, _ := newFS(t, p)
			errno := tc.op(fsys)
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.wantCalls, p.asked())
			tc.after(t, base)
			assert.Equal(t, secret, content(t, filepath.Join(base, "secret.txt")))
		})
	}
}

func TestErrnoOf(t *testing.T) {
	base, root := tree(t)
	r, err := os.OpenRoot(root)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })

	tests := []struct {
		name string
		err  error
		want experimentalsys.Errno
	}{
		{name: "nil", err: nil, want: 0},
		{name: "os.Root refusing a link out", err: func() error { _, err := r.Open("link-rel"); return err }(), want: experimentalsys.EPERM},
		{name: "os.Root refusing dot dot", err: func() error { _, err := r.Open("../secret.txt"); return err }(), want: experimentalsys.EPERM},
		{name: "not found", err: func() error { _, err := r.Open("nope"); return err }(), want: experimentalsys.ENOENT},
		{name: "closed", err: os.ErrClosed, want: experimentalsys.EBADF},
		{name: "exists", err: fs.ErrExist, want: experimentalsys.EEXIST},
		{name: "invalid", err: fs.ErrInvalid, want: experimentalsys.EINVAL},
		{name: "wrapped errno", err: &os.PathError{Op: "x", Path: base, Err: errors.Join(errors.New("ctx"), os.NewSyscallError("x", syscall.ENOTEMPTY))}, want: experimentalsys.ENOTEMPTY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, errnoOf(tc.err))
		})
	}
}

// TestConcurrentUse shares one FS among goroutines, as module instances of
// one function do; run with -race.
func TestConcurrentUse(t *testing.T) {
	p := &policy{denyRead: []string{"/data/private"}}
	fsys, _, _ := newFS(t, p)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				f, errno := fsys.OpenFile("link-chain", experimentalsys.O_RDONLY, 0)
				if !assert.Zero(t, errno) {
					return
				}
				assert.Equal(t, "hello", readAll(t, f))
				assert.Zero(t, f.Close())
				_, errno = fsys.Stat("private/key.txt")
				assert.Equal(t, experimentalsys.EACCES, errno)
				name := filepath.Join("out", string(rune('a'+i)))
				assert.Zero(t, fsys.Mkdir(name, 0o755))
				assert.Zero(t, fsys.Rmdir(name))
			}
		}()
	}
	wg.Wait()
}
