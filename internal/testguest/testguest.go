// Package testguest gives tests the guest modules they run: the Go examples
// under guest-examples/, built for wasip1 on demand and cached by source
// hash, and the committed WAT modules; and the directory of one on-disk
// wazero compilation cache shared by every test process, so that a 2 MB Go
// guest is compiled once per machine rather than once per test.
package testguest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Root returns the repository's root directory (where go.mod is).
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("testguest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

func cacheDir(tb testing.TB, sub string) string {
	tb.Helper()
	base := os.Getenv("FLINT_TEST_CACHE")
	if base == "" {
		uc, err := os.UserCacheDir()
		if err != nil {
			uc = os.TempDir()
		}
		base = filepath.Join(uc, "flint-test")
	}
	dir := filepath.Join(base, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// CacheDir returns the directory of the wazero compilation cache shared by
// all tests of this machine: set it as engine.Config.CompilationCacheDir.
func CacheDir(tb testing.TB) string {
	tb.Helper()
	return cacheDir(tb, "wazero")
}

// Go returns the Go guest guest-examples/<name> (or any package directory
// relative to the repository root, when name contains a slash) built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared. Builds are cached by a hash
// of the sources that go into them.
func Go(tb testing.TB, name string) []byte {
	tb.Helper()
	return GoBuild(tb, name, Build{})
}

// Build is how GoBuild builds a guest beyond Go's defaults: the zero value
// is Go's plain build.
type Build struct {
	Tags []string // -tags
	Env  []string // extra environment, such as "GOEXPERIMENT=jsonv2"
}

// GoBuild returns the Go guest name, as Go does, built with the build tags
// and environment of b; builds are cached by source hash and by b.
func GoBuild(tb testing.TB, name string, b Build) []byte {
	tb.Helper()
	root := Root(tb)
	pkg := name
	if filepath.Base(name) == name {
		pkg = filepath.Join("guest-examples", name)
	}
	key, err := sourceHash(root, pkg, b)
	if err != nil {
		tb.Fatalf("testguest: hash %s: %v", pkg, err)
	}
	out := filepath.Join(cacheDir(tb, "guests"), filepath.Base(pkg)+"-"+key+".wasm")
	if code, err := os.ReadFile(out); err == nil {
		return code
	}
	// Concurrent builders write distinct temporary files and rename them
	// into place atomically; the last one wins with identical bytes.
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.tmp")
	if err != nil {
		tb.Fatal(err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	args := []string{"build", "-buildmode=c-shared", "-o", tmp}
	if len(b.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.Tags, ","))
	}
	cmd := exec.Command("go", append(args, "./"+filepath.ToSlash(pkg))...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"), b.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("testguest: build %s: %v\n%s", pkg, err, out)
	}
	if err := os.Rename(tmp, out); err != nil {
		tb.Fatal(err)
	}
	code, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// sourceHash hashes what a guest build depends on in this repository: the
// package's files, the guest SDK, go.mod and go.sum, and the Go version.
func sourceHash(root, pkg string, b Build) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	if len(b.Tags) > 0 || len(b.Env) > 0 {
		fmt.Fprintf(h, "tags %q env %q\n", b.Tags, b.Env)
	}
	var files []string
	for _, dir := range []string{pkg, filepath.Join("abi", "guest")} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	files = append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// File returns a file of the repository, such as a committed .wasm.
func File(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Root(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// WATEcho returns the committed wat-echo module.
func WATEcho(tb testing.TB) []byte { return File(tb, "guest-examples/wat-echo/echo.wasm") }

// Tool returns the command pkg (a main package of a module go.mod
// requires, such as github.com/nats-io/nats-server/v2) built for this
// machine, without the race detector, and cached by version: tests run it
// as a process of its own, so that a data race inside a dependency does not
// fail the tests of the code that uses it.
func Tool(tb testing.TB, pkg, version string) string {
	tb.Helper()
	bin := filepath.Join(cacheDir(tb, "tools"), filepath.Base(pkg)+"-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, pkg)
	cmd.Dir = Root(tb)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("testguest: go build %s: %v\n%s", pkg, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil { // atomic: another test process may build it too
		tb.Fatal(err)
	}
	return bin
}

// WithoutExport returns a copy of code whose export name is renamed to a
// name no host looks for (its first byte replaced by 'x', so that no
// section changes size): the same module as a guest built without that
// export, such as a Go guest from before an SDK added it. It fails the
// test if code does not hold name.
func WithoutExport(tb testing.TB, code []byte, name string) []byte {
	tb.Helper()
	if !bytes.Contains(code, []byte(name)) {
		tb.Fatalf("testguest: the module has no %q to rename", name)
	}
	return bytes.ReplaceAll(code, []byte(name), []byte("x"+name[1:]))
}

// WithCustomSection returns code with a custom section named name
// appended: the same program in other bytes, so a module of its own to the
// engine (which shares compiled modules by their code's digest). name is
// at most 100 bytes.
func WithCustomSection(code []byte, name string) []byte {
	payload := append(append([]byte{byte(len(name))}, name...), "flint"...)
	out := append([]byte{}, code...)
	return append(append(out, 0, byte(len(payload))), payload...)
}
