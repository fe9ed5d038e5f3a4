package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// limiter caps concurrent invocations: an engine's MaxConcurrency, a
// function's reserved concurrency. It is Flint's one concurrency-limit
// mechanism (docs/RATIONALE.md says why it is not the pool). Acquiring
// below the cap is one atomic add; past it a caller waits, up to a bound,
// for a release.
//
// No lost wakeups: a waiter counts itself in nwait before it tries again
// under mu, and a releaser decrements n before it reads nwait, so either the
// waiter sees the freed slot or the releaser sees the waiter (and takes mu,
// which the waiter holds until it is queued).
type limiter struct {
	max   atomic.Int64 // negative: no cap; 0: nothing passes
	n     atomic.Int64 // in use (counted even without a cap: a gauge)
	nwait atomic.Int64
	mu    sync.Mutex
	queue []chan struct{}
}

// newLimiter returns a limiter with cap max (negative: none).
func newLimiter(max int) *limiter {
	l := &limiter{}
	l.max.Store(int64(max))
	return l
}

// setCap changes the cap (negative: none) and wakes the waiters, which
// try again under the new cap.
func (l *limiter) setCap(max int) {
	l.max.Store(int64(max))
	l.wakeAll()
}

// inUse returns how many slots are taken.
func (l *limiter) inUse() int { return int(l.n.Load()) }

func (l *limiter) try() bool {
	n := l.n.Add(1)
	if max := l.max.Load(); max < 0 || n <= max {
		return true
	}
	l.n.Add(-1)
	return false
}

// acquire takes a slot, waiting at most wait; false means throttled (or
// ctx done: check ctx.Err()).
func (l *limiter) acquire(ctx context.Context, wait time.Duration) bool {
	if l.try() {
		return true
	}
	if wait <= 0 || l.max.Load() == 0 { // a cap of 0 never frees a slot
		return false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		l.mu.Lock()
		l.nwait.Add(1)
		if l.try() {
			l.nwait.Add(-1)
			l.mu.Unlock()
			return true
		}
		ch := make(chan struct{}, 1)
		l.queue = append(l.queue, ch)
		l.mu.Unlock()
		select {
		case <-ch:
			continue // a slot was freed: try again
		case <-timer.C:
		case <-ctx.Done():
		}
		l.mu.Lock()
		for i, w := range l.queue {
			if w == ch {
				l.queue = append(l.queue[:i], l.queue[i+1:]...)
				l.nwait.Add(-1)
				break
			}
		}
		l.mu.Unlock()
		select {
		case <-ch: // woken while giving up: pass the wakeup on
			l.wakeOne()
		default:
		}
		return false
	}
}

func (l *limiter) release() {
	l.n.Add(-1)
	if l.nwait.Load() > 0 {
		l.wakeOne()
	}
}

func (l *limiter) wakeOne() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) > 0 {
		w := l.queue[0]
		l.queue = l.queue[1:]
		l.nwait.Add(-1)
		w <- struct{}{}
	}
}

func (l *limiter) wakeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.queue {
		l.nwait.Add(-1)
		w <- struct{}{}
	}
	l.queue = nil
}
