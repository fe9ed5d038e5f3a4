package engine

import (
	"sync/atomic"
	"time"
)

// watchdog kills an instance whose invocation runs past its deadline,
// without a timer operation per invocation.
//
// Resetting and stopping a timer for every call costs more than the rest
// of a warm invocation's bookkeeping. Instead, arming stores the deadline
// and resets the timer only when it is not already pending; when the timer
// fires it looks at the invocation in progress, if any, and either kills
// the instance or re-arms for that invocation's deadline. A timer set for
// an earlier invocation therefore serves later ones, which is correct
// because one instance's deadlines never decrease: invocations run one
// after another with the same timeout. (A caller's earlier context
// deadline is enforced separately, by context.AfterFunc.)
//
// The pending flag is cleared by fire before it reads the deadline, and
// arm stores the deadline before it tests the flag, so at least one of them
// sees the other: either arm resets the timer, or fire sees the deadline.
type watchdog struct {
	base     time.Time    // monotonic origin of deadlines
	deadline atomic.Int64 // ns after base; 0 when idle, -1 once killed
	pending  atomic.Bool
	timer    *time.Timer
	kill     func()
}

func newWatchdog(base time.Time, kill func()) *watchdog {
	w := &watchdog{base: base, kill: kill}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}

// arm watches an invocation that started at now and must end by deadline.
func (w *watchdog) arm(now, deadline time.Time) {
	w.deadline.Store(max(int64(deadline.Sub(w.base)), 1))
	if w.pending.CompareAndSwap(false, true) {
		w.timer.Reset(deadline.Sub(now))
	}
}

// disarm marks the instance idle. It reports whether the watchdog killed
// the invocation that just ended.
func (w *watchdog) disarm() (killed bool) {
	return w.deadline.Swap(0) < 0
}

func (w *watchdog) fire() {
	w.pending.Store(false)
	for {
		dl := w.deadline.Load()
		if dl <= 0 || !w.pending.CompareAndSwap(false, true) {
			return // idle, or an arm has reset the timer
		}
		remaining := time.Duration(dl) - time.Since(w.base)
		if remaining > 0 {
			w.timer.Reset(remaining)
			return
		}
		if w.deadline.CompareAndSwap(dl, -1) {
			w.kill()
			return
		}
		// The invocation ended (or another began) meanwhile: look again.
		w.pending.Store(false)
	}
}

// stop releases the timer when the instance retires.
func (w *watchdog) stop() { w.timer.Stop() }
