package eventsource_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamsAsAsyncDestinations checks that an asynchronous invocation's
// record reaches a stream named as its function's failure destination.
func TestStreamsAsAsyncDestinations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	js := b.JetStream()
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "failures", Subjects: []string{"failures.async"}})
	require.NoError(t, err)
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "wild", Subjects: []string{"wild.>"}})
	require.NoError(t, err)
	eng, err := engine.New(ctx, engine.Config{Destinations: &eventsource.Streams{JetStream: js}, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	_, err = eng.Deploy(ctx, engine.Function{Name: "fn", Code: testguest.Go(t, "eventsource/testdata/batchreply")})
	require.NoError(t, err)

	arn := eventsource.StreamARN("us-east-1", "000000000000", "failures")
	none := 0
	_, err = eng.UpdateSettings(ctx, "fn", func(s *engine.Settings) error {
		s.EventInvokeConfig = engine.EventInvokeConfig{MaximumRetryAttempts: &none, OnFailure: arn}
		return nil
	})
	require.NoError(t, err)
	id, err := eng.InvokeAsync(ctx, "fn", []byte(`{"Records":[{"messageId":"1","body":"fail"}]}`))
	require.NoError(t, err)

	failures, err := js.Stream(ctx, "failures")
	require.NoError(t, err)
	var msg *jetstream.RawStreamMsg
	require.Eventually(t, func() bool { msg, err = failures.GetMsg(ctx, 1); return err == nil }, 30*time.Second, 5*time.Millisecond)
	var rec struct {
		RequestContext struct {
			RequestID string `json:"requestId"`
			Condition string `json:"condition"`
		} `json:"requestContext"`
	}
	require.NoError(t, json.Unmarshal(msg.Data, &rec))
	assert.Equal(t, id, rec.RequestContext.RequestID)
	assert.Equal(t, "RetriesExhausted", rec.RequestContext.Condition)

	for name, bad := range map[string]string{
		"not a stream":         "arn:aws:sqs:us-east-1:000000000000:q",
		"a missing stream":     eventsource.StreamARN("us-east-1", "000000000000", "nope"),
		"a wildcard's subject": eventsource.StreamARN("us-east-1", "000000000000", "wild"),
	} {
		_, err := eng.UpdateSettings(ctx, "fn", func(s *engine.Settings) error {
			s.EventInvokeConfig.OnFailure = bad
			return nil
		})
		assert.ErrorIs(t, err, engine.ErrInvalidFunction, name)
	}
}
