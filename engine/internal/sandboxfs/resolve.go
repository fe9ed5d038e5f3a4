package sandboxfs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// maxLinks bounds the symbolic links resolve follows. It must not be lower
// than os.Root's own bound (8), or a longer chain would be followed by
// os.Root without its end being checked.
const maxLinks = 40

// resolve finds the path, relative to the root, that an operation on rel
// reaches once symbolic links are followed the way os.Root follows them
// (each link's target replaces it, and ".." then drops the component before
// it). follow says whether a link in the last component is followed; the
// second result reports such a link left unfollowed.
//
// It serves the policy only: confinement is os.Root's job, which does its
// own resolution for the operation itself. A link leading outside the root
// is refused here with EPERM all the same, so that no operation starts on a
// path whose end could not be checked. Where a component does not exist, or
// is not a directory, the rest of the name is taken as written (the
// operation may be creating it, or will fail).
//
// It walks down one directory at a time, so its cost grows with the number
// of components, not with its square.
func (s *fileSystem) resolve(rel string, follow bool) (string, bool, experimentalsys.Errno) {
	if rel == "." {
		return rel, false, 0
	}
	w := walker{top: s.root, dir: s.root}
	defer w.close()
	todo := strings.Split(rel, "/")
	var done []string
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", false, experimentalsys.EPERM
			}
			done = done[:len(done)-1]
			w.stale = true
			continue
		}
		dir, err := w.at(done)
		if err != nil {
			return "", false, errnoOf(err)
		}
		fi, err := dir.Lstat(c)
		switch {
		case err != nil, fi.Mode()&fs.ModeSymlink == 0 && len(todo) > 0 && !fi.IsDir():
			rest := path.Join(path.Join(done...), c, path.Join(todo...))
			if escapes(rest) {
				return "", false, experimentalsys.EPERM
			}
			return rest, false, 0
		case fi.Mode()&fs.ModeSymlink == 0:
			done = append(done, c)
			if len(todo) > 0 {
				if err := w.down(c); err != nil {
					return "", false, errnoOf(err)
				}
			}
			continue
		case len(todo) == 0 && !follow:
			return path.Join(path.Join(done...), c), true, 0
		}
		if links++; links > maxLinks {
			return "", false, experimentalsys.ELOOP
		}
		dest, err := dir.Readlink(c)
		if err != nil {
			return "", false, errnoOf(err)
		}
		dest = filepath.ToSlash(dest)
		if path.IsAbs(dest) {
			return "", false, experimentalsys.EPERM
		}
		todo = append(strings.Split(dest, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", false, 0
	}
	return path.Join(done...), false, 0
}

// walker holds the directory resolve has reached, opened as an os.Root
// below the FS's root so that looking at its entries costs one step.
type walker struct {
	top   *os.Root
	dir   *os.Root // top, or a directory below it that the walker closes
	stale bool     // a ".." moved up: dir must be opened again from top
}

// at returns the directory named by the components done, which contain no
// links.
func (w *walker) at(done []string) (*os.Root, error) {
	if !w.stale {
		return w.dir, nil
	}
	w.close()
	w.dir, w.stale = w.top, false
	for _, c := range done {
		if err := w.down(c); err != nil {
			return nil, err
		}
	}
	return w.dir, nil
}

// down moves into the subdirectory c.
func (w *walker) down(c string) error {
	sub, err := w.dir.OpenRoot(c)
	if err != nil {
		return err
	}
	w.close()
	w.dir = sub
	return nil
}

// close releases the directory reached, unless it is the FS's root.
func (w *walker) close() {
	if w.dir != w.top {
		_ = w.dir.Close()
	}
}
