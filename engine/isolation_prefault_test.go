package engine_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIsolationPrefaultedInstances checks the prefault path (issue 19):
// the pool filler faults in, before a request takes an instance, the pages
// that earlier instances' first calls wrote. Those pages must come from
// the snapshot's image, never from the instances that taught them. Two
// functions of the same code (so the same image file) and the same memory
// cap run single-use on pre-initialized instances: a writes a secret over
// all of its memory (grown to its cap) on every first call, which teaches
// the engine to prefault all of it; b, and every later pre-initialized
// instance of a, scan theirs and must find only the init state. The
// positive controls: the writer sees its own fill, and the stats show the
// instances were prefaulted with the pages the writes taught. Memories
// that did not grow are restored to the image and reused by the image's
// next instance, of either function: those rounds fill and trap without
// growing.
func TestIsolationPrefaultedInstances(t *testing.T) {
	scan := wat(t, "isolation_scan")
	const mb, pages = 2, 32 // the cap, in MiB and in 64 KiB pages
	eng := newEngine(t, engine.Config{NoRecycle: true})
	for _, name := range []string{"a", "b"} {
		deploy(t, eng, engine.Function{Name: name, Code: scan, MemoryMB: mb, SingleUse: true, Timeout: 10 * time.Second})
		_, err := eng.UpdateSettings(context.Background(), name, func(s *engine.Settings) error {
			s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: 2}
			return nil
		})
		require.NoError(t, err)
	}
	// preInit runs op on a pre-initialized instance of name.
	preInit := func(name string, op byte, pattern string) isoScanOut {
		t.Helper()
		require.Eventually(t, func() bool { return stats(t, eng, name).Idle >= 1 }, 30*time.Second, time.Millisecond)
		out, res := isoScan(t, eng, name, op, pattern)
		require.False(t, res.Cold, "a pre-initialized instance served %s", name)
		return out
	}
	words := isoWords(pages)

	// Teach both functions their first calls' pages: a writes all of its
	// grown memory, b reads all of its own.
	for i := range 6 {
		secret := fmt.Sprintf("L%07d", i)
		out := preInit("a", 'g', secret)
		require.Equal(t, isoScanOut{words, words, pages, 0x1501A7ED}, out, "the writer sees its fill")
		isoRequireClean(t, preInit("b", 's', secret), pages, "b while learning, call %d", i)
	}
	stA := stats(t, eng, "a")
	require.Positive(t, stA.Prefaulted, "a's pre-initialized instances were prefaulted")
	require.GreaterOrEqual(t, stA.PrefaultPages, uint64(pages*16-1), "a prefaults all the pages it writes")
	require.Positive(t, stats(t, eng, "b").Prefaulted, "b's pre-initialized instances were prefaulted")

	for round := range 10 {
		secret := fmt.Sprintf("P%07d", round)
		out := preInit("a", 'g', secret)
		require.Equal(t, words, out.Hits, "round %d: the writer sees its fill", round)
		isoRequireClean(t, preInit("a", 's', secret), pages, "round %d: a later pre-initialized instance of a", round)
		isoRequireClean(t, preInit("b", 's', secret), pages, "round %d: b after a", round)
		// Without growing: the image's own pages, prefaulted.
		isoRequireClean(t, preInit("a", 'S', secret), 16, "round %d: a, the image's pages only", round)
	}

	// Without growing, a released memory is restored to the image and
	// kept for the image's next instance, of a or of b (memory_linux.go,
	// keepForImage): a fill that returns, and one that traps.
	const imagePages = 16
	imageWords := isoWords(imagePages)
	for round := range 10 {
		secret := fmt.Sprintf("R%07d", round)
		out := preInit("a", 'f', secret)
		require.Equal(t, imageWords, out.Hits, "round %d: the writer sees its fill", round)
		isoRequireClean(t, preInit("b", 'S', secret), imagePages, "round %d: b after a's fill", round)
		isoRequireClean(t, preInit("a", 'S', secret), imagePages, "round %d: a after its fill", round)
		require.Eventually(t, func() bool { return stats(t, eng, "a").Idle >= 1 }, 30*time.Second, time.Millisecond)
		isoTrap(t, eng, "a", 'F', secret)
		isoRequireClean(t, preInit("b", 'S', secret), imagePages, "round %d: b after a's trap", round)
		isoRequireClean(t, preInit("a", 'S', secret), imagePages, "round %d: a after its trap", round)
	}

	// Writers and scanners at once, so that the filler prefaults while
	// others write.
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 8 {
				op := []byte{'g', 'f', 'F'}[i%3]
				if op == 'F' {
					isoTrap(t, eng, "a", op, fmt.Sprintf("W%d%06d", w, i))
				} else {
					isoScan(t, eng, "a", op, fmt.Sprintf("W%d%06d", w, i))
				}
			}
		})
		wg.Go(func() {
			for i := range 8 {
				for _, name := range []string{"a", "b"} {
					out, _ := isoScan(t, eng, name, 'S', "XXXXXXXX")
					isoRequireClean(t, out, imagePages, "concurrent scan of %s %d.%d", name, w, i)
					out, _ = isoScan(t, eng, name, 's', "XXXXXXXX")
					isoRequireClean(t, out, pages, "concurrent scan of %s %d.%d, grown", name, w, i)
				}
			}
		})
	}
	wg.Wait()
	assert.Greater(t, stats(t, eng, "a").Prefaulted, stA.Prefaulted)
}

// TestPrefaultFootprint measures what prefaulting costs an idle
// pre-initialized instance: the growth of the process's PSS over n idle
// instances of go-hello and of markdown, with prefaulting on (after the
// engine learned the first call's pages) and off.
func TestPrefaultFootprint(t *testing.T) {
	if os.Getenv("FLINT_MEASURE") == "" {
		t.Skip("set FLINT_MEASURE=1 to measure (slow)")
	}
	const n = 200
	guests := []struct {
		name, payload string
		code          []byte
		env           map[string]string
	}{
		{"go-hello", `{"name":"x"}`, testguest.Go(t, "hello"), map[string]string{"GREETING": "Hello"}},
		{"markdown", `{"markdown":"# Hi\n\n*there* -- [x](https://example.com)\n"}`, testguest.Go(t, "markdown"), nil},
	}
	for _, g := range guests {
		for _, prefault := range []int{-1, 1 << 30} {
			t.Run(fmt.Sprintf("%s/prefault=%v", g.name, prefault > 0), func(t *testing.T) {
				eng := newEngine(t, engine.Config{MaxConcurrency: 2 * n, MemoryCacheBytes: -1, NoRecycle: true, PrefaultBytes: prefault})
				deploy(t, eng, engine.Function{Name: "fn", Code: g.code, Env: g.env, SingleUse: true})
				for range 6 { // fresh instances' first calls: the engine learns their pages
					mustSucceed(t, eng, "fn", g.payload)
				}
				require.Eventually(t, func() bool { return stats(t, eng, "fn").Busy == 0 }, time.Minute, time.Millisecond)
				debug.FreeOSMemory()
				before := memUse(t)
				require.NoError(t, setProvisioned(context.Background(), eng, "fn", engine.LatestVersion, n))
				require.Eventually(t, func() bool { return stats(t, eng, "fn").Idle >= n }, 5*time.Minute, 10*time.Millisecond)
				debug.FreeOSMemory()
				after := memUse(t)
				pss := float64(after.pss-before.pss) / n
				st := stats(t, eng, "fn")
				t.Logf("%s prefault=%v: per idle instance PSS %.0f KiB, RSS %.0f KiB: %.0f instances per GiB; %d instances prefaulted, %d pages each (written and read)",
					g.name, prefault > 0, pss/1024, float64(after.rss-before.rss)/n/1024, float64(1<<30)/pss, st.Prefaulted, st.PrefaultPages)
			})
		}
	}
}
