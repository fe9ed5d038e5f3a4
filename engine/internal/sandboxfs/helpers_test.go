package sandboxfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// secret is the content of the file beside the mounted directory, which no
// test may ever read through the FS.
const secret = "outside"

// tree builds, in a fresh temporary directory, the directory the tests mount
// and a file beside it, and returns both directories:
//
//	base/secret.txt               "outside"
//	base/root/hello.txt           "hello"
//	base/root/sub/inner.txt       "inner"
//	base/root/sub/link-up         -> ../hello.txt
//	base/root/private/key.txt     "key"
//	base/root/out/                empty
//	base/root/link-in             -> hello.txt
//	base/root/link-dir            -> sub
//	base/root/link-private        -> private/key.txt
//	base/root/link-dangling       -> out/created.txt
//	base/root/link-rel            -> ../secret.txt
//	base/root/link-rel-dir        -> ..
//	base/root/link-abs            -> /…/base/secret.txt
//	base/root/link-abs-in         -> /…/base/root/hello.txt
//	base/root/link-chain          -> link-dir/link-up (two links, inside)
func tree(t testing.TB) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "root")
	files := map[string]string{
		"secret.txt":           secret,
		"root/hello.txt":       "hello",
		"root/sub/inner.txt":   "inner",
		"root/private/key.txt": "key",
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "out"), 0o755))
	for name, data := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
		require.NoError(t, os.Chmod(p, 0o644)) // whatever the umask
	}
	links := map[string]string{
		"sub/link-up":   "../hello.txt",
		"link-in":       "hello.txt",
		"link-dir":      "sub",
		"link-private":  "private/key.txt",
		"link-dangling": "out/created.txt",
		"link-rel":      "../secret.txt",
		"link-rel-dir":  "..",
		"link-abs":      filepath.Join(base, "secret.txt"),
		"link-abs-in":   filepath.Join(root, "hello.txt"),
		"link-chain":    "link-dir/link-up",
	}
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))))
	}
	return base, root
}

// call is one question put to the policy.
type call struct {
	Write bool
	Path  string
}

// policy records what it is asked and refuses reads and writes under the
// guest paths listed (each path itself and everything below it).
type policy struct {
	denyRead, denyWrite []string

	mu    sync.Mutex
	calls []call
}

var errDenied = errors.New("denied by test policy")

func (p *policy) check(write bool, guestPath string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, call{Write: write, Path: guestPath})
	deny := p.denyRead
	if write {
		deny = p.denyWrite
	}
	for _, d := range deny {
		if guestPath == d || strings.HasPrefix(guestPath, strings.TrimSuffix(d, "/")+"/") {
			return errDenied
		}
	}
	return nil
}

// asked returns the questions put to the policy so far.
func (p *policy) asked() []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]call(nil), p.calls...)
}

// reset forgets the questions asked so far.
func (p *policy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = nil
}

// newFS builds the test tree and serves its root at /data under p.
func newFS(t testing.TB, p *policy) (fsys experimentalsys.FS, base, root string) {
	t.Helper()
	base, root = tree(t)
	fsys, err := New(root, "/data", p.check)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fsys.(io.Closer).Close()) })
	return fsys, base, root
}

// reads and writes build expected policy questions.
func reads(paths ...string) []call {
	calls := make([]call, 0, len(paths))
	for _, p := range paths {
		calls = append(calls, call{Path: p})
	}
	return calls
}

func writes(paths ...string) []call {
	calls := make([]call, 0, len(paths))
	for _, p := range paths {
		calls = append(calls, call{Write: true, Path: p})
	}
	return calls
}

// readAll reads an open file to its end.
func readAll(t testing.TB, f experimentalsys.File) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 3)
	for {
		n, errno := f.Read(buf)
		require.Zero(t, errno)
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

// content returns a host file's content, or "<absent>".
func content(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return "<absent>"
	}
	require.NoError(t, err)
	return string(b)
}
