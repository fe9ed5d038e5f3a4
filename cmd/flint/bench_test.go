package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flintfaas/flint/bench/runner"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchFlint runs "flint bench args..." in-process.
func benchFlint(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"flint", "bench"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// benchQuick are the flags that keep a test run short.
var benchQuick = []string{"--iterations", "5", "--instances", "2"}

// benchWATEcho is the committed wat-echo module's path.
func benchWATEcho(t *testing.T) string {
	return filepath.Join(testguest.Root(t), "guest-examples", "wat-echo", "echo.wasm")
}

// benchTemp writes content to a file in a temporary directory.
func benchTemp(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, content, 0o644))
	return p
}

func TestBenchBadInput(t *testing.T) {
	notWasm := benchTemp(t, "notes.wasm", []byte("hello"))
	invalid := benchTemp(t, "invalid.wasm", []byte("\x00asm\x01\x00\x00\x00\xff\xff"))
	notJSON := benchTemp(t, "old.json", []byte("hello"))
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to measure", nil, "give FILE.wasm or --example NAME"},
		{"not wasm", []string{notWasm}, "not a WebAssembly module"},
		{"missing file", []string{filepath.Join(dir, "nope.wasm")}, "no such file"},
		{"invalid module", append([]string{invalid}, benchQuick...), "invalid.wasm:"},
		{"unknown example", []string{"--example", "nope"}, `unknown example "nope": use go-echo, go-hello, markdown, wat-echo`},
		{"unwritable chart", []string{benchWATEcho(t), "--chart", filepath.Join(dir, "missing", "c.svg")}, "--chart: no such file or directory"},
		{"chart is a directory", []string{benchWATEcho(t), "--chart", dir}, "--chart:"},
		{"unwritable save", []string{benchWATEcho(t), "--save", "/proc/nope.json"}, "--save:"},
		{"bad output", []string{benchWATEcho(t), "-o", "yaml"}, `--output "yaml": use table, json or markdown`},
		{"bad concurrency", []string{benchWATEcho(t), "--concurrency", "1,x"}, "--concurrency"},
		{"zero concurrency", []string{benchWATEcho(t), "--concurrency", "0"}, "--concurrency"},
		{"duration and iterations", []string{benchWATEcho(t), "--duration", "1s", "--iterations", "3"}, "give one"},
		{"bad duration", []string{benchWATEcho(t), "--duration", "-1s"}, "--duration"},
		{"bad timeout", []string{benchWATEcho(t), "--timeout", "1h"}, "--timeout"},
		{"bad env", []string{benchWATEcho(t), "--env", "NOVALUE"}, "--env"},
		{"unknown flag", []string{benchWATEcho(t), "--nope"}, "flag provided but not defined"},
		{"compare one report", []string{"--compare", notJSON}, "--compare wants two reports"},
		{"compare not JSON", []string{"--compare", notJSON, notJSON}, "not a flint bench JSON report"},
		{"compare missing", []string{"--compare", filepath.Join(dir, "nope.json"), notJSON}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := benchFlint(t, tt.args...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "flint bench"), stderr)
			assert.NotContains(t, stderr, "goroutine")
		})
	}
}

func TestBenchNoCheckout(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := benchFlint(t, "--example", "wat-echo")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "flint bench: --example needs a Flint source checkout; pass FILE.wasm instead\n", stderr)
}

func TestBenchJSONChartAndSave(t *testing.T) {
	dir := t.TempDir()
	chart, save := filepath.Join(dir, "chart.svg"), filepath.Join(dir, "run.json")
	args := append([]string{benchWATEcho(t), "-o", "json", "--concurrency", "1,2", "--chart", chart, "--save", save,
		"--payload", `{"x":"y"}`}, benchQuick...)
	code, stdout, stderr := benchFlint(t, args...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Empty(t, stderr, "no progress bar when stderr is not a terminal")

	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join(testguest.Root(t), "bench", "schema.json"))
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
	require.NoError(t, err)
	require.NoError(t, sch.Validate(inst), "-o json follows bench/schema.json")

	var rep runner.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Len(t, rep.Guests, 1)
	g := rep.Guests[0]
	assert.Equal(t, "echo", g.Name)
	assert.Equal(t, len(`{"x":"y"}`), g.PayloadBytes)
	assert.Len(t, g.Concurrency, 2)
	assert.NotEmpty(t, rep.Flint.GoVersion)

	saved, err := os.ReadFile(save)
	require.NoError(t, err)
	assert.JSONEq(t, stdout, string(saved), "--save writes the same report")

	svg, err := os.ReadFile(chart)
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	ids := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					ids[a.Value] = true
				}
			}
		}
	}
	for _, id := range []string{"latency", "latency-axis", "legend", "throughput", "throughput-axis"} {
		assert.True(t, ids[id], "group %s", id)
	}
}

func TestBenchExampleTableAndMarkdown(t *testing.T) {
	code, stdout, stderr := benchFlint(t, append([]string{"--example", "wat-echo"}, benchQuick...)...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	for _, want := range []string{"wat-echo (example", "× native", "pre-initialized", "extism-warm", "What each row measures:"} {
		assert.Contains(t, stdout, want)
	}
	if !runner.ExtismIncluded {
		assert.Contains(t, stdout, "extism-cold, extism-warm skipped: "+runner.ExtismHint, "one line says how to include Extism")
	}
	code, stdout, stderr = benchFlint(t, append([]string{"--example", "wat-echo", "-o", "markdown"}, benchQuick...)...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "### wat-echo")
	assert.Contains(t, stdout, "| scenario | iterations |")
}

func TestBenchFunctionFailureGoesOn(t *testing.T) {
	flaky := filepath.Join(testguest.Root(t), "bench", "runner", "testdata", "flaky.wasm")
	code, stdout, stderr := benchFlint(t, append([]string{flaky}, benchQuick...)...)
	assert.Equal(t, exitFunctionError, code)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.Contains(t, stderr, "flaky/warm (function error")
	assert.Regexp(t, `\n  warm +failed: function error \(Runtime.Trap\)`, stdout, "the failure is reported where it happened")
	assert.Regexp(t, `\n  cold +5 `, stdout, "the run goes on")
}

func TestBenchCompare(t *testing.T) {
	dir := t.TempDir()
	var saves []string
	for _, name := range []string{"old.json", "new.json"} {
		p := filepath.Join(dir, name)
		code, _, stderr := benchFlint(t, append([]string{benchWATEcho(t), "--save", p, "-o", "json"}, benchQuick...)...)
		require.Equal(t, exitOK, code, stderr)
		saves = append(saves, p)
	}
	code, stdout, stderr := benchFlint(t, "--compare", saves[0], saves[1]+","+saves[0])
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "echo/warm")
	assert.Contains(t, stdout, "Mann-Whitney")
}

// benchSynthetic writes a report of guest "g" whose scenarios have batch
// medians spread ±5% around the given centers.
func benchSynthetic(t *testing.T, name string, seed int, centers map[string]float64) string {
	t.Helper()
	g := runner.Guest{Name: "g"}
	for _, sc := range []string{"cold", "warm", "native"} {
		c, ok := centers[sc]
		if !ok {
			continue
		}
		var medians []float64
		for i := range 24 {
			// A deterministic spread: a different permutation per seed.
			k := (i*7 + seed*5) % 24
			medians = append(medians, c*(0.95+0.1*float64(k)/23))
		}
		g.Scenarios = append(g.Scenarios, runner.Scenario{Name: sc, Status: runner.StatusOK,
			Iterations: 24, BatchMediansNs: medians})
	}
	b, err := json.Marshal(runner.Report{Schema: runner.SchemaID, Guests: []runner.Guest{g}})
	require.NoError(t, err)
	return benchTemp(t, name, b)
}

func TestBenchCompareVerdicts(t *testing.T) {
	old := benchSynthetic(t, "old.json", 1, map[string]float64{"cold": 20000, "warm": 1000, "native": 50})
	cur := benchSynthetic(t, "new.json", 2, map[string]float64{"cold": 15000, "warm": 1000, "native": 60})
	code, stdout, stderr := benchFlint(t, "--compare", old, cur)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `g/cold +20\.0 µs +15\.0 µs +-25\.0% +faster `, stdout)
	assert.Regexp(t, `g/warm +1\.00 µs +1\.00 µs +~ +~ `, stdout)
	assert.Regexp(t, `g/native +50\.0 ns +60\.0 ns +\+20\.0% +slower `, stdout)
}
