package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The access key the test servers accept.
var testKey = auth.Key{AccessKeyID: "AKIAFLINTCLITEST0001", SecretAccessKey: "cli-test-secret-0123456789", Admin: true}

// testServer is an engine and gateway serving on a loopback port.
type testServer struct {
	URL  string
	open bool // no keys: unsigned requests are accepted
}

// startServer starts a gateway for one test, with the test key (or, when
// open, with none), and clears the environment variables the client
// commands read so that only flags configure them.
func startServer(t *testing.T, open bool) *testServer {
	t.Helper()
	unsetenv(t, "FLINT_ENDPOINT", "FLINT_ACCESS_KEY", "FLINT_SECRET_KEY", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")
	// No profile but the ones a test writes: not the machine's ~/.aws.
	noFiles := t.TempDir()
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(noFiles, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(noFiles, "config"))
	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	var keys []auth.Key
	if !open {
		keys = []auth.Key{testKey}
	}
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: keys})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &testServer{URL: "http://" + ln.Addr().String(), open: open}
}

// unsetenv removes environment variables for the test's duration.
func unsetenv(t *testing.T, names ...string) {
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			t.Cleanup(func() { os.Setenv(n, v) })
			require.NoError(t, os.Unsetenv(n))
		}
	}
}

// flint runs a client command against the server, signed with the test
// key (unless the server is open).
func (s *testServer) flint(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	args = append(args, "--endpoint", s.URL)
	if !s.open {
		args = append(args, "--access-key", testKey.AccessKeyID, "--secret-key", testKey.SecretAccessKey)
	}
	return flint(t, stdin, args...)
}

// ok runs a command that must succeed and returns its stdout.
func (s *testServer) ok(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := s.flint(t, "", args...)
	require.Equal(t, exitOK, code, "flint %s: %s", strings.Join(args, " "), stderr)
	return stdout
}

// fails runs a command that must fail with code and one line on stderr
// containing want.
func (s *testServer) fails(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	got, stdout, stderr := s.flint(t, "", args...)
	assert.Equal(t, code, got, "flint %s: %s", strings.Join(args, " "), stderr)
	assert.Empty(t, stdout)
	assertOneLine(t, stderr)
	assert.Contains(t, stderr, want)
}

func assertOneLine(t *testing.T, stderr string) {
	t.Helper()
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line on stderr, got:\n%s", stderr)
	assert.True(t, strings.HasPrefix(stderr, "flint"), stderr)
}

// decode unmarshals -o json output.
func decode[T any](t *testing.T, stdout string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	return v
}

// watEchoFile is the committed WAT echo module's path.
func watEchoFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "echo.wasm")
	require.NoError(t, os.WriteFile(path, testguest.WATEcho(t), 0o644))
	return path
}

// watEchoSize is the WAT echo module's size as tables show it.
func watEchoSize(t *testing.T) string { return humanBytes(int64(len(testguest.WATEcho(t)))) }

// sdk is the AWS SDK's Lambda client for what the commands do not cover.
func (s *testServer) sdk() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(testKey.AccessKeyID, testKey.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

func TestDeploy(t *testing.T) {
	s := startServer(t, false)
	echo := watEchoFile(t)

	assert.Equal(t, "created function echo ("+watEchoSize(t)+")\n", s.ok(t, "deploy", "echo", echo, "--env", "A=1", "--description", "first"))
	assert.Equal(t, "function echo is up to date\n", s.ok(t, "deploy", "echo", echo, "--env", "A=1"), "the same module and flags change nothing")
	assert.Equal(t, "updated function echo: configuration\n", s.ok(t, "deploy", "echo", echo, "--timeout", "5s", "--memory", "64"))

	out := decode[deployOut](t, s.ok(t, "deploy", "echo", echo, "--env", "B=2", "--publish", "-o", "json"))
	assert.Equal(t, "updated", out.Action)
	assert.Equal(t, []string{"configuration"}, out.Changed)
	assert.Equal(t, "1", out.Published)
	assert.Equal(t, map[string]string{"B": "2"}, out.Function.Env, "--env replaces the environment")
	assert.EqualValues(t, 5, out.Function.TimeoutSeconds, "flags not given are kept")
	assert.EqualValues(t, 64, out.Function.MemoryMB)
	assert.Equal(t, "first", out.Function.Description)

	hello := goGuest(t, "hello")
	assert.Equal(t, "updated function echo: code\n", s.ok(t, "deploy", "echo", hello), "new code is uploaded")

	// Snapshots: on unless --no-snapshot, which sticks until turned back on.
	assert.Equal(t, "on", decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).Snapshots)
	assert.Equal(t, "updated function echo: configuration\n", s.ok(t, "deploy", "echo", hello, "--no-snapshot"))
	assert.Equal(t, "function echo is up to date\n", s.ok(t, "deploy", "echo", hello, "--no-snapshot"))
	assert.Equal(t, "off", decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).Snapshots)
	assert.Equal(t, "function echo is up to date\n", s.ok(t, "deploy", "echo", hello, "--memory", "64"))
	assert.Equal(t, "updated function echo: configuration\n", s.ok(t, "deploy", "echo", hello, "--no-snapshot=false"))
	assert.Equal(t, "on", decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).Snapshots)

	// Timeouts: whole seconds, a plain number is seconds, and anything
	// else is rounded up with a note.
	assert.Equal(t, "updated function echo: configuration\n", s.ok(t, "deploy", "echo", hello, "--timeout", "2"))
	assert.EqualValues(t, 2, decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).TimeoutSeconds)
	code, stdout, stderr := s.flint(t, "", "deploy", "echo", hello, "--timeout", "500ms")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "updated function echo: configuration\n", stdout)
	assert.Equal(t, "flint deploy: --timeout 500ms rounded up to 1s: Lambda's API takes whole seconds, at least 1\n", stderr)
	assert.EqualValues(t, 1, decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).TimeoutSeconds)

	// /tmp: Lambda's EphemeralStorage.
	assert.EqualValues(t, 512, decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).TmpSizeMB)
	assert.Equal(t, "updated function echo: configuration\n", s.ok(t, "deploy", "echo", hello, "--tmp-size", "2048"))
	assert.Equal(t, "function echo is up to date\n", s.ok(t, "deploy", "echo", hello, "--tmp-size", "2048"))
	assert.EqualValues(t, 2048, decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json")).TmpSizeMB)
	assert.Regexp(t, `(?m)^/tmp +2048 MB$`, s.ok(t, "get", "echo"))

	dir := t.TempDir()
	notWasm := writeFile(t, "notes.wasm", "text")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"deploy", "x"}, exitUsage, "want NAME FILE.wasm|DIR, got 1"},
		{"missing file", []string{"deploy", "x", filepath.Join(dir, "none.wasm")}, exitUsage, "no such file"},
		{"not wasm", []string{"deploy", "x", notWasm}, exitUsage, "is not a WebAssembly module"},
		{"bad name", []string{"deploy", "a/b", echo}, exitUsage, `function name "a/b"`},
		{"zero timeout", []string{"deploy", "x", echo, "--timeout", "0"}, exitUsage, "--timeout 0s: must be positive"},
		{"long timeout", []string{"deploy", "x", echo, "--timeout", "16m"}, exitUsage, "at most 15m0s (900 seconds)"},
		{"bad timeout", []string{"deploy", "x", echo, "--timeout", "soon"}, exitUsage, "use a number of seconds (3) or a number and a unit"},
		{"zero memory", []string{"deploy", "x", echo, "--memory", "0"}, exitUsage, "--memory 0"},
		{"small /tmp", []string{"deploy", "x", echo, "--tmp-size", "100"}, exitUsage, "--tmp-size 100: must be between 512 and 10240 MB"},
		{"large /tmp", []string{"deploy", "x", echo, "--tmp-size", "10241"}, exitUsage, "--tmp-size 10241"},
		{"bad env", []string{"deploy", "x", echo, "--env", "NOPE"}, exitUsage, `--env "NOPE": want KEY=VALUE`},
		{"missing role", []string{"deploy", "x", echo, "--role", "ghost"}, exitUsage, `role "ghost" does not exist`},
		{"reserved env", []string{"deploy", "x", echo, "--env", "AWS_REGION=x"}, exitUsage, "(InvalidParameterValueException)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { s.fails(t, tt.code, tt.want, tt.args...) })
	}
}

func TestInvoke(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "echo", watEchoFile(t))
	s.ok(t, "deploy", "fail", goGuest(t, "fail"))

	assert.Equal(t, "{\"a\":1}\n", s.ok(t, "invoke", "echo", "--payload", `{"a":1}`))
	assert.Equal(t, "{}\n", s.ok(t, "invoke", "echo:$LATEST"), "the default payload, a qualifier")
	assert.Equal(t, "{\"f\":2}\n", s.ok(t, "invoke", "echo", "-p", "@"+writeFile(t, "ev.json", `{"f":2}`)))
	code, stdout, stderr := s.flint(t, `"piped"`, "invoke", "echo", "--payload", "-", "--log")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "\"piped\"\n", stdout)
	assert.Contains(t, stderr, "START RequestId: ", "--log prints the log tail on stderr")
	assert.Contains(t, stderr, "REPORT RequestId: ")

	res := decode[invokeOut](t, s.ok(t, "invoke", "echo", "--payload", `[1,2]`, "--log", "-o", "json"))
	assert.NotEmpty(t, res.RequestID)
	assert.EqualValues(t, 200, res.StatusCode)
	assert.Equal(t, "$LATEST", res.ExecutedVersion)
	assert.Equal(t, []any{1.0, 2.0}, res.Payload)
	assert.Nil(t, res.FunctionError)
	assert.Contains(t, res.Log, "START RequestId: "+res.RequestID)

	id := strings.TrimSpace(s.ok(t, "invoke", "echo", "--async"))
	assert.Regexp(t, `^[0-9a-f-]{36}$`, id, "--async prints the request id")
	assert.Equal(t, "dry run: echo may be invoked\n", s.ok(t, "invoke", "echo", "--dry-run"))

	t.Run("function error", func(t *testing.T) {
		code, stdout, stderr := s.flint(t, "", "invoke", "fail", "--payload", `"bad"`)
		assert.Equal(t, exitFunctionError, code)
		assert.Empty(t, stdout)
		assert.Equal(t, "function error (ValidationError): the event is not acceptable: \"bad\"\n", stderr)

		code, stdout, _ = s.flint(t, "", "invoke", "fail", "-o", "json")
		assert.Equal(t, exitFunctionError, code)
		res := decode[invokeOut](t, stdout)
		require.NotNil(t, res.FunctionError)
		assert.Equal(t, "ValidationError", res.FunctionError.Type)
		assert.False(t, res.FunctionError.Unhandled)
		assert.Nil(t, res.Payload)
	})

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not found", []string{"invoke", "nope"}, exitUsage, "flint: function nope not found (ResourceNotFoundException)"},
		{"no such version", []string{"invoke", "echo:7"}, exitUsage, `flint: function echo has no version "7" (ResourceNotFoundException)`},
		{"not JSON", []string{"invoke", "echo", "--payload", "plain"}, exitUsage, "(InvalidRequestContentException)"},
		{"async and dry run", []string{"invoke", "echo", "--async", "--dry-run"}, exitUsage, "choose one"},
		{"log with async", []string{"invoke", "echo", "--async", "--log"}, exitUsage, "--log needs a synchronous invocation"},
		{"empty qualifier", []string{"invoke", "echo:"}, exitUsage, "want NAME or NAME:QUALIFIER"},
		{"no name", []string{"invoke"}, exitUsage, "want NAME[:QUALIFIER], got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { s.fails(t, tt.code, tt.want, tt.args...) })
	}
}

func TestListGetPublishRemove(t *testing.T) {
	s := startServer(t, false)
	echo := watEchoFile(t)
	s.ok(t, "deploy", "echo", echo, "--env", "K=v", "--timeout", "7s")
	s.ok(t, "deploy", "other", echo)

	lines := strings.Split(strings.TrimSpace(s.ok(t, "ls")), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^NAME +VERSION +MEMORY +TIMEOUT +CODE SIZE +LAST MODIFIED$`, lines[0])
	assert.Regexp(t, `^echo +\$LATEST +128 MB +7s +`+watEchoSize(t)+` +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`, lines[1])
	fns := decode[[]functionOut](t, s.ok(t, "ls", "-o", "json"))
	require.Len(t, fns, 2)
	assert.Equal(t, "other", fns[1].Name)

	assert.Equal(t, "published version 1 of function echo\n", s.ok(t, "publish", "echo", "--description", "v1"))
	fns = decode[[]functionOut](t, s.ok(t, "ls", "--all", "-o", "json"))
	assert.Len(t, fns, 3, "$LATEST of both and version 1 of echo")

	got := s.ok(t, "get", "echo")
	assert.Regexp(t, `(?m)^version +\$LATEST$`, got)
	assert.Regexp(t, `(?m)^env +K=v$`, got)
	assert.Regexp(t, `(?m)^timeout +7s$`, got)
	f := decode[functionOut](t, s.ok(t, "get", "echo:1", "-o", "json"))
	assert.Equal(t, "1", f.Version)
	assert.Equal(t, "v1", f.Description)
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:echo:1", f.Arn)

	s.ok(t, "concurrency", "echo", "2")
	f = decode[functionOut](t, s.ok(t, "get", "echo", "-o", "json"))
	require.NotNil(t, f.ReservedConcurrency)
	assert.EqualValues(t, 2, *f.ReservedConcurrency)

	assert.Equal(t, "deleted version 1 of function echo\n", s.ok(t, "rm", "echo:1"))
	assert.Equal(t, "deleted function other\n", s.ok(t, "rm", "other"))
	assert.JSONEq(t, `{"deleted":"echo","version":""}`, s.ok(t, "rm", "echo", "-o", "json"))
	assert.Equal(t, "[]\n", s.ok(t, "ls", "-o", "json"))
	assert.Equal(t, "NAME  VERSION  MEMORY  TIMEOUT  CODE SIZE  LAST MODIFIED\n", s.ok(t, "ls"))

	s.fails(t, exitUsage, "flint: function echo not found (ResourceNotFoundException)", "get", "echo")
	s.fails(t, exitUsage, "flint: function echo not found (ResourceNotFoundException)", "publish", "echo")
	s.fails(t, exitUsage, "flint: function echo not found (ResourceNotFoundException)", "rm", "echo")
	s.fails(t, exitUsage, "want no arguments, got 1", "ls", "extra")
}

func TestAlias(t *testing.T) {
	s := startServer(t, false)
	echo := watEchoFile(t)
	s.ok(t, "deploy", "echo", echo, "--publish")
	s.ok(t, "deploy", "echo", echo, "--env", "V=2", "--publish")

	assert.Equal(t, "alias live of function echo: version 1 (2: 10%)\n", s.ok(t, "alias", "set", "echo", "live", "1", "--weight", "2=0.1"))
	assert.Equal(t, "alias live of function echo: version 2\n", s.ok(t, "alias", "set", "echo", "live", "2", "--description", "all on 2"),
		"set again updates it, and without --weight the routing is cleared")
	s.ok(t, "alias", "set", "--weight=1=0.5", "echo", "beta", "2")

	lines := strings.Split(strings.TrimSpace(s.ok(t, "alias", "ls", "echo")), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^ALIAS +VERSION +ROUTING +DESCRIPTION$`, lines[0])
	assert.Regexp(t, `^beta +2 +1: 50% +-$`, lines[1])
	assert.Regexp(t, `^live +2 +- +all on 2$`, lines[2])
	aliases := decode[[]aliasOut](t, s.ok(t, "alias", "ls", "echo", "-o", "json"))
	require.Len(t, aliases, 2)
	assert.Equal(t, map[string]float64{"1": 0.5}, aliases[0].Routing)
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:echo:live", aliases[1].Arn)

	assert.Equal(t, "{}\n", s.ok(t, "invoke", "echo:live"))
	assert.Equal(t, "deleted alias beta of function echo\n", s.ok(t, "alias", "rm", "echo", "beta"))

	s.fails(t, exitUsage, "flint: function echo has no alias \"beta\" (ResourceNotFoundException)", "alias", "rm", "echo", "beta")
	s.fails(t, exitUsage, `--weight "2": want VERSION=WEIGHT`, "alias", "set", "echo", "x", "1", "--weight", "2")
	// The CLI refuses what the engine refuses, and says why.
	for _, w := range []string{"2=0", "2=1", "2=1.5", "2=-0.1"} {
		s.fails(t, exitUsage, "the weight must be more than 0 and less than 1 (0 would route nothing", "alias", "set", "echo", "x", "1", "--weight", w)
	}
	_, err := s.sdk().UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 0 and less than 1 (0 would route nothing", "and the API's message says the same")
	s.fails(t, exitUsage, "flint alias set: want NAME ALIAS VERSION, got 2", "alias", "set", "echo", "x")
	s.fails(t, exitUsage, "(ResourceNotFoundException)", "alias", "set", "echo", "x", "9")
	s.fails(t, exitUsage, "flint: function nope not found (ResourceNotFoundException)", "alias", "ls", "nope")
}

func TestConcurrency(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "echo", watEchoFile(t), "--publish")

	assert.Equal(t, "reserved     none (it shares the server's)\nprovisioned  none\n", s.ok(t, "concurrency", "echo"))
	assert.Equal(t, "reserved     3\nprovisioned  none\n", s.ok(t, "concurrency", "echo", "3"))
	assert.JSONEq(t, `{"function":"echo","reservedConcurrency":3,"provisionedConcurrency":{}}`, s.ok(t, "concurrency", "echo", "-o", "json"))

	// 0 switches the function off, as on Lambda.
	assert.Contains(t, s.ok(t, "concurrency", "echo", "0"), "reserved     0 (every invocation is throttled; 'flint concurrency echo --remove' turns it back on)")
	s.fails(t, exitInternal, "(TooManyRequestsException)", "invoke", "echo")
	assert.JSONEq(t, `{"function":"echo","reservedConcurrency":0,"provisionedConcurrency":{}}`, s.ok(t, "concurrency", "echo", "-o", "json"))
	assert.Equal(t, "reserved     none (it shares the server's)\nprovisioned  none\n", s.ok(t, "concurrency", "echo", "--remove"))
	s.ok(t, "invoke", "echo")

	assert.Equal(t, "provisioned concurrency of echo:1: 2\n", s.ok(t, "concurrency", "echo", "--provisioned", "2", "--qualifier", "1"))
	out, err := s.sdk().GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("echo"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	assert.EqualValues(t, 2, aws.ToInt32(out.RequestedProvisionedConcurrentExecutions))
	assert.Equal(t, "reserved     none (it shares the server's)\nprovisioned  1: 2\n", s.ok(t, "concurrency", "echo"), "showing concurrency shows the provisioned too")
	assert.JSONEq(t, `{"function":"echo","reservedConcurrency":null,"provisionedConcurrency":{"1":2}}`, s.ok(t, "concurrency", "echo", "-o", "json"))
	assert.JSONEq(t, `{"function":"echo","qualifier":"1","provisionedConcurrency":0}`, s.ok(t, "concurrency", "echo:1", "--provisioned", "0", "-o", "json"))

	s.fails(t, exitUsage, "--provisioned needs --qualifier", "concurrency", "echo", "--provisioned", "1")
	s.fails(t, exitUsage, "want NAME [N], got 3", "concurrency", "echo", "1", "2")
	s.fails(t, exitUsage, `N "many"`, "concurrency", "echo", "many")
	s.fails(t, exitUsage, "--remove takes no N argument", "concurrency", "echo", "1", "--remove")
	s.fails(t, exitUsage, "flint: function nope not found (ResourceNotFoundException)", "concurrency", "nope", "1")
}

func TestURL(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "echo", watEchoFile(t))

	out := s.ok(t, "url", "create", "echo", "--auth", "NONE")
	assert.Regexp(t, `(?m)^url +`+s.URL+`/fn/echo/$`, out)
	assert.Regexp(t, `(?m)^auth +NONE$`, out)

	// Anyone may call it: create added the public statement.
	resp, err := http.Get(s.URL + "/fn/echo/some/path?q=1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"rawPath":"/some/path"`, "the echo function answers with the event")

	u := decode[urlOut](t, s.ok(t, "url", "get", "echo", "-o", "json"))
	assert.Equal(t, s.URL+"/fn/echo/", u.URL)
	assert.Equal(t, "NONE", u.AuthType)
	assert.Equal(t, "BUFFERED", u.InvokeMode)

	// create again: idempotent, like deploy.
	out = s.ok(t, "url", "create", "echo", "--auth", "NONE")
	assert.Regexp(t, `^unchanged: the URL of function echo\n`, out)
	assert.Equal(t, "updated", decode[urlOut](t, s.ok(t, "url", "create", "echo", "--auth", "NONE", "--invoke-mode", "RESPONSE_STREAM", "-o", "json")).Action)
	u = decode[urlOut](t, s.ok(t, "url", "get", "echo", "-o", "json"))
	assert.Equal(t, "RESPONSE_STREAM", u.InvokeMode)
	u = decode[urlOut](t, s.ok(t, "url", "create", "echo", "--auth", "AWS_IAM", "-o", "json"))
	assert.Equal(t, "updated", u.Action)
	assert.Equal(t, "AWS_IAM", u.AuthType)
	resp, err = http.Get(s.URL + "/fn/echo/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "switching to AWS_IAM removed the public statement")
	s.ok(t, "url", "create", "echo", "--auth", "NONE")
	assert.Equal(t, "deleted the URL of function echo\n", s.ok(t, "url", "rm", "echo"))
	resp, err = http.Get(s.URL + "/fn/echo/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	u = decode[urlOut](t, s.ok(t, "url", "create", "echo", "-o", "json"))
	assert.Equal(t, "AWS_IAM", u.AuthType, "the default")
	resp, err = http.Get(s.URL + "/fn/echo/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "an AWS_IAM URL takes signed requests only")
	s.ok(t, "url", "rm", "echo")

	s.fails(t, exitUsage, "flint: the URL of function echo not found (ResourceNotFoundException)", "url", "get", "echo")
	s.fails(t, exitUsage, `--auth "OPEN": use NONE or AWS_IAM`, "url", "create", "echo", "--auth", "OPEN")
	s.fails(t, exitUsage, `--invoke-mode "FAST": use BUFFERED or RESPONSE_STREAM`, "url", "create", "echo", "--invoke-mode", "FAST")
	s.fails(t, exitUsage, "flint: function nope not found (ResourceNotFoundException)", "url", "create", "nope")
}

const kvPolicy = `{"Version": "2026-11-01", "Statement": [
  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:counters/*"]}]}`

func TestRole(t *testing.T) {
	s := startServer(t, false)

	assert.Equal(t, "saved role counter (arn:aws:iam::000000000000:role/counter)\n", s.ok(t, "role", "put", "counter", writeFile(t, "p.json", kvPolicy)))
	code, stdout, stderr := s.flint(t, kvPolicy, "role", "put", "counter", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "role counter is up to date\n", stdout, "the same policy again changes nothing")

	s.ok(t, "deploy", "kvcounter", goGuest(t, "kvcounter"), "--role", "counter")
	assert.Equal(t, "{\"key\":\"x\",\"count\":1}\n", s.ok(t, "invoke", "kvcounter", "--payload", `{"key":"x"}`), "the role's policy lets it use the store")

	assert.JSONEq(t, kvPolicy, s.ok(t, "role", "get", "counter"), "get prints the policy document")
	r := decode[roleOut](t, s.ok(t, "role", "get", "counter", "-o", "json"))
	assert.Equal(t, "arn:aws:iam::000000000000:role/counter", r.Arn)

	// A new policy applies to the functions that have the role at once.
	closed := `{"Version": "2026-11-01", "Statement": []}`
	code, stdout, stderr = s.flint(t, closed, "role", "put", "counter", "-", "-o", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, []string{"kvcounter"}, decode[roleOut](t, stdout).UpdatedFunctions)
	code, _, stderr = s.flint(t, "", "invoke", "kvcounter")
	assert.Equal(t, exitFunctionError, code)
	assert.Contains(t, stderr, "function error (Denied)")

	lines := strings.Split(strings.TrimSpace(s.ok(t, "role", "ls")), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^NAME +ARN +STATEMENTS$`, lines[0])
	assert.Regexp(t, `^counter +arn:aws:iam::000000000000:role/counter +0$`, lines[1])
	assert.Len(t, decode[[]roleOut](t, s.ok(t, "role", "ls", "-o", "json")), 2)

	s.fails(t, exitUsage, "role counter is used by function kvcounter (ResourceConflictException)", "role", "rm", "counter")
	s.ok(t, "rm", "kvcounter")
	assert.Equal(t, "deleted role counter\n", s.ok(t, "role", "rm", "counter"))

	s.fails(t, exitUsage, "flint: role counter does not exist (ResourceNotFoundException)", "role", "get", "counter")
	s.fails(t, exitUsage, "is not JSON", "role", "put", "x", writeFile(t, "bad.json", "{"))
	s.fails(t, exitUsage, "(InvalidParameterValueException)", "role", "put", "x", writeFile(t, "bad.json", `{"Version":"1999"}`))
}

func TestLogs(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "fail", goGuest(t, "fail"))
	code, _, _ := s.flint(t, "", "invoke", "fail")
	require.Equal(t, exitFunctionError, code)

	code, _, _ = s.flint(t, "", "invoke", "fail")
	require.Equal(t, exitFunctionError, code)

	logs := s.ok(t, "logs", "fail")
	assert.Regexp(t, `^#0  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\nSTART RequestId: `, logs, "each record after its sequence number")
	assert.Contains(t, logs, "\tWARN\trejecting the event\n")
	assert.Contains(t, logs, "REPORT RequestId: ")
	assert.Contains(t, logs, "\n#1  ")
	assert.Empty(t, s.ok(t, "logs", "fail", "--since", "1000"), "nothing from a sequence number not reached")
	since := s.ok(t, "logs", "fail", "--since", "1")
	assert.True(t, strings.HasPrefix(since, "#1  "), "--since N starts at N: %s", since)
	assert.NotContains(t, since, "#0  ")

	records := decode[[]logRecord](t, s.ok(t, "logs", "fail", "-o", "json"))
	require.Len(t, records, 2)
	assert.Equal(t, []uint64{0, 1}, []uint64{records[0].Seq, records[1].Seq})
	assert.True(t, records[0].Failed)
	assert.Equal(t, "$LATEST", records[0].Version)
	assert.NotEmpty(t, records[0].RequestID)
	assert.Contains(t, records[0].Text, "rejecting the event")
	assert.Equal(t, "[]\n", s.ok(t, "logs", "fail", "--since", "5", "-o", "json"))

	s.fails(t, exitUsage, "flint: function nope not found (ResourceNotFoundException)", "logs", "nope")
}

func TestDeadLetters(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "fail", goGuest(t, "fail"))
	_, err := s.sdk().PutFunctionEventInvokeConfig(context.Background(), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("fail"), MaximumRetryAttempts: aws.Int32(0)})
	require.NoError(t, err)

	assert.Equal(t, "[]\n", s.ok(t, "dlq", "ls", "-o", "json"))
	id := strings.TrimSpace(s.ok(t, "invoke", "fail", "--async", "--payload", `{"n":1}`))
	var dls []deadLetterOut
	require.Eventually(t, func() bool {
		dls = decode[[]deadLetterOut](t, s.ok(t, "dlq", "ls", "-o", "json"))
		return len(dls) == 1
	}, 30*time.Second, 50*time.Millisecond)
	assert.Equal(t, id, dls[0].ID)
	assert.Equal(t, "fail", dls[0].Function)
	assert.Equal(t, "ValidationError", dls[0].ErrorType)
	assert.Equal(t, map[string]any{"n": 1.0}, dls[0].Payload)

	lines := strings.Split(strings.TrimSpace(s.ok(t, "dlq", "ls")), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `^ID +FUNCTION +CONDITION +ATTEMPTS +ERROR +DEAD-LETTERED$`, lines[0])
	assert.Regexp(t, `^`+id+` +fail +\S+ +1 +ValidationError +`, lines[1])

	show := s.ok(t, "dlq", "show", id)
	assert.Regexp(t, `(?m)^payload +\{"n":1\}$`, show)
	assert.Regexp(t, `(?m)^error +the event is not acceptable: \{"n":1\}$`, show)
	assert.Equal(t, id, decode[deadLetterOut](t, s.ok(t, "dlq", "show", id, "-o", "json")).ID)

	redriven := s.ok(t, "dlq", "redrive", id)
	assert.Regexp(t, `^queued `+id+` again as request \S+\n$`, redriven)
	// The redriven event fails again and comes back.
	require.Eventually(t, func() bool {
		return len(decode[[]deadLetterOut](t, s.ok(t, "dlq", "ls", "-o", "json"))) == 1
	}, 30*time.Second, 50*time.Millisecond)
	dls = decode[[]deadLetterOut](t, s.ok(t, "dlq", "ls", "-o", "json"))
	assert.Equal(t, "deleted dead letter "+dls[0].ID+"\n", s.ok(t, "dlq", "rm", dls[0].ID))
	assert.Equal(t, "[]\n", s.ok(t, "dlq", "ls", "-o", "json"))

	s.fails(t, exitUsage, "(ResourceNotFoundException)", "dlq", "show", "nope")
	s.fails(t, exitUsage, "(ResourceNotFoundException)", "dlq", "redrive", "nope")
}

func TestUsage(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "echo", watEchoFile(t))
	s.ok(t, "invoke", "echo")
	s.ok(t, "invoke", "echo")

	lines := strings.Split(strings.TrimSpace(s.ok(t, "usage")), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `^FUNCTION +REQUESTS +BILLED +GB-SECONDS$`, lines[0])
	assert.Regexp(t, `^echo +2 +\d+ms +[0-9.]+$`, lines[1])
	u := decode[[]usageOut](t, s.ok(t, "usage", "-o", "json"))
	require.Len(t, u, 1)
	assert.Equal(t, "echo", u[0].Function)
	assert.EqualValues(t, 2, u[0].Requests)
	assert.Positive(t, u[0].BilledMS)

	// Unsigned, to a server with keys.
	code, stdout, stderr := flint(t, "", "usage", "--endpoint", s.URL)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assertOneLine(t, stderr)
	assert.Contains(t, stderr, "the server takes signed requests only")
	assert.Contains(t, stderr, "(MissingAuthenticationTokenException)")
}

func TestClientCredentialsAndErrors(t *testing.T) {
	s := startServer(t, false)
	s.ok(t, "deploy", "echo", watEchoFile(t))
	run := func(args ...string) (int, string, string) { return flint(t, "", append(args, "--endpoint", s.URL)...) }

	t.Run("from FLINT_ environment variables", func(t *testing.T) {
		t.Setenv("FLINT_ACCESS_KEY", testKey.AccessKeyID)
		t.Setenv("FLINT_SECRET_KEY", testKey.SecretAccessKey)
		code, stdout, stderr := run("invoke", "echo")
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, "{}\n", stdout)
	})
	t.Run("from AWS_ environment variables", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", testKey.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", testKey.SecretAccessKey)
		t.Setenv("FLINT_ENDPOINT", s.URL)
		code, stdout, stderr := flint(t, "", "invoke", "echo")
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, "{}\n", stdout)
	})

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown key", []string{"ls", "--access-key", "AKIAUNKNOWN000000001", "--secret-key", "x"}, exitUsage,
			"the server does not know this access key: give one of its keys with --access-key and --secret-key (or FLINT_ACCESS_KEY and FLINT_SECRET_KEY) (UnrecognizedClientException)"},
		{"wrong secret", []string{"ls", "--access-key", testKey.AccessKeyID, "--secret-key", "wrong"}, exitUsage,
			"flint: the request signature does not match: check the secret key (--secret-key or FLINT_SECRET_KEY) (InvalidSignatureException)"},
		{"key without secret", []string{"ls", "--access-key", testKey.AccessKeyID}, exitUsage, "give both an access key and its secret"},
		{"bad output", []string{"ls", "-o", "yaml"}, exitUsage, `flint ls: --output "yaml": use text or json`},
		{"unknown flag", []string{"invoke", "echo", "--nope"}, exitUsage, "flint invoke: flag provided but not defined: -nope (see 'flint invoke --help')"},
		{"unknown subcommand flag", []string{"alias", "ls", "echo", "--nope"}, exitUsage, "flint alias ls: flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assertOneLine(t, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}

	t.Run("bad endpoint", func(t *testing.T) {
		code, stdout, stderr := flint(t, "", "ls", "--endpoint", "localhost:8080")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, stdout)
		assertOneLine(t, stderr)
		assert.Contains(t, stderr, `flint ls: --endpoint "localhost:8080": want a URL`)
	})
	t.Run("no server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		for _, args := range [][]string{{"ls"}, {"usage"}} {
			code, stdout, stderr := flint(t, "", append(args, "--endpoint", "http://"+addr)...)
			assert.Equal(t, exitInternal, code)
			assert.Empty(t, stdout)
			assertOneLine(t, stderr)
			assert.Contains(t, stderr, "flint: cannot reach a Flint server at http://"+addr+": connection refused")
		}
	})
}

func TestClientUnsignedOnOpenServer(t *testing.T) {
	s := startServer(t, true)
	assert.Equal(t, "created function echo ("+watEchoSize(t)+")\n", s.ok(t, "deploy", "echo", watEchoFile(t)))
	assert.Equal(t, "{\"x\":true}\n", s.ok(t, "invoke", "echo", "--payload", `{"x":true}`))
	assert.Contains(t, s.ok(t, "role", "ls"), "default")
}

func TestProfiles(t *testing.T) {
	s := startServer(t, false)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	cfg := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(creds, []byte(`[flint]
aws_access_key_id = `+testKey.AccessKeyID+`
aws_secret_access_key = `+testKey.SecretAccessKey+`

[wrong]
aws_access_key_id = AKIAFLINTWRONG000001
aws_secret_access_key = wrong
`), 0o600))
	require.NoError(t, os.WriteFile(cfg, []byte(`[profile flint]
region = eu-west-3

[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
`), 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", cfg)

	// flint runs a command with only the endpoint given: the key comes
	// from the environment or the files.
	run := func(args ...string) (int, string, string) {
		return flint(t, "", append(args, "--endpoint", s.URL)...)
	}
	code, _, stderr := run("ls", "--profile", "flint")
	assert.Equal(t, exitOK, code, "--profile: %s", stderr)

	t.Setenv("AWS_PROFILE", "flint")
	code, _, stderr = run("ls")
	assert.Equal(t, exitOK, code, "AWS_PROFILE: %s", stderr)
	code, _, stderr = run("ls", "--profile", "wrong")
	assert.Equal(t, exitUsage, code, "--profile beats AWS_PROFILE")
	assert.Contains(t, stderr, "the server does not know this access key")
	code, _, stderr = run("ls", "--access-key", "AKIAFLINTWRONG000001", "--secret-key", "x")
	assert.Equal(t, exitUsage, code, "flags beat the profile")
	assert.Contains(t, stderr, "the server does not know this access key")
	require.NoError(t, os.Unsetenv("AWS_PROFILE"))

	code, _, stderr = run("ls")
	assert.Equal(t, exitUsage, code, "no default profile: unsigned, which this server refuses")
	assert.Contains(t, stderr, "signed requests only")
	require.NoError(t, os.WriteFile(creds, []byte("[default]\naws_access_key_id = "+testKey.AccessKeyID+
		"\naws_secret_access_key = "+testKey.SecretAccessKey+"\n"), 0o600))
	code, _, stderr = run("ls")
	assert.Equal(t, exitOK, code, "the default profile: %s", stderr)

	code, _, stderr = run("ls", "--profile", "nosuch")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `profile "nosuch" is not in `+creds)
	code, _, stderr = run("ls", "--profile", "sso")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `profile "sso" has no aws_access_key_id`)
}
