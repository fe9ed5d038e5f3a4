// Command flint is Flint's command-line interface: it runs WebAssembly
// functions on the embedded engine, serves them, and manages a running
// server.
//
//	flint run FILE.wasm [--payload JSON|@file|-] [flags]
//	flint serve [--listen ADDR] [--data DIR] [flags]
//	flint new NAME --lang go|c|wat
//	flint build [DIR] [--zip]
//	flint deploy NAME FILE.wasm|DIR [flags]
//	flint invoke NAME[:QUALIFIER] [--payload JSON|@file|-] [flags]
//	flint ls | get | rm | publish | alias | concurrency | url | role | logs | dlq | usage
//	flint schedule put | get | ls | rm
//	flint bench [FILE.wasm ... | --example NAME ...] [flags]
//	flint version
//
// The client commands talk to a server (--endpoint, default
// http://127.0.0.1:8080) through the AWS SDK's Lambda client, and to
// Flint's own /flint/v1 API with requests signed the same way.
//
// Exit status: 0 success, 1 the function failed, 2 bad usage or input
// (flags, unreadable file, invalid module, a request the server refused),
// 3 Flint itself failed (or the server could not be reached).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit statuses of the flint command.
const (
	exitOK            = 0
	exitFunctionError = 1 // the function ran and failed (returned an error, trapped, timed out)
	exitUsage         = 2 // bad flags, arguments or input files: fix the command line
	exitInternal      = 3 // Flint could not do its part (engine start, throttling, interruption)
)

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }

// run is the whole command, with its streams as arguments so tests can
// drive it in-process. It returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// urfave/cli's own failures (unknown help topic, ...) are usage errors.
		ee = &exitError{code: exitUsage, msg: "flint: " + err.Error()}
	}
	if ee.msg != "" {
		fmt.Fprintln(stderr, ee.msg)
	}
	return ee.code
}

// newApp builds the command tree writing to the given streams.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                      "flint",
		Usage:                     "run AWS-Lambda-style functions compiled to WebAssembly",
		Version:                   buildVersions().flint,
		Reader:                    stdin,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		EnableBashCompletion:      true,
		DisableSliceFlagSeparator: true, // --env K=a,b keeps its comma
		Commands: []*cli.Command{
			serveCommand(), runCommand(), newCommand(), buildCommand(),
			deployCommand(), invokeCommand(), lsCommand(), getCommand(), rmCommand(), publishCommand(),
			aliasCommand(), concurrencyCommand(), urlCommand(), roleCommand(), logsCommand(), dlqCommand(), usageCommand(), clusterCommand(),
			streamCommand(), sourceCommand(),
			benchCommand(), versionCommand(), completionCommand(),
			scheduleCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("flint: unknown command %q; see 'flint --help'", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		OnUsageError: onUsageError,
		// Errors are reported by run, which picks the exit status; the
		// default handler would call os.Exit from inside the library.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// exitError ends the command with an exit status and one line for stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func internalErrorf(format string, args ...any) error {
	return &exitError{code: exitInternal, msg: fmt.Sprintf(format, args...)}
}

// onUsageError turns a flag parsing failure into one line and exit status 2,
// instead of urfave/cli's default of the error followed by the whole help.
func onUsageError(c *cli.Context, err error, _ bool) error {
	name := commandName(c)
	return usageErrorf("%s: %v (see '%s --help')", name, err, name)
}

// commandName is the command being run as typed: "flint alias set".
func commandName(c *cli.Context) string {
	switch {
	case c.Command == nil || c.Command.Name == "":
		return c.App.Name
	case c.Command.HelpName != "":
		return c.Command.HelpName
	}
	return c.App.Name + " " + c.Command.FullName()
}

// flagsFirst lets flags follow positional arguments, as in
// "flint run f.wasm --payload {}": urfave/cli v2 parses with the standard
// flag package, which stops at the first positional argument. It moves the
// chosen command's (or subcommand's) flags (with their values) ahead of
// its positional arguments, which it puts after "--".
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 || args[len(args)-1] == "--generate-bash-completion" {
		return args
	}
	// The root's own flags (--help, --version) take no value, so the
	// command is the first argument that is not a flag.
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	// "flint alias set ...": the flags are the subcommand's.
	for i+1 < len(args) && len(cmd.Subcommands) > 0 {
		sub := cmd.Command(args[i+1])
		if sub == nil {
			break
		}
		cmd, i = sub, i+1
	}
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			j = len(rest)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !strings.Contains(a, "=") && takesValue(cmd, strings.TrimLeft(a, "-")) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			positional = append(positional, a)
		}
	}
	out := slices.Clone(args[:i+1])
	out = append(out, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

// takesValue reports whether cmd has a flag called name that takes a value.
func takesValue(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			tv, ok := f.(interface{ TakesValue() bool })
			return ok && tv.TakesValue()
		}
	}
	return false
}
