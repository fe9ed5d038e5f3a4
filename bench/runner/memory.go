package runner

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
)

// measureMemory measures what an idle instance of g costs: with one
// instance made (so the code is loaded and the snapshot taken), it asks
// the pool for Instances more and divides the growth of the Go heap and of
// the process's proportional set size by their number. Nil when it fails.
func (r *runner) measureMemory(ctx context.Context, g *guestRun) *Memory {
	n := r.opts.Instances
	eng, err := r.newEngine(ctx, engine.Config{})
	if err != nil {
		return nil
	}
	defer eng.Close(context.WithoutCancel(ctx))
	if _, err := eng.Deploy(ctx, g.function(r, engine.Function{})); err != nil {
		return nil
	}
	res, err := eng.Invoke(ctx, fnName, g.payload)
	if invokeErr(res, err) != nil {
		return nil
	}
	heap0, pss0 := footprint()
	_, err = eng.UpdateSettings(ctx, fnName, func(s *engine.Settings) error {
		s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: n + 1}
		return nil
	})
	if err != nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := waitIdle(wctx, eng, n+1); err != nil {
		return nil
	}
	heap1, pss1 := footprint()
	m := &Memory{
		Instances:              n,
		LinearBytesPerInstance: res.MemoryUsed,
		HeapBytesPerInstance:   max(0, float64(heap1)-float64(heap0)) / float64(n),
	}
	per := m.HeapBytesPerInstance
	if pss0 > 0 && pss1 > 0 {
		v := max(0, float64(pss1)-float64(pss0)) / float64(n)
		m.ResidentBytesPerInstance = &v
		// The heap is resident too; a smaller resident growth is noise.
		per = max(per, v)
	}
	if per > 0 {
		m.InstancesPerGiB = float64(1<<30) / per
	}
	return m
}

// footprint returns the live Go heap after a collection, and the process's
// proportional set size (0 where unknown) after the Go runtime returned
// what it does not use to the system: otherwise heap pages freed earlier,
// still resident, would hide the growth.
func footprint() (heap, pss uint64) {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, readPss()
}

// readPss reads Pss from /proc/self/smaps_rollup (Linux), in bytes.
func readPss() uint64 {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			return parseKB(v)
		}
	}
	return 0
}

// parseKB parses "  1234 kB" into bytes.
func parseKB(s string) uint64 {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0
	}
	n, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// describeMachine says what the run ran on.
func describeMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: "unknown", Kernel: "unknown"}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.Join(strings.Fields(v), " ")
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				m.MemoryBytes = parseKB(v)
				break
			}
		}
		f.Close()
	}
	m.ClockReadNs = clockCost()
	return m
}

// clockCost measures a time.Now and a time.Since, as the runner times an
// operation.
func clockCost() float64 {
	const n = 20000
	var sink time.Duration
	start := time.Now()
	for range n {
		t := time.Now()
		sink += time.Since(t)
	}
	_ = sink
	return float64(time.Since(start)) / n
}
