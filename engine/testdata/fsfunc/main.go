// Command fsfunc is the Flint function of the engine's file tests
// (caps_test.go): it performs one file operation on the mounts the engine
// exposes, with ordinary os calls, and returns what it got.
//
//	{"op":"read","path":"/data/public/a.txt"}          -> {"data":"..."}
//	{"op":"write","path":"/data/out/b.txt","data":"x"} -> {}
//	{"op":"list","path":"/data/public"}                -> {"names":["a.txt"]}
//	{"op":"openat","path":"../secret.txt"}             -> {"data":"..."}
//
// openat opens path relative to the first preopen (descriptor 3, the first
// mount) exactly as given, without the lexical cleaning os does (which
// would turn "/data/../x" into "/x" before the host sees it), and reads it:
// it shows what the host does with ".." and with symbolic links.
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
	Op   string `json:"op"`
	Path string `json:"path"`
	Data string `json:"data"`
}

// Response is fsfunc's output.
type Response struct {
	Data  string   `json:"data,omitempty"`
	Names []string `json:"names,omitempty"`
}

func init() {
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
	}
	return "errno " + strconv.Itoa(int(errno))
}
