package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests do not run in parallel: urfave/cli v2 keeps its help flag and
// help command in package variables that every App writes to.

const watEcho = "../../guest-examples/wat-echo/echo.wasm"

// flint runs the command in-process with stdin as its input.
func flint(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"flint"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// goGuest writes the Go example guest-examples/<name>, built for wasip1,
// to a temporary file and returns its path. Run it with cacheDir(t): a Go
// guest takes seconds to compile (tens of seconds under -race), once per
// machine with the cache shared by all tests.
func goGuest(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".wasm")
	require.NoError(t, os.WriteFile(path, testguest.Go(t, name), 0o644))
	return path
}

// cacheDir is the --cache-dir flag for the compilation cache shared by tests.
func cacheDir(t *testing.T) string { return "--cache-dir=" + testguest.CacheDir(t) }

// writeFile writes content to a temporary file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestRunWATEcho(t *testing.T) {
	payloadFile := writeFile(t, "event.json", `{"from":"file"}`)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{name: "default payload", args: []string{"run", watEcho}, want: "{}\n"},
		{name: "inline", args: []string{"run", watEcho, "--payload", `{"a":1}`}, want: "{\"a\":1}\n"},
		{name: "flags before the file", args: []string{"run", "-p", `"x"`, watEcho}, want: "\"x\"\n"},
		{name: "from a file", args: []string{"run", watEcho, "--payload", "@" + payloadFile}, want: "{\"from\":\"file\"}\n"},
		{name: "from stdin", stdin: "piped in", args: []string{"run", watEcho, "--payload", "-"}, want: "piped in\n"},
		{name: "empty stdin", args: []string{"run", watEcho, "--payload", "-"}, want: "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := flint(t, tt.stdin, tt.args...)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Equal(t, tt.want, stdout)
			assertReport(t, stderr)
		})
	}
}

// reportRE matches the START, END and REPORT lines of one cold invocation,
// and the function's lines between them.
var reportRE = regexp.MustCompile(`^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST\n(?:.*\n)*END RequestId: ([0-9a-f-]{36})\n` +
	`REPORT RequestId: ([0-9a-f-]{36})\tDuration: [0-9.]+ ms\tBilled Duration: [0-9]+ ms\tMemory Size: [0-9]+ MB\tMax Memory Used: [0-9]+ MB\tInit Duration: [0-9.]+ ms\t?\n`)

// assertReport checks that the log run printed has Lambda's START, END and
// REPORT lines for one request, with its Init Duration.
func assertReport(t *testing.T, stderr string) {
	t.Helper()
	m := reportRE.FindStringSubmatch(stderr)
	if assert.NotNil(t, m, "START/END/REPORT on stderr, got:\n%s", stderr) {
		assert.Equal(t, m[1], m[2])
		assert.Equal(t, m[1], m[3])
	}
}

func TestRunGoGuest(t *testing.T) {
	hello := goGuest(t, "hello")

	code, stdout, stderr := flint(t, "", "run", hello, cacheDir(t), "--env", "GREETING=Hi,there", "--payload", `{"name":"Flint"}`)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Equal(t, "{\"message\":\"Hi,there, Flint!\"}\n", stdout, "a comma in --env is part of the value")
	assertReport(t, stderr)

	code, stdout, stderr = flint(t, "", "run", hello, cacheDir(t), "-o", "json", "--timeout", "10s", "--memory", "64")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var res struct {
		RequestID       string          `json:"requestId"`
		Payload         json.RawMessage `json:"payload"`
		FunctionError   *struct{}       `json:"functionError"`
		DurationMS      float64         `json:"durationMs"`
		Cold            bool            `json:"cold"`
		InitDurationMS  float64         `json:"initDurationMs"`
		MemoryUsedBytes uint64          `json:"memoryUsedBytes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.NotEmpty(t, res.RequestID)
	assert.JSONEq(t, `{"message":"Hello, world!"}`, string(res.Payload))
	assert.Nil(t, res.FunctionError)
	assert.True(t, res.Cold, "the one invocation of a fresh engine is a cold start")
	assert.Positive(t, res.InitDurationMS)
	assert.Positive(t, res.DurationMS)
	assert.Positive(t, res.MemoryUsedBytes)
}

func TestRunJSONPayloadThatIsNotJSON(t *testing.T) {
	code, stdout, stderr := flint(t, "", "run", watEcho, "-o", "json", "--payload", "plain text")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, "plain text", res["payload"], "a payload that is not JSON is a string")
	assert.Nil(t, res["functionError"])
}

func TestRunFunctionError(t *testing.T) {
	fail := goGuest(t, "fail")

	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := flint(t, "", "run", fail, cacheDir(t), "--payload", `"bad"`)
		assert.Equal(t, exitFunctionError, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "\tWARN\trejecting the event\n", "the function's log goes to stderr")
		assert.True(t, strings.HasSuffix(stderr, "function error (ValidationError): the event is not acceptable: \"bad\"\n"), stderr)
	})
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := flint(t, "", "run", fail, cacheDir(t), "-o", "json")
		assert.Equal(t, exitFunctionError, code)
		assert.Contains(t, stderr, "function error (ValidationError)")
		var res struct {
			Payload       any `json:"payload"`
			FunctionError struct {
				Type      string `json:"type"`
				Message   string `json:"message"`
				Unhandled bool   `json:"unhandled"`
			} `json:"functionError"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
		assert.Nil(t, res.Payload)
		assert.Equal(t, "ValidationError", res.FunctionError.Type)
		assert.Equal(t, "the event is not acceptable: {}", res.FunctionError.Message)
		assert.False(t, res.FunctionError.Unhandled, "a returned error is a handled one")
	})
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	notWasm := writeFile(t, "notes.wasm", "this is text")
	tests := []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{name: "no file", args: []string{"run"}, want: "want one FILE.wasm argument, got 0"},
		{name: "two files", args: []string{"run", watEcho, watEcho}, want: "want one FILE.wasm argument, got 2"},
		{name: "missing file", args: []string{"run", filepath.Join(dir, "missing.wasm")}, want: "no such file or directory"},
		{name: "directory", args: []string{"run", dir}, want: "is a directory"},
		{name: "not wasm", args: []string{"run", notWasm}, want: "not a WebAssembly module"},
		{name: "env without =", args: []string{"run", watEcho, "--env", "GREETING"}, want: `--env "GREETING": want KEY=VALUE`},
		{name: "env bad key", args: []string{"run", watEcho, "--env", "1X=y"}, want: `environment key "1X"`},
		{name: "env reserved key", args: []string{"run", watEcho, "--env", "AWS_REGION=x"}, want: "reserved"},
		{name: "negative timeout", args: []string{"run", watEcho, "--timeout", "-1s"}, want: "--timeout -1s: must be positive"},
		{name: "timeout too long", args: []string{"run", watEcho, "--timeout", "1h"}, want: "timeout 1h0m0s: must be between"},
		{name: "timeout not a duration", args: []string{"run", watEcho, "--timeout", "soon"}, want: "invalid value"},
		{name: "zero memory", args: []string{"run", watEcho, "--memory", "0"}, want: "--memory 0: must be a positive number"},
		{name: "unknown flag", args: []string{"run", watEcho, "--nope"}, want: "flag provided but not defined: -nope"},
		{name: "bad output", args: []string{"run", watEcho, "-o", "yaml"}, want: `--output "yaml"`},
		{name: "missing payload file", args: []string{"run", watEcho, "--payload", "@" + filepath.Join(dir, "none.json")}, want: "--payload: open"},
		{name: "missing handler", args: []string{"run", watEcho, "--handler", "other"}, want: `missing the handler export "other"`},
		{name: "unknown command", args: []string{"nope"}, want: `unknown command "nope"`},
		{name: "cache dir is a file", args: []string{"run", watEcho, "--cache-dir", notWasm}, want: "--cache-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := flint(t, "", tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line on stderr, got:\n%s", stderr)
			assert.True(t, strings.HasPrefix(stderr, "flint"), stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestRunPayloadTooLarge(t *testing.T) {
	big := strings.Repeat("x", 6<<20+1)
	code, stdout, stderr := flint(t, big, "run", watEcho, "--payload", "-")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "request payload too large")
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := flint(t, "", "version")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `^flint +\S+\ngo +`+regexpQuote(runtime.Version())+`\nwazero +v\d+\.\d+\.\d+\S*\n$`, stdout)
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

func TestHelpAndCompletion(t *testing.T) {
	code, stdout, _ := flint(t, "")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "run")

	code, stdout, _ = flint(t, "", "run", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "--payload")

	// urfave/cli reads the command line being completed from os.Args.
	args := os.Args
	t.Cleanup(func() { os.Args = args })
	os.Args = []string{"flint", "--generate-bash-completion"}
	code, stdout, _ = flint(t, "", "--generate-bash-completion")
	assert.Equal(t, exitOK, code)
	assert.Subset(t, strings.Fields(stdout), []string{"run", "serve", "deploy", "invoke", "alias", "url", "role", "dlq", "version", "completion"})

	os.Args = []string{"flint", "alias", "--generate-bash-completion"}
	code, stdout, _ = flint(t, "", "alias", "--generate-bash-completion")
	assert.Equal(t, exitOK, code)
	assert.Subset(t, strings.Fields(stdout), []string{"set", "ls", "rm"})

	code, stdout, _ = flint(t, "", "completion", "bash")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "complete -o bashdefault -o default -F _flint flint")
}

func TestFlagsFirst(t *testing.T) {
	app := newApp(nil, nil, nil)
	tests := []struct {
		name      string
		args, out []string
	}{
		{name: "flags after the file",
			args: []string{"flint", "run", "f.wasm", "--payload", "{}", "-o", "json"},
			out:  []string{"flint", "run", "--payload", "{}", "-o", "json", "--", "f.wasm"}},
		{name: "flags around the file",
			args: []string{"flint", "run", "--env", "A=1", "f.wasm", "--env=B=2"},
			out:  []string{"flint", "run", "--env", "A=1", "--env=B=2", "--", "f.wasm"}},
		{name: "value that looks like a flag",
			args: []string{"flint", "run", "f.wasm", "--timeout", "-1s"},
			out:  []string{"flint", "run", "--timeout", "-1s", "--", "f.wasm"}},
		{name: "stdin marker stays positional-safe",
			args: []string{"flint", "run", "f.wasm", "--payload", "-"},
			out:  []string{"flint", "run", "--payload", "-", "--", "f.wasm"}},
		{name: "after -- everything is an argument",
			args: []string{"flint", "run", "--", "-odd.wasm"},
			out:  []string{"flint", "run", "--", "-odd.wasm"}},
		{name: "bool flag takes no value",
			args: []string{"flint", "run", "--help", "f.wasm"},
			out:  []string{"flint", "run", "--help", "--", "f.wasm"}},
		{name: "root flags before the command",
			args: []string{"flint", "--help", "run", "f.wasm", "-o", "json"},
			out:  []string{"flint", "--help", "run", "-o", "json", "--", "f.wasm"}},
		{name: "subcommand flags",
			args: []string{"flint", "alias", "set", "f", "live", "1", "--weight", "2=0.1", "-o", "json"},
			out:  []string{"flint", "alias", "set", "--weight", "2=0.1", "-o", "json", "--", "f", "live", "1"}},
		{name: "client flags after the name",
			args: []string{"flint", "invoke", "f:live", "--endpoint", "http://h:1", "--async"},
			out:  []string{"flint", "invoke", "--endpoint", "http://h:1", "--async", "--", "f:live"}},
		{name: "unknown command untouched",
			args: []string{"flint", "nope", "x", "--y"},
			out:  []string{"flint", "nope", "x", "--y"}},
		{name: "completion untouched",
			args: []string{"flint", "run", "f.wasm", "--generate-bash-completion"},
			out:  []string{"flint", "run", "f.wasm", "--generate-bash-completion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.out, flagsFirst(app, tt.args))
		})
	}
}

func TestFunctionName(t *testing.T) {
	tests := map[string]string{
		"build/guests/hello.wasm": "hello",
		"my func.v2.wasm":         "my-func-v2",
		"échec.wasm":              "-chec",
		".wasm":                   "function",
		strings.Repeat("a", 80):   strings.Repeat("a", 64),
	}
	for path, want := range tests {
		assert.Equal(t, want, functionName(path), path)
	}
}
