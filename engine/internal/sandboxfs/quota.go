package sandboxfs

import (
	"io"
	"io/fs"
	"sync/atomic"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// Options adjust the file system NewWithOptions makes. The zero value is
// New's.
type Options struct {
	// MaxBytes caps what the guest stores under the mount: the bytes of
	// its files (up to their size: a hole counts) and EntryBytes for each
	// file and directory it creates. A write, truncation, creation or
	// directory that would go past it fails with ENOSPC (a write that
	// partly fits writes that part, as a full disk does). The count starts
	// at zero, so the cap is meant for a directory that starts empty (an
	// instance's /tmp). Zero: no cap but the host's.
	MaxBytes int64
	// OnFull, when set, is called each time an operation fails because
	// the cap is reached. wazero's file-system errors have no ENOSPC, so
	// the operation fails with EIO; the caller uses OnFull to tell the
	// guest ENOSPC instead (the engine does, in its WASI functions).
	OnFull func()
}

// errNoSpace is what an operation past Options.MaxBytes fails with: EIO,
// for want of ENOSPC in wazero's errors (see Options.OnFull).
const errNoSpace = experimentalsys.EIO

// EntryBytes is what each file and directory counts against
// Options.MaxBytes besides its contents, as a block of a file system
// would: a guest cannot fill the host with empty files.
const EntryBytes = 4096

// NewWithOptions is New with options.
func NewWithOptions(hostDir, mount string, check func(write bool, guestPath string) error, opts Options) (experimentalsys.FS, error) {
	fsys, err := New(hostDir, mount, check)
	if err != nil {
		return nil, err
	}
	if opts.MaxBytes > 0 {
		fsys.(*fileSystem).quota = &quota{max: opts.MaxBytes, onFull: opts.OnFull}
	}
	return fsys, nil
}

// Used returns the bytes a file system made with Options.MaxBytes counts
// against it, and whether it has such a cap.
func Used(fsys experimentalsys.FS) (int64, bool) {
	s, ok := fsys.(*fileSystem)
	if !ok || s.quota == nil {
		return 0, false
	}
	return s.quota.used.Load(), true
}

// quota counts the bytes under a mount against a cap.
type quota struct {
	max    int64
	used   atomic.Int64
	onFull func()
}

// full reports the cap reached and returns the error to fail with.
func (q *quota) full() experimentalsys.Errno {
	if q.onFull != nil {
		q.onFull()
	}
	return errNoSpace
}

// room is how many more bytes fit.
func (q *quota) room() int64 { return max(q.max-q.used.Load(), 0) }

// take counts n more bytes (n may be negative, to give some back), and
// refuses a positive n that does not fit.
func (q *quota) take(n int64) experimentalsys.Errno {
	for {
		used := q.used.Load()
		next := max(used+n, 0)
		if n > 0 && next > q.max {
			return q.full()
		}
		if q.used.CompareAndSwap(used, next) {
			return 0
		}
	}
}

// entry is what is at rel before an operation changes it: whether it
// exists, and its size when it is a regular file.
type entry struct {
	exists bool
	dir    bool
	size   int64
}

// lookup returns what rel is now (without following a last link).
func (s *fileSystem) lookup(rel string) entry {
	fi, err := s.root.Lstat(rel)
	if err != nil {
		return entry{}
	}
	e := entry{exists: true, dir: fi.IsDir()}
	if fi.Mode().IsRegular() {
		e.size = fi.Size()
	}
	return e
}

// counted is what an entry counts against a quota.
func (e entry) counted() int64 {
	if !e.exists {
		return 0
	}
	return EntryBytes + e.size
}

// size returns the file's size now.
func (f *file) size() (int64, experimentalsys.Errno) {
	fi, err := f.f.Stat()
	if err != nil {
		return 0, experimentalsys.UnwrapOSError(err)
	}
	return fi.Size(), 0
}

// fit shortens a write of buf at offset off (or at the end, in append
// mode) to what the quota has room for, and returns how far the file
// grows. It fails with ENOSPC when nothing fits.
func (f *file) fit(buf []byte, off int64, appending bool) ([]byte, experimentalsys.Errno) {
	q := f.fsys.quota
	size, errno := f.size()
	if errno != 0 {
		return nil, errno
	}
	if appending {
		off = size
	}
	growth := max(off+int64(len(buf))-size, 0)
	if room := q.room(); growth > room {
		keep := int64(len(buf)) - (growth - room)
		if keep <= 0 {
			return nil, q.full()
		}
		buf = buf[:keep]
	}
	return buf, 0
}

// charge counts how much a write grew the file: its size now against
// before.
func (f *file) charge(before int64) {
	if after, errno := f.size(); errno == 0 && after != before {
		_ = f.fsys.quota.take(after - before)
	}
}

// quotaWrite is Write and Pwrite (off < 0: at the file's offset) under a
// quota.
func (f *file) quotaWrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	before, errno := f.size()
	if errno != 0 {
		return 0, errno
	}
	at := off
	if off < 0 {
		cur, err := f.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, experimentalsys.UnwrapOSError(err)
		}
		at = cur
	}
	part, errno := f.fit(buf, at, f.IsAppend())
	if errno != 0 {
		return 0, errno
	}
	var n int
	var err error
	if off < 0 {
		n, err = f.f.Write(part)
	} else {
		n, err = f.f.WriteAt(part, off)
	}
	f.charge(before)
	if err == nil && n < len(buf) {
		return n, 0 // the rest did not fit: the next write gets ENOSPC
	}
	return n, experimentalsys.UnwrapOSError(err)
}

// quotaTruncate is Truncate under a quota: growing counts, shrinking
// gives back.
func (f *file) quotaTruncate(size int64) experimentalsys.Errno {
	before, errno := f.size()
	if errno != 0 {
		return errno
	}
	if size > before {
		if errno := f.fsys.quota.take(size - before); errno != 0 {
			return errno
		}
		if err := f.f.Truncate(size); err != nil {
			_ = f.fsys.quota.take(before - size)
			return experimentalsys.UnwrapOSError(err)
		}
		return 0
	}
	if err := f.f.Truncate(size); err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	_ = f.fsys.quota.take(size - before)
	return 0
}

// quotaMkdir is Mkdir under a quota.
func (s *fileSystem) quotaMkdir(op string, perm fs.FileMode) experimentalsys.Errno {
	if errno := s.quota.take(EntryBytes); errno != 0 {
		return errno
	}
	if errno := errnoOf(s.root.Mkdir(op, perm&fs.ModePerm)); errno != 0 {
		_ = s.quota.take(-EntryBytes)
		return errno
	}
	return 0
}
