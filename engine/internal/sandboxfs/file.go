package sandboxfs

import (
	"io"
	"os"
	"path"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

var _ experimentalsys.File = (*file)(nil)

// file is an open file or directory of a fileSystem. Like every sys.File,
// it is used by one module instance, one call at a time.
type file struct {
	seeker[int64] // Seek, and defaults for methods sys.File may gain

	fsys *fileSystem
	f    *os.File
	// rel is where the file was found, relative to the root, with symbolic
	// links resolved; policy checks after opening ask about it.
	rel  string
	flag experimentalsys.Oflag // as opened, less O_CREAT, O_EXCL and O_TRUNC
	dir  bool
	dev  uint64
	ino  sys.Inode
	// unchecked marks the mount's root opened without asking the policy
	// (see fileSystem.OpenFile): listing it asks instead.
	unchecked bool
	closed    bool
}

// Dev implements sys.File.Dev.
func (f *file) Dev() (uint64, experimentalsys.Errno) {
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	return f.dev, 0
}

// Ino implements sys.File.Ino.
func (f *file) Ino() (sys.Inode, experimentalsys.Errno) {
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	return f.ino, 0
}

// IsDir implements sys.File.IsDir.
func (f *file) IsDir() (bool, experimentalsys.Errno) {
	if f.closed {
		return false, experimentalsys.EBADF
	}
	return f.dir, 0
}

// IsAppend implements sys.File.IsAppend.
func (f *file) IsAppend() bool {
	return f.flag&experimentalsys.O_APPEND != 0
}

// SetAppend implements sys.File.SetAppend. os.File fixes append mode when
// it opens, so the file is opened again, at the same offset, by the path it
// was found at; if another file has taken that path since, it fails with
// ENOENT. The policy is not asked again: it granted this path and access
// when the file was opened.
func (f *file) SetAppend(enable bool) experimentalsys.Errno {
	if errno := f.fileOnly(); errno != 0 {
		return errno
	}
	if enable == f.IsAppend() {
		return 0
	}
	flag := f.flag &^ experimentalsys.O_APPEND
	if enable {
		flag |= experimentalsys.O_APPEND
	}
	osFlag, _, errno := openFlags(flag)
	if errno != 0 {
		return errno
	}
	offset, err := f.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	nf, err := f.fsys.root.OpenFile(f.rel, osFlag, 0)
	if err != nil {
		return errnoOf(err)
	}
	if errno := sameFile(f.f, nf); errno != 0 {
		_ = nf.Close()
		return errno
	}
	if _, err := nf.Seek(offset, io.SeekStart); err != nil {
		_ = nf.Close()
		return experimentalsys.UnwrapOSError(err)
	}
	_ = f.f.Close()
	f.f, f.flag = nf, flag
	return 0
}

// sameFile reports ENOENT unless a and b are the same file.
func sameFile(a, b *os.File) experimentalsys.Errno {
	ai, err := a.Stat()
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	bi, err := b.Stat()
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	if !os.SameFile(ai, bi) {
		return experimentalsys.ENOENT
	}
	return 0
}

// Stat implements sys.File.Stat.
func (f *file) Stat() (sys.Stat_t, experimentalsys.Errno) {
	if f.closed {
		return sys.Stat_t{}, experimentalsys.EBADF
	}
	fi, err := f.f.Stat()
	if err != nil {
		return sys.Stat_t{}, experimentalsys.UnwrapOSError(err)
	}
	return sys.NewStat_t(fi), 0
}

// Read implements sys.File.Read.
func (f *file) Read(buf []byte) (int, experimentalsys.Errno) {
	if errno := f.fileOnly(); errno != 0 {
		return 0, errno
	}
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.Read(buf)
	return n, experimentalsys.UnwrapOSError(err)
}

// Pread implements sys.File.Pread.
func (f *file) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if errno := f.fileOnly(); errno != 0 {
		return 0, errno
	}
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.ReadAt(buf, off)
	return n, experimentalsys.UnwrapOSError(err)
}

// seeker gives file its Seek method. It is a separate, generic type only for
// go vet: its stdmethods check reports every method named Seek that is not
// io.Seeker's (sys.File.Seek returns an Errno, not an error), but skips one
// whose offset is a type parameter. It carries UnimplementedFile so that
// file has a default for any method sys.File gains.
type seeker[T ~int64] struct {
	experimentalsys.UnimplementedFile
	f *file
}

// Seek implements sys.File.Seek.
func (s seeker[T]) Seek(offset T, whence int) (T, experimentalsys.Errno) {
	n, errno := s.f.seek(int64(offset), whence)
	return T(n), errno
}

// seek is sys.File.Seek. A directory can only be rewound (offset 0 from the
// start), which makes the next Readdir start over and see entries added
// since.
func (f *file) seek(offset int64, whence int) (int64, experimentalsys.Errno) {
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	if whence < io.SeekStart || whence > io.SeekEnd {
		return 0, experimentalsys.EINVAL
	}
	if f.dir && (offset != 0 || whence != io.SeekStart) {
		return 0, experimentalsys.EISDIR
	}
	n, err := f.f.Seek(offset, whence)
	return n, experimentalsys.UnwrapOSError(err)
}

// Readdir implements sys.File.Readdir.
func (f *file) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if f.closed || !f.dir {
		return nil, experimentalsys.EBADF
	}
	if f.unchecked {
		if errno := f.fsys.ask(f.rel, readAccess); errno != 0 {
			return nil, errno
		}
	}
	infos, err := f.f.Readdir(n)
	if errno := experimentalsys.UnwrapOSError(err); errno != 0 {
		return nil, errno
	}
	dirents := make([]experimentalsys.Dirent, 0, len(infos))
	for _, fi := range infos {
		dirents = append(dirents, experimentalsys.Dirent{
			Name: fi.Name(),
			Ino:  sys.NewStat_t(fi).Ino,
			Type: fi.Mode().Type(),
		})
	}
	return dirents, 0
}

// Write implements sys.File.Write.
func (f *file) Write(buf []byte) (int, experimentalsys.Errno) {
	if errno := f.fileOnly(); errno != 0 {
		return 0, errno
	}
	if len(buf) == 0 {
		return 0, 0
	}
	if f.fsys.quota != nil {
		return f.quotaWrite(buf, -1)
	}
	n, err := f.f.Write(buf)
	return n, experimentalsys.UnwrapOSError(err)
}

// Pwrite implements sys.File.Pwrite. A file in append mode refuses it
// (EINVAL), as os.File does, rather than append where pwrite(2) would.
func (f *file) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if errno := f.fileOnly(); errno != 0 {
		return 0, errno
	}
	if off < 0 || f.IsAppend() {
		return 0, experimentalsys.EINVAL
	}
	if len(buf) == 0 {
		return 0, 0
	}
	if f.fsys.quota != nil {
		return f.quotaWrite(buf, off)
	}
	n, err := f.f.WriteAt(buf, off)
	return n, experimentalsys.UnwrapOSError(err)
}

// Truncate implements sys.File.Truncate. A file not opened for writing
// refuses it.
func (f *file) Truncate(size int64) experimentalsys.Errno {
	if errno := f.fileOnly(); errno != 0 {
		return errno
	}
	if size < 0 {
		return experimentalsys.EINVAL
	}
	if f.flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR) == 0 {
		return experimentalsys.EBADF
	}
	if f.fsys.quota != nil {
		return f.quotaTruncate(size)
	}
	return experimentalsys.UnwrapOSError(f.f.Truncate(size))
}

// Sync implements sys.File.Sync.
func (f *file) Sync() experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	return experimentalsys.UnwrapOSError(f.f.Sync())
}

// Datasync implements sys.File.Datasync with a full sync, which os offers
// on every platform.
func (f *file) Datasync() experimentalsys.Errno {
	return f.Sync()
}

// Utimens implements sys.File.Utimens. Changing times is a write, so the
// policy is asked about the path the file was found at. os offers no
// futimens, so the times are set by that path, after making sure it still
// names this file (ENOENT otherwise).
func (f *file) Utimens(atim, mtim int64) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	if errno := f.fsys.ask(f.rel, writeAccess); errno != 0 {
		return errno
	}
	now, err := f.fsys.root.Lstat(f.rel)
	if err != nil {
		return errnoOf(err)
	}
	was, err := f.f.Stat()
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	if !os.SameFile(now, was) {
		return experimentalsys.ENOENT
	}
	return errnoOf(f.fsys.root.Chtimes(f.rel, timeOf(atim), timeOf(mtim)))
}

// Close implements sys.File.Close; closing twice is not an error.
func (f *file) Close() experimentalsys.Errno {
	if f.closed {
		return 0
	}
	f.closed = true
	return experimentalsys.UnwrapOSError(f.f.Close())
}

// fileOnly refuses operations on closed files (EBADF) and on directories
// (EISDIR).
func (f *file) fileOnly() experimentalsys.Errno {
	switch {
	case f.closed:
		return experimentalsys.EBADF
	case f.dir:
		return experimentalsys.EISDIR
	}
	return 0
}

// String returns the guest path the file was found at, for debugging.
func (f *file) String() string { return path.Join(f.fsys.mount, f.rel) }
