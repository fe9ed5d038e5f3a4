package store

import (
	"container/heap"
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// queue is the Queue of both Stores. It keeps every message's scheduling
// state in memory (a heap ordered by the time each becomes deliverable) and,
// for a durable Store, writes every change through a persister before or
// after applying it in memory as the comments below explain. The memory
// Store has no persister and keeps bodies in the entries.
//
// Lock order: queue.mu is a leaf; the persister is never called with it
// held, so one queue's disk writes never wait on its lock.
type queue struct {
	name   string
	closed <-chan struct{} // the Store's: closed by Close
	p      persister       // nil: bodies live in entries

	mu      sync.Mutex
	seq     uint64            // the last sequence number given out
	byID    map[uint64]*entry // every message in the queue
	ready   entries           // messages not being rewritten, by (at, seq)
	waiters []chan struct{}   // Receive calls waiting for a change
}

// persister makes a queue's changes durable.
//
// A change is applied in memory first (which orders it against the others)
// and written afterwards, so writes may reach the disk out of order; each
// carries the message's revision, and a write older than what is on disk
// is dropped. Only create makes a record: a write for a message that is no
// longer on disk (acked meanwhile) does nothing.
type persister interface {
	// create stores a new message.
	create(seq uint64, m meta, body []byte) error
	// lease records a delivery and returns the message's body; gone
	// reports that the message was deleted meanwhile.
	lease(seq uint64, m meta) (body []byte, gone bool, err error)
	// update records a retry: new state and body.
	update(seq uint64, m meta, body []byte) error
	// remove deletes a message.
	remove(seq uint64) error
}

// meta is a message's state apart from its body.
type meta struct {
	rev        uint64 // bumped by every change
	at         int64  // unix ns: deliverable from (its due time, or its lease's expiry)
	enqueued   int64  // unix ns
	deliveries uint32
	leased     bool // delivered, not acked or retried since (the lease may have expired)
}

// entry is a message in memory.
type entry struct {
	seq uint64
	meta
	body  []byte // memory Store only
	index int    // in queue.ready, -1 when out of it
}

var _ Queue = (*queue)(nil)

func newQueue(name string, closed <-chan struct{}, p persister, loaded []*entry, lastSeq uint64) *queue {
	q := &queue{name: name, closed: closed, p: p, seq: lastSeq, byID: make(map[uint64]*entry, len(loaded))}
	q.ready = make(entries, 0, len(loaded))
	for _, e := range loaded {
		q.byID[e.seq] = e
		e.index = len(q.ready)
		q.ready = append(q.ready, e)
	}
	heap.Init(&q.ready)
	return q
}

func (q *queue) check(ctx context.Context) error {
	return checkOpen(ctx, q.closed)
}

// Enqueue implements Queue.
func (q *queue) Enqueue(ctx context.Context, body []byte, due time.Time) (string, error) {
	if err := q.check(ctx); err != nil {
		return "", err
	}
	if err := CheckBody(body); err != nil {
		return "", err
	}
	now := time.Now()
	at := now
	if !due.IsZero() {
		at = due
	}
	q.mu.Lock()
	q.seq++
	e := &entry{seq: q.seq, meta: meta{rev: 1, at: unixNano(at), enqueued: unixNano(now)}, index: -1}
	q.mu.Unlock()

	// Written before it is visible: nothing can lease a message whose body
	// is not on disk yet.
	if q.p != nil {
		if err := q.p.create(e.seq, e.meta, body); err != nil {
			return "", err
		}
	} else {
		e.body = slices.Clone(body)
	}
	q.mu.Lock()
	q.byID[e.seq] = e
	heap.Push(&q.ready, e)
	q.wakeOne()
	q.mu.Unlock()
	return FormatID(e.seq), nil
}

// Receive implements Queue.
func (q *queue) Receive(ctx context.Context, lease time.Duration) (Message, error) {
	if err := CheckLease(lease); err != nil {
		return Message{}, err
	}
	var (
		wake  = make(chan struct{}, 1)
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := q.check(ctx); err != nil {
			return Message{}, err
		}
		q.mu.Lock()
		now := time.Now().UnixNano()
		wait := time.Duration(-1)
		if len(q.ready) > 0 {
			e := q.ready[0]
			if e.at <= now {
				e.at = addNano(now, lease)
				e.leased = true
				e.deliveries++
				e.rev++
				heap.Fix(&q.ready, 0)
				m, seq, body := e.meta, e.seq, slices.Clone(e.body)
				// The lease moved the heap: another waiter re-arms its
				// timer, or takes the next message if one is due.
				q.wakeOne()
				q.mu.Unlock()
				if q.p != nil {
					var gone bool
					var err error
					if body, gone, err = q.p.lease(seq, m); err != nil {
						return Message{}, err
					} else if gone {
						continue
					}
				}
				if body == nil {
					body = []byte{}
				}
				return Message{ID: FormatID(seq), Body: body, Enqueued: time.Unix(0, m.enqueued), Deliveries: int(m.deliveries)}, nil
			}
			wait = time.Duration(e.at - now)
		}
		q.waiters = append(q.waiters, wake)
		q.mu.Unlock()

		var expired <-chan time.Time
		if wait >= 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			expired = timer.C
		}
		select {
		case <-wake:
		case <-expired:
			q.stopWaiting(wake)
		case <-ctx.Done():
			q.stopWaiting(wake)
			q.mu.Lock()
			// This waiter may have been the one woken for a change, or the
			// one whose timer was set for the next due message: hand that
			// on to another.
			q.wakeOne()
			q.mu.Unlock()
			return Message{}, ctx.Err()
		case <-q.closed:
			return Message{}, ErrClosed
		}
	}
}

// stopWaiting takes wake off the waiters, and drains it if it was woken
// meanwhile, so that it can wait again.
func (q *queue) stopWaiting(wake chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := slices.Index(q.waiters, wake); i >= 0 {
		q.waiters = slices.Delete(q.waiters, i, i+1)
		return
	}
	select {
	case <-wake:
	default:
	}
}

// wakeOne wakes the longest-waiting Receive, which looks at the queue again:
// it takes a due message, or waits for the earliest one to become due. The
// caller holds q.mu.
//
// Waking one instead of all keeps a burst of enqueues from waking every
// idle receiver for each message; the woken receiver wakes the next one
// when it takes a message (see Receive), so a burst still fans out.
func (q *queue) wakeOne() {
	if len(q.waiters) == 0 {
		return
	}
	w := q.waiters[0]
	q.waiters = slices.Delete(q.waiters, 0, 1)
	select {
	case w <- struct{}{}:
	default:
	}
}

// Ack implements Queue.
func (q *queue) Ack(ctx context.Context, id string) error {
	if err := q.check(ctx); err != nil {
		return err
	}
	seq, err := ParseID(id)
	if err != nil {
		return err
	}
	q.mu.Lock()
	e := q.byID[seq]
	if e == nil {
		q.mu.Unlock()
		return notFound(id)
	}
	delete(q.byID, seq)
	if e.index >= 0 {
		heap.Remove(&q.ready, e.index)
	}
	q.mu.Unlock()
	if q.p != nil {
		return q.p.remove(seq)
	}
	return nil
}

// Extend implements Queue. A lease lives in memory only: a durable
// Store's messages are all deliverable again when it is opened.
func (q *queue) Extend(ctx context.Context, id string, lease time.Duration) error {
	if err := q.check(ctx); err != nil {
		return err
	}
	if err := CheckLease(lease); err != nil {
		return err
	}
	seq, err := ParseID(id)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byID[seq]
	if e == nil || !e.leased {
		return notFound(id)
	}
	e.at = addNano(time.Now().UnixNano(), lease)
	q.reinsert(e)
	return nil
}

// Retry implements Queue.
func (q *queue) Retry(ctx context.Context, id string, body []byte, due time.Time) error {
	if err := q.check(ctx); err != nil {
		return err
	}
	if err := CheckBody(body); err != nil {
		return err
	}
	seq, err := ParseID(id)
	if err != nil {
		return err
	}
	at := time.Now()
	if !due.IsZero() {
		at = due
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byID[seq]
	if e == nil {
		return notFound(id)
	}
	e.rev++
	m := e.meta
	m.at = unixNano(at)
	m.leased = false
	if q.p == nil {
		e.meta = m
		e.body = slices.Clone(body)
		q.reinsert(e)
		return nil
	}

	// Out of the heap while its new body is written, so that no Receive
	// reads the old body after Retry returned.
	if e.index >= 0 {
		heap.Remove(&q.ready, e.index)
	}
	rev := e.rev
	q.mu.Unlock()
	err = q.p.update(seq, m, body)
	q.mu.Lock()
	if q.byID[seq] != e || e.rev != rev {
		// Acked or retried again meanwhile: that call decides.
		return err
	}
	if err == nil {
		e.meta = m
	}
	// On error the old state is still on disk, and the old meta in memory:
	// the message stays deliverable as before.
	q.reinsert(e)
	return err
}

// reinsert puts e back in the heap at its (changed) place. The caller
// holds q.mu.
func (q *queue) reinsert(e *entry) {
	if e.index >= 0 {
		heap.Fix(&q.ready, e.index)
	} else {
		heap.Push(&q.ready, e)
	}
	q.wakeOne()
}

// Stats implements Queue. It walks every message: it is meant for metrics
// and health checks, not a hot path.
func (q *queue) Stats(ctx context.Context) (QueueStats, error) {
	if err := q.check(ctx); err != nil {
		return QueueStats{}, err
	}
	now := time.Now().UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	st := QueueStats{Depth: len(q.byID)}
	oldest := int64(math.MaxInt64)
	for _, e := range q.byID {
		if e.leased && e.at > now {
			st.Leased++
		}
		oldest = min(oldest, e.enqueued)
	}
	if st.Depth > 0 {
		st.OldestEnqueued = time.Unix(0, oldest)
	}
	return st, nil
}

// entries is a heap of messages by the time they become deliverable, then
// by sequence number (first enqueued first).
type entries []*entry

func (h entries) Len() int { return len(h) }

func (h entries) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h entries) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *entries) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *entries) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}

// unixNano is t in nanoseconds since the epoch, clamped to what an int64
// holds (time.UnixNano is undefined outside 1678-2262).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// addNano is now+d, saturating instead of overflowing.
func addNano(now int64, d time.Duration) int64 {
	if now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
}
