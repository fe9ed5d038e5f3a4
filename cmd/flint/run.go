package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/names"
	"github.com/urfave/cli/v2"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a function once, locally, and print its response",
		ArgsUsage: "FILE.wasm",
		Description: "Deploys FILE.wasm on an in-memory engine, invokes it once and prints the\n" +
			"response payload on stdout and the function's log on stderr, between the\n" +
			"START, END and REPORT lines Lambda writes (Duration, Billed Duration, Memory\n" +
			"Size, Max Memory Used, Init Duration).\n\n" +
			"Exit status: 0 success, 1 function error, 2 bad usage or input, 3 Flint failed.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "payload", Aliases: []string{"p"}, Value: "{}",
				Usage: "the event: inline `JSON`, @FILE to read a file, or - to read stdin"},
			&cli.StringFlag{Name: "handler", Value: abi.DefaultHandler, Usage: "the `NAME` of the export to call"},
			durationFlag("timeout", fmt.Sprintf("the longest the invocation may run: a `DURATION` such as 500ms, or a number of seconds (at most %v)", engine.MaxTimeout),
				engine.DefaultTimeout, ""),
			&cli.IntFlag{Name: "memory", Value: engine.DefaultMemoryMB,
				Usage: fmt.Sprintf("the linear memory limit in `MB` (at most %d)", engine.MaxMemoryMB)},
			&cli.StringSliceFlag{Name: "env", Usage: "set the environment variable `KEY=VALUE` (repeatable)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text",
				Usage: "output `FORMAT`: text (the payload) or json (the whole result)"},
			&cli.BoolFlag{Name: "no-snapshot", Usage: "initialize the instance by running its initializers, not from a snapshot"},
			&cli.StringFlag{Name: "cache-dir",
				Usage: "keep compiled code in `DIR`, so the next run of the same module skips compiling (default: in memory)"},
		},
		OnUsageError: onUsageError,
		Action:       runAction,
	}
}

// runOptions is a validated "flint run" command line.
type runOptions struct {
	path     string
	cacheDir string
	function engine.Function
	payload  []byte
	json     bool
}

func parseRunOptions(c *cli.Context) (runOptions, error) {
	var o runOptions
	if c.NArg() != 1 {
		return o, usageErrorf("flint run: want one FILE.wasm argument, got %d (see 'flint run --help')", c.NArg())
	}
	o.path = c.Args().First()
	o.cacheDir = c.String("cache-dir")

	switch out := c.String("output"); out {
	case "text":
	case "json":
		o.json = true
	default:
		return o, usageErrorf("flint run: --output %q: use text or json", out)
	}
	// Zero would silently mean the engine's default: refuse it with the rest.
	if t := durationOf(c, "timeout"); t <= 0 {
		return o, usageErrorf("flint run: --timeout %v: must be positive (at most %v)", t, engine.MaxTimeout)
	}
	if m := c.Int("memory"); m <= 0 {
		return o, usageErrorf("flint run: --memory %d: must be a positive number of MB (at most %d)", m, engine.MaxMemoryMB)
	}
	env, err := parseEnv("flint run", c.StringSlice("env"))
	if err != nil {
		return o, err
	}

	code, err := readLimited(o.path, nil, engine.DefaultMaxModuleBytes)
	if err != nil {
		return o, usageErrorf("flint run: %v", err)
	}
	o.payload, err = readPayload(c.String("payload"), c.App.Reader)
	if err != nil {
		return o, usageErrorf("flint run: --payload: %v", err)
	}
	o.function = engine.Function{
		Name:       functionName(o.path),
		Code:       code,
		Handler:    c.String("handler"),
		Timeout:    durationOf(c, "timeout"),
		MemoryMB:   c.Int("memory"),
		Env:        env,
		NoSnapshot: c.Bool("no-snapshot"),
	}
	return o, nil
}

// parseEnv turns KEY=VALUE pairs into a map; the engine checks the keys.
// cmd names the command in the error ("flint run").
func parseEnv(cmd string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	env := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErrorf("%s: --env %q: want KEY=VALUE", cmd, p)
		}
		env[k] = v
	}
	return env, nil
}

// readPayload reads the --payload value: inline, "@file" or "-" (stdin).
// It reads at most one byte over the engine's request limit, so that an
// oversized payload is refused by the engine without being held whole.
func readPayload(arg string, stdin io.Reader) ([]byte, error) {
	switch {
	case arg == "-":
		return readLimited("stdin", stdin, engine.DefaultMaxRequestBytes)
	case strings.HasPrefix(arg, "@"):
		return readLimited(arg[1:], nil, engine.DefaultMaxRequestBytes)
	default:
		return []byte(arg), nil
	}
}

// readLimited reads up to limit+1 bytes of r, or of the file name if r is nil.
func readLimited(name string, r io.Reader, limit int) ([]byte, error) {
	if r == nil {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory", name)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// functionName derives a valid function name from the module's file name:
// "build/guests/hello.wasm" runs as function "hello".
func functionName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := []rune(base)
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			name[i] = '-'
		}
	}
	if len(name) > 64 {
		name = name[:64]
	}
	if s := string(name); names.Function(s) {
		return s
	}
	return "function"
}

func runAction(c *cli.Context) error {
	o, err := parseRunOptions(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	eng, err := engine.New(ctx, engine.Config{CompilationCacheDir: o.cacheDir})
	if err != nil {
		if o.cacheDir != "" {
			return usageErrorf("flint run: --cache-dir: %v", err)
		}
		return &exitError{code: exitInternal, msg: "flint run: start the engine: " + err.Error()}
	}
	// The invocation is over by then; a failure to tear down has no
	// bearing on the result.
	defer func() { _ = eng.Close(context.WithoutCancel(ctx)) }()

	if _, err := eng.Deploy(ctx, o.function); err != nil {
		return deployError(o.path, err)
	}
	res, err := eng.Invoke(ctx, o.function.Name, o.payload)
	if err != nil {
		return invokeError(err)
	}

	// The log as Lambda writes it, with its START, END and REPORT lines
	// (Duration, Billed Duration, Memory Size, Max Memory Used, and Init
	// Duration for this cold start), as sam local invoke shows it.
	if err := writeShown(c.App.ErrWriter, res.Log()); err != nil {
		return &exitError{code: exitInternal, msg: "flint run: write log: " + err.Error()}
	}
	if o.json {
		err = writeJSON(c.App.Writer, res)
	} else if res.FunctionError == nil {
		err = writeShown(c.App.Writer, append(res.Payload, '\n'))
	}
	if err != nil {
		return &exitError{code: exitInternal, msg: "flint run: write response: " + err.Error()}
	}
	if fe := res.FunctionError; fe != nil {
		return &exitError{code: exitFunctionError, msg: functionErrorLine(fe.Type, fe.Message)}
	}
	return nil
}

// deployError says why the module or its configuration was refused.
func deployError(path string, err error) error {
	var me *engine.ModuleError
	switch {
	case errors.As(err, &me):
		return usageErrorf("flint run: %s: %s", path, me.Reason)
	case errors.Is(err, engine.ErrInvalidFunction):
		return usageErrorf("flint run: %v", err)
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInternal, msg: "flint run: interrupted"}
	}
	return &exitError{code: exitInternal, msg: "flint run: deploy: " + err.Error()}
}

// invokeError reports an invocation that could not run at all; a function
// that ran and failed is a Result.FunctionError instead.
func invokeError(err error) error {
	switch {
	case errors.Is(err, engine.ErrPayloadTooLarge):
		return usageErrorf("flint run: %v", err)
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInternal, msg: "flint run: interrupted"}
	}
	return &exitError{code: exitInternal, msg: "flint run: invoke: " + err.Error()}
}

// jsonResult is the -o json output: the whole Result.
type jsonResult struct {
	RequestID       string             `json:"requestId"`
	Payload         any                `json:"payload"` // JSON as is, else a string; null on error
	FunctionError   *jsonFunctionError `json:"functionError"`
	DurationMS      float64            `json:"durationMs"`
	Cold            bool               `json:"cold"`
	InitDurationMS  float64            `json:"initDurationMs"`
	MemoryUsedBytes uint64             `json:"memoryUsedBytes"`
}

type jsonFunctionError struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	Unhandled bool   `json:"unhandled"`
}

func writeJSON(w io.Writer, res *engine.Result) error {
	out := jsonResult{
		RequestID:       res.RequestID,
		DurationMS:      milliseconds(res.Duration),
		Cold:            res.Cold,
		InitDurationMS:  milliseconds(res.InitDuration),
		MemoryUsedBytes: res.MemoryUsed,
	}
	switch {
	case res.Payload == nil:
	case json.Valid(res.Payload):
		out.Payload = json.RawMessage(res.Payload)
	default:
		out.Payload = string(res.Payload)
	}
	if fe := res.FunctionError; fe != nil {
		out.FunctionError = &jsonFunctionError{Type: fe.Type, Message: fe.Message, Unhandled: fe.Unhandled}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
