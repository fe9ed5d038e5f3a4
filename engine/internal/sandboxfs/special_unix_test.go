//go:build unix

package sandboxfs

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// TestSpecialFiles checks that a FIFO in the mount is refused at once
// rather than blocking the host until a writer or reader comes.
func TestSpecialFiles(t *testing.T) {
	tests := []struct {
		name string
		flag experimentalsys.Oflag
		want experimentalsys.Errno // zero for any refusal
	}{
		{name: "read", flag: experimentalsys.O_RDONLY, want: experimentalsys.ENOTSUP},
		// With no reader, open(2) itself fails (ENXIO, which wazero calls EIO).
		{name: "write", flag: experimentalsys.O_WRONLY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, _, root := newFS(t, &policy{})
			require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
			done := make(chan experimentalsys.Errno, 1)
			go func() {
				f, errno := fsys.OpenFile("fifo", tc.flag, 0)
				if f != nil {
					f.Close()
				}
				done <- errno
			}()
			select {
			case errno := <-done:
				assert.NotZero(t, errno, "a FIFO must not be served")
				if tc.want != 0 {
					assert.Equal(t, tc.want, errno, errno.Error())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("opening a FIFO blocked")
			}
		})
	}
}
