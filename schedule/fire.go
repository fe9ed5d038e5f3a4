package schedule

import (
	"container/heap"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
)

// entry is a schedule in the Scheduler's local view: the plan it fires by
// and the due time it waits for, a mirror of its record. Its fields are
// guarded by Scheduler.mu.
type entry struct {
	key  string
	arn  string
	gen  uint64 // the record generation plan was made from
	plan *plan  // nil: the record could not be read into a plan
	due  time.Time
	// busyUntil is when another process's claim on due runs out.
	busyUntil time.Time
	// at is when to fire due: due plus its flexible offset, or later (a
	// retry, another's claim).
	at time.Time
	// retryAt, when not zero, puts off the next attempt at due after a
	// failure; tries counts those failures.
	retryAt time.Time
	tries   int
	// pending is a fire that was queued but whose completion could not be
	// recorded yet: the next attempt only records it.
	pending *completion
	index   int  // in the queue; -1 when not
	firing  bool // a worker has it
	gone    bool // deleted
}

// completion is what to record once a due time was dealt with.
type completion struct {
	due, next time.Time
	outcome   outcome
}

type outcome uint8

const (
	outcomeFired outcome = iota
	outcomeFailed
)

// entryHeap orders entries by when they fire.
type entryHeap []*entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].key < h[j].key
}
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

// remove takes e out of the heap if it is in it.
func (h *entryHeap) remove(e *entry) {
	if e.index >= 0 {
		heap.Remove(h, e.index)
	}
}

// Sentinels of the firing steps' Update functions.
var (
	errGone  = errors.New("schedule deleted")
	errStale = errors.New("schedule changed")
	errBusy  = errors.New("due time claimed by another process")
)

// load reads every schedule of the store into the local view.
func (s *Scheduler) load(ctx context.Context) error {
	after := ""
	for {
		keys, more, err := s.schedules.List(ctx, "", after, store.MaxListKeys)
		if err != nil {
			return err
		}
		for _, key := range keys {
			after = key
			b, err := s.schedules.Get(ctx, key)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			r, err := decodeRecord(key, b)
			if err != nil {
				s.log.Error("schedule: cannot read a schedule; it will not fire", "schedule", key, "err", err)
				continue
			}
			group, name, _ := strings.Cut(key, "/")
			e := &entry{key: key, arn: s.ScheduleArn(group, name), index: -1}
			s.mu.Lock()
			s.entries[key] = e
			s.placeLocked(e, r, nil)
			s.mu.Unlock()
		}
		if !more {
			return nil
		}
	}
}

// planOf makes the plan of a stored record, checked as when it was
// written (but for EndDate, which has passed for a completed schedule).
func (s *Scheduler) planOf(r *record) (*plan, error) {
	sc := r.asSchedule()
	return s.pat.validate(sc, time.Time{}, nil)
}

// placeLocked brings e up to date with r, a record just read or written
// (pl is r's plan when the caller has it), and puts e in the queue when
// it waits for a due time. A record older than what e shows changes
// nothing. The caller holds s.mu.
func (s *Scheduler) placeLocked(e *entry, r *record, pl *plan) {
	if r != nil && (r.Gen >= e.gen || e.plan == nil) {
		if r.Gen != e.gen || e.plan == nil {
			if pl == nil {
				var err error
				if pl, err = s.planOf(r); err != nil {
					s.log.Error("schedule: cannot plan a schedule; it will not fire", "schedule", e.key, "err", err)
				}
			}
			e.plan, e.gen = pl, r.Gen
		}
		if !e.due.Equal(r.Fire.Next) {
			e.retryAt, e.tries = time.Time{}, 0
		}
		e.due, e.busyUntil = r.Fire.Next, time.Time{}
		if c := r.Fire.Claim; c != nil && c.Owner != s.owner && c.Due.Equal(e.due) {
			e.busyUntil = c.Until
		}
	}
	s.scheduleLocked(e)
}

// scheduleLocked puts e in the queue at its fire time, or takes it out.
func (s *Scheduler) scheduleLocked(e *entry) {
	if e.firing || e.gone {
		return
	}
	if e.plan == nil || (e.due.IsZero() && e.pending == nil) || (!e.plan.enabled && e.pending == nil) {
		s.queue.remove(e)
		return
	}
	e.at = e.due.Add(offset(e.arn, e.due, e.plan.window))
	if e.busyUntil.After(e.at) {
		e.at = e.busyUntil
	}
	if e.retryAt.After(e.at) {
		e.at = e.retryAt
	}
	if e.index >= 0 {
		heap.Fix(&s.queue, e.index)
	} else {
		heap.Push(&s.queue, e)
	}
	if e.index == 0 {
		s.poke()
	}
}

// poke wakes the loop to look at the queue again.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// offset is where in its flexible window the fire of due falls: the same
// for the same schedule and due time (a restart fires it at the same
// moment), spread evenly over schedules and due times. FNV-1a over the
// ARN and the due time, in milliseconds.
func offset(arn string, due time.Time, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(arn); i++ {
		h = (h ^ uint64(arn[i])) * prime
	}
	n := uint64(due.UnixNano())
	for range 8 {
		h = (h ^ (n & 0xff)) * prime
		n >>= 8
	}
	return time.Duration(h%uint64(window/time.Millisecond)) * time.Millisecond
}

// loop hands each entry to a worker when its time comes, waiting for the
// earliest with one timer.
func (s *Scheduler) loop() {
	defer close(s.loopDone)
	for {
		s.mu.Lock()
		now := s.clock.Now()
		var due []*entry
		for len(s.queue) > 0 && !s.queue[0].at.After(now) {
			e := heap.Pop(&s.queue).(*entry)
			e.firing = true
			due = append(due, e)
		}
		wait, next := time.Duration(-1), time.Time{}
		if len(due) == 0 && len(s.queue) > 0 {
			next = s.queue[0].at
			wait = next.Sub(now)
		}
		s.mu.Unlock()
		for _, e := range due {
			select {
			case s.work <- e:
			case <-s.stop:
				return
			}
		}
		if len(due) > 0 {
			continue
		}
		var stopTimer func() bool
		if wait >= 0 {
			stopTimer = s.clock.AfterFunc(wait, s.poke)
			// A clock that moved between reading it and arming the timer
			// (a test's, or a long pause) made the timer late by as much:
			// look again, with the time as it is now.
			if later := s.clock.Now(); !later.Before(next) || later.Sub(now) > time.Millisecond {
				s.poke()
			}
		}
		select {
		case <-s.wake:
		case <-s.stop:
		}
		if stopTimer != nil {
			stopTimer()
		}
		select {
		case <-s.stop:
			return
		default:
		}
	}
}

// worker fires the entries the loop hands it.
func (s *Scheduler) worker() {
	defer s.workers.Done()
	for {
		select {
		case e := <-s.work:
			s.fire(e)
		case <-s.stop:
			return
		}
	}
}

// fire deals with the due time e waits for: drops it when it is too old,
// else claims it, queues the invocation and records that it fired. See the
// package documentation for the guarantees.
func (s *Scheduler) fire(e *entry) {
	s.mu.Lock()
	key, arn, gen, pl, due, pending, tries, gone := e.key, e.arn, e.gen, e.plan, e.due, e.pending, e.tries, e.gone
	s.mu.Unlock()
	if pl == nil || gone {
		s.settle(e, nil, false)
		return
	}
	now := s.clock.Now()
	if pending != nil {
		s.complete(e, gen, pl, pending, tries)
		return
	}
	planned := due.Add(offset(arn, due, pl.window))
	if now.Sub(planned) > pl.maxAge {
		s.drop(e, gen, pl, due, now, tries)
		return
	}

	r, recovered, err := s.claim(key, gen, due, now)
	switch {
	case errors.Is(err, errGone):
		s.settle(e, nil, true)
		return
	case errors.Is(err, errStale), errors.Is(err, errBusy):
		s.settle(e, r, false)
		return
	case err != nil:
		s.retryLater(e, tries, "claim", err)
		return
	}
	if recovered {
		s.recovered.Add(1)
		s.log.Warn("schedule: firing a due time again: the process that claimed it stopped before recording it, and may have queued it",
			"schedule", arn, "due", due)
	}

	id := uuid.Derived(arn + "@" + due.UTC().Format(time.RFC3339Nano))
	payload := render(pl.input, arn, due, id)
	// The event's age is counted from the fire's planned time: a late fire
	// has that much less time for its retries (the engine takes 60 s at
	// least).
	age := max(pl.maxAge-now.Sub(planned), time.Duration(MinEventAgeSeconds)*time.Second)
	opts := []engine.InvokeOption{engine.WithRequestID(id), engine.WithRetryPolicy(pl.retries, min(age, pl.maxAge))}
	if pl.failure != "" {
		opts = append(opts, engine.WithFailureDestination(pl.failure))
	}
	c := &completion{due: due, outcome: outcomeFired}
	c.next, _ = pl.expr.Next(due, pl.bounds)
	_, err = s.cfg.Invoker.InvokeAsync(s.run, pl.target, payload, opts...)
	switch {
	case err == nil:
		s.log.Debug("schedule: fired", "schedule", arn, "due", due, "requestId", id, "late", now.Sub(planned))
	case errors.Is(err, engine.ErrClosed) || s.run.Err() != nil:
		// Shutting down: let the next process fire it, at once.
		s.release(key, due)
		s.settle(e, nil, false)
		return
	case errors.Is(err, engine.ErrFunctionNotFound) || errors.Is(err, engine.ErrInvalidFunction) || errors.Is(err, engine.ErrPayloadTooLarge):
		c.outcome = outcomeFailed
		s.log.Error("schedule: the target refused the fire; it is not retried", "schedule", arn, "due", due, "target", pl.target, "err", err)
	default:
		s.retryLater(e, tries, "queue the invocation", err)
		return
	}
	s.complete(e, gen, pl, c, 0)
}

// claim marks due as being fired by this process, unless the schedule
// changed or another live process claimed it first. It returns the record
// it read, and whether it took over a void claim on due.
func (s *Scheduler) claim(key string, gen uint64, due, now time.Time) (r *record, recovered bool, err error) {
	err = s.schedules.Update(s.run, key, func(b []byte, exists bool) ([]byte, error) {
		r, recovered = nil, false
		if !exists {
			return nil, errGone
		}
		rec, err := decodeRecord(key, b)
		if err != nil {
			return nil, err
		}
		r = rec
		if rec.Gen != gen || !rec.Fire.Next.Equal(due) {
			return nil, errStale
		}
		if c := rec.Fire.Claim; c != nil && c.Owner != s.owner {
			if c.Until.After(now) {
				return nil, errBusy
			}
			recovered = c.Due.Equal(due)
		}
		rec.Fire.Claim = &claim{Due: due, Owner: s.owner, Until: now.Add(s.cfg.ClaimLease)}
		return encodeRecord(rec)
	})
	return r, recovered, err
}

// complete records what became of a claimed due time: the claim goes, the
// schedule moves on to its next due time, and a schedule that has none
// left is deleted when its ActionAfterCompletion says so.
func (s *Scheduler) complete(e *entry, gen uint64, pl *plan, c *completion, tries int) {
	deleted := false
	var r *record
	err := s.schedules.Update(s.run, e.key, func(b []byte, exists bool) ([]byte, error) {
		r, deleted = nil, false
		if !exists {
			return nil, errGone
		}
		rec, err := decodeRecord(e.key, b)
		if err != nil {
			return nil, err
		}
		r = rec
		cl := rec.Fire.Claim
		if cl == nil || cl.Owner != s.owner || !cl.Due.Equal(c.due) {
			// Our claim ran out and another process took the due time
			// over: it records it.
			return nil, errStale
		}
		rec.Fire.Claim = nil
		if rec.Gen == gen && rec.Fire.Next.Equal(c.due) {
			rec.Fire.Next, rec.Fire.Last = c.next, c.due
			if c.outcome == outcomeFailed {
				rec.Fire.Failed++
			} else {
				rec.Fire.Fired++
			}
			if c.next.IsZero() && pl.deleteAt {
				deleted = true
				return nil, nil
			}
		}
		return encodeRecord(rec)
	})
	switch {
	case err == nil || errors.Is(err, errStale) || errors.Is(err, errGone):
		if err == nil {
			s.count(c.outcome)
		}
		s.mu.Lock()
		e.pending = nil
		s.mu.Unlock()
		if deleted {
			s.deleted.Add(1)
		}
		s.settle(e, r, deleted || errors.Is(err, errGone))
	default:
		// The invocation is queued: only the record is missing. Retry
		// recording it, never the fire.
		s.mu.Lock()
		e.pending = c
		s.mu.Unlock()
		s.retryLater(e, tries, "record the fire", err)
	}
}

func (s *Scheduler) count(o outcome) {
	if o == outcomeFailed {
		s.failed.Add(1)
	} else {
		s.fired.Add(1)
	}
}

// drop gives up due, too old to fire, and every due time after it that is
// too old as well, and moves the schedule on to the first that is not.
func (s *Scheduler) drop(e *entry, gen uint64, pl *plan, due, now time.Time, tries int) {
	// Count outside the store's lock; a schedule down for years with a
	// minute rate is many steps, bounded here.
	const maxSteps = 1 << 20
	next, last, n := due, due, uint64(0)
	cutoff := now.Add(-pl.maxAge)
	for !next.IsZero() && next.Add(offset(e.arn, next, pl.window)).Before(cutoff) {
		n++
		last = next
		if n == maxSteps {
			next, _ = pl.expr.Next(cutoff.Add(-pl.window), pl.bounds)
			continue
		}
		next, _ = pl.expr.Next(next, pl.bounds)
	}
	deleted := false
	var r *record
	err := s.schedules.Update(s.run, e.key, func(b []byte, exists bool) ([]byte, error) {
		r, deleted = nil, false
		if !exists {
			return nil, errGone
		}
		rec, err := decodeRecord(e.key, b)
		if err != nil {
			return nil, err
		}
		r = rec
		if rec.Gen != gen || !rec.Fire.Next.Equal(due) {
			return nil, errStale
		}
		if c := rec.Fire.Claim; c != nil && c.Owner != s.owner && c.Until.After(now) {
			return nil, errBusy
		}
		rec.Fire.Claim = nil
		rec.Fire.Next, rec.Fire.Last = next, last
		rec.Fire.Dropped += n
		if next.IsZero() && pl.deleteAt {
			deleted = true
			return nil, nil
		}
		return encodeRecord(rec)
	})
	switch {
	case err == nil:
		s.dropped.Add(n)
		if deleted {
			s.deleted.Add(1)
		}
		s.log.Warn("schedule: due times dropped: older than the maximum event age when they could fire",
			"schedule", e.arn, "first", due, "last", last, "dropped", n, "maximumEventAge", pl.maxAge)
		s.settle(e, r, deleted)
	case errors.Is(err, errGone):
		s.settle(e, nil, true)
	case errors.Is(err, errStale), errors.Is(err, errBusy):
		s.settle(e, r, false)
	default:
		s.retryLater(e, tries, "drop a due time", err)
	}
}

// release gives up this process's claim on due, so that the next process
// need not wait for it to run out.
func (s *Scheduler) release(key string, due time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.schedules.Update(ctx, key, func(b []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, store.ErrNoChange
		}
		rec, err := decodeRecord(key, b)
		if err != nil {
			return nil, err
		}
		if c := rec.Fire.Claim; c == nil || c.Owner != s.owner || !c.Due.Equal(due) {
			return nil, store.ErrNoChange
		}
		rec.Fire.Claim = nil
		return encodeRecord(rec)
	})
	if err != nil {
		s.log.Warn("schedule: could not release a claim; it runs out by itself", "schedule", key, "due", due, "err", err)
	}
}

// retryLater puts e back to try its due time again after a failure that
// may pass, with a backoff.
func (s *Scheduler) retryLater(e *entry, tries int, what string, err error) {
	if s.run.Err() != nil {
		s.settle(e, nil, false)
		return
	}
	delay := s.cfg.RetryDelay << min(tries, 16)
	if delay > maxRetryDelay || delay <= 0 {
		delay = maxRetryDelay
	}
	s.log.Error("schedule: could not "+what+"; trying again", "schedule", e.arn, "in", delay, "err", err)
	s.mu.Lock()
	e.tries = tries + 1
	e.retryAt = s.clock.Now().Add(delay)
	e.firing = false
	s.scheduleLocked(e)
	s.mu.Unlock()
	s.errs.Add(1)
}

// settle hands e back to the loop once a worker is done with it: with r,
// the record the worker last read or wrote (nil when it has none), or
// forgotten when the schedule is gone.
func (s *Scheduler) settle(e *entry, r *record, gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.firing = false
	if gone {
		e.gone = true
		s.queue.remove(e)
		if s.entries[e.key] == e {
			delete(s.entries, e.key)
		}
		return
	}
	if s.closed {
		return
	}
	s.placeLocked(e, r, nil)
}

// render makes a fire's payload from the target's Input: {} when there is
// none, with the context attributes replaced when it has any.
func render(input, arn string, due time.Time, executionID string) []byte {
	if input == "" {
		return []byte("{}")
	}
	if !strings.Contains(input, "<aws.scheduler.") {
		return []byte(input)
	}
	return []byte(strings.NewReplacer(
		"<aws.scheduler.schedule-arn>", arn,
		"<aws.scheduler.scheduled-time>", due.UTC().Format(time.RFC3339),
		"<aws.scheduler.execution-id>", executionID,
		"<aws.scheduler.attempt-number>", "1",
	).Replace(input))
}
