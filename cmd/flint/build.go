package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flintfaas/flint/engine"
	"github.com/urfave/cli/v2"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build a function's sources into a .wasm module Flint runs",
		ArgsUsage: "[DIR]",
		Description: `Builds the function in DIR (default: the current folder) for its language,
told by its files: Go (go.mod or .go files) with GOOS=wasip1 GOARCH=wasm
go build -buildmode=c-shared; C (.c files but *_test.c) with clang for
wasm32-wasi as a reactor, with wasi-libc; WebAssembly text (one .wat file)
with wat2wasm. It writes DIR/NAME.wasm, NAME being the folder's name, and
checks it against Flint's ABI the way deploy does (compiling it, which
--cache-dir can keep, as flint run's does). --zip also writes DIR/NAME.zip,
the deployment package the AWS CLI's --zip-file takes.

A missing toolchain is named, with the package to install.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lang", Aliases: []string{"l"}, Usage: "the `LANGUAGE`: go, c or wat", DefaultText: "told by the files"},
			&cli.BoolFlag{Name: "zip", Usage: "also write NAME.zip, a Lambda deployment package"},
			&cli.StringFlag{Name: "cache-dir",
				Usage: "keep the check's compiled code in `DIR`, so checking the same module again skips compiling (default: in memory)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			const cmd = "flint build"
			if c.NArg() > 1 {
				return usageErrorf("%s: want [DIR], got %d arguments (see '%s --help')", cmd, c.NArg(), cmd)
			}
			dir := "."
			if c.NArg() == 1 {
				dir = c.Args().First()
			}
			jsonOut, err := outputJSON(c, cmd)
			if err != nil {
				return err
			}
			res, err := buildDir(c.Context, cmd, dir, buildOptions{
				lang: c.String("lang"), zip: c.Bool("zip"), check: true, cacheDir: c.String("cache-dir")})
			if err != nil {
				return err
			}
			if jsonOut {
				return printJSON(c.App.Writer, res)
			}
			return res.print(c.App.Writer)
		},
	}
}

// buildOut is what build did, for -o json.
type buildOut struct {
	Name string `json:"name"`
	Lang string `json:"lang"`
	Wasm string `json:"wasm"`
	Zip  string `json:"zip,omitempty"`
	Size int64  `json:"size"`
}

func (b buildOut) print(w interface{ Write([]byte) (int, error) }) error {
	msg := fmt.Sprintf("built %s (%s) from %s sources", b.Wasm, humanBytes(b.Size), b.Lang)
	if b.Zip != "" {
		msg += ", and " + b.Zip
	}
	_, err := fmt.Fprintln(w, msg)
	return err
}

// detectLang tells a folder's language by its files.
func detectLang(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	found := map[string]bool{}
	for _, e := range entries {
		switch name := e.Name(); {
		case e.IsDir():
		case name == "go.mod" || strings.HasSuffix(name, ".go"):
			found["go"] = true
		case strings.HasSuffix(name, ".c"):
			found["c"] = true
		case strings.HasSuffix(name, ".wat"):
			found["wat"] = true
		}
	}
	switch len(found) {
	case 0:
		return "", errNoSources
	case 1:
		for l := range found {
			return l, nil
		}
	}
	var langs []string
	for l := range found {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return "", fmt.Errorf("it has sources in %s: choose with --lang", strings.Join(langs, " and "))
}

// buildOptions say how buildDir builds.
type buildOptions struct {
	lang     string // "": told by the files
	zip      bool   // also write NAME.zip
	check    bool   // check the module against the ABI here
	cacheDir string // the check's compilation cache ("": in memory)
}

// buildDir builds the function in dir and, with o.check, checks the module.
func buildDir(ctx context.Context, cmd, dir string, o buildOptions) (buildOut, error) {
	lang := o.lang
	abs, err := filepath.Abs(dir)
	if err != nil {
		return buildOut{}, usageErrorf("%s: %v", cmd, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return buildOut{}, usageErrorf("%s: %s is not a folder", cmd, dir)
	}
	if lang == "" {
		lang, err = detectLang(abs)
		switch {
		case errors.Is(err, errNoSources):
			return buildOut{}, usageErrorf("%s: %s has no Go, C or WebAssembly text sources (write one with 'flint new NAME --lang go|c|wat')", cmd, dir)
		case err != nil:
			return buildOut{}, usageErrorf("%s: %s: %v", cmd, dir, err)
		}
	} else if !knownLang(lang) {
		return buildOut{}, usageErrorf("%s: --lang %q: use go, c or wat", cmd, lang)
	}
	name := functionName(filepath.Base(abs))
	out := buildOut{Name: name, Lang: lang, Wasm: filepath.Join(dir, name+".wasm")}
	wasm := filepath.Join(abs, name+".wasm")
	var run *exec.Cmd
	switch lang {
	case "go":
		goBin, err := exec.LookPath("go")
		if err != nil {
			return out, usageErrorf("%s: building Go needs the Go toolchain, which is not installed: install Go 1.26 or later (https://go.dev/dl/; Debian: apt-get install golang-go)", cmd)
		}
		// -trimpath: the module holds no path of this machine, and the
		// same sources build the same module anywhere.
		run = exec.CommandContext(ctx, goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", wasm, ".")
		run.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	case "c":
		clang, err := cToolchain(cmd)
		if err != nil {
			return out, err
		}
		args := []string{"--target=wasm32-wasi", "--sysroot=" + wasiSysroot(), "-mexec-model=reactor", "-O2", "-Wl,--strip-debug", "-I", abs, "-o", wasm}
		srcs, _ := filepath.Glob(filepath.Join(abs, "*.c"))
		for _, s := range srcs {
			if !strings.HasSuffix(s, "_test.c") {
				args = append(args, s)
			}
		}
		run = exec.CommandContext(ctx, clang, args...)
	case "wat":
		wat2wasm, err := exec.LookPath("wat2wasm")
		if err != nil {
			return out, usageErrorf("%s: building WebAssembly text needs wat2wasm, which is not installed: install wabt (Debian: apt-get install wabt)", cmd)
		}
		srcs, _ := filepath.Glob(filepath.Join(abs, "*.wat"))
		if len(srcs) != 1 {
			return out, usageErrorf("%s: %s has %d .wat files: a function is one", cmd, dir, len(srcs))
		}
		run = exec.CommandContext(ctx, wat2wasm, srcs[0], "-o", wasm)
	}
	run.Dir = abs
	if b, err := run.CombinedOutput(); err != nil {
		return out, usageErrorf("%s: %s failed:\n%s", cmd, filepath.Base(run.Path), strings.TrimSpace(string(b)))
	}
	code, err := os.ReadFile(wasm)
	if err != nil {
		return out, internalErrorf("%s: %v", cmd, err)
	}
	out.Size = int64(len(code))
	if o.check {
		var me *engine.ModuleError
		switch err := checkModule(ctx, name, code, o.cacheDir); {
		case errors.As(err, &me):
			return out, usageErrorf("%s: %s is not a module Flint runs: %s", cmd, out.Wasm, me.Reason)
		case err != nil && o.cacheDir != "":
			return out, usageErrorf("%s: --cache-dir: %v", cmd, err)
		case err != nil:
			return out, internalErrorf("%s: checking %s: %v", cmd, out.Wasm, err)
		}
	}
	if o.zip {
		pkg, err := zipModule(name+".wasm", code)
		if err == nil {
			err = os.WriteFile(filepath.Join(abs, name+".zip"), pkg, 0o644)
		}
		if err != nil {
			return out, internalErrorf("%s: zip: %v", cmd, err)
		}
		out.Zip = filepath.Join(dir, name+".zip")
	}
	return out, nil
}

// cToolchain finds clang and checks for what a wasm32-wasi build needs
// besides: wasm-ld, wasi-libc and compiler-rt's builtins.
func cToolchain(cmd string) (string, error) {
	var missing []string
	clang, err := exec.LookPath("clang")
	if err != nil {
		missing = append(missing, "clang")
	}
	if _, err := exec.LookPath("wasm-ld"); err != nil {
		missing = append(missing, "lld")
	}
	sysroot := wasiSysroot()
	if _, err := os.Stat(filepath.Join(sysroot, "lib", "wasm32-wasi", "libc.a")); err != nil {
		if _, err := os.Stat(filepath.Join(sysroot, "lib", "libc.a")); err != nil {
			missing = append(missing, "wasi-libc")
		}
	}
	if clang != "" {
		if b, err := exec.Command(clang, "--target=wasm32-wasi", "-print-libgcc-file-name").Output(); err != nil || !fileExists(strings.TrimSpace(string(b))) {
			missing = append(missing, "libclang-rt-dev-wasm32")
		}
	}
	if len(missing) > 0 {
		return "", usageErrorf("%s: building C needs clang, lld, wasi-libc and compiler-rt for wasm32; missing: %s (Debian: apt-get install %s)",
			cmd, strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	return clang, nil
}

// wasiSysroot is where wasi-libc is: $WASI_SYSROOT, the wasi-sdk's place,
// or Debian's.
func wasiSysroot() string {
	if s := os.Getenv("WASI_SYSROOT"); s != "" {
		return s
	}
	if fileExists("/usr/share/wasi-sysroot/lib/wasm32-wasi/libc.a") {
		return "/usr/share/wasi-sysroot"
	}
	return "/usr"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return p != "" && err == nil
}

// checkModule deploys code on an in-memory engine, as a server's deploy
// checks it: a refusal is an *engine.ModuleError saying why.
func checkModule(ctx context.Context, name string, code []byte, cacheDir string) error {
	eng, err := engine.New(ctx, engine.Config{Snapshots: engine.SnapshotsOff, MemoryCacheBytes: -1, CompilationCacheDir: cacheDir})
	if err != nil {
		return err
	}
	defer func() { _ = eng.Close(context.WithoutCancel(ctx)) }()
	_, err = eng.Deploy(ctx, engine.Function{Name: name, Code: code})
	return err
}
