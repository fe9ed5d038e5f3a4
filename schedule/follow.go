package schedule

import (
	"context"
	"errors"
	"strings"

	"github.com/flintfaas/flint/engine/store"
)

// The nodes of a Flint cluster share the schedules bucket, and each fires
// every schedule: each waits for the same due time, and the claim (an
// Update that checks no one else holds it) lets one of them fire it while
// the others see the claim and then the record moving on. A Scheduler
// whose bucket is a store.Watcher follows the schedules other nodes
// create, change, fire and delete.

// follow starts following the schedules bucket, if it can change from
// elsewhere. New calls it before loading, so that no change falls between.
func (s *Scheduler) follow() error {
	w, ok := s.schedules.(store.Watcher)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Watch(ctx, func(key string) { s.reload(ctx, key) }); err != nil {
		cancel()
		return err
	}
	s.stopFollowing = cancel
	return nil
}

// reload brings a schedule's local view up to date with its record: a new
// one starts waiting for its due time, a fired or changed one waits for
// its next, a deleted one is forgotten.
func (s *Scheduler) reload(ctx context.Context, key string) {
	b, err := s.schedules.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		s.forget(key)
		return
	}
	if err != nil {
		s.log.Warn("schedule: following a schedule changed elsewhere", "schedule", key, "err", err)
		return
	}
	r, err := decodeRecord(key, b)
	if err != nil {
		s.log.Error("schedule: cannot read a schedule; it will not fire", "schedule", key, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	e := s.entries[key]
	if e == nil {
		group, name, _ := strings.Cut(key, "/")
		e = &entry{key: key, arn: s.ScheduleArn(group, name), index: -1}
		s.entries[key] = e
	}
	s.placeLocked(e, r, nil)
}
