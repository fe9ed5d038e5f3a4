package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/names"
	"github.com/urfave/cli/v2"
)

// wantArgs checks the number of positional arguments.
func wantArgs(c *cli.Context, n int, usage string) error {
	if c.NArg() == n {
		return nil
	}
	name := commandName(c)
	return usageErrorf("%s: want %s, got %d argument(s) (see '%s --help')", name, usage, c.NArg(), name)
}

// splitTarget splits NAME[:QUALIFIER]. A function ARN is passed whole:
// the server parses it.
func splitTarget(c *cli.Context, s string) (name, qualifier string, err error) {
	if strings.HasPrefix(s, "arn:") {
		return s, "", nil
	}
	name, qualifier, found := strings.Cut(s, ":")
	if name == "" || (found && qualifier == "") {
		return "", "", usageErrorf("%s: %q: want NAME or NAME:QUALIFIER", commandName(c), s)
	}
	return name, qualifier, nil
}

// subject names a function (and qualifier) in messages.
func subject(name, qualifier string) string {
	if qualifier == "" {
		return "function " + name
	}
	return "function " + name + ":" + qualifier
}

// functionOut is a function version as -o json prints it.
type functionOut struct {
	Name                string            `json:"name"`
	Version             string            `json:"version"`
	Arn                 string            `json:"arn"`
	Description         string            `json:"description"`
	Role                string            `json:"role"`
	Handler             string            `json:"handler"`
	MemoryMB            int32             `json:"memoryMB"`
	TimeoutSeconds      int32             `json:"timeoutSeconds"`
	CodeSize            int64             `json:"codeSize"`
	CodeSha256          string            `json:"codeSha256"`
	LastModified        string            `json:"lastModified"`
	RevisionID          string            `json:"revisionId"`
	Env                 map[string]string `json:"env,omitempty"`
	ReservedConcurrency *int32            `json:"reservedConcurrency,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	Snapshots           string            `json:"snapshots,omitempty"` // on or off: Lambda's SnapStart
	TmpSizeMB           int32             `json:"tmpSizeMB,omitempty"`
}

func functionOf(fc *types.FunctionConfiguration) functionOut {
	if fc == nil {
		return functionOut{}
	}
	out := functionOut{
		Name: aws.ToString(fc.FunctionName), Version: aws.ToString(fc.Version), Arn: aws.ToString(fc.FunctionArn),
		Description: aws.ToString(fc.Description), Role: aws.ToString(fc.Role), Handler: aws.ToString(fc.Handler),
		MemoryMB: aws.ToInt32(fc.MemorySize), TimeoutSeconds: aws.ToInt32(fc.Timeout), CodeSize: fc.CodeSize,
		CodeSha256: aws.ToString(fc.CodeSha256), LastModified: aws.ToString(fc.LastModified), RevisionID: aws.ToString(fc.RevisionId),
	}
	if fc.Environment != nil && len(fc.Environment.Variables) > 0 {
		out.Env = fc.Environment.Variables
	}
	if fc.SnapStart != nil {
		out.Snapshots = strings.ToLower(string(fc.SnapStart.OptimizationStatus))
	}
	if fc.EphemeralStorage != nil {
		out.TmpSizeMB = aws.ToInt32(fc.EphemeralStorage.Size)
	}
	return out
}

// printFunction prints one function as "field  value" lines.
func printFunction(cl *client, f functionOut) error {
	t := newTable(cl.stdout)
	t.row("name", f.Name)
	t.row("version", f.Version)
	t.row("arn", f.Arn)
	t.row("description", orDash(f.Description))
	t.row("role", orDash(f.Role))
	t.row("handler", orDash(f.Handler))
	t.row("memory", fmt.Sprintf("%d MB", f.MemoryMB))
	t.row("timeout", fmt.Sprintf("%ds", f.TimeoutSeconds))
	if f.TmpSizeMB > 0 {
		t.row("/tmp", fmt.Sprintf("%d MB", f.TmpSizeMB))
	}
	t.row("code size", humanBytes(f.CodeSize))
	t.row("code sha256", f.CodeSha256)
	t.row("last modified", shortTime(f.LastModified))
	t.row("revision", f.RevisionID)
	if f.Snapshots != "" {
		t.row("snapshots", f.Snapshots)
	}
	if f.ReservedConcurrency != nil {
		t.row("reserved concurrency", *f.ReservedConcurrency)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Env)) {
		t.row("env", k+"="+f.Env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		t.row("tag", k+"="+f.Tags[k])
	}
	return t.flush()
}

// ---- deploy ----

func deployCommand() *cli.Command {
	return &cli.Command{
		Name:      "deploy",
		Usage:     "create a function on the server, or update its code and configuration",
		ArgsUsage: "NAME FILE.wasm|DIR",
		Description: `Uploads FILE.wasm as function NAME, zipped as a Lambda deployment package;
given a folder of sources instead, it builds it first, as "flint build" does.
If NAME exists, its code is replaced when it changed, and the configuration
flags given replace those settings (the others are kept); deploying the same
module and flags again changes nothing. --env replaces the whole environment.`,
		Flags: withClientFlags(
			&cli.StringFlag{Name: "role", Usage: "run with the execution policy of role `ROLE` (a name or an IAM role ARN; new functions: default)"},
			&cli.StringSliceFlag{Name: "env", Usage: "set the environment variable `KEY=VALUE` (repeatable)"},
			durationFlag("timeout", "the longest an invocation may run: a `DURATION` (3s, 1m) or a number of seconds, rounded up to whole seconds",
				0, "3s for a new function; else kept"),
			&cli.IntFlag{Name: "memory", Usage: "the memory limit in `MB`", DefaultText: fmt.Sprintf("%d for a new function; else kept", engine.DefaultMemoryMB)},
			&cli.StringFlag{Name: "handler", Usage: "the `NAME` of the export to call (default: the ABI's)"},
			&cli.StringFlag{Name: "description", Usage: "a `TEXT` describing the function"},
			&cli.BoolFlag{Name: "publish", Usage: "publish a version once deployed"},
			&cli.BoolFlag{Name: "no-snapshot", Usage: "start instances by running their initializers, not from a snapshot (--no-snapshot=false turns snapshots back on)"},
			&cli.IntFlag{Name: "tmp-size", Usage: fmt.Sprintf("the size of each instance's writable /tmp in `MB`, %d to %d",
				engine.DefaultEphemeralStorageMB, engine.MaxEphemeralStorageMB), DefaultText: fmt.Sprintf("%d for a new function; else kept", engine.DefaultEphemeralStorageMB)},
		),
		OnUsageError: onUsageError,
		Action:       clientAction(deployAction),
	}
}

// deployOut is what deploy did, for -o json.
type deployOut struct {
	Action    string      `json:"action"` // created, updated or unchanged
	Changed   []string    `json:"changed,omitempty"`
	Published string      `json:"publishedVersion,omitempty"`
	Function  functionOut `json:"function"`
	Built     *buildOut   `json:"built,omitempty"` // when given a folder
}

// roleArn turns a role name into the ARN the Lambda API takes.
func roleArn(role string) string {
	if strings.HasPrefix(role, "arn:") {
		return role
	}
	return "arn:aws:iam::" + gateway.DefaultAccountID + ":role/" + role
}

// roleNameOf is the role's name: the last segment of its ARN.
func roleNameOf(arn string) string {
	return arn[strings.LastIndexAny(arn, "/:")+1:]
}

// zipModule packs a module as a Lambda deployment package: a zip holding
// the one .wasm file.
func zipModule(name string, code []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(code); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func deployAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 2, "NAME FILE.wasm|DIR"); err != nil {
		return err
	}
	name, path := c.Args().Get(0), c.Args().Get(1)
	if !names.Function(name) {
		return usageErrorf("%s: function name %q: use 1 to 64 letters, digits, hyphens or underscores", cl.cmd, name)
	}
	var built *buildOut
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		// The server checks the module as it deploys it: no check here.
		b, err := buildDir(c.Context, cl.cmd, path, buildOptions{})
		if err != nil {
			return err
		}
		built, path = &b, b.Wasm
		if !cl.json {
			if err := b.print(cl.stdout); err != nil {
				return internalErrorf("%s: %v", cl.cmd, err)
			}
		}
	}
	var timeout, memory *int32
	if c.IsSet("timeout") {
		secs, note, err := lambdaSeconds(cl.cmd, durationOf(c, "timeout"))
		if err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(cl.stderr, note)
		}
		timeout = aws.Int32(secs)
	}
	if c.IsSet("memory") {
		m := c.Int("memory")
		if m <= 0 {
			return usageErrorf("%s: --memory %d: must be a positive number of MB (at most %d)", cl.cmd, m, engine.MaxMemoryMB)
		}
		memory = aws.Int32(int32(min(m, 1<<30)))
	}
	var tmp *types.EphemeralStorage
	if c.IsSet("tmp-size") {
		n := c.Int("tmp-size")
		if n < engine.DefaultEphemeralStorageMB || n > engine.MaxEphemeralStorageMB {
			return usageErrorf("%s: --tmp-size %d: must be between %d and %d MB, as on Lambda", cl.cmd, n,
				engine.DefaultEphemeralStorageMB, engine.MaxEphemeralStorageMB)
		}
		tmp = &types.EphemeralStorage{Size: aws.Int32(int32(n))}
	}
	env, err := parseEnv(cl.cmd, c.StringSlice("env"))
	if err != nil {
		return err
	}
	code, err := readLimited(path, nil, engine.DefaultMaxModuleBytes)
	if err != nil {
		return usageErrorf("%s: %v", cl.cmd, err)
	}
	switch {
	case len(code) > engine.DefaultMaxModuleBytes:
		return usageErrorf("%s: %s is over the %d-byte module limit", cl.cmd, path, engine.DefaultMaxModuleBytes)
	case !bytes.HasPrefix(code, []byte("\x00asm")):
		return usageErrorf("%s: %s is not a WebAssembly module", cl.cmd, path)
	}
	pkg, err := zipModule(filepath.Base(path), code)
	if err != nil {
		return internalErrorf("%s: zip %s: %v", cl.cmd, path, err)
	}
	sum := sha256.Sum256(code)
	sha := base64.StdEncoding.EncodeToString(sum[:])

	ctx := c.Context
	cur, err := cl.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	var out deployOut
	switch {
	case errors.As(err, &nf):
		in := &lambda.CreateFunctionInput{
			FunctionName:     aws.String(name),
			Role:             aws.String(roleArn(gateway.DefaultRole)),
			Code:             &types.FunctionCode{ZipFile: pkg},
			Timeout:          timeout,
			MemorySize:       memory,
			Publish:          c.Bool("publish"),
			EphemeralStorage: tmp,
		}
		if c.IsSet("role") {
			in.Role = aws.String(roleArn(c.String("role")))
		}
		if c.IsSet("handler") {
			in.Handler = aws.String(c.String("handler"))
		}
		if c.IsSet("description") {
			in.Description = aws.String(c.String("description"))
		}
		if env != nil {
			in.Environment = &types.Environment{Variables: env}
		}
		if c.IsSet("no-snapshot") {
			in.SnapStart = snapStart(c.Bool("no-snapshot"))
		}
		fc, err := cl.lambda.CreateFunction(ctx, in)
		if err != nil {
			return cl.fail(err, subject(name, ""))
		}
		out = deployOut{Action: "created", Function: functionOf(createdConfig(fc))}
		if in.Publish {
			out.Published = out.Function.Version
		}
	case err != nil:
		return cl.fail(err, subject(name, ""))
	default:
		out, err = updateFunction(c, cl, name, cur.Configuration, pkg, sha, timeout, memory, env, tmp)
		if err != nil {
			return err
		}
	}

	out.Built = built
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	switch out.Action {
	case "created":
		fmt.Fprintf(cl.stdout, "created function %s (%s)\n", name, humanBytes(out.Function.CodeSize))
	case "updated":
		fmt.Fprintf(cl.stdout, "updated function %s: %s\n", name, strings.Join(out.Changed, " and "))
	default:
		fmt.Fprintf(cl.stdout, "function %s is up to date\n", name)
	}
	if out.Published != "" {
		fmt.Fprintf(cl.stdout, "published version %s\n", out.Published)
	}
	return nil
}

// snapStart is the Lambda setting for --no-snapshot: Flint's snapshots
// are Lambda's SnapStart.
func snapStart(off bool) *types.SnapStart {
	if off {
		return &types.SnapStart{ApplyOn: types.SnapStartApplyOnNone}
	}
	return &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}
}

// createdConfig is CreateFunction's answer as a configuration.
func createdConfig(o *lambda.CreateFunctionOutput) *types.FunctionConfiguration {
	return &types.FunctionConfiguration{
		FunctionName: o.FunctionName, FunctionArn: o.FunctionArn, Version: o.Version, Description: o.Description,
		Role: o.Role, Handler: o.Handler, MemorySize: o.MemorySize, Timeout: o.Timeout, CodeSize: o.CodeSize,
		CodeSha256: o.CodeSha256, LastModified: o.LastModified, RevisionId: o.RevisionId, Environment: o.Environment,
		SnapStart: o.SnapStart, EphemeralStorage: o.EphemeralStorage,
	}
}

// updateFunction brings an existing function to the module and flags
// given, changing only what differs.
func updateFunction(c *cli.Context, cl *client, name string, cur *types.FunctionConfiguration, pkg []byte, sha string,
	timeout, memory *int32, env map[string]string, tmp *types.EphemeralStorage) (deployOut, error) {
	ctx := c.Context
	out := deployOut{Action: "unchanged", Function: functionOf(cur)}
	if cur == nil {
		cur = &types.FunctionConfiguration{}
	}
	if aws.ToString(cur.CodeSha256) != sha {
		fc, err := cl.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: pkg})
		if err != nil {
			return out, cl.fail(err, subject(name, ""))
		}
		out.Changed = append(out.Changed, "code")
		out.Function = functionOf(&types.FunctionConfiguration{
			FunctionName: fc.FunctionName, FunctionArn: fc.FunctionArn, Version: fc.Version, Description: fc.Description,
			Role: fc.Role, Handler: fc.Handler, MemorySize: fc.MemorySize, Timeout: fc.Timeout, CodeSize: fc.CodeSize,
			CodeSha256: fc.CodeSha256, LastModified: fc.LastModified, RevisionId: fc.RevisionId, Environment: fc.Environment,
			SnapStart: fc.SnapStart, EphemeralStorage: fc.EphemeralStorage,
		})
	}

	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name)}
	changed := false
	if c.IsSet("role") && roleNameOf(roleArn(c.String("role"))) != roleNameOf(aws.ToString(cur.Role)) {
		in.Role, changed = aws.String(roleArn(c.String("role"))), true
	}
	if timeout != nil && *timeout != aws.ToInt32(cur.Timeout) {
		in.Timeout, changed = timeout, true
	}
	if memory != nil && *memory != aws.ToInt32(cur.MemorySize) {
		in.MemorySize, changed = memory, true
	}
	if tmp != nil && (cur.EphemeralStorage == nil || aws.ToInt32(cur.EphemeralStorage.Size) != aws.ToInt32(tmp.Size)) {
		in.EphemeralStorage, changed = tmp, true
	}
	if c.IsSet("handler") && c.String("handler") != aws.ToString(cur.Handler) {
		in.Handler, changed = aws.String(c.String("handler")), true
	}
	if c.IsSet("description") && c.String("description") != aws.ToString(cur.Description) {
		in.Description, changed = aws.String(c.String("description")), true
	}
	if c.IsSet("no-snapshot") {
		want := snapStart(c.Bool("no-snapshot"))
		if cur.SnapStart == nil || cur.SnapStart.ApplyOn != want.ApplyOn {
			in.SnapStart, changed = want, true
		}
	}
	if env != nil {
		var have map[string]string
		if cur.Environment != nil {
			have = cur.Environment.Variables
		}
		if !maps.Equal(env, have) {
			in.Environment, changed = &types.Environment{Variables: env}, true
		}
	}
	if changed {
		fc, err := cl.lambda.UpdateFunctionConfiguration(ctx, in)
		if err != nil {
			return out, cl.fail(err, subject(name, ""))
		}
		out.Changed = append(out.Changed, "configuration")
		out.Function = functionOf(&types.FunctionConfiguration{
			FunctionName: fc.FunctionName, FunctionArn: fc.FunctionArn, Version: fc.Version, Description: fc.Description,
			Role: fc.Role, Handler: fc.Handler, MemorySize: fc.MemorySize, Timeout: fc.Timeout, CodeSize: fc.CodeSize,
			CodeSha256: fc.CodeSha256, LastModified: fc.LastModified, RevisionId: fc.RevisionId, Environment: fc.Environment,
			SnapStart: fc.SnapStart, EphemeralStorage: fc.EphemeralStorage,
		})
	}
	if len(out.Changed) > 0 {
		out.Action = "updated"
	}
	if c.Bool("publish") {
		pv, err := cl.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
		if err != nil {
			return out, cl.fail(err, subject(name, ""))
		}
		out.Published = aws.ToString(pv.Version)
	}
	return out, nil
}

// ---- invoke ----

func invokeCommand() *cli.Command {
	return &cli.Command{
		Name:      "invoke",
		Usage:     "invoke a function on the server and print its response",
		ArgsUsage: "NAME[:QUALIFIER]",
		Description: `Invokes the function (or its version or alias QUALIFIER) and prints the
response payload on stdout. --async queues the event and prints its request
id; --dry-run only checks that the invocation would be allowed.

Exit status: 0 success, 1 function error, 2 refused request, 3 server or
connection failure.`,
		Flags: withClientFlags(
			&cli.StringFlag{Name: "payload", Aliases: []string{"p"}, Value: "{}",
				Usage: "the event: inline `JSON`, @FILE to read a file, or - to read stdin"},
			&cli.BoolFlag{Name: "async", Usage: "queue the event (InvocationType Event) instead of waiting for the response"},
			&cli.BoolFlag{Name: "dry-run", Usage: "only check that the invocation would be allowed (InvocationType DryRun)"},
			&cli.BoolFlag{Name: "log", Usage: "print the tail of the invocation's log on stderr"},
		),
		OnUsageError: onUsageError,
		Action:       clientAction(invokeAction),
	}
}

// invokeOut is an invocation's result, for -o json.
type invokeOut struct {
	RequestID       string             `json:"requestId"`
	StatusCode      int32              `json:"statusCode"`
	ExecutedVersion string             `json:"executedVersion,omitempty"`
	Payload         any                `json:"payload"`
	FunctionError   *jsonFunctionError `json:"functionError"`
	Log             string             `json:"log,omitempty"`
}

func invokeAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME[:QUALIFIER]"); err != nil {
		return err
	}
	name, qualifier, err := splitTarget(c, c.Args().First())
	if err != nil {
		return err
	}
	async, dry, withLog := c.Bool("async"), c.Bool("dry-run"), c.Bool("log")
	switch {
	case async && dry:
		return usageErrorf("%s: --async and --dry-run: choose one", cl.cmd)
	case withLog && (async || dry):
		return usageErrorf("%s: --log needs a synchronous invocation (not --async or --dry-run)", cl.cmd)
	}
	payload, err := readPayload(c.String("payload"), cl.stdin)
	if err != nil {
		return usageErrorf("%s: --payload: %v", cl.cmd, err)
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload, InvocationType: types.InvocationTypeRequestResponse}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	switch {
	case async:
		in.InvocationType = types.InvocationTypeEvent
	case dry:
		in.InvocationType = types.InvocationTypeDryRun
	case withLog:
		in.LogType = types.LogTypeTail
	}
	res, err := cl.lambda.Invoke(c.Context, in)
	if err != nil {
		return cl.fail(err, subject(name, qualifier))
	}
	requestID, _ := awsmiddleware.GetRequestIDMetadata(res.ResultMetadata)
	out := invokeOut{RequestID: requestID, StatusCode: res.StatusCode, ExecutedVersion: aws.ToString(res.ExecutedVersion), Payload: rawOrString(res.Payload)}
	if res.LogResult != nil {
		log, err := base64.StdEncoding.DecodeString(*res.LogResult)
		if err != nil {
			return internalErrorf("%s: the server sent a log that is not base64: %v", cl.cmd, err)
		}
		out.Log = string(log)
		if !cl.json {
			if err := writeShown(cl.stderr, log); err != nil {
				return internalErrorf("%s: write log: %v", cl.cmd, err)
			}
		}
	}
	var fnErr error
	if res.FunctionError != nil {
		var body struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		_ = json.Unmarshal(res.Payload, &body)
		out.Payload = nil
		out.FunctionError = &jsonFunctionError{Type: body.Type, Message: body.Message, Unhandled: *res.FunctionError == "Unhandled"}
		fnErr = &exitError{code: exitFunctionError, msg: functionErrorLine(body.Type, body.Message)}
	}

	switch {
	case cl.json:
		err = printJSON(cl.stdout, out)
	case fnErr != nil:
	case async:
		_, err = fmt.Fprintln(cl.stdout, requestID)
	case dry:
		_, err = fmt.Fprintf(cl.stdout, "dry run: %s may be invoked\n", c.Args().First())
	default:
		err = writeShown(cl.stdout, append(res.Payload, '\n'))
	}
	if err != nil {
		return internalErrorf("%s: write response: %v", cl.cmd, err)
	}
	return fnErr
}

// ---- ls, get, rm, publish ----

func lsCommand() *cli.Command {
	return &cli.Command{
		Name:         "ls",
		Usage:        "list the server's functions",
		Flags:        withClientFlags(&cli.BoolFlag{Name: "all", Usage: "list every published version too"}),
		OnUsageError: onUsageError,
		Action: clientAction(func(c *cli.Context, cl *client) error {
			if err := wantArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			in := &lambda.ListFunctionsInput{}
			if c.Bool("all") {
				in.FunctionVersion = types.FunctionVersionAll
			}
			fns := []functionOut{}
			p := lambda.NewListFunctionsPaginator(cl.lambda, in)
			for p.HasMorePages() {
				page, err := p.NextPage(c.Context)
				if err != nil {
					return cl.fail(err, "")
				}
				for i := range page.Functions {
					fns = append(fns, functionOf(&page.Functions[i]))
				}
			}
			if cl.json {
				return printJSON(cl.stdout, fns)
			}
			t := newTable(cl.stdout, "NAME", "VERSION", "MEMORY", "TIMEOUT", "CODE SIZE", "LAST MODIFIED")
			for _, f := range fns {
				t.row(f.Name, f.Version, fmt.Sprintf("%d MB", f.MemoryMB), fmt.Sprintf("%ds", f.TimeoutSeconds), humanBytes(f.CodeSize), shortTime(f.LastModified))
			}
			return t.flush()
		}),
	}
}

func getCommand() *cli.Command {
	return &cli.Command{
		Name:         "get",
		Usage:        "show a function's configuration",
		ArgsUsage:    "NAME[:QUALIFIER]",
		Flags:        withClientFlags(),
		OnUsageError: onUsageError,
		Action: clientAction(func(c *cli.Context, cl *client) error {
			if err := wantArgs(c, 1, "NAME[:QUALIFIER]"); err != nil {
				return err
			}
			name, qualifier, err := splitTarget(c, c.Args().First())
			if err != nil {
				return err
			}
			in := &lambda.GetFunctionInput{FunctionName: aws.String(name)}
			if qualifier != "" {
				in.Qualifier = aws.String(qualifier)
			}
			res, err := cl.lambda.GetFunction(c.Context, in)
			if err != nil {
				return cl.fail(err, subject(name, qualifier))
			}
			f := functionOf(res.Configuration)
			if res.Concurrency != nil {
				f.ReservedConcurrency = res.Concurrency.ReservedConcurrentExecutions
			}
			if len(res.Tags) > 0 {
				f.Tags = res.Tags
			}
			if cl.json {
				return printJSON(cl.stdout, f)
			}
			return printFunction(cl, f)
		}),
	}
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:         "rm",
		Usage:        "delete a function, or one of its published versions",
		ArgsUsage:    "NAME[:VERSION]",
		Flags:        withClientFlags(),
		OnUsageError: onUsageError,
		Action: clientAction(func(c *cli.Context, cl *client) error {
			if err := wantArgs(c, 1, "NAME[:VERSION]"); err != nil {
				return err
			}
			name, version, err := splitTarget(c, c.Args().First())
			if err != nil {
				return err
			}
			in := &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}
			if version != "" {
				in.Qualifier = aws.String(version)
			}
			if _, err := cl.lambda.DeleteFunction(c.Context, in); err != nil {
				return cl.fail(err, subject(name, version))
			}
			if cl.json {
				return printJSON(cl.stdout, map[string]string{"deleted": name, "version": version})
			}
			if version != "" {
				_, err = fmt.Fprintf(cl.stdout, "deleted version %s of function %s\n", version, name)
			} else {
				_, err = fmt.Fprintf(cl.stdout, "deleted function %s\n", name)
			}
			return err
		}),
	}
}

func publishCommand() *cli.Command {
	return &cli.Command{
		Name:         "publish",
		Usage:        "publish a version of a function from its $LATEST",
		ArgsUsage:    "NAME",
		Flags:        withClientFlags(&cli.StringFlag{Name: "description", Usage: "the version's `TEXT`"}),
		OnUsageError: onUsageError,
		Action: clientAction(func(c *cli.Context, cl *client) error {
			if err := wantArgs(c, 1, "NAME"); err != nil {
				return err
			}
			name := c.Args().First()
			in := &lambda.PublishVersionInput{FunctionName: aws.String(name)}
			if c.IsSet("description") {
				in.Description = aws.String(c.String("description"))
			}
			res, err := cl.lambda.PublishVersion(c.Context, in)
			if err != nil {
				return cl.fail(err, subject(name, ""))
			}
			f := functionOf(&types.FunctionConfiguration{
				FunctionName: res.FunctionName, FunctionArn: res.FunctionArn, Version: res.Version, Description: res.Description,
				Role: res.Role, Handler: res.Handler, MemorySize: res.MemorySize, Timeout: res.Timeout, CodeSize: res.CodeSize,
				CodeSha256: res.CodeSha256, LastModified: res.LastModified, RevisionId: res.RevisionId, Environment: res.Environment,
			})
			if cl.json {
				return printJSON(cl.stdout, f)
			}
			_, err = fmt.Fprintf(cl.stdout, "published version %s of function %s\n", f.Version, name)
			return err
		}),
	}
}

// ---- concurrency ----

func concurrencyCommand() *cli.Command {
	return &cli.Command{
		Name:      "concurrency",
		Usage:     "show or set a function's reserved and provisioned concurrency",
		ArgsUsage: "NAME [N]",
		Description: `"flint concurrency NAME" shows the function's reserved concurrency and the
provisioned concurrency of each of its versions and aliases.

"flint concurrency NAME N" reserves N concurrent executions for the function
(at most N run at once). N=0 throttles every invocation: Lambda's way to
switch a function off. --remove removes the reservation (the function then
shares the server's concurrency).

"flint concurrency NAME --provisioned N --qualifier Q" keeps N instances of
version or alias Q initialized; --provisioned 0 removes that.`,
		Flags: withClientFlags(
			&cli.IntFlag{Name: "provisioned", Usage: "keep `N` instances initialized (0 removes)", DefaultText: "not changed"},
			&cli.StringFlag{Name: "qualifier", Usage: "the published version or alias `Q` provisioned concurrency applies to"},
			&cli.BoolFlag{Name: "remove", Usage: "remove the reservation (the function shares the server's concurrency)"},
		),
		OnUsageError: onUsageError,
		Action:       clientAction(concurrencyAction),
	}
}

// concurrencyOut is a function's concurrency, for -o json.
type concurrencyOut struct {
	Function string `json:"function"`
	// Reserved is nil when the function has no reservation; 0 throttles
	// every invocation.
	Reserved *int32 `json:"reservedConcurrency"`
	// Provisioned is by version or alias.
	Provisioned map[string]int32 `json:"provisionedConcurrency"`
}

func concurrencyAction(c *cli.Context, cl *client) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return usageErrorf("%s: want NAME [N], got %d argument(s) (see '%s --help')", cl.cmd, c.NArg(), cl.cmd)
	}
	name, qualifier, err := splitTarget(c, c.Args().First())
	if err != nil {
		return err
	}
	if q := c.String("qualifier"); q != "" {
		if qualifier != "" && qualifier != q {
			return usageErrorf("%s: qualifier %q in the name and --qualifier %q differ", cl.cmd, qualifier, q)
		}
		qualifier = q
	}
	ctx := c.Context
	if c.IsSet("provisioned") {
		n := c.Int("provisioned")
		switch {
		case c.NArg() != 1 || c.Bool("remove"):
			return usageErrorf("%s: --provisioned takes no N argument and no --remove", cl.cmd)
		case qualifier == "":
			return usageErrorf("%s: --provisioned needs --qualifier VERSION|ALIAS (or NAME:QUALIFIER)", cl.cmd)
		case n < 0:
			return usageErrorf("%s: --provisioned %d: must not be negative", cl.cmd, n)
		}
		if n == 0 {
			_, err = cl.lambda.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{
				FunctionName: aws.String(name), Qualifier: aws.String(qualifier)})
		} else {
			_, err = cl.lambda.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String(name), Qualifier: aws.String(qualifier), ProvisionedConcurrentExecutions: aws.Int32(int32(min(n, 1<<30)))})
		}
		if err != nil {
			return cl.fail(err, subject(name, qualifier))
		}
		if cl.json {
			return printJSON(cl.stdout, map[string]any{"function": name, "qualifier": qualifier, "provisionedConcurrency": n})
		}
		_, err = fmt.Fprintf(cl.stdout, "provisioned concurrency of %s:%s: %d\n", name, qualifier, n)
		return err
	}
	if qualifier != "" {
		return usageErrorf("%s: reserved concurrency is the whole function's: give NAME without a qualifier", cl.cmd)
	}

	switch {
	case c.Bool("remove") && c.NArg() == 2:
		return usageErrorf("%s: --remove takes no N argument", cl.cmd)
	case c.Bool("remove"):
		if _, err := cl.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil {
			return cl.fail(err, subject(name, ""))
		}
	case c.NArg() == 2:
		n, err := strconv.Atoi(c.Args().Get(1))
		if err != nil || n < 0 {
			return usageErrorf("%s: N %q: want a number of concurrent executions (0 throttles every invocation; --remove removes the reservation)", cl.cmd, c.Args().Get(1))
		}
		in := &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(int32(min(n, 1<<30)))}
		if _, err := cl.lambda.PutFunctionConcurrency(ctx, in); err != nil {
			return cl.fail(err, subject(name, ""))
		}
	}
	out, err := cl.concurrency(ctx, name)
	if err != nil {
		return err
	}
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	t := newTable(cl.stdout)
	switch r := out.Reserved; {
	case r == nil:
		t.row("reserved", "none (it shares the server's)")
	case *r == 0:
		t.row("reserved", "0 (every invocation is throttled; 'flint concurrency "+name+" --remove' turns it back on)")
	default:
		t.row("reserved", *r)
	}
	prov := "none"
	if len(out.Provisioned) > 0 {
		var parts []string
		for _, q := range slices.Sorted(maps.Keys(out.Provisioned)) {
			parts = append(parts, fmt.Sprintf("%s: %d", q, out.Provisioned[q]))
		}
		prov = strings.Join(parts, ", ")
	}
	t.row("provisioned", prov)
	return t.flush()
}

// concurrency reads a function's reserved and provisioned concurrency.
func (cl *client) concurrency(ctx context.Context, name string) (concurrencyOut, error) {
	out := concurrencyOut{Function: name, Provisioned: map[string]int32{}}
	res, err := cl.lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	if err != nil {
		return out, cl.fail(err, subject(name, ""))
	}
	out.Reserved = res.ReservedConcurrentExecutions
	p := lambda.NewListProvisionedConcurrencyConfigsPaginator(cl.lambda, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, cl.fail(err, subject(name, ""))
		}
		for _, item := range page.ProvisionedConcurrencyConfigs {
			arn := aws.ToString(item.FunctionArn)
			q := arn[strings.LastIndexByte(arn, ':')+1:]
			out.Provisioned[q] = aws.ToInt32(item.RequestedProvisionedConcurrentExecutions)
		}
	}
	return out, nil
}
