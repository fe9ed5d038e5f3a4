package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// FuzzEventSourceAPI sends arbitrary requests to the event source mapping
// operations and Flint's stream operations, with a stream "orders" and a
// function "echo" in place, and checks every answer as FuzzLambdaAPI does:
// no panic, and every error a Lambda-shaped client error (4xx).
func FuzzEventSourceAPI(f *testing.F) {
	arn := "arn:aws:nats:us-east-1:000000000000:stream/orders"
	seeds := []struct{ method, uri, body string }{
		{"POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"` + arn + `","FunctionName":"echo","BatchSize":5}`},
		{"POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"` + arn + `","FunctionName":"echo","FilterCriteria":{"Filters":[{"Pattern":"{\"body\":{\"a\":[{\"numeric\":[\">\",1]}]}}"}]}}`},
		{"POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"arn:aws:nats:r:a:stream/","FunctionName":"echo"}`},
		{"POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"` + arn + `","FunctionName":"echo","StartingPositionTimestamp":1e308,"StartingPosition":"AT_TIMESTAMP"}`},
		{"POST", "/2015-03-31/event-source-mappings/", `{"EventSourceArn":"` + arn + `","FunctionName":"echo","DestinationConfig":{"OnFailure":{"Destination":"` + arn + `"}}}`},
		{"GET", "/2015-03-31/event-source-mappings/?FunctionName=echo&EventSourceArn=" + arn + "&MaxItems=1&Marker=x", ""},
		{"GET", "/2015-03-31/event-source-mappings/00000000-0000-0000-0000-000000000000", ""},
		{"PUT", "/2015-03-31/event-source-mappings/x", `{"Enabled":false,"BatchSize":0}`},
		{"DELETE", "/2015-03-31/event-source-mappings/x", ""},
		{"PUT", "/flint/v1/streams/s", `{"Subjects":["s.>"],"MaxAge":"1h","Storage":"memory"}`},
		{"POST", "/flint/v1/streams/orders/messages", `{"Messages":[{"Subject":"orders.x","Data":"d","Headers":{"K":["v"]}}]}`},
		{"GET", "/flint/v1/streams/orders", ""},
		{"GET", "/flint/v1/event-source-mappings/x/stats", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.uri, []byte(s.body))
	}
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	require.NoError(f, err)
	f.Cleanup(func() { _ = b.Close(ctx) })
	_, err = b.JetStream().CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "orders", Subjects: []string{"orders.>"}, Storage: jetstream.MemoryStorage})
	require.NoError(f, err)
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(f), Snapshots: engine.SnapshotsOff,
		Destinations: &eventsource.Streams{JetStream: b.JetStream()}})
	require.NoError(f, err)
	_, err = eng.Deploy(ctx, engine.Function{Name: "echo", Code: testguest.WATEcho(f), Timeout: time.Second})
	require.NoError(f, err)
	mgr, err := eventsource.New(ctx, eventsource.Config{Engine: eng, JetStream: b.JetStream(), Store: st})
	require.NoError(f, err)
	f.Cleanup(func() { _ = mgr.Close(ctx); _ = eng.Close(ctx); _ = st.Close() })
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, EventSources: mgr, JetStream: b.JetStream()})
	require.NoError(f, err)
	handle := gw.Handler()
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

	f.Fuzz(func(t *testing.T, method, uri string, body []byte) {
		var req fasthttp.Request
		req.Header.SetMethod(method)
		req.SetRequestURI(uri)
		req.Header.SetContentType("application/json")
		req.SetBody(body)
		var rc fasthttp.RequestCtx
		rc.Init(&req, remote, nil)
		start := time.Now()
		handle(&rc)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s %q took %v", method, uri, d)
		}
		status := rc.Response.StatusCode()
		if status < 200 || status > 599 {
			t.Fatalf("%s %q: status %d", method, uri, status)
		}
		if status < 400 || strings.HasPrefix(string(rc.Path()), "/fn/") {
			return
		}
		var msg struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rc.Response.Body(), &msg); err != nil || msg.Message == "" || len(rc.Response.Header.Peek("X-Amzn-Errortype")) == 0 {
			t.Fatalf("%s %q: %d %q is not a Lambda-shaped error", method, uri, status, rc.Response.Body())
		}
		if status >= 500 {
			t.Fatalf("%s %q: %d %s", method, uri, status, msg.Message)
		}
	})
}
