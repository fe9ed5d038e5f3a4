// Command fsfunc is the Flint function of the engine's file tests
// (caps_test.go): it performs one file operation on the mounts the engine
// exposes, with ordinary os calls, and returns what it got.
//
//	{"op":"read","path":"/data/public/a.txt"}          -> {"data":"..."}
//	{"op":"write","path":"/data/out/b.txt","data":"x"} -> {}
//	{"op":"list","path":"/data/public"}                -> {"names":["a.txt"]}
//	{"op":"openat","path":"../secret.txt"}             -> {"data":"..."}
//	{"op":"writeat","path":"/tmp/f","offset":N,"data":"x"} -> {} (creating the file)
//	{"op":"remove","path":"/tmp/f"}                    -> {}
//
// openat opens path relative to the first preopen (descriptor 3, the first
// mount) exactly as given, without the lexical cleaning os does (which
// would turn "/data/../x" into "/x" before the host sees it), and reads it:
// it shows what the host does with ".." and with symbolic links.
//
// With WRITE_TMP_AT_INIT set in its environment, its init writes
// /tmp/init.txt.
//
// A failed operation is a handled error whose type is the errno's name
// (EACCES: the policy refused; EPERM: the path leads outside the mount;
// ENOENT, ...) and whose message is the error's text.
package main

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is fsfunc's input.
type Event struct {
	Op     string `json:"op"`
	Path   string `json:"path"`
	Data   string `json:"data"`
	Offset int64  `json:"offset"`
}

// Response is fsfunc's output.
type Response struct {
	Data  string   `json:"data,omitempty"`
	Names []string `json:"names,omitempty"`
}

func init() {
	// An init with an effect on /tmp: what a snapshot cannot take.
	if os.Getenv("WRITE_TMP_AT_INIT") != "" {
		_ = os.WriteFile("/tmp/init.txt", []byte("written at init"), 0o644)
	}
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		res, err := do(ev)
		if err != nil {
			return Response{}, &guest.Error{Type: errnoName(err), Message: err.Error()}
		}
		return res, nil
	})
}

func do(ev Event) (Response, error) {
	switch ev.Op {
	case "read":
		b, err := os.ReadFile(ev.Path)
		return Response{Data: string(b)}, err
	case "write":
		return Response{}, os.WriteFile(ev.Path, []byte(ev.Data), 0o644)
	case "list":
		entries, err := os.ReadDir(ev.Path)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return Response{Names: names}, err
	case "writeat":
		f, err := os.OpenFile(ev.Path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return Response{}, err
		}
		_, err = f.WriteAt([]byte(ev.Data), ev.Offset)
		return Response{}, errors.Join(err, f.Close())
	case "remove":
		return Response{}, os.Remove(ev.Path)
	case "openat":
		fd, err := syscall.Openat(3, ev.Path, syscall.O_RDONLY, 0)
		if err != nil {
			return Response{}, err
		}
		defer syscall.Close(fd)
		buf := make([]byte, 4096)
		n, err := syscall.Read(fd, buf)
		if n < 0 {
			n = 0
		}
		return Response{Data: string(buf[:n])}, err
	}
	return Response{}, errors.New("unknown op " + strconv.Quote(ev.Op))
}

// errnoName names the errno under err, or "Error" when there is none.
func errnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "Error"
	}
	switch errno {
	case syscall.EACCES:
		return "EACCES"
	case syscall.EPERM:
		return "EPERM"
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.ELOOP:
		return "ELOOP"
	case syscall.EBADF:
		return "EBADF"
	case syscall.ENOTCAPABLE:
		return "ENOTCAPABLE"
	case syscall.ENOSPC:
		return "ENOSPC"
	case syscall.EIO:
		return "EIO"
	}
	return "errno " + strconv.Itoa(int(errno))
}
