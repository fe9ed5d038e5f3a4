package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/bench/runner"
	"github.com/flintfaas/flint/engine"
	"github.com/urfave/cli/v2"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// benchMaxConcurrency caps --concurrency levels.
const benchMaxConcurrency = 4096

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure cold, pre-initialized and warm starts honestly, beside native Go and other hosts",
		ArgsUsage: "[FILE.wasm ...] [--example NAME ...]\n" +
			"   flint bench --compare OLD.json[,OLD2.json...] NEW.json[,NEW2.json...]",
		Description: "Measures, in one process and interleaved (round-robin in short batches, so that\n" +
			"machine noise falls on every scenario alike), how Flint serves each module:\n" +
			"compile, restart, reload (after an unload), cold, snapshot-cold, recycled,\n" +
			"pre-initialized (and -lazy, without prefault) and warm, beside\n" +
			"the same work as native Go (examples) and on other hosts: a hand-rolled wazero\n" +
			"host and Extism's Go SDK. The output says what each row means.\n\n" +
			"Examples (need a Flint source checkout): " + strings.Join(runner.Examples(), ", ") + ".\n\n" +
			"--concurrency adds throughput and tail latency with that many concurrent callers;\n" +
			"--http adds the gateway (Invoke API, function URL) and a bare server, driven by wrk.\n" +
			"-o json writes the report in the schema of bench/schema.json; --compare tells\n" +
			"whether two reports differ beyond noise (Mann-Whitney U over per-batch medians).\n\n" +
			"Exit status: 0 success, 1 a scenario failed (the others are reported),\n" +
			"2 bad usage or input, 3 Flint failed.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "example", Usage: "measure the built-in example `NAME` (repeatable)"},
			&cli.StringFlag{Name: "payload", Aliases: []string{"p"},
				Usage: "the event: inline `JSON`, @FILE to read a file, or - to read stdin (default: {\"name\":\"ana\"} for examples, {} for files)"},
			&cli.DurationFlag{Name: "duration", Value: runner.DefaultDuration, Usage: "measure each scenario for `DURATION`"},
			&cli.IntFlag{Name: "iterations", Usage: "time each scenario for `N` operations instead of a duration", DefaultText: "by --duration"},
			&cli.StringFlag{Name: "concurrency", Usage: "measure throughput with these numbers of concurrent callers, a `LIST` such as 1,8,64"},
			&cli.BoolFlag{Name: "http", Usage: "also measure over HTTP with wrk at each --concurrency level (1 when not given)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "output `FORMAT`: table, json or markdown"},
			&cli.StringFlag{Name: "chart", Usage: "write an SVG chart of the results to `FILE`"},
			&cli.StringFlag{Name: "save", Usage: "also write the JSON report to `FILE`, for --compare later"},
			&cli.BoolFlag{Name: "compare", Usage: "compare two JSON reports (each side: a file or a comma-separated list of runs)"},
			&cli.DurationFlag{Name: "timeout", Value: engine.DefaultTimeout, Usage: "the longest one invocation may run, a `DURATION`"},
			&cli.IntFlag{Name: "instances", Value: runner.DefaultInstances, Usage: "measure an idle instance's memory over `N` instances (0: skip)"},
			&cli.StringFlag{Name: "handler", Value: abi.DefaultHandler, Usage: "the `NAME` of the export to call (FILE.wasm only)"},
			&cli.StringSliceFlag{Name: "env", Usage: "set the environment variable `KEY=VALUE` for FILE.wasm guests (repeatable)"},
		},
		OnUsageError: onUsageError,
		Action:       benchAction,
	}
}

// benchOptions is a validated "flint bench" command line.
type benchOptions struct {
	run       runner.Options
	files     []string
	examples  []string
	handler   string
	env       map[string]string
	format    string
	chart     *os.File
	save      *os.File
	compare   []string
	showsBars bool
}

func benchUsage(format string, args ...any) error {
	return usageErrorf("flint bench: "+format, args...)
}

func parseBenchOptions(c *cli.Context) (*benchOptions, error) {
	o := &benchOptions{format: c.String("output"), handler: c.String("handler")}
	switch o.format {
	case "table", "json", "markdown":
	default:
		return nil, benchUsage("--output %q: use table, json or markdown", o.format)
	}
	if c.Bool("compare") {
		if c.NArg() != 2 {
			return nil, benchUsage("--compare wants two reports, OLD.json NEW.json, got %d (see 'flint bench --help')", c.NArg())
		}
		o.compare = c.Args().Slice()
		return o, nil
	}
	o.files = c.Args().Slice()
	o.examples = c.StringSlice("example")
	if len(o.files) == 0 && len(o.examples) == 0 {
		return nil, benchUsage("give FILE.wasm or --example NAME (%s); see 'flint bench --help'", strings.Join(runner.Examples(), ", "))
	}
	if c.IsSet("duration") && c.IsSet("iterations") {
		return nil, benchUsage("--duration and --iterations: give one")
	}
	if d := c.Duration("duration"); d <= 0 {
		return nil, benchUsage("--duration %v: must be positive", d)
	}
	if n := c.Int("iterations"); n < 0 {
		return nil, benchUsage("--iterations %d: must be positive", n)
	}
	if t := c.Duration("timeout"); t < time.Millisecond || t > engine.MaxTimeout {
		return nil, benchUsage("--timeout %v: must be between 1ms and %v", t, engine.MaxTimeout)
	}
	if n := c.Int("instances"); n < 0 || n > 10000 {
		return nil, benchUsage("--instances %d: must be between 0 and 10000", n)
	}
	levels, err := parseLevels(c.String("concurrency"))
	if err != nil {
		return nil, err
	}
	if c.Bool("http") && len(levels) == 0 {
		levels = []int{1}
	}
	env, err := parseEnv("flint bench", c.StringSlice("env"))
	if err != nil {
		return nil, err
	}
	o.env = env
	o.run = runner.Options{
		Duration: c.Duration("duration"), Iterations: c.Int("iterations"), Concurrency: levels,
		HTTP: c.Bool("http"), Timeout: c.Duration("timeout"), Instances: c.Int("instances"),
	}
	if o.run.Instances == 0 {
		o.run.Instances = -1
	}
	if c.IsSet("payload") {
		if o.run.Payload, err = readPayload(c.String("payload"), c.App.Reader); err != nil {
			return nil, benchUsage("--payload: %v", err)
		}
		if len(o.run.Payload) > engine.DefaultMaxRequestBytes {
			return nil, benchUsage("--payload: %d bytes, over the %d-byte limit", len(o.run.Payload), engine.DefaultMaxRequestBytes)
		}
	}
	// Output files are opened now, so that a bad path fails at once rather
	// than after minutes of measuring.
	if o.chart, err = openOutput("--chart", c.String("chart")); err != nil {
		return nil, err
	}
	if o.save, err = openOutput("--save", c.String("save")); err != nil {
		o.close()
		return nil, err
	}
	o.showsBars = o.format != "json" && isTerminal(c.App.ErrWriter)
	return o, nil
}

// parseLevels parses --concurrency: positive integers separated by commas.
func parseLevels(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > benchMaxConcurrency {
			return nil, benchUsage("--concurrency %q: want a list of numbers from 1 to %d, such as 1,8,64", s, benchMaxConcurrency)
		}
		out = append(out, n)
	}
	return out, nil
}

// openOutput opens (creating) a file the command writes at the end.
func openOutput(flag, path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, benchUsage("%s: %v", flag, errors.Unwrap(err))
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, benchUsage("%s: %s is a directory", flag, path)
	}
	return f, nil
}

func (o *benchOptions) close() {
	for _, f := range []*os.File{o.chart, o.save} {
		if f != nil {
			f.Close()
		}
	}
}

func benchAction(c *cli.Context) error {
	o, err := parseBenchOptions(c)
	if err != nil {
		return err
	}
	defer o.close()
	if o.compare != nil {
		return benchCompare(c, o)
	}
	ctx := c.Context

	bar := newBenchProgress(c.App.ErrWriter, o.showsBars)
	defer bar.stop()
	specs, err := benchGuests(ctx, o, bar)
	if err != nil {
		return err
	}
	v := buildVersions()
	o.run.Guests = specs
	o.run.Build = runner.Build{Version: v.flint, Commit: runner.Commit(), GoVersion: v.goVersion, Wazero: v.wazero}
	o.run.Progress = bar.update
	rep, err := runner.Run(ctx, o.run)
	bar.stop()
	var ge *runner.GuestError
	switch {
	case errors.As(err, &ge):
		return benchUsage("%s", benchDeployReason(ge))
	case errors.Is(err, context.Canceled) || (err != nil && ctx.Err() != nil):
		return internalErrorf("flint bench: interrupted")
	case err != nil:
		return internalErrorf("flint bench: %v", err)
	}

	if err := writeBench(c.App.Writer, o.format, rep); err != nil {
		return internalErrorf("flint bench: write the report: %v", err)
	}
	if err := writeBenchFile(o.chart, func(w io.Writer) error { return runner.WriteChart(w, rep) }); err != nil {
		return internalErrorf("flint bench: --chart: %v", err)
	}
	if err := writeBenchFile(o.save, func(w io.Writer) error { return benchJSON(w, rep) }); err != nil {
		return internalErrorf("flint bench: --save: %v", err)
	}
	if failed := benchFailures(rep); len(failed) > 0 {
		return &exitError{code: exitFunctionError, msg: fmt.Sprintf("flint bench: %d failed: %s", len(failed), strings.Join(failed, "; "))}
	}
	return nil
}

// benchGuests loads the modules to measure: files first, then examples
// (building the Go ones).
func benchGuests(ctx context.Context, o *benchOptions, bar *benchProgress) ([]runner.GuestSpec, error) {
	var specs []runner.GuestSpec
	for _, path := range o.files {
		spec, err := runner.File(path)
		if err != nil {
			return nil, benchUsage("%v", benchFileError(err))
		}
		spec.Handler, spec.Env = o.handler, o.env
		specs = append(specs, spec)
	}
	for _, name := range o.examples {
		bar.update(0, "building "+name)
		spec, err := runner.Example(ctx, name)
		switch {
		case errors.Is(err, runner.ErrUnknownExample), errors.Is(err, runner.ErrNoCheckout):
			return nil, benchUsage("%v", err)
		case ctx.Err() != nil:
			return nil, internalErrorf("flint bench: interrupted")
		case err != nil:
			return nil, internalErrorf("flint bench: %v", err)
		}
		specs = append(specs, spec)
	}
	// Names label the output and key --compare: keep them distinct.
	seen := map[string]int{}
	for i := range specs {
		seen[specs[i].Name]++
		if n := seen[specs[i].Name]; n > 1 {
			specs[i].Name += "-" + strconv.Itoa(n)
		}
	}
	return specs, nil
}

// benchFileError says what is wrong with a FILE.wasm argument.
func benchFileError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// benchDeployReason says why the engine refused a guest.
func benchDeployReason(ge *runner.GuestError) string {
	var me *engine.ModuleError
	if !errors.As(ge.Err, &me) {
		return ge.Error()
	}
	if ge.Path != "" {
		return ge.Path + ": " + me.Reason
	}
	return ge.Guest + ": " + me.Reason
}

// benchFailures lists what failed in the run, one phrase each.
func benchFailures(rep *runner.Report) []string {
	var out []string
	for _, g := range rep.Guests {
		for _, s := range g.Scenarios {
			if s.Status == runner.StatusFailed {
				out = append(out, fmt.Sprintf("%s/%s (%s)", g.Name, s.Name, s.Reason))
			}
		}
		for _, l := range g.Concurrency {
			if l.Status == runner.StatusFailed {
				out = append(out, fmt.Sprintf("%s at %d callers (%s)", g.Name, l.Concurrency, l.Reason))
			}
		}
		for _, h := range g.HTTP {
			if h.Status == runner.StatusFailed {
				out = append(out, fmt.Sprintf("%s %s at %d connections (%s)", g.Name, h.Target, h.Concurrency, h.Reason))
			}
		}
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return out
}

func writeBench(w io.Writer, format string, rep *runner.Report) error {
	switch format {
	case "json":
		return benchJSON(w, rep)
	case "markdown":
		return runner.WriteMarkdown(w, rep)
	default:
		return runner.WriteTable(w, rep)
	}
}

func benchJSON(w io.Writer, rep *runner.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeBenchFile replaces f's content with what write writes.
func writeBenchFile(f *os.File, write func(io.Writer) error) error {
	if f == nil {
		return nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	return f.Close()
}

// benchCompare prints the change of every scenario between two reports.
func benchCompare(c *cli.Context, o *benchOptions) error {
	var sides [2]*runner.Report
	for i, arg := range o.compare {
		r, err := runner.ReadReports(strings.Split(arg, ",")...)
		if err != nil {
			return benchUsage("--compare: %v", benchFileError(err))
		}
		sides[i] = r
	}
	changes := runner.Compare(sides[0], sides[1])
	if err := runner.WriteCompare(c.App.Writer, changes); err != nil {
		return internalErrorf("flint bench: write: %v", err)
	}
	return nil
}

// benchProgress is the progress bar on stderr, or nothing.
type benchProgress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	label atomic.Value // string
	done  bool
}

func newBenchProgress(w io.Writer, show bool) *benchProgress {
	b := &benchProgress{}
	b.label.Store("starting")
	if !show {
		return b
	}
	b.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	b.bar = b.p.AddBar(1000,
		mpb.PrependDecorators(decor.Name("flint bench "), decor.Percentage(decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_MMSS), decor.Any(func(decor.Statistics) string {
			return "  " + b.label.Load().(string)
		})),
		mpb.BarRemoveOnComplete(),
	)
	return b
}

// update sets how far the run is and what it is doing.
func (b *benchProgress) update(fraction float64, label string) {
	b.label.Store(label)
	if b.bar != nil {
		b.bar.SetCurrent(int64(fraction * 999)) // 1000 only when stopped
	}
}

// stop removes the bar; it is safe to call more than once.
func (b *benchProgress) stop() {
	if b.bar == nil || b.done {
		return
	}
	b.done = true
	b.bar.SetCurrent(1000)
	b.p.Wait()
}
