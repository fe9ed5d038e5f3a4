package sandboxfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// New returns a wazero experimental sys.FS serving hostDir, to be mounted at
// the guest path mount (absolute and clean, e.g. "/data") with
// sysfs.FSConfig.WithSysFSMount.
//
// check is called before every operation with whether it writes and the
// guest-visible absolute path (mount joined with the cleaned name, e.g.
// "/data/reports/q3.csv"); a non-nil error refuses the operation: the guest
// sees EACCES and nothing happens on disk. check may be called from several
// goroutines at once when the FS is shared by several module instances.
//
// The FS holds a handle on hostDir. It also implements io.Closer: close it
// once no module instance uses it any more (otherwise the garbage collector
// releases the handle).
func New(hostDir, mount string, check func(write bool, guestPath string) error) (experimentalsys.FS, error) {
	if check == nil {
		return nil, ErrNoCheck
	}
	if !path.IsAbs(mount) || path.Clean(mount) != mount {
		return nil, fmt.Errorf("%w %q: use an absolute path with no trailing slash, \".\" or \"..\", such as \"/data\"", ErrInvalidMount, mount)
	}
	root, err := os.OpenRoot(hostDir)
	if err != nil {
		return nil, fmt.Errorf("sandboxfs: open host directory to mount at %s: %w", mount, err)
	}
	return &fileSystem{root: root, mount: mount, check: check}, nil
}

var _ experimentalsys.FS = (*fileSystem)(nil)

// fileSystem is the sys.FS New returns. It is immutable once built, and
// os.Root is safe for concurrent use, so module instances may share it.
type fileSystem struct {
	experimentalsys.UnimplementedFS

	root   *os.Root
	mount  string
	check  func(write bool, guestPath string) error
	closed atomic.Bool
	quota  *quota // nil: no cap (see Options.MaxBytes)
}

// Close releases the handle on the host directory. Operations after Close
// fail with EBADF. Close is safe to call more than once.
func (s *fileSystem) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.root.Close()
}

// String returns the guest path the FS is meant to be mounted at.
func (s *fileSystem) String() string { return s.mount }

// access is what an operation does with the file a name leads to.
type access struct{ read, write bool }

var (
	readAccess  = access{read: true}
	writeAccess = access{write: true}
)

// ask consults the policy about one path relative to the root.
func (s *fileSystem) ask(rel string, a access) experimentalsys.Errno {
	guest := path.Join(s.mount, rel)
	if a.read && s.check(false, guest) != nil {
		return experimentalsys.EACCES
	}
	if a.write && s.check(true, guest) != nil {
		return experimentalsys.EACCES
	}
	return 0
}

// authorize consults the policy about the name n and, when symbolic links
// make the operation reach another path, about that path as well; follow
// says whether the operation follows a link in the last component. It
// returns the path reached (relative to the root) and whether its last
// component is a link that was not followed.
func (s *fileSystem) authorize(n name, follow bool, a access) (string, bool, experimentalsys.Errno) {
	if errno := s.ask(n.rel, a); errno != 0 {
		return "", false, errno
	}
	target, link, errno := s.resolve(n.rel, follow || n.slash)
	if errno != 0 {
		return "", false, errno
	}
	if target != n.rel {
		if errno := s.ask(target, a); errno != 0 {
			return "", false, errno
		}
	}
	return target, link, 0
}

// OpenFile implements sys.FS.OpenFile.
func (s *fileSystem) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	n, errno := parseName(p)
	if errno != 0 {
		return nil, errno
	}
	osFlag, a, errno := openFlags(flag)
	if errno != 0 {
		return nil, errno
	}
	exclusive := flag&(experimentalsys.O_CREAT|experimentalsys.O_EXCL) == experimentalsys.O_CREAT|experimentalsys.O_EXCL
	noFollow := flag&experimentalsys.O_NOFOLLOW != 0

	// wazero opens the mount's root read-only itself to serve the preopen,
	// before the guest asks for anything, and panics if that fails with
	// anything but ENOENT. So that open is not checked; listing the
	// directory is (see file.Readdir).
	rootDir := n.rel == "." && !a.write
	target := n.rel
	if !rootDir {
		var link bool
		if target, link, errno = s.authorize(n, !noFollow && !exclusive, a); errno != 0 {
			return nil, errno
		}
		// os.Root always follows links in the last component, so refuse
		// here what O_NOFOLLOW refuses. O_CREAT|O_EXCL on a link fails in
		// os.Root with EEXIST, as it should.
		if link && noFollow && !exclusive {
			return nil, experimentalsys.ELOOP
		}
	}

	var was entry
	if s.quota != nil && a.write {
		was = s.lookup(target)
		if !was.exists && flag&experimentalsys.O_CREAT != 0 {
			if errno := s.quota.take(EntryBytes); errno != 0 {
				return nil, errno
			}
		}
	}
	f, err := s.root.OpenFile(n.op(), osFlag, perm&fs.ModePerm)
	if err != nil {
		if s.quota != nil && a.write && !was.exists && flag&experimentalsys.O_CREAT != 0 {
			_ = s.quota.take(-EntryBytes)
		}
		if rootDir {
			return nil, experimentalsys.ENOENT
		}
		return nil, errnoOf(err)
	}
	if s.quota != nil && was.exists && flag&experimentalsys.O_TRUNC != 0 {
		_ = s.quota.take(-was.size)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, errnoOf(err)
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
	case !mode.IsRegular():
		// Devices would hand the guest the host's hardware, FIFOs can
		// block the host; the sandbox serves files and directories only.
		_ = f.Close()
		return nil, experimentalsys.ENOTSUP
	case flag&experimentalsys.O_DIRECTORY != 0:
		_ = f.Close()
		return nil, experimentalsys.ENOTDIR
	}
	st := sys.NewStat_t(fi)
	of := &file{
		fsys:      s,
		f:         f,
		rel:       target,
		flag:      flag &^ (experimentalsys.O_CREAT | experimentalsys.O_EXCL | experimentalsys.O_TRUNC),
		dir:       fi.IsDir(),
		dev:       st.Dev,
		ino:       st.Ino,
		unchecked: rootDir,
	}
	of.seeker.f = of
	return of, 0
}

// openFlags maps WASI open flags onto os.OpenFile's and says what opening
// with them allows.
func openFlags(flag experimentalsys.Oflag) (int, access, experimentalsys.Errno) {
	var osFlag int
	var a access
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY) {
	case experimentalsys.O_RDONLY:
		osFlag, a = os.O_RDONLY, readAccess
	case experimentalsys.O_WRONLY:
		osFlag, a = os.O_WRONLY, writeAccess
	case experimentalsys.O_RDWR:
		osFlag, a = os.O_RDWR, access{read: true, write: true}
	default:
		return 0, a, experimentalsys.EINVAL
	}
	if flag&experimentalsys.O_APPEND != 0 {
		osFlag |= os.O_APPEND
		a.write = true
	}
	if flag&experimentalsys.O_CREAT != 0 {
		osFlag |= os.O_CREATE
		a.write = true
	}
	if flag&experimentalsys.O_TRUNC != 0 {
		osFlag |= os.O_TRUNC
		a.write = true
	}
	if flag&experimentalsys.O_EXCL != 0 {
		osFlag |= os.O_EXCL
	}
	// os has no portable O_DSYNC or O_RSYNC; O_SYNC promises more than both.
	if flag&(experimentalsys.O_SYNC|experimentalsys.O_DSYNC|experimentalsys.O_RSYNC) != 0 {
		osFlag |= os.O_SYNC
	}
	if flag&experimentalsys.O_DIRECTORY != 0 {
		if flag&experimentalsys.O_CREAT != 0 {
			return 0, a, experimentalsys.EINVAL
		}
		if a.write {
			return 0, a, experimentalsys.EISDIR
		}
	}
	// So that opening a FIFO does not block the host until a writer comes;
	// FIFOs are refused once open, and regular files ignore the flag.
	osFlag |= syscall.O_NONBLOCK
	return osFlag, a, 0
}

// Stat implements sys.FS.Stat.
func (s *fileSystem) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	return s.stat(p, true)
}

// Lstat implements sys.FS.Lstat.
func (s *fileSystem) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	return s.stat(p, false)
}

func (s *fileSystem) stat(p string, follow bool) (sys.Stat_t, experimentalsys.Errno) {
	n, errno := parseName(p)
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	if _, _, errno = s.authorize(n, follow, readAccess); errno != 0 {
		return sys.Stat_t{}, errno
	}
	var fi fs.FileInfo
	var err error
	if follow {
		fi, err = s.root.Stat(n.op())
	} else {
		fi, err = s.root.Lstat(n.op())
	}
	if err != nil {
		return sys.Stat_t{}, errnoOf(err)
	}
	return sys.NewStat_t(fi), 0
}

// Mkdir implements sys.FS.Mkdir.
func (s *fileSystem) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	n, errno := parseName(p)
	if errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(n, false, writeAccess); errno != 0 {
		return errno
	}
	if s.quota != nil {
		return s.quotaMkdir(n.op(), perm)
	}
	return errnoOf(s.root.Mkdir(n.op(), perm&fs.ModePerm))
}

// Chmod implements sys.FS.Chmod. Only permission bits are applied: a guest
// cannot set the setuid, setgid or sticky bits on host files.
func (s *fileSystem) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	n, errno := parseName(p)
	if errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(n, true, writeAccess); errno != 0 {
		return errno
	}
	return errnoOf(s.root.Chmod(n.op(), perm&fs.ModePerm))
}

// Rename implements sys.FS.Rename; both names must be writable.
func (s *fileSystem) Rename(from, to string) experimentalsys.Errno {
	src, errno := parseName(from)
	if errno != 0 {
		return errno
	}
	dst, errno := parseName(to)
	if errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(src, false, writeAccess); errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(dst, false, writeAccess); errno != 0 {
		return errno
	}
	var replaced entry
	if s.quota != nil {
		if replaced = s.lookup(dst.rel); replaced.exists && s.lookup(src.rel) == replaced {
			replaced = entry{} // possibly a rename onto itself: nothing goes
		}
	}
	errno = errnoOf(s.root.Rename(src.op(), dst.op()))
	if errno == experimentalsys.EEXIST {
		errno = s.renameOntoDir(src, dst)
	}
	if errno == 0 && s.quota != nil {
		_ = s.quota.take(-replaced.counted())
	}
	return errno
}

// renameOntoDir gives rename(2)'s answer where os.Root refuses to rename
// onto an existing directory: a directory replaces an empty one, and a file
// cannot replace a directory.
func (s *fileSystem) renameOntoDir(src, dst name) experimentalsys.Errno {
	fi, err := s.root.Lstat(src.op())
	if err != nil {
		return errnoOf(err)
	}
	if !fi.IsDir() {
		return experimentalsys.EISDIR
	}
	if err := s.root.Remove(dst.op()); err != nil {
		return errnoOf(err)
	}
	return errnoOf(s.root.Rename(src.op(), dst.op()))
}

// Rmdir implements sys.FS.Rmdir.
func (s *fileSystem) Rmdir(p string) experimentalsys.Errno {
	return s.remove(p, true)
}

// Unlink implements sys.FS.Unlink.
func (s *fileSystem) Unlink(p string) experimentalsys.Errno {
	return s.remove(p, false)
}

func (s *fileSystem) remove(p string, dir bool) experimentalsys.Errno {
	n, errno := parseName(p)
	if errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(n, false, writeAccess); errno != 0 {
		return errno
	}
	// os.Root has one Remove for both; tell them apart the way rmdir(2)
	// and unlink(2) do.
	fi, err := s.root.Lstat(n.op())
	if err != nil {
		return errnoOf(err)
	}
	switch {
	case dir && !fi.IsDir():
		return experimentalsys.ENOTDIR
	case !dir && fi.IsDir():
		return experimentalsys.EISDIR
	}
	if errno := errnoOf(s.root.Remove(n.op())); errno != 0 {
		return errno
	}
	if s.quota != nil {
		e := entry{exists: true}
		if fi.Mode().IsRegular() {
			e.size = fi.Size()
		}
		_ = s.quota.take(-e.counted())
	}
	return 0
}

// Link implements sys.FS.Link by refusing: a hard link would give a file a
// second name the policy may grant differently.
func (s *fileSystem) Link(string, string) experimentalsys.Errno {
	return experimentalsys.EPERM
}

// Symlink implements sys.FS.Symlink by refusing: links are for the host to
// place, not the guest.
func (s *fileSystem) Symlink(string, string) experimentalsys.Errno {
	return experimentalsys.EPERM
}

// Readlink implements sys.FS.Readlink. A link whose target is absolute or
// leaves the mount is not read (EPERM): it could not be followed, and its
// target would tell the guest about the host's tree.
func (s *fileSystem) Readlink(p string) (string, experimentalsys.Errno) {
	n, errno := parseName(p)
	if errno != 0 {
		return "", errno
	}
	at, _, errno := s.authorize(n, false, readAccess)
	if errno != 0 {
		return "", errno
	}
	dest, err := s.root.Readlink(n.op())
	if err != nil {
		return "", errnoOf(err)
	}
	dest = filepath.ToSlash(dest)
	if path.IsAbs(dest) || escapes(path.Join(path.Dir(at), dest)) {
		return "", experimentalsys.EPERM
	}
	return dest, 0
}

// Utimens implements sys.FS.Utimens.
func (s *fileSystem) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	n, errno := parseName(p)
	if errno != 0 {
		return errno
	}
	if _, _, errno = s.authorize(n, true, writeAccess); errno != 0 {
		return errno
	}
	return errnoOf(s.root.Chtimes(n.op(), timeOf(atim), timeOf(mtim)))
}

// timeOf converts a sys.Utimens time to os.Chtimes's, where the zero time
// leaves a time unchanged.
func timeOf(nanos int64) time.Time {
	if nanos == experimentalsys.UTIME_OMIT {
		return time.Time{}
	}
	return time.Unix(0, nanos)
}

// errnoOf maps an error from os.Root or os.File to the errno the guest sees.
func errnoOf(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return experimentalsys.UnwrapOSError(errno)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return experimentalsys.ENOENT
	case errors.Is(err, fs.ErrExist):
		return experimentalsys.EEXIST
	case errors.Is(err, fs.ErrClosed):
		return experimentalsys.EBADF
	case errors.Is(err, fs.ErrInvalid):
		return experimentalsys.EINVAL
	case errors.Is(err, fs.ErrPermission):
		return experimentalsys.EPERM
	}
	// What is left are os.Root's own refusals, chiefly "path escapes from
	// parent" for a ".." or a symbolic link that leads outside the root.
	return experimentalsys.EPERM
}

// name is a name from the guest, cleaned.
type name struct {
	rel   string // relative to the root: "." or "a/b", never ".." nor "../a"
	slash bool   // the guest wrote a trailing slash: it must be a directory
}

// maxNameLen bounds the names a guest may pass (Linux's PATH_MAX), so that
// a name read from guest memory cannot make one call do unbounded work.
const maxNameLen = 4096

// parseName cleans a name from wazero (relative to the mount, already
// cleaned by wazero, possibly with a trailing slash). A name that leaves the
// mount before any link is followed is refused here; os.Root would refuse it
// too, but there is no guest path under the mount to ask the policy about.
func parseName(p string) (name, experimentalsys.Errno) {
	if len(p) > maxNameLen {
		return name{}, experimentalsys.ENAMETOOLONG
	}
	if strings.IndexByte(p, 0) >= 0 {
		return name{}, experimentalsys.EINVAL
	}
	rel := path.Clean("./" + strings.TrimLeft(p, "/"))
	if escapes(rel) {
		return name{}, experimentalsys.EPERM
	}
	return name{rel: rel, slash: strings.HasSuffix(p, "/")}, 0
}

// op is the name given to os.Root.
func (n name) op() string {
	if n.slash && n.rel != "." {
		return n.rel + "/"
	}
	return n.rel
}

// escapes reports whether a cleaned relative path leads above the root.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, "../")
}
