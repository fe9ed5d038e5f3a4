package schedule

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/flintfaas/flint/schedule/expression"
)

// Defaults of Config's zero fields.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	// DefaultWorkers is how many fires run at once. A fire is two store
	// writes around the engine's enqueue (a third); running many at once
	// lets a durable store group their commits (BenchmarkFiringAccuracy: 1,000 fires due at
	// once were all queued within ~75 ms with 256 workers, ~110 ms with
	// 64, on bbolt here).
	DefaultWorkers = 256
	// DefaultClaimLease is how long a fire in progress keeps others (a
	// restarted process, another node) from firing the same due time.
	DefaultClaimLease = time.Minute
	// DefaultRetryDelay is the first wait before a fire that failed on a
	// store error is tried again; it doubles up to a minute.
	DefaultRetryDelay = time.Second
)

const maxRetryDelay = time.Minute

// Config configures a Scheduler. Zero fields take the defaults above.
type Config struct {
	// Store keeps the schedules and groups (SchedulesBucket,
	// GroupsBucket): the server's store, shared with the engine. Required.
	Store store.Store
	// Invoker queues the invocations: the engine. Required.
	Invoker Invoker
	// Region and AccountID appear in the ARNs of schedules and groups.
	Region, AccountID string
	// Destinations, when set, vets the stream failure destinations
	// (DeadLetterConfig.Arn) of schedules when they are created: the same
	// value the server gives the engine as engine.Config.Destinations.
	Destinations engine.Destinations
	// Clock is the time source; nil: the system clock.
	Clock Clock
	// Logger receives a line for each dropped or failed fire and each
	// store error. Nil discards them.
	Logger *slog.Logger
	// Workers, ClaimLease and RetryDelay: see their defaults.
	Workers    int
	ClaimLease time.Duration
	RetryDelay time.Duration
}

// Scheduler keeps EventBridge Scheduler's schedules and schedule groups in
// a store and fires each schedule's due times into the engine's async
// path. It is safe for concurrent use.
//
// Lock order: api, then mu. The store is never called with mu held.
type Scheduler struct {
	cfg       Config
	clock     Clock
	log       *slog.Logger
	schedules store.Bucket
	groups    store.Bucket
	pat       *patterns
	owner     string // names this process's claims

	// api serializes the API's writes, so that a group exists while a
	// schedule is written into it and a definition is not changed by two
	// requests at once. Fires do not take it.
	api sync.Mutex

	mu      sync.Mutex // guards entries, queue, closed and the entries' fields
	entries map[string]*entry
	queue   entryHeap
	closed  bool

	wake      chan struct{} // the loop's doorbell (buffered: one ring is enough)
	work      chan *entry   // due entries, to the workers
	stop      chan struct{} // closed by Close
	run       context.Context
	cancelRun context.CancelFunc
	loopDone  chan struct{}
	workers   sync.WaitGroup

	fired, dropped, failed, errs, deleted, recovered atomic.Uint64

	stopFollowing context.CancelFunc // ends the watch of follow.go
}

// New returns a Scheduler on cfg.Store: it creates the default group if
// the store has none, loads the schedules it finds, and starts firing
// them. Close stops it.
func New(ctx context.Context, cfg Config) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Invoker == nil {
		return nil, errors.New("schedule: Config.Store and Config.Invoker are required")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.ClaimLease <= 0 {
		cfg.ClaimLease = DefaultClaimLease
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	s := &Scheduler{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, pat: newPatterns(), owner: uuid.New(),
		entries: map[string]*entry{}, wake: make(chan struct{}, 1), work: make(chan *entry, cfg.Workers),
		stop: make(chan struct{}), loopDone: make(chan struct{}), stopFollowing: func() {},
	}
	var err error
	if s.schedules, err = cfg.Store.Bucket(SchedulesBucket); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	if s.groups, err = cfg.Store.Bucket(GroupsBucket); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	if err := whileUnavailable(ctx, s.ensureDefaultGroup); err != nil {
		return nil, err
	}
	if err := s.follow(); err != nil {
		return nil, err
	}
	if err := whileUnavailable(ctx, s.load); err != nil {
		s.stopFollowing()
		return nil, err
	}
	s.run, s.cancelRun = context.WithCancel(context.Background())
	s.workers.Add(cfg.Workers)
	for range cfg.Workers {
		go s.worker()
	}
	go s.loop()
	return s, nil
}

// startupPatience bounds how long New waits for a store that is
// unavailable (a cluster whose streams are still electing leaders).
const startupPatience = 30 * time.Second

// whileUnavailable calls fn until it succeeds or fails otherwise than
// with store.ErrUnavailable, for startupPatience at most.
func whileUnavailable(ctx context.Context, fn func(context.Context) error) error {
	deadline := time.Now().Add(startupPatience)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := fn(ctx)
		if err == nil || !errors.Is(err, store.ErrUnavailable) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// Close stops firing: no new fire starts, and the fires in progress finish
// (until ctx is done, when they are cancelled and their claims released).
// The schedules stay in the store for the next Scheduler. Calling it again
// does nothing.
func (s *Scheduler) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stopFollowing()
	close(s.stop)
	<-s.loopDone
	done := make(chan struct{})
	go func() { s.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancelRun()
		<-done
	}
	s.cancelRun()
	return err
}

// Stats returns the Scheduler's counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	st := Stats{Schedules: len(s.entries), Waiting: len(s.queue)}
	for _, e := range s.entries {
		if e.firing {
			st.Firing++
		}
	}
	if len(s.queue) > 0 {
		st.NextFire = s.queue[0].at
	}
	s.mu.Unlock()
	st.Fired, st.Dropped, st.Failed = s.fired.Load(), s.dropped.Load(), s.failed.Load()
	st.Errors, st.Deleted, st.Recovered = s.errs.Load(), s.deleted.Load(), s.recovered.Load()
	return st
}

func (s *Scheduler) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ScheduleArn returns the ARN of a schedule.
func (s *Scheduler) ScheduleArn(group, name string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", s.cfg.Region, s.cfg.AccountID, group, name)
}

// GroupArn returns the ARN of a schedule group.
func (s *Scheduler) GroupArn(name string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", s.cfg.Region, s.cfg.AccountID, name)
}

func scheduleKey(group, name string) string { return group + "/" + name }

// apiTime is a time as the API keeps it: milliseconds, UTC.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// checkDest is the stream destination check of Config.Destinations.
func (s *Scheduler) checkDest() func(string) error {
	if s.cfg.Destinations == nil {
		return nil
	}
	return s.cfg.Destinations.Check
}

// Create adds a schedule and returns its ARN. The schedule's group must
// exist; a schedule of the same name in it is ErrConflict.
func (s *Scheduler) Create(ctx context.Context, sc Schedule) (string, error) {
	if s.isClosed() {
		return "", ErrClosed
	}
	now := s.clock.Now()
	sc.CreationDate, sc.LastModificationDate = apiTime(now), apiTime(now)
	pl, err := s.pat.validate(&sc, now, s.checkDest())
	if err != nil {
		return "", err
	}
	s.api.Lock()
	defer s.api.Unlock()
	if _, err := s.getGroup(ctx, sc.GroupName); err != nil {
		return "", err
	}
	key := scheduleKey(sc.GroupName, sc.Name)
	// The generation starts from the clock, not 1, so that a schedule
	// deleted and created again while one of its fires is in progress is
	// not taken for the one that fire claimed.
	rec := &record{Gen: uint64(max(now.UnixNano(), 1)), Def: defOf(&sc), Created: sc.CreationDate, Modified: sc.LastModificationDate}
	if pl.enabled {
		rec.Fire.Next = firstDue(pl, now)
	}
	b, err := encodeRecord(rec)
	if err != nil {
		return "", err
	}
	err = s.schedules.Update(ctx, key, func(_ []byte, exists bool) ([]byte, error) {
		if exists {
			return nil, conflict(fmt.Sprintf("Schedule %s already exists.", sc.Name))
		}
		return b, nil
	})
	if err != nil {
		return "", err
	}
	arn := s.ScheduleArn(sc.GroupName, sc.Name)
	s.mu.Lock()
	// The store's watch may have brought the new schedule in already: a
	// second entry for it would fire each due time twice.
	e := s.entries[key]
	if e == nil {
		e = &entry{key: key, arn: arn, index: -1}
		s.entries[key] = e
	}
	s.placeLocked(e, rec, pl)
	s.mu.Unlock()
	return arn, nil
}

// Update replaces a schedule's definition, as UpdateSchedule does: every
// field takes the value given, or its default. When its timing (the
// expression, time zone, dates, state and window) is unchanged, the due
// time it waits for stays; otherwise the next due time is computed from
// now (a disabled schedule that is enabled again does not catch up).
func (s *Scheduler) Update(ctx context.Context, sc Schedule) (string, error) {
	if s.isClosed() {
		return "", ErrClosed
	}
	now := s.clock.Now()
	pl, err := s.pat.validate(&sc, now, s.checkDest())
	if err != nil {
		return "", err
	}
	s.api.Lock()
	defer s.api.Unlock()
	key := scheduleKey(sc.GroupName, sc.Name)
	old, err := s.getRecord(ctx, sc.GroupName, sc.Name)
	if err != nil {
		return "", err
	}
	// A rate without a StartDate keeps the phase it took at creation.
	sc.CreationDate, sc.LastModificationDate = old.Created, apiTime(now)
	pl.bounds.Anchor = rateAnchor(old.Created)
	def := defOf(&sc)
	var rec *record
	err = s.schedules.Update(ctx, key, func(b []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, notFound(fmt.Sprintf("Schedule %s does not exist.", sc.Name))
		}
		r, err := decodeRecord(key, b)
		if err != nil {
			return nil, err
		}
		r.Gen++
		if !sameTiming(&r.Def, &def) || r.Fire.Next.IsZero() && pl.enabled {
			r.Fire.Next = time.Time{}
			if pl.enabled {
				r.Fire.Next, _ = pl.expr.Next(now, pl.bounds)
			}
		}
		r.Def, r.Modified = def, sc.LastModificationDate
		rec = r
		return encodeRecord(r)
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	e := s.entries[key]
	if e == nil {
		e = &entry{key: key, arn: s.ScheduleArn(sc.GroupName, sc.Name), index: -1}
		s.entries[key] = e
	}
	s.placeLocked(e, rec, pl)
	s.mu.Unlock()
	return s.ScheduleArn(sc.GroupName, sc.Name), nil
}

// firstDue is a new schedule's first due time: the first after now, or
// now itself for a rate without a StartDate, which EventBridge Scheduler
// starts at once.
func firstDue(pl *plan, now time.Time) time.Time {
	after := now
	if pl.expr.Kind() == expression.Rate && pl.bounds.Start.IsZero() && !pl.bounds.Anchor.After(now) {
		// The anchor is the creation time, now in whole seconds.
		after = pl.bounds.Anchor.Add(-time.Nanosecond)
	}
	t, _ := pl.expr.Next(after, pl.bounds)
	return t
}

// sameTiming reports whether two definitions fire at the same times.
func sameTiming(a, b *definition) bool {
	return a.Expression == b.Expression && a.Timezone == b.Timezone && a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
		a.State == b.State && a.Mode == b.Mode && a.Window == b.Window
}

// Get returns a schedule, with the defaults of the fields it was created
// without. An empty group is DefaultGroup.
func (s *Scheduler) Get(ctx context.Context, group, name string) (Schedule, error) {
	if group == "" {
		group = DefaultGroup
	}
	r, err := s.getRecord(ctx, group, name)
	if err != nil {
		return Schedule{}, err
	}
	return r.schedule(s.ScheduleArn(group, name)), nil
}

// getRecord reads a schedule's record.
func (s *Scheduler) getRecord(ctx context.Context, group, name string) (*record, error) {
	var v violations
	checkName(&v, "Name", name)
	if err := v.err(); err != nil {
		return nil, err
	}
	if !validName(group) || len(group) > MaxNameLength {
		return nil, notFound(fmt.Sprintf("Schedule group %s does not exist.", quoted(group)))
	}
	key := scheduleKey(group, name)
	b, err := s.schedules.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		if _, gerr := s.getGroup(ctx, group); gerr != nil {
			return nil, gerr
		}
		return nil, notFound(fmt.Sprintf("Schedule %s does not exist.", name))
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(key, b)
}

// Delete removes a schedule. An empty group is DefaultGroup.
func (s *Scheduler) Delete(ctx context.Context, group, name string) error {
	if s.isClosed() {
		return ErrClosed
	}
	if group == "" {
		group = DefaultGroup
	}
	s.api.Lock()
	defer s.api.Unlock()
	if _, err := s.getRecord(ctx, group, name); err != nil {
		return err
	}
	key := scheduleKey(group, name)
	err := s.schedules.Update(ctx, key, func(_ []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, notFound(fmt.Sprintf("Schedule %s does not exist.", name))
		}
		return nil, nil
	})
	if err != nil {
		return err
	}
	s.forget(key)
	return nil
}

// forget drops a schedule from the local view.
func (s *Scheduler) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil {
		e.gone = true
		s.queue.remove(e)
		delete(s.entries, key)
	}
}

// List returns a page of schedules, by group and name, and the token of
// the next page ("" after the last). A page holds up to MaxResults
// schedules; it may hold fewer, even none, and a token, when the filters
// skipped many schedules.
func (s *Scheduler) List(ctx context.Context, o ListOptions) ([]Schedule, string, error) {
	limit, after, err := s.pageOf(o, true)
	if err != nil {
		return nil, "", err
	}
	prefix := ""
	if o.GroupName != "" {
		if _, err := s.getGroup(ctx, o.GroupName); err != nil {
			return nil, "", err
		}
		prefix = o.GroupName + "/" + o.NamePrefix
	}
	var out []Schedule
	for scanned := 0; ; {
		if scanned >= maxScan {
			// A filter that matches little: a short page, and a token to
			// go on, rather than a request that reads every schedule.
			return out, encodeToken(after), nil
		}
		keys, more, err := s.schedules.List(ctx, prefix, after, store.MaxListKeys)
		if err != nil {
			return nil, "", err
		}
		scanned += len(keys)
		for _, key := range keys {
			after = key
			group, name, _ := strings.Cut(key, "/")
			if !strings.HasPrefix(name, o.NamePrefix) {
				continue
			}
			b, err := s.schedules.Get(ctx, key)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since List
			}
			if err != nil {
				return nil, "", err
			}
			r, err := decodeRecord(key, b)
			if err != nil {
				return nil, "", err
			}
			if o.State != "" && r.Def.State != o.State {
				continue
			}
			out = append(out, r.schedule(s.ScheduleArn(group, name)))
			if len(out) == limit {
				return out, encodeToken(key), nil
			}
		}
		if !more {
			return out, "", nil
		}
	}
}

// maxScan bounds the schedules one List call reads: a page may hold fewer
// than MaxResults, with a NextToken, when its filters skipped more than
// that.
const maxScan = 10 * store.MaxListKeys

// pageOf checks a listing's options and returns its page size and where
// it starts.
func (s *Scheduler) pageOf(o ListOptions, schedules bool) (limit int, after string, err error) {
	var v violations
	if o.MaxResults != 0 {
		v.between("MaxResults", o.MaxResults, 1, MaxResults)
	}
	if o.NamePrefix != "" && v.length("NamePrefix", o.NamePrefix, 1, MaxNameLength) {
		v.pattern("NamePrefix", o.NamePrefix, namePattern, validName)
	}
	if schedules {
		if o.GroupName != "" && v.length("ScheduleGroup", o.GroupName, 1, MaxNameLength) {
			v.pattern("ScheduleGroup", o.GroupName, namePattern, validName)
		}
		if o.State != "" {
			v.enum("State", string(o.State), string(StateEnabled), string(StateDisabled))
		}
	}
	if len(o.NextToken) > 2048 {
		v.length("NextToken", o.NextToken, 1, 2048)
	}
	if err := v.err(); err != nil {
		return 0, "", err
	}
	if o.NextToken != "" {
		var ok bool
		if after, ok = decodeToken(o.NextToken); !ok {
			return 0, "", invalid("NextToken", "Invalid NextToken: pass the NextToken of the previous page unchanged.")
		}
	}
	limit = o.MaxResults
	if limit == 0 {
		limit = MaxResults
	}
	return limit, after, nil
}

// Tokens are the last key of a page, encoded so that callers treat them
// as opaque.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 || len(b) > store.MaxKeyBytes {
		return "", false
	}
	return string(b), true
}
