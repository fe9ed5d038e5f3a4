package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toolchain skips a test when a language's toolchain is missing:
// 'make wasm-tools' (which make test runs) installs them.
func toolchain(t *testing.T, lang string) {
	t.Helper()
	need := map[string][]string{"go": {"go"}, "c": {"clang", "wasm-ld", "cc"}, "wat": {"wat2wasm"}}[lang]
	for _, tool := range need {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: run make wasm-tools", tool)
		}
	}
	if lang == "c" && !fileExists("/usr/lib/wasm32-wasi/libc.a") {
		t.Skip("wasi-libc is not installed: run make wasm-tools")
	}
}

// From nothing to a deployed function: flint new, the function's own test
// on this machine, flint build (--zip), and flint deploy NAME DIR, which
// builds again, for each language.
func TestNewBuildDeploy(t *testing.T) {
	s := startServer(t, false)
	root := testguest.Root(t)
	var flintBin string // built once, for the WAT function's test.sh
	for _, tc := range []struct {
		lang, name string
		payload    string
		want       string
		hostTest   []string // the function's own test, run in its folder
	}{
		{"go", "hellogo", `{"name":"Go"}`, `{"message":"Hello, Go!"}`, []string{"go", "test", "./..."}},
		{"c", "helloc", `"C"`, `Hello, "C"!`, []string{"sh", "-c", "cc -o handler_test handler_test.c handler.c && ./handler_test"}},
		{"wat", "hellowat", `"WAT"`, `Hello, "WAT"!`, []string{"./test.sh"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			toolchain(t, tc.lang)
			dir := filepath.Join(t.TempDir(), tc.name)
			code, stdout, stderr := flint(t, "", "new", tc.name, "--lang", tc.lang, "--dir", dir, "--sdk", root)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stdout, "wrote "+tc.name+", a "+tc.lang+" function")
			assert.Empty(t, stderr, "no notes: the toolchain is there")

			host := exec.Command(tc.hostTest[0], tc.hostTest[1:]...)
			host.Dir = dir
			if tc.lang == "wat" {
				if flintBin == "" {
					flintBin = buildFlint(t)
				}
				host.Env = append(os.Environ(), "FLINT="+flintBin)
			}
			out, err := host.CombinedOutput()
			require.NoError(t, err, "the new function's own test: %s", out)

			built := decode[buildOut](t, s.okNoServer(t, "build", dir, "--zip", "--cache-dir", testguest.CacheDir(t), "-o", "json"))
			assert.Equal(t, tc.lang, built.Lang)
			assert.FileExists(t, filepath.Join(dir, tc.name+".wasm"))
			assert.FileExists(t, filepath.Join(dir, tc.name+".zip"))

			deployed := s.ok(t, "deploy", tc.name, dir)
			assert.Regexp(t, `^built .*`+tc.name+`\.wasm \(.*\) from `+tc.lang+` sources\ncreated function `+tc.name, deployed)
			assert.Equal(t, tc.want+"\n", s.ok(t, "invoke", tc.name, "--payload", tc.payload))
			assert.Equal(t, "function "+tc.name+" is up to date\n", strings.TrimPrefix(s.ok(t, "deploy", tc.name, dir),
				firstLine(deployed)+"\n"), "the same sources again change nothing")
		})
	}

	t.Run("refused", func(t *testing.T) {
		empty := t.TempDir()
		s.fails(t, exitUsage, "has no Go, C or WebAssembly text sources", "deploy", "x", empty)
		code, _, stderr := flint(t, "", "new", "bad/name")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, `function name "bad/name"`)
		code, _, stderr = flint(t, "", "new", "x", "--lang", "rust", "--dir", t.TempDir())
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, `--lang "rust": use go, c or wat`)
		notFlint := filepath.Join(t.TempDir(), "fn")
		code, _, stderr = flint(t, "", "new", "x", "--dir", notFlint, "--sdk", t.TempDir())
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, "no clone of Flint's source is there")
		assert.NoDirExists(t, notFlint, "a refused flint new writes nothing")
		taken := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(taken, "f"), nil, 0o644))
		code, _, stderr = flint(t, "", "new", "x", "--dir", taken)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, "exists and is not empty")
	})

	// A missing toolchain is named, with the package to install.
	t.Run("missing toolchains", func(t *testing.T) {
		dirs := map[string]string{}
		for _, lang := range []string{"go", "c", "wat"} {
			dirs[lang] = filepath.Join(t.TempDir(), "fn")
			code, _, stderr := flint(t, "", "new", "fn", "--lang", lang, "--dir", dirs[lang], "--sdk", root)
			require.Equal(t, exitOK, code, stderr)
		}
		t.Setenv("PATH", t.TempDir())
		for lang, want := range map[string]string{
			"go":  "building Go needs the Go toolchain, which is not installed: install Go 1.26 or later (https://go.dev/dl/; Debian: apt-get install golang-go)",
			"c":   "building C needs clang, lld, wasi-libc and compiler-rt for wasm32; missing: clang, lld",
			"wat": "building WebAssembly text needs wat2wasm, which is not installed: install wabt (Debian: apt-get install wabt)",
		} {
			code, _, stderr := flint(t, "", "build", dirs[lang])
			assert.Equal(t, exitUsage, code, lang)
			assert.Contains(t, stderr, want, lang)
		}
	})
}

// okNoServer runs a command that talks to no server and must succeed.
func (s *testServer) okNoServer(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := flint(t, "", args...)
	require.Equal(t, exitOK, code, "flint %s: %s", strings.Join(args, " "), stderr)
	return stdout
}

// A Go function's go.mod replaces Flint's module, which is not on the
// module proxy, with the clone --sdk or $FLINT_SDK names; with none found,
// it is written without, and a note says how to add it.
func TestNewGoSDK(t *testing.T) {
	toolchain(t, "go")
	root := testguest.Root(t)
	tests := []struct {
		name        string
		args        []string
		env         string
		wantReplace bool
		wantNote    string
	}{
		{name: "flag", args: []string{"--sdk", root}, wantReplace: true},
		{name: "environment", env: root, wantReplace: true},
		{name: "none found", wantNote: "no clone of Flint's source was found, and github.com/flintfaas/flint is not on the Go module proxy: clone it, then run 'go mod edit -replace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FLINT_SDK", tt.env)
			dir := filepath.Join(t.TempDir(), "fn")
			code, _, stderr := flint(t, "", append([]string{"new", "fn", "--lang", "go", "--dir", dir}, tt.args...)...)
			require.Equal(t, exitOK, code, stderr)
			mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			require.NoError(t, err)
			if tt.wantReplace {
				assert.Contains(t, string(mod), "replace github.com/flintfaas/flint => "+root+"\n")
				assert.FileExists(t, filepath.Join(dir, "go.sum"))
				assert.Empty(t, stderr)
			} else {
				assert.NotContains(t, string(mod), "replace")
				assert.Contains(t, stderr, tt.wantNote)
			}
		})
	}
}

func TestDetectLang(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    string
		wantErr string
	}{
		{name: "go module", files: []string{"go.mod", "main.go", "README.md"}, want: "go"},
		{name: "go files", files: []string{"main.go"}, want: "go"},
		{name: "c", files: []string{"main.c", "handler.h", "handler_test.c"}, want: "c"},
		{name: "wat", files: []string{"fn.wat"}, want: "wat"},
		{name: "mixed", files: []string{"main.go", "fn.wat"}, wantErr: "it has sources in go and wat: choose with --lang"},
		{name: "none", files: []string{"README.md"}, wantErr: errNoSources.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
			}
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.c"), 0o755), "a folder is no source")
			got, err := detectLang(dir)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGoDirective(t *testing.T) {
	tests := []struct{ name, version, want string }{
		{"release", "go1.26.8", "1.26.8"},
		{"experiment", "go1.26.8 X:nocoverageredesign", "1.26.8"},
		{"development", "devel go1.27-abcdef Mon Jan 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, goDirective(tt.version))
		})
	}
}
