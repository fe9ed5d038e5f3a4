package gateway_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tmpResult is what the fidelity guest's /tmp operations answer.
type tmpResult struct {
	Existed bool   `json:"existed"`
	Read    string `json:"read"`
}

func TestEphemeralStorage(t *testing.T) {
	t.Parallel()
	tmpBase := t.TempDir()
	s := startServerWith(t, func(_ *gateway.Config, e *engine.Config) { e.TmpDir = tmpBase })
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deployFidelity(t, "fid")

	op := func(t *testing.T, payload string) (tmpResult, string) {
		t.Helper()
		out := s.invoke(t, "fid", payload)
		if out.FunctionError != nil {
			var fe struct{ ErrorType string }
			require.NoError(t, json.Unmarshal(out.Payload, &fe))
			return tmpResult{}, fe.ErrorType
		}
		var r tmpResult
		if len(out.Payload) > 0 {
			require.NoError(t, json.Unmarshal(out.Payload, &r), "%s", out.Payload)
		}
		return r, ""
	}

	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fid")})
	require.NoError(t, err)
	require.NotNil(t, cfg.EphemeralStorage)
	assert.Equal(t, int32(512), aws.ToInt32(cfg.EphemeralStorage.Size), "Lambda's default")

	t.Run("each instance has its own", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([]tmpResult, 2)
		for i, data := range []string{"first", "second"} {
			wg.Go(func() {
				r, errType := op(t, `{"op":"tmp-hold","path":"/tmp/owner","data":"`+data+`","wait":"both"}`)
				assert.Empty(t, errType)
				results[i] = r
			})
		}
		require.Eventually(t, func() bool { return s.Engine.Metrics(ctx).Concurrent == 2 }, 30*time.Second, 5*time.Millisecond,
			"two instances at once")
		s.release(t, "fid", "both")
		wg.Wait()
		assert.Equal(t, []tmpResult{{Existed: false, Read: "first"}, {Existed: false, Read: "second"}}, results,
			"neither saw the other's file")
	})

	t.Run("capped at EphemeralStorage.Size, ENOSPC past it", func(t *testing.T) {
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fid"),
			EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)}})
		require.NoError(t, err)
		cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fid")})
		require.NoError(t, err)
		assert.Equal(t, int32(1024), aws.ToInt32(cfg.EphemeralStorage.Size))
		// A byte at the end of the cap (less the file's own block) fits;
		// a hole counts as written.
		_, errType := op(t, `{"op":"tmp-writeat","path":"/tmp/big","offset":1073737727,"data":"x"}`)
		assert.Empty(t, errType)
		_, errType = op(t, `{"op":"tmp-writeat","path":"/tmp/big","offset":1073737728,"data":"x"}`)
		assert.Equal(t, "ENOSPC", errType)
		_, errType = op(t, `{"op":"tmp-writeat","path":"/tmp/small","data":"x"}`)
		assert.Equal(t, "ENOSPC", errType, "not even a new file")
		_, errType = op(t, `{"op":"tmp-remove","path":"/tmp/big"}`)
		require.Empty(t, errType)
		_, errType = op(t, `{"op":"tmp-writeat","path":"/tmp/small","data":"x"}`)
		assert.Empty(t, errType, "room again once removed")
	})

	t.Run("emptied when the instance goes", func(t *testing.T) {
		_, errType := op(t, `{"op":"tmp-writeat","path":"/tmp/kept","data":"kept"}`)
		require.Empty(t, errType)
		r, errType := op(t, `{"op":"tmp-read","path":"/tmp/kept"}`)
		require.Empty(t, errType)
		assert.Equal(t, "kept", r.Read, "the instance keeps its /tmp between invocations")
		// A new configuration retires the instances: the next one starts empty.
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fid"),
			Description: aws.String("new instances")})
		require.NoError(t, err)
		_, errType = op(t, `{"op":"tmp-read","path":"/tmp/kept"}`)
		assert.Equal(t, "ENOENT", errType)
		_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fid")})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			entries, err := os.ReadDir(tmpBase)
			return err == nil && len(entries) == 0
		}, 20*time.Second, 10*time.Millisecond, "no instance directory is left on the host")
	})

	t.Run("refused sizes", func(t *testing.T) {
		for _, size := range []int32{511, 10241} {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bad"), Role: aws.String(defaultRole),
				Code: &types.FunctionCode{ZipFile: wasm(t, "stream")}, EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(size)}})
			var ip *types.InvalidParameterValueException
			require.ErrorAs(t, err, &ip, "%d MB", size)
			assert.Contains(t, ip.ErrorMessage(), "between 512 and 10240")
		}
	})
}
