package gateway_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test credentials: an admin key and a key that may only invoke what a
// function's invoke policy grants it.
var (
	adminKey   = auth.Key{AccessKeyID: "AKIAFLINTADMIN000001", SecretAccessKey: "admin-secret-key-0123456789", Admin: true}
	invokerKey = auth.Key{AccessKeyID: "AKIAFLINTINVOKER0001", SecretAccessKey: "invoker-secret-key-0123456789"}
)

// server is a gateway serving on a loopback port for one test.
type server struct {
	URL    string
	Engine *engine.Engine
	GW     *gateway.Gateway
}

// startServer starts an engine and a gateway with the test keys (or none,
// when open) and stops both when the test ends.
func startServer(t testing.TB, open bool) *server {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	var keys []auth.Key
	if !open {
		keys = []auth.Key{adminKey, invokerKey}
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
	return &server{URL: "http://" + ln.Addr().String(), Engine: eng, GW: gw}
}

// client is the official AWS SDK's Lambda client, signing with key.
func (s *server) client(key auth.Key) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}
