package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startEventServer starts a server with event sources: an embedded NATS
// server, a mapping manager, stream destinations and a scheduler.
func startEventServer(t testing.TB) *server {
	t.Helper()
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	require.NoError(t, err)
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t),
		Destinations: &eventsource.Streams{JetStream: b.JetStream()}})
	require.NoError(t, err)
	mgr, err := eventsource.New(ctx, eventsource.Config{
		Engine: eng, JetStream: b.JetStream(), Store: st,
		RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond, AckMargin: 2 * time.Second,
	})
	require.NoError(t, err)
	sch, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	require.NoError(t, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: []auth.Key{adminKey, invokerKey},
		EventSources: mgr, JetStream: b.JetStream(), Scheduler: sch})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.NoError(t, sch.Close(ctx))
		assert.NoError(t, mgr.Close(ctx))
		assert.NoError(t, eng.Close(ctx))
		assert.NoError(t, b.Close(ctx))
		_ = st.Close()
	})
	return &server{URL: "http://" + ln.Addr().String(), Engine: eng, GW: gw}
}

// putStream creates a stream through Flint's API.
func (s *server) putStream(t testing.TB, name, body string) response {
	t.Helper()
	return s.signedRequest(t, adminKey, http.MethodPut, "/flint/v1/streams/"+name, []byte(body))
}

func TestEventSourceMappingsWithTheSDK(t *testing.T) {
	t.Parallel()
	s := startEventServer(t)
	ctx := context.Background()
	admin := s.client(adminKey)
	s.deploy(t, "orders", testguest.Go(t, "eventsource/testdata/batchreply"))
	require.Equal(t, http.StatusOK, s.putStream(t, "orders", `{"Subjects":["orders.>"]}`).Status)
	arn := "arn:aws:nats:us-east-1:000000000000:stream/orders"

	created, err := admin.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("orders"),
		BatchSize: aws.Int32(50), MaximumBatchingWindowInSeconds: aws.Int32(1),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		FilterCriteria:        &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":{"kind":["order"]}}`)}}},
		ScalingConfig:         &types.ScalingConfig{MaximumConcurrency: aws.Int32(3)},
		MaximumRetryAttempts:  aws.Int32(4),
		Topics:                []string{"orders.eu"},
	})
	require.NoError(t, err)
	id := aws.ToString(created.UUID)
	assert.Len(t, id, 36)
	assert.Equal(t, "Creating", aws.ToString(created.State))
	assert.Equal(t, arn, aws.ToString(created.EventSourceArn))
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:orders", aws.ToString(created.FunctionArn))
	assert.Equal(t, int32(50), aws.ToInt32(created.BatchSize))
	assert.Equal(t, int32(1), aws.ToInt32(created.MaximumBatchingWindowInSeconds))
	assert.Equal(t, []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}, created.FunctionResponseTypes)
	assert.Equal(t, int32(3), aws.ToInt32(created.ScalingConfig.MaximumConcurrency))
	assert.Equal(t, int32(4), aws.ToInt32(created.MaximumRetryAttempts))
	assert.Equal(t, []string{"orders.eu"}, created.Topics)
	assert.Equal(t, `{"body":{"kind":["order"]}}`, aws.ToString(created.FilterCriteria.Filters[0].Pattern))
	assert.WithinDuration(t, time.Now(), aws.ToTime(created.LastModified), time.Minute)

	require.Eventually(t, func() bool {
		got, err := admin.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		return err == nil && aws.ToString(got.State) == "Enabled"
	}, 10*time.Second, 5*time.Millisecond)

	// Publish through Flint's API; the mapping delivers what its filter and
	// subject let through.
	pub := s.signedRequest(t, adminKey, http.MethodPost, "/flint/v1/streams/orders/messages", []byte(`{"Messages":[
		{"Subject":"orders.eu","Data":"{\"kind\":\"order\",\"n\":1}","Headers":{"Tenant":["acme"]}},
		{"Subject":"orders.eu","Data":"{\"kind\":\"refund\"}"},
		{"Subject":"orders.us","Data":"{\"kind\":\"order\",\"n\":2}"}]}`))
	require.Equal(t, http.StatusOK, pub.Status, "%s", pub.Body)
	require.Eventually(t, func() bool {
		recs, err := s.Engine.Logs("orders", 0)
		return err == nil && len(recs) > 0 && strings.Contains(string(recs[len(recs)-1].Text), `body {"kind":"order","n":1}`)
	}, 10*time.Second, 5*time.Millisecond)
	st := decode[eventsource.Stats](t, s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/event-source-mappings/"+id+"/stats", nil))
	assert.Equal(t, uint64(1), st.Batches)

	t.Run("list, by function and by source, paginated", func(t *testing.T) {
		s.deploy(t, "audit", testguest.WATEcho(t))
		_, err := admin.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
			EventSourceArn: aws.String(arn), FunctionName: aws.String("audit"), Enabled: aws.Bool(false)})
		require.NoError(t, err)
		all, err := admin.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(arn)})
		require.NoError(t, err)
		assert.Len(t, all.EventSourceMappings, 2)
		mine, err := admin.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("orders")})
		require.NoError(t, err)
		require.Len(t, mine.EventSourceMappings, 1)
		assert.Equal(t, id, aws.ToString(mine.EventSourceMappings[0].UUID))
		var seen []string
		p := lambda.NewListEventSourceMappingsPaginator(admin, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.EventSourceMappings), 1)
			for _, m := range page.EventSourceMappings {
				seen = append(seen, aws.ToString(m.UUID))
			}
		}
		assert.Len(t, seen, 2)
		assert.Contains(t, seen, id)
	})

	t.Run("update: pause, then change", func(t *testing.T) {
		paused, err := admin.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
		require.NoError(t, err)
		assert.Equal(t, "Disabling", aws.ToString(paused.State))
		require.Eventually(t, func() bool {
			got, err := admin.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
			return err == nil && aws.ToString(got.State) == "Disabled"
		}, 10*time.Second, 5*time.Millisecond)
		changed, err := admin.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id),
			BatchSize: aws.Int32(5), FunctionResponseTypes: []types.FunctionResponseType{}})
		require.NoError(t, err)
		assert.Equal(t, int32(5), aws.ToInt32(changed.BatchSize))
		assert.Empty(t, changed.FunctionResponseTypes)
		assert.Equal(t, "Updating", aws.ToString(changed.State))
	})

	t.Run("delete", func(t *testing.T) {
		deleted, err := admin.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
		require.NoError(t, err)
		assert.Equal(t, "Deleting", aws.ToString(deleted.State))
		_, err = admin.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		var nf *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &nf)
	})
}

func TestEventSourceMappingErrors(t *testing.T) {
	t.Parallel()
	s := startEventServer(t)
	ctx := context.Background()
	admin := s.client(adminKey)
	s.deploy(t, "fn", testguest.WATEcho(t))
	require.Equal(t, http.StatusOK, s.putStream(t, "orders", `{}`).Status)
	arn := "arn:aws:nats:us-east-1:000000000000:stream/orders"
	create := func(in *lambda.CreateEventSourceMappingInput) error {
		if in.FunctionName == nil {
			in.FunctionName = aws.String("fn")
		}
		if in.EventSourceArn == nil {
			in.EventSourceArn = aws.String(arn)
		}
		_, err := admin.CreateEventSourceMapping(ctx, in)
		return err
	}
	tests := []struct {
		name string
		in   *lambda.CreateEventSourceMappingInput
		code string
		msg  string
	}{
		{"an SQS ARN", &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:orders")}, "InvalidParameterValueException", "arn:aws:nats:"},
		{"a malformed ARN", &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("orders")}, "InvalidParameterValueException", "EventSourceArn"},
		{"a missing stream", &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:nats:us-east-1:000000000000:stream/nope")}, "InvalidParameterValueException", "does not exist"},
		{"a missing function", &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("nope")}, "ResourceNotFoundException", "nope"},
		{"a batch too large", &lambda.CreateEventSourceMappingInput{BatchSize: aws.Int32(10001), MaximumBatchingWindowInSeconds: aws.Int32(1)}, "InvalidParameterValueException", "BatchSize 10001"},
		{"a window too long", &lambda.CreateEventSourceMappingInput{MaximumBatchingWindowInSeconds: aws.Int32(301)}, "InvalidParameterValueException", "MaximumBatchingWindowInSeconds"},
		{"concurrency 1", &lambda.CreateEventSourceMappingInput{ScalingConfig: &types.ScalingConfig{MaximumConcurrency: aws.Int32(1)}}, "InvalidParameterValueException", "MaximumConcurrency"},
		{"a hostile filter", &lambda.CreateEventSourceMappingInput{FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{
			{Pattern: aws.String(strings.Repeat(`{"a":[`, 3000))}}}}, "InvalidParameterValueException", "FilterCriteria"},
		{"a Kafka field", &lambda.CreateEventSourceMappingInput{ParallelizationFactor: aws.Int32(2)}, "InvalidParameterValueException", "ParallelizationFactor"},
		{"an unknown response type", &lambda.CreateEventSourceMappingInput{FunctionResponseTypes: []types.FunctionResponseType{"Everything"}}, "InvalidParameterValueException", "FunctionResponseTypes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := create(tt.in)
			require.Error(t, err)
			assert.Equal(t, tt.code, apiCode(err), "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
	t.Run("a duplicate", func(t *testing.T) {
		require.NoError(t, create(&lambda.CreateEventSourceMappingInput{}))
		err := create(&lambda.CreateEventSourceMappingInput{})
		var conflict *types.ResourceConflictException
		assert.ErrorAs(t, err, &conflict)
	})
	t.Run("unknown UUIDs", func(t *testing.T) {
		var nf *types.ResourceNotFoundException
		_, err := admin.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("nope")})
		assert.ErrorAs(t, err, &nf)
		_, err = admin.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String("nope"), BatchSize: aws.Int32(2)})
		assert.ErrorAs(t, err, &nf)
		_, err = admin.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String("nope")})
		assert.ErrorAs(t, err, &nf)
	})
	t.Run("an invoker key may not manage mappings", func(t *testing.T) {
		_, err := s.client(invokerKey).ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
		assert.Equal(t, "AccessDeniedException", apiCode(err))
	})
}

func TestStreamsAPI(t *testing.T) {
	t.Parallel()
	s := startEventServer(t)
	r := s.putStream(t, "events", `{"Subjects":["events.in"],"MaxAge":"24h"}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	info := decode[map[string]any](t, r)
	assert.Equal(t, "arn:aws:nats:us-east-1:000000000000:stream/events", info["Arn"])
	assert.Equal(t, "24h0m0s", info["MaxAge"])

	pub := s.signedRequest(t, adminKey, http.MethodPost, "/flint/v1/streams/events/messages",
		[]byte(`{"Messages":[{"Data":"one"},{"Data":"two"}]}`))
	require.Equal(t, http.StatusOK, pub.Status, "%s", pub.Body)
	var published struct {
		Published []struct {
			Subject  string
			Sequence uint64
		}
	}
	require.NoError(t, json.Unmarshal(pub.Body, &published))
	require.Len(t, published.Published, 2)
	assert.Equal(t, "events.in", published.Published[0].Subject, "the stream's literal first subject by default")
	assert.Equal(t, uint64(2), published.Published[1].Sequence)

	got := decode[map[string]any](t, s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/streams/events", nil))
	assert.EqualValues(t, 2, got["Messages"])
	list := decode[map[string][]map[string]any](t, s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/streams", nil))
	require.Len(t, list["Streams"], 1)

	for name, tc := range map[string]struct {
		method, path, body, code string
	}{
		"a bad stream name":        {http.MethodPut, "/flint/v1/streams/a.b", `{}`, "InvalidParameterValueException"},
		"a bad subject":            {http.MethodPut, "/flint/v1/streams/x", `{"Subjects":["a..b"]}`, "InvalidParameterValueException"},
		"a bad age":                {http.MethodPut, "/flint/v1/streams/x", `{"MaxAge":"soon"}`, "InvalidParameterValueException"},
		"a bad storage":            {http.MethodPut, "/flint/v1/streams/x", `{"Storage":"tape"}`, "InvalidParameterValueException"},
		"a missing stream":         {http.MethodGet, "/flint/v1/streams/nope", ``, "ResourceNotFoundException"},
		"publishing nothing":       {http.MethodPost, "/flint/v1/streams/events/messages", `{"Messages":[]}`, "InvalidParameterValueException"},
		"a wildcard subject":       {http.MethodPost, "/flint/v1/streams/events/messages", `{"Messages":[{"Subject":"events.*","Data":"x"}]}`, "InvalidParameterValueException"},
		"a header that injects":    {http.MethodPost, "/flint/v1/streams/events/messages", `{"Messages":[{"Data":"x","Headers":{"A":["b\r\nC: d"]}}]}`, "InvalidParameterValueException"},
		"a header name with space": {http.MethodPost, "/flint/v1/streams/events/messages", `{"Messages":[{"Data":"x","Headers":{"A B":["c"]}}]}`, "InvalidParameterValueException"},
		"another stream's subject": {http.MethodPost, "/flint/v1/streams/events/messages", `{"Messages":[{"Subject":"other","Data":"x"}]}`, "InvalidParameterValueException"},
		"publishing to nowhere":    {http.MethodPost, "/flint/v1/streams/nope/messages", `{"Messages":[{"Subject":"x","Data":"x"}]}`, "ResourceNotFoundException"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.signedRequest(t, adminKey, tc.method, tc.path, []byte(tc.body))
			assert.Equal(t, tc.code, r.errorType(), "%d %s", r.Status, r.Body)
		})
	}
	assert.Equal(t, http.StatusNoContent, s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/streams/events", nil).Status)
}
