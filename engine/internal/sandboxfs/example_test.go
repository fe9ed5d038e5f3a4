package sandboxfs_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/flintfaas/flint/engine/internal/sandboxfs"
	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// A mount at /data whose policy lets the guest read anything under it and
// write only under /data/out.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "sandboxfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("hi"), 0o644); err != nil {
		log.Fatal(err)
	}

	errDenied := errors.New("denied")
	check := func(write bool, guestPath string) error {
		if write && !strings.HasPrefix(guestPath, "/data/out/") {
			return errDenied
		}
		return nil
	}
	fsys, err := sandboxfs.New(dir, "/data", check)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.(io.Closer).Close()

	// What the engine does with it:
	_ = wazero.NewModuleConfig().
		WithFSConfig(wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(fsys, "/data"))

	// What a guest's open calls come to:
	_, errno := fsys.OpenFile("in.txt", experimentalsys.O_WRONLY|experimentalsys.O_TRUNC, 0)
	fmt.Println("truncate in.txt:", errno)
	_, errno = fsys.OpenFile("../etc/passwd", experimentalsys.O_RDONLY, 0)
	fmt.Println("open ../etc/passwd:", errno)
	f, errno := fsys.OpenFile("in.txt", experimentalsys.O_RDONLY, 0)
	fmt.Println("open in.txt:", errno)
	buf := make([]byte, 8)
	n, _ := f.Read(buf)
	fmt.Printf("read: %q\n", buf[:n])
	f.Close()
	// Output:
	// truncate in.txt: permission denied
	// open ../etc/passwd: operation not permitted
	// open in.txt: success
	// read: "hi"
}
