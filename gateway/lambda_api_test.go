package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"math/bits"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zipBomb returns a zip whose one entry, bomb.wasm, inflates to at least
// size bytes of zeros; with lie, its header claims 1 KiB instead. The
// DEFLATE stream is written by hand (a zero, then matches of 258 bytes at
// distance 1 in one fixed-Huffman block, 13 bits each), since compressing
// the zeros would take seconds under the race detector.
func zipBomb(t testing.TB, size int, lie bool) []byte {
	t.Helper()
	var out []byte
	var acc uint64
	var n uint
	put := func(v uint64, width uint) { // LSB first, as DEFLATE packs bits
		acc |= v << n
		for n += width; n >= 8; n -= 8 {
			out = append(out, byte(acc))
			acc >>= 8
		}
	}
	code := func(c uint16, width uint) { put(uint64(bits.Reverse16(c)>>(16-width)), width) } // Huffman codes MSB first
	put(1, 1)                                                                                // BFINAL
	put(1, 2)                                                                                // BTYPE 01: fixed Huffman
	code(0x30, 8)                                                                            // literal 0
	matches := (size + 257) / 258
	for range matches {
		code(0xc5, 8) // length code 285: 258 bytes
		code(0, 5)    // distance code 0: 1 byte back
	}
	code(0, 7) // end of block
	if n > 0 {
		out = append(out, byte(acc))
	}
	declared := uint64(1 + 258*matches)
	if lie {
		declared = 1 << 10
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb.wasm", Method: zip.Deflate,
		CompressedSize64: uint64(len(out)), UncompressedSize64: declared})
	require.NoError(t, err)
	_, err = w.Write(out)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func codeSha256(code []byte) string {
	sum := sha256.Sum256(code)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestCreateFunction(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)

	t.Run("accepted", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			code    []byte
			publish bool
			version string
		}{
			{name: "raw-module", code: echo, version: "$LATEST"},
			{name: "zip", code: zipOf(t, "echo.wasm", echo), version: "$LATEST"},
			{name: "zip-in-folder", code: zipOf(t, "README.md", []byte("# echo"), "build/", []byte{}, "build/echo.WASM", echo), version: "$LATEST"},
			{name: "published", code: echo, publish: true, version: "1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
					FunctionName: aws.String(tc.name), Role: aws.String(defaultRole), Code: &types.FunctionCode{ZipFile: tc.code},
					Publish: tc.publish, Description: aws.String("the " + tc.name), Runtime: types.RuntimeProvidedal2023,
					Handler: aws.String("bootstrap.handler"), Timeout: aws.Int32(7), MemorySize: aws.Int32(64),
				})
				require.NoError(t, err)
				assert.Equal(t, tc.name, aws.ToString(out.FunctionName))
				arn := "arn:aws:lambda:us-east-1:000000000000:function:" + tc.name
				if tc.publish {
					arn += ":1"
				}
				assert.Equal(t, arn, aws.ToString(out.FunctionArn))
				assert.Equal(t, tc.version, aws.ToString(out.Version))
				assert.Equal(t, int64(len(echo)), out.CodeSize, "the module, not the zip")
				assert.Equal(t, codeSha256(echo), aws.ToString(out.CodeSha256))
				assert.Equal(t, defaultRole, aws.ToString(out.Role))
				assert.Equal(t, "the "+tc.name, aws.ToString(out.Description))
				assert.Equal(t, int32(7), aws.ToInt32(out.Timeout))
				assert.Equal(t, int32(64), aws.ToInt32(out.MemorySize))
				assert.Equal(t, types.StateActive, out.State)
				assert.Equal(t, types.PackageTypeZip, out.PackageType)
				assert.NotEmpty(t, aws.ToString(out.RevisionId))
				assert.NotEmpty(t, aws.ToString(out.LastModified))
				inv := s.invoke(t, tc.name+":"+tc.version, `{"n":1}`)
				assert.JSONEq(t, `{"n":1}`, string(inv.Payload))
				assert.Equal(t, tc.version, aws.ToString(inv.ExecutedVersion))
			})
		}
	})

	t.Run("refused", func(t *testing.T) {
		s.deploy(t, "taken", echo)
		for _, tc := range []struct {
			name, function, role string
			code                 []byte
			want                 any
			msg                  string
		}{
			{name: "zip without a module", code: zipOf(t, "README.md", []byte("hi")), want: &types.InvalidParameterValueException{}, msg: "holds 0 .wasm files"},
			{name: "zip with two modules", code: zipOf(t, "a.wasm", echo, "b.wasm", echo), want: &types.InvalidParameterValueException{}, msg: "holds 2 .wasm files"},
			{name: "neither zip nor module", code: []byte("#!/bin/sh\necho hi\n"), want: &types.InvalidParameterValueException{}, msg: "neither a zip file nor a WebAssembly module"},
			{name: "truncated zip", code: zipOf(t, "echo.wasm", echo)[:40], want: &types.InvalidParameterValueException{}, msg: "zip"},
			{name: "zip bomb", code: zipBomb(t, 100<<20, false), want: &types.RequestTooLargeException{}, msg: "over the 67108864-byte limit"},
			{name: "zip bomb with a lying header", code: zipBomb(t, 100<<20, true), want: &types.InvalidParameterValueException{}, msg: "bomb.wasm"},
			{name: "invalid module", code: wasm(t, "invalid"), want: &types.InvalidParameterValueException{}, msg: "invalid module"},
			{name: "no handler export", code: wasm(t, "no_handler"), want: &types.InvalidParameterValueException{}, msg: `"handle"`},
			{name: "missing role", role: roleArn("nosuch"), code: echo, want: &types.InvalidParameterValueException{}, msg: `role "nosuch" does not exist`},
			{name: "existing name", function: "taken", code: echo, want: &types.ResourceConflictException{}, msg: "taken"},
			{name: "name with a qualifier", function: "fn:1", code: echo, want: &types.InvalidParameterValueException{}, msg: "without a qualifier"},
			{name: "empty code", code: nil, want: &types.InvalidParameterValueException{}, msg: "empty"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				fn, role := tc.function, tc.role
				if fn == "" {
					fn = "refused"
				}
				if role == "" {
					role = defaultRole
				}
				start := time.Now()
				_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
					FunctionName: aws.String(fn), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: tc.code},
				})
				require.Error(t, err)
				assert.Less(t, time.Since(start), 5*time.Second, "refused promptly")
				switch want := tc.want.(type) {
				case *types.InvalidParameterValueException:
					require.ErrorAs(t, err, &want)
				case *types.RequestTooLargeException:
					require.ErrorAs(t, err, &want)
				case *types.ResourceConflictException:
					require.ErrorAs(t, err, &want)
				}
				assert.Contains(t, err.Error(), tc.msg)
			})
		}
		_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("refused")})
		var nf *types.ResourceNotFoundException
		require.ErrorAs(t, err, &nf, "no refused create left a function behind")
	})

	t.Run("concurrent creates of one name", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []string
		for i := range 8 {
			code := echo
			if i%2 == 1 {
				code = wasm(t, "fail")
			}
			wg.Go(func() {
				out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("contested"), Role: aws.String(defaultRole),
					Code: &types.FunctionCode{ZipFile: code}})
				if err != nil {
					var rc *types.ResourceConflictException
					assert.ErrorAs(t, err, &rc)
					return
				}
				mu.Lock()
				created = append(created, aws.ToString(out.CodeSha256))
				mu.Unlock()
			})
		}
		wg.Wait()
		require.Len(t, created, 1, "one create wins; the others must not replace its code")
		cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("contested")})
		require.NoError(t, err)
		assert.Equal(t, created[0], aws.ToString(cfg.CodeSha256))
	})
}

func TestGetFunction(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	created := s.deploy(t, "echo", zipOf(t, "echo.wasm", echo))

	out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("echo")})
	require.NoError(t, err)
	require.NotNil(t, out.Configuration)
	assert.Equal(t, aws.ToString(created.FunctionArn), aws.ToString(out.Configuration.FunctionArn))
	assert.Equal(t, aws.ToString(created.RevisionId), aws.ToString(out.Configuration.RevisionId))
	assert.Nil(t, out.Concurrency)
	require.NotNil(t, out.Code)
	loc := aws.ToString(out.Code.Location)
	require.True(t, strings.HasPrefix(loc, s.URL+"/flint/v1/functions/echo/code"), loc)

	// The location downloads the module as Lambda's presigned S3 URL does:
	// with no credentials of the caller's own.
	res, err := http.Get(loc)
	require.NoError(t, err)
	defer res.Body.Close()
	module, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", module)
	assert.Equal(t, "application/wasm", res.Header.Get("Content-Type"))
	assert.Equal(t, echo, module)

	// Through the signed API too, and for a published version.
	got := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/echo/code", nil)
	require.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, echo, got.Body)
	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("echo")})
	require.NoError(t, err)
	v1, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("echo"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(v1.Configuration.Version))
	assert.Contains(t, aws.ToString(v1.Code.Location), "qualifier=1")

	t.Run("configuration", func(t *testing.T) {
		cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("echo")})
		require.NoError(t, err)
		assert.Equal(t, "$LATEST", aws.ToString(cfg.Version))
		assert.Equal(t, int32(3), aws.ToInt32(cfg.Timeout), "Lambda's default timeout")
		assert.Equal(t, int32(128), aws.ToInt32(cfg.MemorySize), "Lambda's default memory")
		for _, name := range []string{"echo:1", "arn:aws:lambda:us-east-1:000000000000:function:echo:1", "000000000000:function:echo:1"} {
			cfg, err = lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
			require.NoError(t, err, name)
			assert.Equal(t, "1", aws.ToString(cfg.Version), name)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, in := range []*lambda.GetFunctionInput{
			{FunctionName: aws.String("nosuch")},
			{FunctionName: aws.String("echo"), Qualifier: aws.String("7")},
			{FunctionName: aws.String("echo"), Qualifier: aws.String("nosuchalias")},
		} {
			_, err := lc.GetFunction(ctx, in)
			var nf *types.ResourceNotFoundException
			assert.ErrorAs(t, err, &nf)
		}
	})
}

func TestListFunctions(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	// Names where the listing order is not the order of the ARNs'
	// strings: "api:1" sorts after "api-v2".
	names := []string{"api", "api-v2", "billing", "billing-worker", "cron"}
	for _, n := range names {
		s.deploy(t, n, echo)
	}
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("api")})
	require.NoError(t, err)

	list := func(t *testing.T, version types.FunctionVersion) (all []string, pages int) {
		p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), FunctionVersion: version})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Functions), 2)
			if p.HasMorePages() {
				assert.NotEmpty(t, aws.ToString(page.NextMarker))
			}
			for _, f := range page.Functions {
				all = append(all, aws.ToString(f.FunctionName)+":"+aws.ToString(f.Version))
			}
			pages++
			require.Less(t, pages, 10, "pagination ends")
		}
		return all, pages
	}
	t.Run("latest", func(t *testing.T) {
		got, pages := list(t, "")
		assert.Equal(t, []string{"api:$LATEST", "api-v2:$LATEST", "billing:$LATEST", "billing-worker:$LATEST", "cron:$LATEST"}, got)
		assert.Equal(t, 3, pages)
	})
	t.Run("all versions", func(t *testing.T) {
		got, pages := list(t, types.FunctionVersionAll)
		assert.Equal(t, []string{"api:$LATEST", "api:1", "api-v2:$LATEST", "billing:$LATEST", "billing-worker:$LATEST", "cron:$LATEST"}, got)
		assert.Equal(t, 3, pages)
	})
	t.Run("one page", func(t *testing.T) {
		out, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		require.NoError(t, err)
		assert.Len(t, out.Functions, 5)
		assert.Nil(t, out.NextMarker)
	})
	t.Run("bad MaxItems", func(t *testing.T) {
		_, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
		var ip *types.InvalidParameterValueException
		assert.ErrorAs(t, err, &ip)
	})
}

func TestUpdateFunctionCode(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	created := s.deploy(t, "fn", testguest.WATEcho(t))
	assert.Equal(t, "{}", string(s.invoke(t, "fn", "{}").Payload))

	fail := wasm(t, "fail")
	out, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipOf(t, "fail.wasm", fail),
		RevisionId: created.RevisionId, Publish: true})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(out.Version))
	assert.Equal(t, codeSha256(fail), aws.ToString(out.CodeSha256))
	assert.Equal(t, "Handled", aws.ToString(s.invoke(t, "fn", "{}").FunctionError), "the new code runs")
	assert.Equal(t, "Handled", aws.ToString(s.invoke(t, "fn:1", "{}").FunctionError))

	for _, tc := range []struct {
		name string
		in   *lambda.UpdateFunctionCodeInput
		want any
	}{
		{name: "stale revision", in: &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: fail, RevisionId: created.RevisionId},
			want: &types.PreconditionFailedException{}},
		{name: "invalid module", in: &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: wasm(t, "invalid")},
			want: &types.InvalidParameterValueException{}},
		{name: "no function", in: &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("nosuch"), ZipFile: fail},
			want: &types.ResourceNotFoundException{}},
		{name: "S3", in: &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), S3Bucket: aws.String("b"), S3Key: aws.String("k")},
			want: &types.InvalidParameterValueException{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lc.UpdateFunctionCode(ctx, tc.in)
			switch want := tc.want.(type) {
			case *types.PreconditionFailedException:
				require.ErrorAs(t, err, &want)
			case *types.InvalidParameterValueException:
				require.ErrorAs(t, err, &want)
			case *types.ResourceNotFoundException:
				require.ErrorAs(t, err, &want)
			}
		})
	}
	assert.Equal(t, "Handled", aws.ToString(s.invoke(t, "fn", "{}").FunctionError), "refused updates changed nothing")
}

func TestUpdateFunctionConfiguration(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	created := s.deploy(t, "env", wasm(t, "env"))
	r := s.signedRequest(t, adminKey, http.MethodPut, "/flint/v1/roles/other", []byte(`{"Version":"2026-11-01","Statement":[]}`))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	out, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("env"), RevisionId: created.RevisionId,
		Timeout: aws.Int32(30), MemorySize: aws.Int32(256), Role: aws.String(roleArn("other")),
		Handler: aws.String("handle"), Description: aws.String("shows its environment"),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "hello"}},
	})
	require.NoError(t, err)
	assert.Equal(t, int32(30), aws.ToInt32(out.Timeout))
	assert.Equal(t, int32(256), aws.ToInt32(out.MemorySize))
	assert.Equal(t, roleArn("other"), aws.ToString(out.Role))
	assert.Equal(t, "handle", aws.ToString(out.Handler))
	assert.Equal(t, "shows its environment", aws.ToString(out.Description))
	require.NotNil(t, out.Environment)
	assert.Equal(t, map[string]string{"GREETING": "hello"}, out.Environment.Variables)
	assert.NotEqual(t, aws.ToString(created.RevisionId), aws.ToString(out.RevisionId))
	env := string(s.invoke(t, "env", "").Payload)
	assert.Contains(t, env, "GREETING=hello")
	assert.Contains(t, env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")

	for _, tc := range []struct {
		name string
		in   lambda.UpdateFunctionConfigurationInput
		msg  string
	}{
		{name: "timeout 0", in: lambda.UpdateFunctionConfigurationInput{Timeout: aws.Int32(0)}, msg: "Timeout 0"},
		{name: "timeout 901", in: lambda.UpdateFunctionConfigurationInput{Timeout: aws.Int32(901)}, msg: "Timeout 901"},
		{name: "memory 0", in: lambda.UpdateFunctionConfigurationInput{MemorySize: aws.Int32(0)}, msg: "MemorySize 0"},
		{name: "memory over the maximum", in: lambda.UpdateFunctionConfigurationInput{MemorySize: aws.Int32(10240)}, msg: "MemorySize 10240"},
		{name: "reserved variable", in: lambda.UpdateFunctionConfigurationInput{Environment: &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}}, msg: "AWS_REGION"},
		{name: "missing role", in: lambda.UpdateFunctionConfigurationInput{Role: aws.String(roleArn("nosuch"))}, msg: "nosuch"},
		{name: "missing handler", in: lambda.UpdateFunctionConfigurationInput{Handler: aws.String("nosuch")}, msg: "nosuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.FunctionName = aws.String("env")
			_, err := lc.UpdateFunctionConfiguration(ctx, &tc.in)
			var ip *types.InvalidParameterValueException
			require.ErrorAs(t, err, &ip)
			assert.Contains(t, ip.ErrorMessage(), tc.msg)
		})
	}
	t.Run("stale revision", func(t *testing.T) {
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("env"),
			RevisionId: created.RevisionId, Timeout: aws.Int32(5)})
		var pf *types.PreconditionFailedException
		require.ErrorAs(t, err, &pf)
	})
	t.Run("a version", func(t *testing.T) {
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("env:1"), Timeout: aws.Int32(5)})
		var ip *types.InvalidParameterValueException
		require.ErrorAs(t, err, &ip)
	})
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("env")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(out.RevisionId), aws.ToString(cfg.RevisionId), "refused updates changed nothing")
}

func TestDeleteFunction(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	s.deploy(t, "fn", echo)
	for range 2 {
		_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
		require.NoError(t, err)
		_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(9)})
		require.NoError(t, err)
	}
	_, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	require.NoError(t, err)

	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	var nf *types.ResourceNotFoundException
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn:1")})
	require.ErrorAs(t, err, &nf, "version 1 is gone")
	s.invoke(t, "fn:2", "{}")

	var rc *types.ResourceConflictException
	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("2")})
	require.ErrorAs(t, err, &rc, "an alias points to version 2")
	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("7")})
	require.ErrorAs(t, err, &nf)
	var ip *types.InvalidParameterValueException
	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST")})
	require.ErrorAs(t, err, &ip, "$LATEST goes with the function only")

	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	for _, target := range []string{"fn", "fn:2", "fn:live"} {
		_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(target)})
		require.ErrorAs(t, err, &nf, target)
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(target)})
		require.ErrorAs(t, err, &nf, target)
	}
	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf)
	s.deploy(t, "fn", echo) // the name is free again
}

func TestVersions(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	created := s.deploy(t, "fn", testguest.WATEcho(t))

	v1, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), Description: aws.String("first"),
		CodeSha256: created.CodeSha256, RevisionId: created.RevisionId})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(v1.Version))
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn:1", aws.ToString(v1.FunctionArn))
	assert.Equal(t, "first", aws.ToString(v1.Description))
	again, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(again.Version), "nothing changed: the same version")

	for i := 2; i <= 4; i++ {
		_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(int32(i))})
		require.NoError(t, err)
		v, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
		require.NoError(t, err)
		assert.Equal(t, int32(i), aws.ToInt32(v.Timeout))
	}

	t.Run("refused", func(t *testing.T) {
		var ip *types.InvalidParameterValueException
		_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String(codeSha256([]byte("other")))})
		require.ErrorAs(t, err, &ip)
		var pf *types.PreconditionFailedException
		_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: created.RevisionId})
		require.ErrorAs(t, err, &pf)
		var nf *types.ResourceNotFoundException
		_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("nosuch")})
		require.ErrorAs(t, err, &nf)
	})

	t.Run("list", func(t *testing.T) {
		var got []string
		p := lambda.NewListVersionsByFunctionPaginator(lc, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn"), MaxItems: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, v := range page.Versions {
				got = append(got, aws.ToString(v.Version))
			}
			pages++
			require.Less(t, pages, 10)
		}
		assert.Equal(t, []string{"$LATEST", "1", "2", "3", "4"}, got)
		assert.Equal(t, 3, pages)
	})
}

func TestAliases(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", wasm(t, "env"))
	for i := 1; i <= 2; i++ {
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(int32(i))})
		require.NoError(t, err)
		_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
		require.NoError(t, err)
	}

	created, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
		FunctionVersion: aws.String("1"), Description: aws.String("production")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn:live", aws.ToString(created.AliasArn))
	assert.Equal(t, "1", aws.ToString(created.FunctionVersion))
	assert.Equal(t, "production", aws.ToString(created.Description))
	assert.NotEmpty(t, aws.ToString(created.RevisionId))
	inv := s.invoke(t, "fn:live", "")
	assert.Equal(t, "1", aws.ToString(inv.ExecutedVersion))
	assert.Contains(t, string(inv.Payload), "AWS_LAMBDA_FUNCTION_VERSION=1")

	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	require.NoError(t, err)
	assert.Equal(t, created.RevisionId, got.RevisionId)

	updated, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), RevisionId: got.RevisionId,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(updated.FunctionVersion), "kept")
	assert.Equal(t, "production", aws.ToString(updated.Description), "kept")
	require.NotNil(t, updated.RoutingConfig)
	assert.Equal(t, map[string]float64{"2": 0.5}, updated.RoutingConfig.AdditionalVersionWeights)
	ran := map[string]bool{}
	require.Eventually(t, func() bool {
		ran[aws.ToString(s.invoke(t, "fn:live", "").ExecutedVersion)] = true
		return ran["1"] && ran["2"]
	}, 10*time.Second, time.Millisecond, "both versions serve the alias")

	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("beta"), FunctionVersion: aws.String("2")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("canary"), FunctionVersion: aws.String("$LATEST")})
	require.NoError(t, err)

	t.Run("list", func(t *testing.T) {
		var names []string
		p := lambda.NewListAliasesPaginator(lc, &lambda.ListAliasesInput{FunctionName: aws.String("fn"), MaxItems: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, a := range page.Aliases {
				names = append(names, aws.ToString(a.Name))
			}
			require.Less(t, len(names), 10)
		}
		assert.Equal(t, []string{"beta", "canary", "live"}, names)
		out, err := lc.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("fn"), FunctionVersion: aws.String("2")})
		require.NoError(t, err)
		require.Len(t, out.Aliases, 1)
		assert.Equal(t, "beta", aws.ToString(out.Aliases[0].Name))
	})

	t.Run("refused", func(t *testing.T) {
		var rc *types.ResourceConflictException
		_, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
		require.ErrorAs(t, err, &rc)
		var pf *types.PreconditionFailedException
		_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), RevisionId: got.RevisionId, FunctionVersion: aws.String("2")})
		require.ErrorAs(t, err, &pf)
		var ip *types.InvalidParameterValueException
		_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
			RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}}})
		require.ErrorAs(t, err, &ip)
		_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("bad"), FunctionVersion: aws.String("9")})
		assert.Error(t, err)
		_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("42"), FunctionVersion: aws.String("1")})
		require.ErrorAs(t, err, &ip, "a name of digits names a version")
		var nf *types.ResourceNotFoundException
		_, err = lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nosuch")})
		require.ErrorAs(t, err, &nf)
		_, err = lc.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nosuch")})
		require.ErrorAs(t, err, &nf)
	})

	t.Run("remove routing", func(t *testing.T) {
		out, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
			FunctionVersion: aws.String("2"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
		require.NoError(t, err)
		assert.Nil(t, out.RoutingConfig)
		for range 5 {
			assert.Equal(t, "2", aws.ToString(s.invoke(t, "fn:live", "").ExecutedVersion))
		}
	})

	_, err = lc.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	require.NoError(t, err)
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn:live")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "sleep", wasm(t, "sleep"))
	_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("sleep"), Timeout: aws.Int32(30)})
	require.NoError(t, err)

	got, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
	require.NoError(t, err)
	assert.Nil(t, got.ReservedConcurrentExecutions, "none reserved")

	put, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("sleep"), ReservedConcurrentExecutions: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, int32(1), aws.ToInt32(put.ReservedConcurrentExecutions))
	got, err = lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
	require.NoError(t, err)
	assert.Equal(t, int32(1), aws.ToInt32(got.ReservedConcurrentExecutions))
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sleep")})
	require.NoError(t, err)
	require.NotNil(t, fn.Concurrency)
	assert.Equal(t, int32(1), aws.ToInt32(fn.Concurrency.ReservedConcurrentExecutions))

	t.Run("throttled", func(t *testing.T) {
		first := make(chan error, 1)
		go func() {
			_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("2000")})
			first <- err
		}()
		require.Eventually(t, func() bool { return s.Engine.Metrics(ctx).Concurrent == 1 }, 10*time.Second, 5*time.Millisecond)
		_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("1")})
		var tm *types.TooManyRequestsException
		require.ErrorAs(t, err, &tm)
		assert.Equal(t, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded, tm.Reason)
		assert.Contains(t, tm.ErrorMessage(), "Rate Exceeded")
		var re interface{ HTTPStatusCode() int }
		require.ErrorAs(t, err, &re)
		assert.Equal(t, http.StatusTooManyRequests, re.HTTPStatusCode())
		require.NoError(t, <-first)
	})

	t.Run("refused", func(t *testing.T) {
		var ip *types.InvalidParameterValueException
		_, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("sleep"), ReservedConcurrentExecutions: aws.Int32(-1)})
		require.ErrorAs(t, err, &ip)
		var nf *types.ResourceNotFoundException
		_, err = lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("nosuch"), ReservedConcurrentExecutions: aws.Int32(1)})
		require.ErrorAs(t, err, &nf)
	})

	t.Run("zero switches the function off", func(t *testing.T) {
		_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("sleep"), AuthType: types.FunctionUrlAuthTypeAwsIam})
		require.NoError(t, err)
		put, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("sleep"), ReservedConcurrentExecutions: aws.Int32(0)})
		require.NoError(t, err)
		require.NotNil(t, put.ReservedConcurrentExecutions)
		assert.Equal(t, int32(0), *put.ReservedConcurrentExecutions)
		got, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
		require.NoError(t, err)
		require.NotNil(t, got.ReservedConcurrentExecutions, "0 is a reservation, not none")
		assert.Equal(t, int32(0), *got.ReservedConcurrentExecutions)
		fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sleep")})
		require.NoError(t, err)
		require.NotNil(t, fn.Concurrency)
		assert.Equal(t, int32(0), aws.ToInt32(fn.Concurrency.ReservedConcurrentExecutions))

		for range 3 {
			_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("1")})
			var tm *types.TooManyRequestsException
			require.ErrorAs(t, err, &tm, "every invocation is throttled")
			assert.Equal(t, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded, tm.Reason)
		}
		req := s.newRequest(t, http.MethodPost, "/fn/sleep/", []byte("1"))
		sign(t, req, adminKey, []byte("1"), time.Now())
		assert.Equal(t, http.StatusTooManyRequests, do(t, req).Status, "and its URL")

		_, err = lc.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
		require.NoError(t, err)
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleep"), Payload: []byte("1")})
		require.NoError(t, err, "on again once the reservation is removed")
	})

	_, err = lc.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
	require.NoError(t, err)
	got, err = lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sleep")})
	require.NoError(t, err)
	assert.Nil(t, got.ReservedConcurrentExecutions)
}

func TestListProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)
	list := func() map[string]int32 {
		out, err := lc.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("fn")})
		require.NoError(t, err)
		got := map[string]int32{}
		for _, it := range out.ProvisionedConcurrencyConfigs {
			got[aws.ToString(it.FunctionArn)] = aws.ToInt32(it.RequestedProvisionedConcurrentExecutions)
			assert.Equal(t, types.ProvisionedConcurrencyStatusEnumReady, it.Status)
		}
		return got
	}
	assert.Empty(t, list())
	for q, n := range map[string]int32{"1": 2, "live": 1} {
		_, err = lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"),
			Qualifier: aws.String(q), ProvisionedConcurrentExecutions: aws.Int32(n)})
		require.NoError(t, err)
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:function:fn:"
	assert.Equal(t, map[string]int32{arn + "1": 2, arn + "live": 1}, list())
}

func TestProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)

	get := func(q string) (*lambda.GetProvisionedConcurrencyConfigOutput, error) {
		return lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String(q)})
	}
	var pnf *types.ProvisionedConcurrencyConfigNotFoundException
	_, err = get("1")
	require.ErrorAs(t, err, &pnf)

	out, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1"),
		ProvisionedConcurrentExecutions: aws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, int32(2), aws.ToInt32(out.RequestedProvisionedConcurrentExecutions))
	assert.Equal(t, int32(2), aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions))
	assert.Equal(t, types.ProvisionedConcurrencyStatusEnumReady, out.Status)
	got, err := get("1")
	require.NoError(t, err)
	assert.Equal(t, int32(2), aws.ToInt32(got.AvailableProvisionedConcurrentExecutions))
	require.Eventually(t, func() bool {
		st, err := s.Engine.Stats("fn:1")
		return err == nil && st.Idle >= 2
	}, 10*time.Second, 5*time.Millisecond, "instances kept ready")

	var ip *types.InvalidParameterValueException
	for _, in := range []*lambda.PutProvisionedConcurrencyConfigInput{
		{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(1)},
		{FunctionName: aws.String("fn"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(0)},
		{FunctionName: aws.String("fn"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(1 << 20)},
	} {
		_, err = lc.PutProvisionedConcurrencyConfig(ctx, in)
		require.ErrorAs(t, err, &ip)
	}
	var nf *types.ResourceNotFoundException
	_, err = lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("7"),
		ProvisionedConcurrentExecutions: aws.Int32(1)})
	require.ErrorAs(t, err, &nf)

	_, err = lc.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	_, err = get("1")
	require.ErrorAs(t, err, &pnf)

	t.Run("alias", func(t *testing.T) {
		_, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live"),
			ProvisionedConcurrentExecutions: aws.Int32(1)})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			st, err := s.Engine.Stats("fn:live")
			return err == nil && st.Idle >= 1
		}, 10*time.Second, 5*time.Millisecond, "instances kept ready")
		got, err := get("live")
		require.NoError(t, err)
		assert.Equal(t, int32(1), aws.ToInt32(got.RequestedProvisionedConcurrentExecutions))
		_, err = get("1")
		require.ErrorAs(t, err, &pnf, "the alias's setting is not its version's")
	})
}

func TestEventInvokeConfig(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	s.deploy(t, "audit", testguest.WATEcho(t))

	var nf *types.ResourceNotFoundException
	_, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf, "none yet")

	auditArn := "arn:aws:lambda:us-east-1:000000000000:function:audit"
	put, err := lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"),
		MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(120),
		DestinationConfig: &types.DestinationConfig{
			OnSuccess: &types.OnSuccess{Destination: aws.String(auditArn)},
			OnFailure: &types.OnFailure{Destination: aws.String("flint:dead-letter")},
		}})
	require.NoError(t, err)
	check := func(t *testing.T, out *lambda.GetFunctionEventInvokeConfigOutput, retries, age int32) {
		t.Helper()
		assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn", aws.ToString(out.FunctionArn))
		assert.Equal(t, retries, aws.ToInt32(out.MaximumRetryAttempts))
		assert.Equal(t, age, aws.ToInt32(out.MaximumEventAgeInSeconds))
		require.NotNil(t, out.DestinationConfig)
		require.NotNil(t, out.DestinationConfig.OnSuccess)
		assert.Equal(t, auditArn, aws.ToString(out.DestinationConfig.OnSuccess.Destination))
		require.NotNil(t, out.DestinationConfig.OnFailure)
		assert.Equal(t, "flint:dead-letter", aws.ToString(out.DestinationConfig.OnFailure.Destination))
	}
	check(t, (*lambda.GetFunctionEventInvokeConfigOutput)(put), 1, 120)
	got, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	check(t, got, 1, 120)

	// Update changes what it names and keeps the rest.
	upd, err := lc.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumRetryAttempts: aws.Int32(0)})
	require.NoError(t, err)
	check(t, (*lambda.GetFunctionEventInvokeConfigOutput)(upd), 0, 120)

	for _, tc := range []struct {
		name string
		in   lambda.PutFunctionEventInvokeConfigInput
	}{
		{name: "retries -1", in: lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(-1)}},
		{name: "retries 3", in: lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(3)}},
		{name: "age 0", in: lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(0)}},
		{name: "age 59", in: lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(59)}},
		{name: "age over 6 hours", in: lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(21601)}},
		{name: "SQS destination", in: lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{
			OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:000000000000:queue")}}}},
		{name: "bad function ARN", in: lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{
			OnSuccess: &types.OnSuccess{Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:a:b:c")}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.FunctionName = aws.String("fn")
			_, err := lc.PutFunctionEventInvokeConfig(ctx, &tc.in)
			var ip *types.InvalidParameterValueException
			require.ErrorAs(t, err, &ip)
		})
	}
	got, err = lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	check(t, got, 0, 120)

	_, err = lc.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("fn")})
	require.ErrorAs(t, err, &nf)
	_, err = lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("nosuch"), MaximumRetryAttempts: aws.Int32(1)})
	require.ErrorAs(t, err, &nf)
}

// failingBlobs is a blob store whose writes fail while fail is set.
type failingBlobs struct {
	store.Blobs
	fail *atomic.Bool
}

func (b failingBlobs) Put(ctx context.Context, data []byte) (string, error) {
	if b.fail.Load() {
		return "", errors.New("blob store: disk on fire")
	}
	return b.Blobs.Put(ctx, data)
}

// failingStore is a store whose blob writes fail while fail is set.
type failingStore struct {
	store.Store
	fail *atomic.Bool
}

func (s failingStore) Blobs() store.Blobs { return failingBlobs{s.Store.Blobs(), s.fail} }

func TestServiceException(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	s := startServerWith(t, func(g *gateway.Config, e *engine.Config) {
		e.Store = failingStore{e.Store, &fail}
		g.Store = e.Store
	})
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))

	fail.Store(true)
	_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("other"), Role: aws.String(defaultRole),
		Code: &types.FunctionCode{ZipFile: wasm(t, "fail")}})
	var se *types.ServiceException
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.ErrorMessage(), "disk on fire")
	var re interface{ HTTPStatusCode() int }
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusInternalServerError, re.HTTPStatusCode())
	_, err = lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: wasm(t, "fail")})
	require.ErrorAs(t, err, &se)

	fail.Store(false)
	assert.JSONEq(t, `{}`, string(s.invoke(t, "fn", `{}`).Payload), "the function is as it was")
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("other")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf, "nothing half-created")
}

// TestSnapStart: Lambda's SnapStart setting turns Flint's snapshots off
// (ApplyOn None) or on (PublishedVersions); absent, they are on.
func TestSnapStart(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	snapshot := func(name string) string {
		t.Helper()
		st, err := s.Engine.Stats(name)
		require.NoError(t, err)
		return st.Snapshot
	}

	out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("off"), Role: aws.String(defaultRole),
		Code:      &types.FunctionCode{ZipFile: testguest.File(t, "guest-examples/c-hello/hello.wasm")},
		SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnNone},
	})
	require.NoError(t, err)
	require.NotNil(t, out.SnapStart)
	assert.Equal(t, types.SnapStartApplyOnNone, out.SnapStart.ApplyOn)
	assert.Equal(t, types.SnapStartOptimizationStatusOff, out.SnapStart.OptimizationStatus)
	assert.Regexp(t, `^off: `, snapshot("off"))

	on := s.deploy(t, "on", testguest.File(t, "guest-examples/c-hello/hello.wasm"))
	require.NotNil(t, on.SnapStart)
	assert.Equal(t, types.SnapStartOptimizationStatusOn, on.SnapStart.OptimizationStatus, "on by default")

	// A configuration update of something else keeps the setting; SnapStart turns it on.
	cfg, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("off"), Timeout: aws.Int32(5)})
	require.NoError(t, err)
	assert.Equal(t, types.SnapStartOptimizationStatusOff, cfg.SnapStart.OptimizationStatus)
	cfg, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("off"),
		SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}})
	require.NoError(t, err)
	assert.Equal(t, types.SnapStartOptimizationStatusOn, cfg.SnapStart.OptimizationStatus)
	s.invoke(t, "off", `{}`)
	assert.Regexp(t, `^ready`, snapshot("off"))

	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("off"),
		SnapStart: &types.SnapStart{ApplyOn: "Always"}})
	var ip *types.InvalidParameterValueException
	require.ErrorAs(t, err, &ip)
	assert.Contains(t, ip.ErrorMessage(), "SnapStart.ApplyOn")
}
