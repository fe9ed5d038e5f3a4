package eventsource

import (
	"bytes"
	"context"
	"errors"

	"github.com/flintfaas/flint/engine/store"
)

// Nodes of a Flint cluster share the mappings bucket, and each runs every
// enabled mapping: their pollers pull from the mapping's one durable
// consumer, so JetStream spreads its records over the nodes and each
// record goes to one of them at a time. A manager whose bucket is a
// store.Watcher follows the mappings other nodes create, change and
// delete.

// follow starts following the mappings bucket, if it can change from
// elsewhere. New calls it before loading, so that no change falls between.
func (mgr *Manager) follow() error {
	w, ok := mgr.bucket.(store.Watcher)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Watch(ctx, func(id string) { mgr.reload(ctx, id) }); err != nil {
		cancel()
		return err
	}
	mgr.stopFollowing = cancel
	return nil
}

// reload reads mapping id again and runs what it says: a mapping created
// elsewhere starts here too, a changed one restarts with its new
// configuration, a deleted one stops.
func (mgr *Manager) reload(ctx context.Context, id string) {
	if err := mgr.reloadMapping(ctx, id); err != nil {
		mgr.cfg.Logger.Warn("following an event source mapping changed elsewhere", "uuid", id, "err", err)
	}
}

func (mgr *Manager) reloadMapping(ctx context.Context, id string) error {
	mgr.mu.Lock()
	e, closed := mgr.mappings[id], mgr.closed
	mgr.mu.Unlock()
	if closed {
		return nil
	}
	if e == nil {
		raw, err := mgr.bucket.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := decodeMapping(id, raw)
		if err != nil {
			return err
		}
		e = &entry{m: m, stats: newCounters(), raw: raw}
		e.m.State = StateCreating
		mgr.mu.Lock()
		if mgr.closed || mgr.mappings[id] != nil {
			mgr.mu.Unlock()
			return nil
		}
		mgr.mappings[id] = e
		e.changing.Lock()
		mgr.mu.Unlock()
		mgr.settle(e, m.Enabled)
		return nil
	}
	// Read under e.changing, so that a change of this node's is not undone
	// by an older value.
	e.changing.Lock()
	raw, err := mgr.bucket.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		defer e.changing.Unlock()
		mgr.stop(ctx, e)
		mgr.mu.Lock()
		if mgr.mappings[id] == e {
			delete(mgr.mappings, id)
		}
		mgr.mu.Unlock()
		return nil
	case err != nil:
		e.changing.Unlock()
		return err
	case bytes.Equal(raw, e.raw):
		e.changing.Unlock()
		return nil
	}
	m, err := decodeMapping(id, raw)
	if err != nil {
		e.changing.Unlock()
		return err
	}
	mgr.stop(ctx, e)
	mgr.mu.Lock()
	if e.m.State == StateDeleting || mgr.closed {
		mgr.mu.Unlock()
		e.changing.Unlock()
		return nil
	}
	e.m, e.raw = m, raw
	e.m.State = StateUpdating
	mgr.mu.Unlock()
	mgr.settle(e, m.Enabled)
	return nil
}
