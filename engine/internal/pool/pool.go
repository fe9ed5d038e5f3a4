// Package pool keeps pre-initialized instances of one function version ready
// to serve: a LIFO stack of idle instances, a background filler that keeps
// MinIdle of them ready (and Spare of them while the version is in use), and
// retirement of instances that stay idle past a TTL.
//
// The pool does not limit how many instances are busy: the engine's
// concurrency limiter admits invocations before they reach the pool, so a
// pool never has more busy instances than invocations were admitted (see
// docs/RATIONALE.md, "One concurrency limit").
//
// The pool knows nothing of WebAssembly: it creates and destroys instances
// through a Factory, which makes it testable with plain Go values.
//
// Lock order: Pool.mu is a leaf lock; Factory methods are never called with
// it held.
package pool

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Get after Close.
var ErrClosed = errors.New("pool: closed")

// Factory creates and destroys the instances a Pool holds.
type Factory[T any] interface {
	// Create builds a ready-to-call instance. It runs on the request path
	// (a cold start) or in the pool's filler (a pre-initialized start).
	Create(ctx context.Context) (T, error)
	// Destroy retires an instance. It is called once per instance, for
	// healthy ones (idle past the TTL, pool closed) and broken ones alike;
	// broken reports which.
	Destroy(item T, broken bool)
}

// Preparer is a Factory that readies the instances its pool's filler
// creates, before they become idle: work worth doing ahead of a request
// but not on the request path (a cold start skips it).
type Preparer[T any] interface {
	// Prepare readies item, which the filler has just created.
	Prepare(item T)
}

// Config sets the pool's behaviour. The zero value is valid: no idle
// instances kept ahead, never retire.
type Config struct {
	// MinIdle is how many idle instances the filler keeps ready (Lambda's
	// provisioned concurrency).
	MinIdle int
	// IdleTTL retires instances idle for longer (beyond MinIdle of them),
	// within a quarter of IdleTTL after it expires. Zero keeps idle
	// instances until Close.
	IdleTTL time.Duration
	// Spare is how many idle instances the filler keeps in stock while the
	// pool is in use — from a Get until IdleTTL passes without one (for
	// good when IdleTTL is zero) — so that a rise in concurrency takes an
	// instance made ahead instead of creating one on the request path. The
	// filler starts as soon as a Get leaves fewer than max(MinIdle, Spare)
	// idle, including on a cold start. Zero keeps no spares.
	Spare int
}

// Start says how Get obtained an instance.
type Start uint8

const (
	// Warm means the instance had served an earlier call.
	Warm Start = iota
	// Prewarmed means the filler created the instance ahead of demand and
	// this is its first call.
	Prewarmed
	// Cold means Get created the instance on the request path.
	Cold
)

// String returns "warm", "prewarmed" or "cold".
func (s Start) String() string {
	switch s {
	case Warm:
		return "warm"
	case Prewarmed:
		return "prewarmed"
	default:
		return "cold"
	}
}

// Stats is a snapshot of a pool's counters.
type Stats struct {
	Idle, Busy int // instances now idle and now serving
	Creating   int // instances being created now

	ColdStarts  uint64 // instances created on the request path
	Prewarmed   uint64 // instances created by the filler
	CreateFails uint64 // failed creations, on either path
	Discarded   uint64 // broken instances destroyed
	Retired     uint64 // healthy instances destroyed (TTL, close)
	Recycled    uint64 // instances reset to a fresh state and put back
	LastError   error  // the last creation error, if any
}

type entry[T any] struct {
	item  T
	since uint64 // the pool's epoch when it became idle
	fresh bool   // created by the filler, never used
}

// Pool holds the instances of one function version. Its methods are safe
// for concurrent use.
type Pool[T any] struct {
	cfg     Config
	factory Factory[T]

	mu       sync.Mutex
	idle     []entry[T] // LIFO: the most recently used is on top
	busy     int
	creating int
	ended    chan struct{} // closed and replaced when a creation ends
	closed   bool
	drained  chan struct{} // closed when closed and no instance is live
	epoch    uint64        // maintenance ticks so far: the idle clock
	used     bool          // a Get happened
	lastGet  uint64        // the epoch of the last Get
	stats    Stats

	wake     chan struct{} // nudges the filler
	retiring chan T        // RetireLater's instances, for the filler to destroy
	stop     chan struct{}
	fillDone chan struct{}
	ctx      context.Context // for the filler's creations; cancelled by Close
	cancel   context.CancelFunc
}

// New returns a pool that creates instances with f. Its filler goroutine
// runs until Close.
func New[T any](cfg Config, f Factory[T]) *Pool[T] {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool[T]{
		cfg:      cfg,
		factory:  f,
		drained:  make(chan struct{}),
		ended:    make(chan struct{}),
		wake:     make(chan struct{}, 1),
		retiring: make(chan T, retireQueue),
		stop:     make(chan struct{}),
		fillDone: make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
	}
	go p.maintain()
	p.nudge()
	return p
}

// live is the number of instances that exist or are being created.
// Callers hold p.mu.
func (p *Pool[T]) live() int { return len(p.idle) + p.busy + p.creating }

// Get returns an instance to call, and how it was obtained: the most
// recently used idle one, or one created on the request path when none is
// idle. The caller must hand it back with Put (healthy), PutFresh
// (recycled), Discard (broken) or Retire.
func (p *Pool[T]) Get(ctx context.Context) (T, Start, error) {
	var zero T
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return zero, Cold, ErrClosed
	}
	p.used, p.lastGet = true, p.epoch
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle[n-1] = entry[T]{}
		p.idle = p.idle[:n-1]
		p.busy++
		refill := n-1 < p.stockLocked()
		p.mu.Unlock()
		if refill {
			p.nudge()
		}
		if e.fresh {
			return e.item, Prewarmed, nil
		}
		return e.item, Warm, nil
	}
	p.creating++
	spares := p.cfg.Spare > 0
	p.mu.Unlock()
	if spares {
		// The stock ran out: the filler makes spares while this request
		// makes its own instance.
		p.nudge()
	}
	return p.createCold(ctx)
}

// stockLocked is how many idle instances the filler keeps now: MinIdle,
// or Spare while the pool is in use. Callers hold p.mu.
func (p *Pool[T]) stockLocked() int {
	if p.cfg.Spare > p.cfg.MinIdle && p.inUseLocked() {
		return p.cfg.Spare
	}
	return p.cfg.MinIdle
}

// inUseLocked reports whether a Get happened within the idle TTL (ever,
// when the pool has no TTL). Callers hold p.mu.
func (p *Pool[T]) inUseLocked() bool {
	return p.used && (p.cfg.IdleTTL <= 0 || p.epoch-p.lastGet <= ttlTicks)
}

// createCold creates an instance on the request path; the caller has
// counted it in p.creating.
func (p *Pool[T]) createCold(ctx context.Context) (T, Start, error) {
	item, err := p.factory.Create(ctx)
	p.mu.Lock()
	p.creationEndedLocked()
	if err != nil {
		p.stats.CreateFails++
		p.stats.LastError = err
		p.checkDrainedLocked()
		p.mu.Unlock()
		var zero T
		return zero, Cold, err
	}
	p.stats.ColdStarts++
	p.busy++
	// The filler counts creations under way, this one too, towards the
	// stock: now that it is busy rather than idle, the stock may be short.
	refill := len(p.idle)+p.creating < p.stockLocked()
	p.mu.Unlock()
	if refill {
		p.nudge()
	}
	return item, Cold, nil
}

func (p *Pool[T]) checkDrainedLocked() {
	if p.closed && p.live() == 0 {
		select {
		case <-p.drained:
		default:
			close(p.drained)
		}
	}
}

// Put returns a healthy instance after a call.
func (p *Pool[T]) Put(item T) { p.put(item, false) }

// PutFresh returns an instance that was reset to a fresh state (recycled):
// the next Get reports it Prewarmed, like an instance the filler made.
func (p *Pool[T]) PutFresh(item T) {
	p.mu.Lock()
	p.stats.Recycled++
	p.mu.Unlock()
	p.put(item, true)
}

func (p *Pool[T]) put(item T, fresh bool) {
	p.mu.Lock()
	p.busy--
	destroy := p.settleLocked(entry[T]{item: item, since: p.epoch, fresh: fresh})
	p.mu.Unlock()
	if destroy {
		p.factory.Destroy(item, false)
	}
}

// settleLocked places an instance that has just become free on the idle
// list. In a closed pool it is counted retired instead, and settleLocked
// reports that the caller must destroy it once p.mu is unlocked. Callers
// hold p.mu.
func (p *Pool[T]) settleLocked(e entry[T]) (destroy bool) {
	if p.closed {
		p.stats.Retired++
		p.checkDrainedLocked()
		return true
	}
	p.idle = append(p.idle, e)
	return false
}

// Discard destroys a broken instance (trapped, timed out, over its memory
// cap) instead of returning it.
func (p *Pool[T]) Discard(item T) { p.drop(item, true) }

// Retire destroys a healthy instance instead of returning it (single-use
// instances).
func (p *Pool[T]) Retire(item T) { p.drop(item, false) }

// retireQueue bounds the instances RetireLater leaves for the filler: past
// it, the caller destroys them, so that a burst of single-use calls cannot
// pile up memory waiting to be freed.
const retireQueue = 8

// RetireLater retires a healthy instance like Retire, but leaves the
// destruction (the guest's shutdown hook, closing the module, freeing its
// memory: tens of microseconds) to the pool's filler goroutine, off the
// caller's path. The instance counts as busy until it is destroyed, so
// Close still waits for it. When the filler is behind, or the pool is
// closed, it is destroyed at once, as Retire would.
func (p *Pool[T]) RetireLater(item T) {
	p.mu.Lock()
	if !p.closed {
		select {
		case p.retiring <- item:
			p.mu.Unlock()
			return
		default:
		}
	}
	p.mu.Unlock()
	p.drop(item, false)
}

// retirePending destroys the instances RetireLater left.
func (p *Pool[T]) retirePending() {
	for {
		select {
		case item := <-p.retiring:
			p.drop(item, false)
		default:
			return
		}
	}
}

func (p *Pool[T]) drop(item T, broken bool) {
	// Destroyed before it is counted out, so that Close's drain waits for
	// it.
	p.factory.Destroy(item, broken)
	p.mu.Lock()
	p.busy--
	if broken {
		p.stats.Discarded++
	} else {
		p.stats.Retired++
	}
	p.checkDrainedLocked()
	refill := len(p.idle) < p.stockLocked()
	p.mu.Unlock()
	if refill {
		p.nudge()
	}
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool[T]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Idle, s.Busy, s.Creating = len(p.idle), p.busy, p.creating
	return s
}

// Close stops the filler, retires idle instances, fails future Gets with
// ErrClosed, and waits until every busy instance has come back
// and been retired, or ctx is done. It is safe to call more than once.
func (p *Pool[T]) Close(ctx context.Context) error {
	p.mu.Lock()
	first := !p.closed
	var idle []entry[T]
	if first {
		p.closed = true
		idle = p.idle
		p.idle = nil
		p.stats.Retired += uint64(len(idle))
		p.checkDrainedLocked()
	}
	p.mu.Unlock()
	if first {
		close(p.stop)
		p.cancel()
		for _, e := range idle {
			p.factory.Destroy(e.item, false)
		}
	}
	<-p.fillDone
	select {
	case <-p.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pool[T]) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// maintain is the filler and the retirer.
func (p *Pool[T]) maintain() {
	defer close(p.fillDone)
	var tick <-chan time.Time
	if p.cfg.IdleTTL > 0 {
		every := max(p.cfg.IdleTTL/ttlTicks, time.Millisecond)
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	backoff := time.Duration(0)
	var retry <-chan time.Time
	// Close sets closed before it stops the filler, and RetireLater
	// queues only while the pool is open: what is queued when the filler
	// stops is all there will be.
	defer p.retirePending()
	for {
		select {
		case <-p.stop:
			return
		case item := <-p.retiring:
			p.drop(item, false)
			p.retirePending()
		case <-p.wake:
		case <-retry:
			retry = nil
		case <-tick:
			p.retireIdle()
			continue
		}
		if retry != nil {
			continue // a failure is backing off; the timer will bring us back
		}
		if err := p.fill(p.ctx, true); err != nil {
			backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
			retry = time.After(backoff)
		} else {
			backoff = 0
		}
	}
}

// creationEndedLocked counts a creation out and wakes Prefill calls
// waiting on it. Callers hold p.mu.
func (p *Pool[T]) creationEndedLocked() {
	p.creating--
	close(p.ended)
	p.ended = make(chan struct{})
}

// SetMinIdle changes how many idle instances the filler keeps ready; the
// filler starts on a raise at once, and a lower value lets the extra
// instances retire with the idle TTL.
func (p *Pool[T]) SetMinIdle(n int) {
	p.mu.Lock()
	p.cfg.MinIdle = n
	p.mu.Unlock()
	p.nudge()
}

// Prefill creates instances in the caller's goroutine until MinIdle are
// idle, and returns the first creation error.
// Creations already under way (the filler's) count towards MinIdle, so
// Prefill waits for them to end rather than return before they are ready.
func (p *Pool[T]) Prefill(ctx context.Context) error {
	for {
		if err := p.fill(ctx, false); err != nil {
			return err
		}
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.cfg.MinIdle || p.creating == 0 {
			p.mu.Unlock()
			return nil
		}
		ended := p.ended
		p.mu.Unlock()
		select {
		case <-ended:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fill creates instances until MinIdle are idle (or being created), or,
// with spares, the pool's stock (see Config.Spare).
func (p *Pool[T]) fill(ctx context.Context, spares bool) error {
	for {
		p.mu.Lock()
		want := p.cfg.MinIdle
		if spares {
			want = p.stockLocked()
		}
		if p.closed || len(p.idle)+p.creating >= want {
			p.mu.Unlock()
			return nil
		}
		p.creating++
		p.mu.Unlock()

		item, err := p.factory.Create(ctx)
		if pr, ok := p.factory.(Preparer[T]); ok && err == nil {
			pr.Prepare(item)
		}

		p.mu.Lock()
		p.creationEndedLocked()
		if err != nil {
			p.stats.CreateFails++
			p.stats.LastError = err
			p.checkDrainedLocked()
			p.mu.Unlock()
			return err
		}
		p.stats.Prewarmed++
		destroy := p.settleLocked(entry[T]{item: item, since: p.epoch, fresh: true})
		p.mu.Unlock()
		if destroy {
			p.factory.Destroy(item, false)
			return nil
		}
	}
}

// ttlTicks is how many maintenance ticks make an IdleTTL. Idle time is
// counted in ticks (a coarse clock) rather than read from the clock on
// every Put: an instance is retired after between IdleTTL and
// (1+1/ttlTicks)×IdleTTL idle.
const ttlTicks = 4

// retireIdle advances the pool's epoch and destroys instances idle past
// the TTL, keeping the stock (MinIdle, or Spare while in use).
func (p *Pool[T]) retireIdle() {
	p.mu.Lock()
	p.epoch++
	// The stack's bottom holds the longest idle.
	n := 0
	keep := p.stockLocked()
	for n < len(p.idle)-keep && p.epoch-p.idle[n].since > ttlTicks {
		n++
	}
	if n == 0 {
		p.mu.Unlock()
		return
	}
	old := make([]entry[T], n)
	copy(old, p.idle[:n])
	rest := copy(p.idle, p.idle[n:])
	clear(p.idle[rest:])
	p.idle = p.idle[:rest]
	p.stats.Retired += uint64(n)
	p.mu.Unlock()
	for _, e := range old {
		p.factory.Destroy(e.item, false)
	}
}
