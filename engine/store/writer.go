package store

import (
	"context"
	"sync"

	"go.etcd.io/bbolt"
)

// maxGroup bounds how many writes share one transaction, so that one commit
// (and the memory it dirties) stays small even under a flood of writes.
const maxGroup = 256

// writer funnels a DB's write transactions through one goroutine that
// commits, in one transaction, every write that arrived while the previous
// commit was in progress (group commit). Each commit costs an fsync of the
// data file (two, with the meta page); grouping is what lets concurrent
// writers share it.
//
// It is bbolt's DB.Batch without the batch timer: Batch holds every write
// for up to MaxBatchDelay (10 ms by default) hoping for company, which adds
// that delay to every lone write; here a lone write commits at once, and a
// group forms exactly when writes queue up behind a commit. The benchmark
// BenchmarkCommit compares the two.
//
// Lock order: writer.mu is held (for reading) only while handing a write to
// the goroutine; no other lock is taken inside it.
type writer struct {
	db *bbolt.DB

	mu     sync.RWMutex // read: submitting; write: closing
	closed bool
	ops    chan *writeOp
	done   chan struct{} // closed when the goroutine returns
}

// writeOp is one write waiting for its commit.
type writeOp struct {
	fn   func(*bbolt.Tx) error
	err  error
	done chan struct{}
}

func newWriter(db *bbolt.DB) *writer {
	w := &writer{db: db, ops: make(chan *writeOp, maxGroup), done: make(chan struct{})}
	go w.loop()
	return w
}

// do runs fn in a write transaction and returns when that transaction is
// committed (durably). fn may run more than once: if a write in its group
// fails, the group is rolled back and each write is run again alone, so fn
// must set whatever it reports back from scratch each time. ctx bounds only
// the wait to be taken in, not the commit.
func (w *writer) do(ctx context.Context, fn func(*bbolt.Tx) error) error {
	op := &writeOp{fn: fn, done: make(chan struct{})}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.ops <- op:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	<-op.done
	return op.err
}

func (w *writer) loop() {
	defer close(w.done)
	group := make([]*writeOp, 0, maxGroup)
	for op := range w.ops {
		group = append(group[:0], op)
	more:
		for len(group) < maxGroup {
			select {
			case op, ok := <-w.ops:
				if !ok {
					break more
				}
				group = append(group, op)
			default:
				break more
			}
		}
		w.commit(group)
		clear(group)
	}
}

func (w *writer) commit(group []*writeOp) {
	err := w.db.Update(func(tx *bbolt.Tx) error {
		for _, op := range group {
			if err := op.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		// One write failed and took the others down with it: run each
		// alone so that each gets its own result.
		for _, op := range group {
			op.err = w.db.Update(op.fn)
			close(op.done)
		}
		return
	}
	for _, op := range group {
		op.err = err
		close(op.done)
	}
}

// close commits the writes already handed in, then stops the goroutine.
// Later calls of do fail with ErrClosed.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ops)
	}
	w.mu.Unlock()
	<-w.done
}
