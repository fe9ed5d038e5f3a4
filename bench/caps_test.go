package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
)

// Capability benchmarks drive engine/testdata/cap_call.wasm, a WAT guest
// that makes the one capability call its payload names and copies the
// pending result back with result_read (see its source). Its "n"
// operation makes no call: the same guest, payload parsing and response,
// without the capability, so that the difference between the two is the
// capability's cost.

// capPayload encodes a cap_call operation and its fields (a byte, then
// each field as a little-endian u32 length and its bytes).
func capPayload(op byte, fields ...string) []byte {
	b := []byte{op}
	for _, f := range fields {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// capResult is the call's result in a cap_call response.
func capResult(out []byte) int32 {
	if len(out) < 8 {
		return -1 << 31
	}
	return int32(binary.LittleEndian.Uint32(out))
}

// capDeploy deploys cap_call as name, with one warm instance.
func capDeploy(b *testing.B, eng *engine.Engine, name, doc string) {
	b.Helper()
	f := engine.Function{Name: name, Code: testguest.File(b, "engine/testdata/cap_call.wasm"),
		Policy: policy.MustParse(doc)}
	if _, err := eng.Deploy(context.Background(), f); err != nil {
		b.Fatal(err)
	}
}

// capInvoke invokes name once and requires a response whose result is
// want (the length of the pending result, or 0).
func capInvoke(b *testing.B, eng *engine.Engine, name string, payload []byte, want int32) {
	b.Helper()
	res, err := eng.Invoke(context.Background(), name, payload)
	if err != nil || res.FunctionError != nil {
		b.Fatal(err, res.Err())
	}
	if got := capResult(res.Payload); got != want {
		b.Fatalf("%s: result %d, want %d (logs: %s)", name, got, want, res.Logs)
	}
}

// capLoop invokes name with payload b.N times on the warm instance.
func capLoop(b *testing.B, eng *engine.Engine, name string, payload []byte, want int32) {
	capInvoke(b, eng, name, payload, want)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := eng.Invoke(ctx, name, payload)
		if err != nil || res.FunctionError != nil || capResult(res.Payload) != want {
			b.Fatal(err, res.Err())
		}
	}
}

// BenchmarkKVGet is one warm invocation that reads a 16-byte value with
// kv_get and result_read, from the memory store and from the on-disk
// (bbolt) store; baseline is the same invocation without the kv_get.
func BenchmarkKVGet(b *testing.B) {
	const (
		doc   = `{"Statement": [{"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": "kv:bench/*"}]}`
		value = "0123456789abcdef"
	)
	setup := func(b *testing.B, cfg engine.Config) *engine.Engine {
		eng := newEngine(b, cfg)
		capDeploy(b, eng, "fn", doc)
		capInvoke(b, eng, "fn", capPayload('p', "bench", "key", value), 0)
		return eng
	}
	b.Run("baseline", func(b *testing.B) {
		eng := setup(b, engine.Config{})
		capLoop(b, eng, "fn", capPayload('n'), 0)
	})
	b.Run("memory", func(b *testing.B) {
		eng := setup(b, engine.Config{})
		capLoop(b, eng, "fn", capPayload('g', "bench", "key"), int32(len(value)))
	})
	b.Run("bbolt", func(b *testing.B) {
		eng := setup(b, engine.Config{DataDir: b.TempDir()})
		capLoop(b, eng, "fn", capPayload('g', "bench", "key"), int32(len(value)))
	})
}

// BenchmarkFnInvoke is fn_invoke of a warm wat-echo from a warm guest
// (the caller's own invocation included), against engine.Invoke of the
// same echo directly.
func BenchmarkFnInvoke(b *testing.B) {
	echoPayload := `{"name":"ana"}`
	setup := func(b *testing.B) *engine.Engine {
		eng := newEngine(b, engine.Config{})
		if _, err := eng.Deploy(context.Background(), engine.Function{Name: "echo", Code: testguest.WATEcho(b)}); err != nil {
			b.Fatal(err)
		}
		capDeploy(b, eng, "caller", `{"Statement": [{"Effect": "Allow", "Action": "fn:Invoke", "Resource": "fn:echo"}]}`)
		return eng
	}
	b.Run("guest", func(b *testing.B) {
		eng := setup(b)
		capLoop(b, eng, "caller", capPayload('i', "echo", echoPayload), int32(len(echoPayload)))
	})
	b.Run("direct", func(b *testing.B) {
		eng := setup(b)
		ctx := context.Background()
		payload := []byte(echoPayload)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			res, err := eng.Invoke(ctx, "echo", payload)
			if err != nil || res.FunctionError != nil || len(res.Payload) != len(payload) {
				b.Fatal(err, res.Err())
			}
		}
	})
}

// BenchmarkAppCall is one warm invocation that calls a host capability of
// the embedder's with app_call and reads its 16-byte result with
// result_read, side by side with the same invocation reading a 16-byte
// value with kv_get from the memory store, and with neither (baseline).
// The capability does what the memory store does for kv_get: it names the
// resource from the payload (app:bench/KEY, checked by a policy as
// kv_get's is), looks the key up in a map under a read lock and returns a
// copy of the value.
func BenchmarkAppCall(b *testing.B) {
	const (
		doc = `{"Statement": [
			{"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": "kv:bench/*"},
			{"Effect": "Allow", "Action": "app:bench.Get", "Resource": "app:bench/*"}]}`
		value = "0123456789abcdef"
	)
	var mu sync.RWMutex
	values := map[string][]byte{"key": []byte(value)}
	get := engine.HostCapability{
		Name: "bench.Get",
		Resource: func(call engine.HostCall) (string, error) {
			return "app:bench/" + string(call.Payload), nil
		},
		Handler: func(_ context.Context, call engine.HostCall) ([]byte, error) {
			mu.RLock()
			v, ok := values[string(call.Payload)]
			mu.RUnlock()
			if !ok {
				return nil, engine.ErrNotFound
			}
			return bytes.Clone(v), nil
		},
	}
	eng := newEngine(b, engine.Config{HostCapabilities: []engine.HostCapability{get}})
	capDeploy(b, eng, "fn", doc)
	capInvoke(b, eng, "fn", capPayload('p', "bench", "key", value), 0)
	b.Run("baseline", func(b *testing.B) {
		capLoop(b, eng, "fn", capPayload('n'), 0)
	})
	b.Run("kv_get", func(b *testing.B) {
		capLoop(b, eng, "fn", capPayload('g', "bench", "key"), int32(len(value)))
	})
	b.Run("app_call", func(b *testing.B) {
		capLoop(b, eng, "fn", capPayload('a', "bench.Get", "key"), int32(len(value)))
	})
	// The three in turn, in small batches, so that a machine whose load
	// changes during the run (this one is shared) weighs on all three
	// alike; each kind's figure is the median of its batches' ns/call,
	// which a burst of load on a few batches does not move.
	b.Run("interleaved", func(b *testing.B) {
		kinds := [...]struct {
			name    string
			payload []byte
			want    int32
		}{
			{"baseline", capPayload('n'), 0},
			{"kv_get", capPayload('g', "bench", "key"), int32(len(value))},
			{"app_call", capPayload('a', "bench.Get", "key"), int32(len(value))},
		}
		const batch = 20
		ctx := context.Background()
		var samples [len(kinds)][]float64
		b.ReportAllocs()
		for b.Loop() {
			for k, kind := range kinds {
				start := time.Now()
				for range batch {
					res, err := eng.Invoke(ctx, "fn", kind.payload)
					if err != nil || res.FunctionError != nil || capResult(res.Payload) != kind.want {
						b.Fatal(kind.name, err, res.Err())
					}
				}
				samples[k] = append(samples[k], float64(time.Since(start).Nanoseconds())/batch)
			}
		}
		var med [len(kinds)]float64
		for k, kind := range kinds {
			slices.Sort(samples[k])
			med[k] = samples[k][len(samples[k])/2]
			b.ReportMetric(med[k], kind.name+"-ns/call")
		}
		b.ReportMetric(med[1]-med[0], "kv_get-added-ns")
		b.ReportMetric(med[2]-med[0], "app_call-added-ns")
		b.ReportMetric(med[2]/med[1], "app/kv")
	})
}
