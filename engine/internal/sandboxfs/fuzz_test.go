package sandboxfs

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// FuzzName feeds arbitrary names to the FS under a policy that allows
// everything, and checks that nothing outside the mount is ever reached and
// that the policy is only ever asked about clean paths under the mount.
// The seed corpus is in testdata/fuzz/FuzzName.
func FuzzName(f *testing.F) {
	p := &policy{}
	fsys, base, _ := newFS(f, p)
	secretInfo, err := os.Stat(filepath.Join(base, "secret.txt"))
	require.NoError(f, err)
	secretIno := sys.NewStat_t(secretInfo).Ino
	baseIno := func() uint64 {
		fi, err := os.Stat(base)
		require.NoError(f, err)
		return sys.NewStat_t(fi).Ino
	}()

	f.Add("hello.txt", byte(0))
	f.Add("../secret.txt", byte(1))
	f.Fuzz(func(t *testing.T, name string, op byte) {
		p.reset()
		switch op % 6 {
		case 0, 1, 2:
			flags := []experimentalsys.Oflag{
				experimentalsys.O_RDONLY,
				experimentalsys.O_RDWR | experimentalsys.O_CREAT,
				experimentalsys.O_RDONLY | experimentalsys.O_DIRECTORY,
			}
			file, errno := fsys.OpenFile(name, flags[op%6], 0o644)
			if errno != 0 {
				break
			}
			defer file.Close()
			if isDir, _ := file.IsDir(); !isDir {
				buf := make([]byte, 64)
				n, _ := file.Pread(buf, 0)
				assert.NotEqual(t, secret, string(buf[:n]))
			}
			ino, errno := file.Ino()
			require.Zero(t, errno)
			assert.NotEqual(t, secretIno, ino)
			assert.NotEqual(t, baseIno, ino)
		case 3, 4:
			stat := fsys.Stat
			if op%6 == 4 {
				stat = fsys.Lstat
			}
			if st, errno := stat(name); errno == 0 {
				assert.NotEqual(t, secretIno, st.Ino)
				assert.NotEqual(t, baseIno, st.Ino)
			}
		case 5:
			if target, errno := fsys.Readlink(name); errno == 0 {
				assert.False(t, path.IsAbs(target), target)
			}
		}

		for _, c := range p.asked() {
			assert.True(t, c.Path == "/data" || strings.HasPrefix(c.Path, "/data/"), "asked about %q", c.Path)
			assert.Equal(t, path.Clean(c.Path), c.Path)
		}
		entries, err := os.ReadDir(base)
		require.NoError(t, err)
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.True(t, slices.Equal([]string{"root", "secret.txt"}, names), "nothing created beside the mount: %v", names)
		assert.Equal(t, secret, content(t, filepath.Join(base, "secret.txt")))
	})
}
