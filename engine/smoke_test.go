package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	defer eng.Close(ctx)
	_, err = eng.Deploy(ctx, engine.Function{Name: "wat", Code: testguest.WATEcho(t)})
	require.NoError(t, err)
	res, err := eng.Invoke(ctx, "wat", []byte("hi"))
	require.NoError(t, err)
	require.Nil(t, res.FunctionError)
	require.Equal(t, "hi", string(res.Payload))
	start := time.Now()
	_, err = eng.Deploy(ctx, engine.Function{Name: "hello", Code: testguest.Go(t, "hello"), Env: map[string]string{"GREETING": "hi"}})
	require.NoError(t, err)
	t.Log("deploy", time.Since(start))
	res, err = eng.Invoke(ctx, "hello", []byte(`{"name":"ana"}`))
	require.NoError(t, err)
	require.Nil(t, res.FunctionError)
	t.Logf("%s cold=%v init=%v dur=%v mem=%d logs=%q", res.Payload, res.Cold, res.InitDuration, res.Duration, res.MemoryUsed, res.Logs)
	res, err = eng.Invoke(ctx, "hello", []byte(`{"name":"bob"}`))
	require.NoError(t, err)
	t.Logf("%s cold=%v init=%v dur=%v", res.Payload, res.Cold, res.InitDuration, res.Duration)
}
