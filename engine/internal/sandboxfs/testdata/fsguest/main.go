// Command fsguest is the guest of sandboxfs's end-to-end test: a WASI
// reactor whose export run performs the file operations named by its
// arguments with ordinary os calls and prints one line per operation, "ok"
// and a result or "err" and the errno's name.
//
// Operations are op:arg[:arg]: read:PATH, write:PATH:DATA, append:PATH:DATA,
// list:DIR, stat:PATH, lstat:PATH, readlink:PATH, mkdir:PATH, remove:PATH,
// rename:FROM:TO, symlink:TARGET:LINK, link:OLD:NEW, and openat:NAME, which
// opens NAME relative to the first preopen (descriptor 3) exactly as given,
// without the path cleaning os does.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

func main() {}

//go:wasmexport run
func run() {
	for _, arg := range os.Args[1:] {
		op, rest, _ := strings.Cut(arg, ":")
		a, b, _ := strings.Cut(rest, ":")
		out, err := do(op, a, b)
		if err != nil {
			fmt.Printf("err %s\n", errnoName(err))
			continue
		}
		fmt.Printf("ok %s\n", out)
	}
}

func do(op, a, b string) (string, error) {
	switch op {
	case "read":
		data, err := os.ReadFile(a)
		return string(data), err
	case "write":
		return "", os.WriteFile(a, []byte(b), 0o644)
	case "append":
		f, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return "", err
		}
		if _, err := f.WriteString(b); err != nil {
			f.Close()
			return "", err
		}
		return "", f.Close()
	case "list":
		entries, err := os.ReadDir(a)
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return strings.Join(names, ","), err
	case "stat", "lstat":
		stat := os.Stat
		if op == "lstat" {
			stat = os.Lstat
		}
		fi, err := stat(a)
		if err != nil {
			return "", err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return "symlink", nil
		case fi.IsDir():
			return "dir", nil
		}
		return fmt.Sprintf("file %d", fi.Size()), nil
	case "readlink":
		return os.Readlink(a)
	case "mkdir":
		return "", os.Mkdir(a, 0o755)
	case "remove":
		return "", os.Remove(a)
	case "rename":
		return "", os.Rename(a, b)
	case "symlink":
		return "", os.Symlink(a, b)
	case "link":
		return "", os.Link(a, b)
	case "openat":
		fd, err := syscall.Openat(3, a, syscall.O_RDONLY, 0)
		if err != nil {
			return "", err
		}
		buf := make([]byte, 64)
		n, err := syscall.Read(fd, buf)
		syscall.Close(fd)
		return string(buf[:n]), err
	}
	return "", fmt.Errorf("unknown operation %q", op)
}

// errnoName names the errno under err, or gives err's text if there is none.
func errnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	names := map[syscall.Errno]string{
		syscall.EACCES:      "EACCES",
		syscall.EBADF:       "EBADF",
		syscall.EEXIST:      "EEXIST",
		syscall.EINVAL:      "EINVAL",
		syscall.EIO:         "EIO",
		syscall.EISDIR:      "EISDIR",
		syscall.ELOOP:       "ELOOP",
		syscall.ENOENT:      "ENOENT",
		syscall.ENOSYS:      "ENOSYS",
		syscall.ENOTCAPABLE: "ENOTCAPABLE",
		syscall.ENOTDIR:     "ENOTDIR",
		syscall.ENOTEMPTY:   "ENOTEMPTY",
		syscall.ENOTSUP:     "ENOTSUP",
		syscall.EPERM:       "EPERM",
	}
	if name, ok := names[errno]; ok {
		return name
	}
	return fmt.Sprintf("errno %d", uint32(errno))
}
