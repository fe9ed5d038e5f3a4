package gateway_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileUploads sends deployment packages built to hurt the server
// that unpacks them (the upload side of the hostile-guest corpus,
// guest-examples/hostile/corpus/README.md): each must be refused promptly
// with a typed Lambda error, or accepted harmlessly, without the server
// allocating anything near what the package claims to hold; afterwards the
// server still deploys and runs a well-behaved function.
func TestHostileUploads(t *testing.T) {
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	echo := testguest.WATEcho(t)
	s.deploy(t, "neighbour", echo)

	const gib = 1 << 30
	evil := filepath.Join(os.TempDir(), fmt.Sprintf("flint-hostile-%d.wasm", os.Getpid()))
	tests := []struct {
		name string
		code func(t testing.TB) []byte
		want any    // the SDK error type; nil: accepted
		msg  string // in the error
	}{
		{name: "256 MiB zip bomb", code: func(t testing.TB) []byte { return zipBomb(t, gib/4, false) },
			want: &types.RequestTooLargeException{}, msg: "over the 67108864-byte limit"},
		{name: "1 GiB zip bomb claiming 1 KiB", code: func(t testing.TB) []byte { return zipBomb(t, gib, true) },
			want: &types.InvalidParameterValueException{}, msg: "bomb.wasm"},
		{name: "zip in a zip", code: func(t testing.TB) []byte { return zipOf(t, "inner.wasm", zipBomb(t, 100<<20, false)) },
			want: &types.InvalidParameterValueException{}, msg: "not a WebAssembly module"},
		{name: "thousands of entries", code: func(t testing.TB) []byte {
			files := make([]any, 0, 4_000)
			for i := range 2_000 {
				files = append(files, fmt.Sprintf("f%d.wasm", i), []byte{})
			}
			return zipOf(t, files...)
		}, want: &types.InvalidParameterValueException{}, msg: "holds 2000 .wasm files"},
		{name: "a directory named like a module", code: func(t testing.TB) []byte { return zipOf(t, "echo.wasm/", []byte{}) },
			want: &types.InvalidParameterValueException{}, msg: "holds 0 .wasm files"},
		{name: "path traversal in the entry name", code: func(t testing.TB) []byte { return zipOf(t, "../../../../../.."+evil, echo) }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := tc.code(t)
			fn := fmt.Sprintf("upload%d", i)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(fn), Role: aws.String(defaultRole), Code: &types.FunctionCode{ZipFile: code},
			})
			runtime.ReadMemStats(&after)
			// What client and server allocated for the whole request: the
			// package a few times over, at most the 64 MiB module limit
			// once or twice, never the gigabyte the bomb inflates to.
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d MiB for a %d KiB package", allocated>>20, len(code)>>10)
			assert.Less(t, allocated, uint64(400<<20), "allocated %d MiB for a %d KiB package", allocated>>20, len(code)>>10)

			switch want := tc.want.(type) {
			case nil:
				require.NoError(t, err)
				assert.Equal(t, `"ping"`, string(s.invoke(t, fn, `"ping"`).Payload))
				_, statErr := os.Stat(evil)
				assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing of the package was written to disk")
			case *types.RequestTooLargeException:
				require.ErrorAs(t, err, &want)
			case *types.InvalidParameterValueException:
				require.ErrorAs(t, err, &want)
			}
			if tc.want != nil {
				assert.Contains(t, err.Error(), tc.msg)
				_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
				var nf *types.ResourceNotFoundException
				assert.ErrorAs(t, err, &nf, "a refused package deploys nothing")
			}

			// The server is healthy.
			assert.Equal(t, `"still here"`, string(s.invoke(t, "neighbour", `"still here"`).Payload))
		})
	}
}
