package bench

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// jsonCodec is one way to build a Go guest's JSON codec
// (abi/guest/internal/jsoncodec).
type jsonCodec struct {
	name  string
	build testguest.Build
}

func jsonCodecs() []jsonCodec {
	return []jsonCodec{
		{"default-std", testguest.Build{}},
		{"std-jsonv2exp", testguest.Build{Env: []string{"GOEXPERIMENT=jsonv2"}}},
		{"gjx", testguest.Build{Tags: []string{"flintjson_gjx"}}},
		{"goccy", testguest.Build{Tags: []string{"flintjson_goccy"}}},
	}
}

// jsonEvent is a benchmarked event and the guest that takes it.
type jsonEvent struct {
	name    string
	guest   string
	env     map[string]string
	payload []byte
}

func jsonEvents() []jsonEvent {
	return []jsonEvent{
		{"14B", "hello", map[string]string{"GREETING": "Hello"}, []byte(`{"name":"ana"}`)},
		{"1KB", "bench/testdata/jsonguest", nil, apiGatewayEvent()},
		{"10KB", "bench/testdata/jsonguest", nil, sqsBatchEvent(10)},
	}
}

// apiGatewayEvent is a function URL's request as payload 2.0 has it
// (~1 KB).
func apiGatewayEvent() []byte {
	return []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/orders/42","rawQueryString":"expand=items&limit=10",` +
		`"cookies":["session=8f14e45fceea167a5a36dedd4bea2543"],` +
		`"headers":{"accept":"application/json","accept-encoding":"gzip, deflate, br","content-type":"application/json",` +
		`"host":"abcdefghij.lambda-url.us-east-1.on.aws","user-agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",` +
		`"x-amzn-trace-id":"Root=1-6751f2a1-2c1d7e9a3b4f5a6b7c8d9e0f","x-forwarded-for":"203.0.113.7","x-forwarded-port":"443","x-forwarded-proto":"https"},` +
		`"queryStringParameters":{"expand":"items","limit":"10"},` +
		`"requestContext":{"accountId":"000000000000","apiId":"abcdefghij","domainName":"abcdefghij.lambda-url.us-east-1.on.aws",` +
		`"domainPrefix":"abcdefghij","http":{"method":"POST","path":"/orders/42","protocol":"HTTP/1.1","sourceIp":"203.0.113.7",` +
		`"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef",` +
		`"routeKey":"$default","stage":"$default","time":"06/Dec/2026:18:00:00 +0000","timeEpoch":1796580000000},` +
		`"body":"{\"item\":\"book\",\"quantity\":2,\"note\":\"gift wrap, please\"}","isBase64Encoded":false}`)
}

// sqsBatchEvent is a batch of n records shaped as SQS's (~1 KB each).
func sqsBatchEvent(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id := strconv.Itoa(i)
		b.WriteString(`{"messageId":"059f36b4-87a3-44ab-83d2-66197501` + id + `","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a+YI1s2Uj3ugkCvKDMeP8GFL2/lbxm7S2Uv7OhQ0OZBpXZRxSHhmiNb8bXR7jPVkZGKzwHK0S8ug4SgBtuMaTOQoHJbVZYzIaaYzK6nZOvi+Zkn7f1ajIDI+pq3wh8JsLlanb4bGq2jcYbhSNNZWGhYmZXLdGjp5v3Z72RhbnSJfH+B+Y1SAhyyOpoa` + id + `",` +
			`"body":"{\"orderId\":` + id + `,\"item\":\"book\",\"quantity\":2,\"price\":12.5,\"note\":\"a note about the order that makes the body longer than a few bytes\"}",` +
			`"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},` +
			`"messageAttributes":{"tenant":{"stringValue":"acme","dataType":"String"},"priority":{"stringValue":"high","dataType":"String"}},` +
			`"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:000000000000:orders-queue-with-a-long-name","awsRegion":"us-east-1"}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkGuestJSON measures a Go guest's JSON codec inside WebAssembly:
// the same guest (go-hello for the 14-byte event, bench/testdata/jsonguest
// for the others) built with each codec and deployed side by side on one
// engine. Each iteration invokes every codec's function once, in turn, so
// that the machine's noise hits them alike; the metrics are per codec:
//
//   - warm/EVENT: CODEC-ns/op, a warm invocation (idle instance);
//   - cold/14B: CODEC-ns/op, go-hello instantiated from its snapshot for
//     every invocation and retired after it (single-use functions);
//   - compile/14B: CODEC-ns/op, go-hello deployed from its bytes on an
//     engine with an empty compilation cache (the first-ever cold start);
//   - CODEC-wasm-bytes, the guest's size, and CODEC-mem-bytes, its linear
//     memory after the invocations.
//
// Every codec's response must be the first one's (encoding/json's), byte
// for byte.
func BenchmarkGuestJSON(b *testing.B) {
	for _, ev := range jsonEvents() {
		b.Run("warm/"+ev.name, func(b *testing.B) {
			benchCodecs(b, ev, engine.Config{}, engine.Function{})
		})
	}
	b.Run("cold/14B", func(b *testing.B) {
		benchCodecs(b, jsonEvents()[0], engine.Config{NoRecycle: true}, engine.Function{SingleUse: true})
	})
	b.Run("compile/14B", func(b *testing.B) {
		ctx := context.Background()
		codecs := jsonCodecs()
		codes := make([][]byte, len(codecs))
		for i, c := range codecs {
			codes[i] = testguest.GoBuild(b, "hello", c.build)
		}
		elapsed := make([]time.Duration, len(codecs))
		for b.Loop() {
			for i, c := range codecs {
				start := time.Now()
				eng, err := engine.New(ctx, engine.Config{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Deploy(ctx, engine.Function{Name: c.name, Code: codes[i]}); err != nil {
					b.Fatal(err)
				}
				elapsed[i] += time.Since(start)
				_ = eng.Close(ctx)
			}
		}
		for i, c := range codecs {
			b.ReportMetric(float64(elapsed[i].Nanoseconds())/float64(b.N), c.name+"-ns/op")
		}
	})
}

// benchCodecs deploys ev's guest once per codec on one engine and invokes
// each in turn, b.N times.
func benchCodecs(b *testing.B, ev jsonEvent, cfg engine.Config, f engine.Function) {
	ctx := context.Background()
	codecs := jsonCodecs()
	eng := newEngine(b, cfg)
	var want []byte
	codes := make([][]byte, len(codecs))
	for i, c := range codecs {
		codes[i] = testguest.GoBuild(b, ev.guest, c.build)
		fn := f
		fn.Name, fn.Code, fn.Env = c.name, codes[i], ev.env
		if _, err := eng.Deploy(ctx, fn); err != nil {
			b.Fatal(err)
		}
		res, err := eng.Invoke(ctx, c.name, ev.payload)
		if err != nil || res.FunctionError != nil {
			b.Fatalf("%s: check invoke: %v %v", c.name, err, res.Err())
		}
		if i == 0 {
			want = bytes.Clone(res.Payload)
		} else if !bytes.Equal(res.Payload, want) {
			b.Fatalf("%s: response %s, want %s", c.name, res.Payload, want)
		}
	}
	elapsed := make([]time.Duration, len(codecs))
	mem := make([]uint64, len(codecs))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, c := range codecs {
			start := time.Now()
			res, err := eng.Invoke(ctx, c.name, ev.payload)
			elapsed[i] += time.Since(start)
			if err != nil || res.FunctionError != nil {
				b.Fatal(err, res.Err())
			}
			mem[i] = res.MemoryUsed
		}
	}
	for i, c := range codecs {
		b.ReportMetric(float64(elapsed[i].Nanoseconds())/float64(b.N), c.name+"-ns/op")
		b.ReportMetric(float64(len(codes[i])), c.name+"-wasm-bytes")
		b.ReportMetric(float64(mem[i]), c.name+"-mem-bytes")
	}
}
