package engine

import (
	"bytes"
	"context"
	"errors"

	"github.com/flintfaas/flint/engine/store"
)

// Engines sharing a store (Flint nodes on one NATS JetStream) each serve
// every function from their own memory: the records, and the runtimes made
// from them. An engine whose functions bucket is a store.Watcher follows
// the changes the others make: each reported key is read again and
// adopted, as if the change had been made here. Writes are atomic updates
// of the stored record (writeRecord), so two engines changing one function
// at once both keep their change.

// watch starts following the functions bucket, if it can change from
// elsewhere. It runs before load, so that no change falls between the two.
func (e *Engine) watch(ctx context.Context) error {
	e.stopWatching = func() {}
	bucket, err := e.bucket()
	if err != nil {
		return err
	}
	w, ok := bucket.(store.Watcher)
	if !ok {
		return nil
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := w.Watch(wctx, func(name string) { e.reload(wctx, name) }); err != nil {
		cancel()
		return err
	}
	// Close cancels the watch, then waits for a reload in progress, which
	// may be retiring runtimes or registering a function.
	e.stopWatching = func() {
		cancel()
		e.watching.Lock()
		//lint:ignore SA2001 an empty critical section: waiting for reloads is the point
		e.watching.Unlock()
	}
	return nil
}

// reload reads function name's record again and serves it: a function
// created elsewhere appears, one removed elsewhere goes (its runtimes
// retire once their calls finish), a changed one is adopted.
func (e *Engine) reload(ctx context.Context, name string) {
	refresh, err := e.reloadRecord(ctx, name)
	if err != nil {
		e.cfg.Logger.Warn("following a function changed elsewhere", "function", name, "err", err)
		return
	}
	if refresh {
		_ = e.refreshProvisioned(ctx, name, false)
	}
}

func (e *Engine) reloadRecord(ctx context.Context, name string) (refresh bool, err error) {
	e.watching.RLock()
	defer e.watching.RUnlock()
	if e.closed.Load() {
		return false, nil
	}
	bucket, err := e.bucket()
	if err != nil {
		return false, err
	}
	e.mu.RLock()
	f := e.functions[name]
	e.mu.RUnlock()
	if f == nil {
		raw, err := bucket.Get(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		rec, err := decodeRecord(name, raw)
		if err != nil {
			return false, err
		}
		e.mu.Lock()
		if e.functions[name] == nil && !e.closed.Load() {
			e.functions[name] = e.newFunction(rec, raw)
			refresh = len(provisionedCounts(rec)) > 0
		}
		e.mu.Unlock()
		return refresh, nil
	}
	// Read under f.write, so that a write of this engine's is not undone
	// by an older value.
	f.write.Lock()
	defer f.write.Unlock()
	raw, err := bucket.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		e.mu.Lock()
		if e.functions[name] == f {
			delete(e.functions, name)
		}
		e.mu.Unlock()
		for _, v := range f.allRuntimes() {
			e.retire(v)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if bytes.Equal(raw, f.raw) {
		return false, nil
	}
	rec, err := decodeRecord(name, raw)
	if err != nil {
		return false, err
	}
	return e.adopt(f, rec, raw, nil), nil
}
