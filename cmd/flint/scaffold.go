package main

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"

	cguest "github.com/flintfaas/flint/abi/guest/c"
	"github.com/flintfaas/flint/internal/names"
	"github.com/urfave/cli/v2"
)

// templates are the files flint new writes, by language: NAME.tmpl
// becomes NAME ("fn.wat" becomes the function's own name).
//
//go:embed templates
var templates embed.FS

// flintModule is the Go guest SDK's module path.
const flintModule = "github.com/flintfaas/flint"

// knownLang reports whether flint new and build know the language.
func knownLang(lang string) bool {
	switch lang {
	case "go", "c", "wat":
		return true
	}
	return false
}

func newCommand() *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "write a new function, ready to build, test and deploy",
		ArgsUsage: "NAME",
		Description: `Writes a function in Go, C or WebAssembly text into the folder NAME (or
--dir): a handler, a test of it that runs on this machine, and a README.
"flint build" builds it and "flint deploy NAME DIR" builds and deploys it.

A Go function's go.mod requires Flint's Go guest SDK, the module
github.com/flintfaas/flint, which is not on the Go module proxy: go.mod
replaces it with a clone of Flint's source on this machine, the one --sdk
(or $FLINT_SDK) names or else the one this flint was built in (bin/flint),
and go.sum is written when Go is installed. Without either, go.mod is
written without the replace directive and a note says how to add it.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lang", Aliases: []string{"l"}, Value: "go", Usage: "the `LANGUAGE`: go, c or wat"},
			&cli.StringFlag{Name: "dir", Usage: "write it into `DIR`", DefaultText: "./NAME"},
			&cli.StringFlag{Name: "sdk", EnvVars: []string{"FLINT_SDK"},
				Usage: "the clone of Flint's source `DIR` a Go function's go.mod replaces the guest SDK's module with", DefaultText: "the one flint was built in, if found"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		OnUsageError: onUsageError,
		Action:       newAction,
	}
}

// scaffold is what the templates are filled with.
type scaffold struct {
	Name        string
	GoVersion   string // the go directive of a Go function's go.mod
	FlintSource string // the clone of Flint's source go.mod replaces Flint's module with, if known
}

// newOut is what new did, for -o json.
type newOut struct {
	Name  string   `json:"name"`
	Lang  string   `json:"lang"`
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
	Notes []string `json:"notes,omitempty"`
}

func newAction(c *cli.Context) error {
	const cmd = "flint new"
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name, lang := c.Args().First(), c.String("lang")
	if !names.Function(name) {
		return usageErrorf("%s: function name %q: use 1 to 64 letters, digits, hyphens or underscores", cmd, name)
	}
	if !knownLang(lang) {
		return usageErrorf("%s: --lang %q: use go, c or wat", cmd, lang)
	}
	jsonOut, err := outputJSON(c, cmd)
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if dir == "" {
		dir = name
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return usageErrorf("%s: %s exists and is not empty: choose another --dir", cmd, dir)
	}
	data := scaffold{Name: name, GoVersion: goDirective(runtime.Version())}
	out := newOut{Name: name, Lang: lang, Dir: dir}
	if lang == "go" {
		src := c.String("sdk")
		if src == "" {
			src = flintSourceTree()
		} else if !isFlintSource(src) {
			return usageErrorf("%s: --sdk %s: no clone of Flint's source is there (its go.mod names module %s)", cmd, src, flintModule)
		}
		if src != "" {
			abs, err := filepath.Abs(src)
			if err != nil {
				return usageErrorf("%s: --sdk: %v", cmd, err)
			}
			data.FlintSource = modPath(abs)
			if v := goModDirective(abs); v != "" {
				data.GoVersion = v // what the guest SDK needs
			}
		} else {
			out.Notes = append(out.Notes, "no clone of Flint's source was found, and "+flintModule+
				" is not on the Go module proxy: clone it, then run 'go mod edit -replace "+flintModule+"=CLONE && go mod tidy' in "+
				dir+" (or run flint new with --sdk CLONE)")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageErrorf("%s: %v", cmd, err)
	}
	files, err := writeTemplates(dir, lang, data)
	out.Files = files
	if err != nil {
		return internalErrorf("%s: %v", cmd, err)
	}
	if lang == "c" {
		if err := os.WriteFile(filepath.Join(dir, "flint.h"), []byte(cguest.Header()), 0o644); err != nil {
			return internalErrorf("%s: %v", cmd, err)
		}
		out.Files = append(out.Files, "flint.h")
	}
	if lang == "go" && data.FlintSource != "" {
		if note := goModTidy(dir); note != "" {
			out.Notes = append(out.Notes, note)
		} else {
			out.Files = append(out.Files, "go.sum")
		}
	}
	if jsonOut {
		return printJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s, a %s function, in %s: %s\n", name, lang, dir, strings.Join(out.Files, ", "))
	for _, n := range out.Notes {
		fmt.Fprintf(c.App.ErrWriter, "%s: note: %s\n", cmd, n)
	}
	fmt.Fprintf(c.App.Writer, "next: flint build %s, then flint deploy %s %s\n", dir, name, dir)
	return nil
}

// writeTemplates fills the language's templates into dir and returns the
// names of the files written.
func writeTemplates(dir, lang string, data scaffold) ([]string, error) {
	root := path.Join("templates", lang)
	entries, err := fs.ReadDir(templates, root)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, e := range entries {
		src, err := fs.ReadFile(templates, path.Join(root, e.Name()))
		if err != nil {
			return written, err
		}
		t, err := template.New(e.Name()).Parse(string(src))
		if err != nil {
			return written, err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return written, err
		}
		name := strings.TrimSuffix(e.Name(), ".tmpl")
		if name == "fn.wat" {
			name = data.Name + ".wat"
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), mode); err != nil {
			return written, err
		}
		written = append(written, name)
	}
	return written, nil
}

// flintSourceTree finds the clone of Flint's source this flint runs from
// (bin/flint in it), or "".
func flintSourceTree() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	for dir, i := filepath.Dir(exe), 0; i < 3; dir, i = filepath.Dir(dir), i+1 {
		if isFlintSource(dir) {
			return dir
		}
	}
	return ""
}

// isFlintSource reports whether dir holds Flint's go.mod.
func isFlintSource(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	return sc.Scan() && strings.TrimSpace(sc.Text()) == "module "+flintModule
}

// goModTidy writes a new Go function's go.sum with go mod tidy, and
// returns a note when it cannot.
func goModTidy(dir string) string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "Go is not installed, so go.sum is not written yet: install Go (https://go.dev/dl/, or Debian's golang-go), then run 'go mod tidy'"
	}
	cmd := exec.Command(goBin, "mod", "tidy")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return "'go mod tidy' failed, so go.sum is not written: " + firstLine(msg)
	}
	return ""
}

// goDirective is the go directive for a new go.mod from a Go version
// ("go1.26.8", "go1.26.8 X:nocoverageredesign"): its release, or "" for a
// development Go ("devel go1.27-abcdef ...").
func goDirective(version string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(version, "go"), " ")
	if v == "" || v[0] < '0' || v[0] > '9' {
		return ""
	}
	return v
}

// modPath writes a path for go.mod, quoted when it must be.
func modPath(p string) string {
	if strings.ContainsAny(p, " \t\"'`\\") {
		return strconv.Quote(p)
	}
	return p
}

// goModDirective is the go directive of dir/go.mod, or "".
func goModDirective(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// outputJSON reads a command's --output: true for json.
func outputJSON(c *cli.Context, cmd string) (bool, error) {
	switch out := c.String("output"); out {
	case "", "text":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, usageErrorf("%s: --output %q: use text or json", cmd, out)
	}
}

// errNoSources: a folder flint build cannot tell the language of.
var errNoSources = errors.New("no sources")
