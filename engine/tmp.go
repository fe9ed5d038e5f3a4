package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/flintfaas/flint/engine/internal/sandboxfs"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// tmpPath is where every instance finds its own writable directory, as on
// Lambda.
const tmpPath = "/tmp"

// openTmpBase prepares the directory instances' /tmp directories are made
// in: Config.TmpDir, DataDir/tmp, or a new temporary directory. What an
// earlier process left there is removed.
func (e *Engine) openTmpBase() error {
	dir := e.cfg.TmpDir
	switch {
	case dir == "" && e.cfg.DataDir != "":
		dir = filepath.Join(e.cfg.DataDir, "tmp")
	case dir == "":
		d, err := os.MkdirTemp("", "flint-tmp-")
		if err != nil {
			return fmt.Errorf("engine: a directory for instances' /tmp: %w", err)
		}
		e.tmpBase, e.tmpBaseTemp = d, true
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("engine: clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("engine: a directory for instances' /tmp: %w", err)
	}
	e.tmpBase = dir
	return nil
}

// closeTmpBase removes the temporary directory openTmpBase made.
func (e *Engine) closeTmpBase() error {
	if e.tmpBase == "" || !e.tmpBaseTemp {
		return nil
	}
	return os.RemoveAll(e.tmpBase)
}

// tmpFS is an instance's /tmp: a directory of its own under the engine's
// base, made the first time the guest touches /tmp (most functions never
// do, and their cold starts pay nothing for it), capped at the function's
// EphemeralStorageMB, and removed with the instance.
type tmpFS struct {
	experimentalsys.UnimplementedFS

	base  string
	max   int64
	check func(write bool, guestPath string) error
	full  func()

	mu  sync.Mutex
	dir string
	fs  experimentalsys.FS
	err error
}

var _ experimentalsys.FS = (*tmpFS)(nil)

// used reports whether the guest has touched /tmp.
func (t *tmpFS) used() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dir != "" || t.err != nil
}

// get returns the file system, making it on first use.
func (t *tmpFS) get() (experimentalsys.FS, experimentalsys.Errno) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fs == nil && t.err == nil {
		t.dir, t.err = os.MkdirTemp(t.base, "i-")
		if t.err == nil {
			t.fs, t.err = sandboxfs.NewWithOptions(t.dir, tmpPath, t.check, sandboxfs.Options{MaxBytes: t.max, OnFull: t.full})
		}
	}
	if t.err != nil {
		return nil, experimentalsys.EIO
	}
	return t.fs, 0
}

// Close removes the directory and everything in it.
func (t *tmpFS) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var err error
	if c, ok := t.fs.(io.Closer); ok {
		err = c.Close()
	}
	if t.dir != "" {
		err = errors.Join(err, os.RemoveAll(t.dir))
	}
	t.fs, t.dir = nil, ""
	return err
}

// String returns the guest path.
func (*tmpFS) String() string { return tmpPath }

func (t *tmpFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	f, errno := t.get()
	if errno != 0 {
		return nil, errno
	}
	return f.OpenFile(p, flag, perm)
}

func (t *tmpFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	f, errno := t.get()
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	return f.Lstat(p)
}

func (t *tmpFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	f, errno := t.get()
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	return f.Stat(p)
}

func (t *tmpFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Mkdir(p, perm)
}

func (t *tmpFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Chmod(p, perm)
}

func (t *tmpFS) Rename(from, to string) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Rename(from, to)
}

func (t *tmpFS) Rmdir(p string) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Rmdir(p)
}

func (t *tmpFS) Unlink(p string) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Unlink(p)
}

func (t *tmpFS) Link(from, to string) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Link(from, to)
}

func (t *tmpFS) Symlink(from, to string) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Symlink(from, to)
}

func (t *tmpFS) Readlink(p string) (string, experimentalsys.Errno) {
	f, errno := t.get()
	if errno != 0 {
		return "", errno
	}
	return f.Readlink(p)
}

func (t *tmpFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	f, errno := t.get()
	if errno != 0 {
		return errno
	}
	return f.Utimens(p, atim, mtim)
}
