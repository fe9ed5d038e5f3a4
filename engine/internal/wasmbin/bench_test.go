package wasmbin_test

import (
	"context"
	"os"
	"testing"

	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/tetratelabs/wazero"
)

// BenchmarkLoop runs a 1M-iteration loop as written and as Prepare rewrites
// it, to show what the interrupt check and the yield counter cost.
func BenchmarkLoop(b *testing.B) {
	code, err := os.ReadFile("testdata/loop.wasm")
	if err != nil {
		b.Fatal(err)
	}
	prep, err := wasmbin.Prepare(code)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		code []byte
	}{{"plain", code}, {"prepared", prep.Code}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			m, err := r.Instantiate(ctx, tc.code)
			if err != nil {
				b.Fatal(err)
			}
			run := m.ExportedFunction("run")
			stack := []uint64{0}
			for b.Loop() {
				stack[0] = 1_000_000
				if err := run.CallWithStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/iteration")
		})
	}
}
