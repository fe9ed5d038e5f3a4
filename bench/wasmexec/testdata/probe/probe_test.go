// Package probe is a test binary for wasmexec's own test: it links the
// guest SDK, which imports Flint's host ABI, and checks that it runs on
// wasip1.
package probe

import (
	"runtime"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
)

func TestOnWasip1(t *testing.T) {
	if runtime.GOOS != "wasip1" {
		t.Fatalf("running on %s, not wasip1", runtime.GOOS)
	}
	guest.Log(guest.LevelInfo, "a host call, stubbed")
}
