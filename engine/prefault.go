package engine

import "github.com/flintfaas/flint/engine/internal/pool"

// Prefaulting: the first call on an instance started from a mapped
// snapshot takes a page fault for every page it writes (a copy-on-write
// copy of the image's page) and for the first read of every other page it
// uses. On the VMs Flint runs on, a fault that needs a fresh page costs
// 11–12 µs (docs/RATIONALE.md, "Prefaulting pre-initialized instances"),
// so a Go guest's first call spent most of a millisecond in them. The
// engine learns which pages the first calls of a version's fresh instances
// write and read (from /proc/self/pagemap, after the call), and the pool
// filler faults those pages into each instance it makes before a request
// can take it: madvise(MADV_POPULATE_WRITE) copies each written page from
// the image into the instance's own private page, exactly what the guest's
// write would have done, and MADV_POPULATE_READ maps the read ones. No
// byte of memory changes, and nothing comes from another instance: the
// copies are of the image file.

// learnSamples is how many fresh instances' first calls a version learns
// its pages from: their union covers payloads that take different paths.
const learnSamples = 4

// firstTouch is what the first calls of a version's fresh instances
// touched in their memory.
type firstTouch struct {
	written pageRuns // pages written (or grown into)
	read    pageRuns // pages only read
	samples int
}

var _ pool.Preparer[*instance] = (*version)(nil)

// Prepare implements pool.Preparer: the filler made in, and no request
// has taken it yet. It faults in the pages v's first calls touch, the
// written ones while Config.PrefaultBytes allows.
func (v *version) Prepare(in *instance) {
	t := v.touch.Load()
	e := v.engine
	if t == nil || e.cfg.PrefaultBytes == 0 || !in.fresh || in.snap == nil || in.snap.file == nil {
		return
	}
	written := t.written
	n := int64(written.pages() * 4096)
	if e.prefaulted.Add(n) > int64(e.cfg.PrefaultBytes) {
		e.prefaulted.Add(-n)
		written, n = nil, 0
	}
	in.prefaulted = n
	in.alloc.prefault(written, t.read)
	v.prefaulted.Add(1)
}

// firstCallDone ends in's first call: its prefaulted pages are its own
// now, and, while v is learning, the pages the call touched are added to
// what v's prefault covers. A failed call teaches nothing.
func (in *instance) firstCallDone(failed bool) {
	in.fresh = false
	in.releasePrefault()
	v := in.v
	if failed || in.snap == nil || in.snap.file == nil || in.mod == nil || in.mod.IsClosed() {
		return
	}
	if t := v.touch.Load(); t != nil && t.samples >= learnSamples {
		return
	}
	mem := in.mod.Memory()
	if mem == nil {
		return
	}
	written, read, ok := in.alloc.touched(uint64(mem.Size()))
	if !ok {
		return
	}
	v.learn.Lock()
	defer v.learn.Unlock()
	next := &firstTouch{written: written, read: read, samples: 1}
	if t := v.touch.Load(); t != nil {
		if t.samples >= learnSamples {
			return
		}
		next.samples = t.samples + 1
		next.written = t.written.union(written)
		next.read = t.read.union(read)
	}
	next.read = next.read.minus(next.written)
	v.touch.Store(next)
}

// releasePrefault returns in's prefaulted bytes to the engine's budget.
func (in *instance) releasePrefault() {
	if in.prefaulted > 0 {
		in.v.engine.prefaulted.Add(-in.prefaulted)
		in.prefaulted = 0
	}
}
