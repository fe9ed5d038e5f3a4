package runner

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// modulePath is the Flint module's path, which identifies a checkout.
const modulePath = "github.com/flintfaas/flint"

// Errors of Example and File, for callers to tell bad input apart.
var (
	// ErrUnknownExample: the name is not one of Examples.
	ErrUnknownExample = errors.New("unknown example")
	// ErrNoCheckout: examples are built from a Flint source checkout, and
	// the working directory is not inside one.
	ErrNoCheckout = errors.New("--example needs a Flint source checkout; pass FILE.wasm instead")
	// ErrNotWasm: the file is not a WebAssembly module.
	ErrNotWasm = errors.New("not a WebAssembly module (no \\0asm header)")
	// ErrBuild: an example could not be built.
	ErrBuild = errors.New("build failed")
)

// GuestSpec is a module to measure and what to send it.
type GuestSpec struct {
	// Name labels the guest in the output ("go-hello", or the file's base
	// name).
	Name string
	// Source is "example" or "file"; Path the module's file.
	Source, Path string
	Code         []byte
	Handler      string // "" for the ABI's default
	Env          map[string]string
	// Payload is the event sent, when Options.Payload is nil.
	Payload []byte
	// Native is the guest's work as a plain Go function, for the native
	// floor row and to check the guest's output; nil for files.
	Native func(payload []byte) ([]byte, error)
	// ExtismEcho says the Extism echo plugin does this guest's work.
	ExtismEcho bool
}

// example is a built-in guest.
type example struct {
	pkg     string // Go package under guest-examples, or "" for WAT
	wasm    string // committed module, for WAT examples
	env     map[string]string
	native  func([]byte) ([]byte, error)
	extism  bool
	payload string
}

var examples = map[string]example{
	"go-hello": {pkg: "hello", env: map[string]string{"GREETING": "Hello"}, native: nativeHello("Hello"),
		payload: `{"name":"ana"}`},
	"go-echo":  {pkg: "echo", native: nativeEcho, payload: `{"name":"ana"}`},
	"wat-echo": {wasm: "guest-examples/wat-echo/echo.wasm", native: nativeEcho, extism: true, payload: `{"name":"ana"}`},
	// A Go function of the size users write: goldmark renders a 1 KB
	// Markdown document. No native row, so that goldmark stays out of the
	// flint binary.
	"markdown": {pkg: "markdown", payload: markdownEvent},
}

// markdownEvent is the markdown example's event: a short README with a
// heading, emphasis, a list, a task list, a table, code and a link.
const markdownEvent = `{"markdown":"# Flint\n\nA *self-hosted* AWS Lambda in **one Go binary**, with WebAssembly as the sandbox.\n\n` +
	`## Why\n\n- cold starts in microseconds, not seconds\n- one binary: gateway, queue, logs, metrics\n- deny-by-default ` +
	`policies on every host call\n\n## Status\n\n- [x] functions, versions, aliases\n- [x] function URLs\n- [ ] ` +
	`ten thousand functions on one box\n\n| start | go-hello | wat-echo |\n|---|---:|---:|\n| warm | 9 µs | 0.6 µs |\n` +
	`| cold | 959 µs | 6.8 µs |\n\n## Try it\n\n` + "```" + `sh\nflint serve\nflint deploy hello.wasm\n` + "```" +
	`\n\nSee the \"design notes\" at https://example.com/flint/design -- and ~~the old docs~~ the new ones.\n"}`

// Examples lists the names Example accepts.
func Examples() []string {
	names := make([]string, 0, len(examples))
	for n := range examples {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Example returns a built-in example: the WAT ones read from the checkout
// the working directory is in, the Go ones built there with the go command
// (cached by a hash of their sources in the user's cache directory).
func Example(ctx context.Context, name string) (GuestSpec, error) {
	ex, ok := examples[name]
	if !ok {
		return GuestSpec{}, fmt.Errorf("%w %q: use %s", ErrUnknownExample, name, strings.Join(Examples(), ", "))
	}
	root, err := Checkout()
	if err != nil {
		return GuestSpec{}, err
	}
	spec := GuestSpec{Name: name, Source: "example", Env: ex.env, Native: ex.native,
		ExtismEcho: ex.extism, Payload: []byte(ex.payload)}
	if ex.wasm != "" {
		spec.Path = filepath.Join(root, ex.wasm)
		spec.Code, err = os.ReadFile(spec.Path)
		if err != nil {
			return GuestSpec{}, fmt.Errorf("example %s: %w", name, err)
		}
		return spec, nil
	}
	spec.Path, err = buildGo(ctx, root, filepath.Join("guest-examples", ex.pkg))
	if err != nil {
		return GuestSpec{}, fmt.Errorf("example %s: %w", name, err)
	}
	spec.Code, err = os.ReadFile(spec.Path)
	if err != nil {
		return GuestSpec{}, fmt.Errorf("example %s: %w", name, err)
	}
	return spec, nil
}

// File returns the module at path, checked to be WebAssembly.
func File(path string) (GuestSpec, error) {
	code, err := os.ReadFile(path)
	if err != nil {
		return GuestSpec{}, err
	}
	if !bytes.HasPrefix(code, []byte("\x00asm")) {
		return GuestSpec{}, fmt.Errorf("%s: %w", path, ErrNotWasm)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return GuestSpec{Name: name, Source: "file", Path: path, Code: code, Payload: []byte("{}")}, nil
}

// Commit names the Flint source being measured: the binary's VCS stamp,
// else the HEAD commit of the checkout the working directory is in
// ("-dirty" when it has changes); "" when neither is known.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 7 {
				rev = rev[:7]
			}
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	root, err := Checkout()
	if err != nil {
		return ""
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "-dirty"
	}
	return rev
}

// Checkout returns the root of the Flint source checkout that contains the
// working directory.
func Checkout() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", ErrNoCheckout
	}
	for {
		if isFlintRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoCheckout
		}
		dir = parent
	}
}

func isFlintRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == modulePath
		}
	}
	return false
}

// buildGo builds the Go guest package pkg (relative to root) for wasip1
// and returns the module's path, reusing an earlier build of the same
// sources.
func buildGo(ctx context.Context, root, pkg string) (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%w: the Go examples are built with the go command, which is not on PATH", ErrBuild)
	}
	key, err := sourceHash(ctx, goCmd, root, pkg)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "flint", "bench-guests")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	out := filepath.Join(dir, filepath.Base(pkg)+"-"+key+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(out)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, goCmd, "build", "-buildmode=c-shared", "-o", tmp.Name(), "./"+filepath.ToSlash(pkg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(b))
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return "", fmt.Errorf("%w: go build ./%s: %v: %s", ErrBuild, pkg, err, msg)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	return out, nil
}

// sourceHash hashes what a guest build depends on in the checkout: the
// package, the guest SDK, go.mod, go.sum and the go command's version.
func sourceHash(ctx context.Context, goCmd, root, pkg string) (string, error) {
	h := sha256.New()
	v, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	h.Write(v)
	var files []string
	for _, dir := range []string{pkg, filepath.Join("abi", "guest")} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	files = append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(f, root), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// nativeEcho is the echo guests' work in Go.
//
//go:noinline
func nativeEcho(in []byte) ([]byte, error) { return bytes.Clone(in), nil }

// nativeHello returns the hello guest's work in Go, with the greeting its
// GREETING environment variable holds.
func nativeHello(greeting string) func([]byte) ([]byte, error) {
	return func(in []byte) ([]byte, error) {
		var ev struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(in, &ev); err != nil {
			return nil, err
		}
		name := ev.Name
		if name == "" {
			name = "world"
		}
		return json.Marshal(struct {
			Message string `json:"message"`
		}{greeting + ", " + name + "!"})
	}
}
