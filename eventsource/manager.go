package eventsource

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the store bucket of the mappings: one JSON record per UUID.
const Bucket = "event-source-mappings"

// Defaults of Config's zero fields.
const (
	DefaultRetryDelay    = time.Second
	DefaultMaxRetryDelay = 5 * time.Minute
	DefaultAckMargin     = time.Minute
)

// Config configures a Manager. Engine, JetStream and Store are required.
type Config struct {
	// Engine invokes the functions.
	Engine *engine.Engine
	// JetStream is where the streams are.
	JetStream jetstream.JetStream
	// Store keeps the mappings (in Bucket).
	Store store.Store
	// Region and AccountID appear in ARNs (us-east-1, 000000000000).
	Region, AccountID string
	// RetryDelay is how long a failed record waits before it is delivered
	// again, doubling with each delivery up to MaxRetryDelay.
	RetryDelay, MaxRetryDelay time.Duration
	// AckMargin is added to the function's timeout and the batching window
	// to make how long a delivered record may go unacknowledged before
	// JetStream delivers it again (after a crash, say).
	AckMargin time.Duration
	// Logger receives the manager's messages. Nil discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Manager keeps event source mappings and runs them: a poller per enabled
// mapping consumes its stream and invokes its function. Its methods are
// safe for concurrent use.
//
// Lock order: Manager.mu, then a poller's own; nothing is called on the
// engine or JetStream with Manager.mu held except starting and stopping
// pollers, which do not call back into the Manager.
type Manager struct {
	cfg    Config
	bucket store.Bucket

	mu       sync.Mutex
	mappings map[string]*entry
	closed   bool

	stopFollowing context.CancelFunc // ends the watch of follow.go

	// Mappings whose poller did not start are tried again (startLater)
	// until ctx ends, when the Manager closes.
	ctx     context.Context
	cancel  context.CancelFunc
	retries sync.WaitGroup
}

// entry is one mapping: its configuration, its state, its poller when it
// runs, and its counters.
type entry struct {
	m      Mapping
	poller *poller
	stats  *counters
	// changing serializes changes of one mapping (start and stop take
	// time, and are done without Manager.mu).
	changing sync.Mutex
	// raw is the mapping as last saved or read (under changing): a change
	// another node made differs from it.
	raw []byte
}

// New returns a manager of the mappings kept in cfg.Store, and starts the
// enabled ones.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if cfg.Engine == nil || cfg.JetStream == nil || cfg.Store == nil {
		return nil, errors.New("eventsource: Config.Engine, JetStream and Store are required")
	}
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	cfg.AccountID = cmp.Or(cfg.AccountID, "000000000000")
	cfg.RetryDelay = cmp.Or(cfg.RetryDelay, DefaultRetryDelay)
	cfg.MaxRetryDelay = cmp.Or(cfg.MaxRetryDelay, DefaultMaxRetryDelay)
	cfg.AckMargin = cmp.Or(cfg.AckMargin, DefaultAckMargin)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b, err := cfg.Store.Bucket(Bucket)
	if err != nil {
		return nil, fmt.Errorf("eventsource: %w", err)
	}
	mgr := &Manager{cfg: cfg, bucket: b, mappings: map[string]*entry{}, stopFollowing: func() {}}
	mgr.ctx, mgr.cancel = context.WithCancel(context.Background())
	if err := mgr.follow(); err != nil {
		mgr.cancel()
		return nil, err
	}
	recs, raws, err := mgr.load(ctx)
	if err != nil {
		mgr.stopFollowing()
		mgr.cancel()
		return nil, err
	}
	mgr.mu.Lock()
	for i, m := range recs {
		if mgr.mappings[m.UUID] != nil {
			continue // the watch was first
		}
		mgr.mappings[m.UUID] = &entry{m: m, stats: newCounters(), raw: raws[i]}
	}
	entries := slices.Collect(maps.Values(mgr.mappings))
	mgr.mu.Unlock()
	for _, e := range entries {
		e.changing.Lock()
		m := e.m
		if m.Enabled {
			if err := mgr.start(ctx, e); err != nil {
				// The mapping stays, enabled; its problem shows in its
				// LastProcessingResult, and it is tried again.
				mgr.startLater(e, err)
			}
		}
		e.changing.Unlock()
	}
	return mgr, nil
}

// load reads the mappings kept in the bucket.
func (mgr *Manager) load(ctx context.Context) ([]Mapping, [][]byte, error) {
	var out []Mapping
	var raws [][]byte
	after := ""
	for {
		keys, more, err := mgr.bucket.List(ctx, "", after, store.MaxListKeys)
		if err != nil {
			return nil, nil, fmt.Errorf("eventsource: list mappings: %w", err)
		}
		for _, k := range keys {
			raw, err := mgr.bucket.Get(ctx, k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("eventsource: mapping %s: %w", k, err)
			}
			m, err := decodeMapping(k, raw)
			if err != nil {
				return nil, nil, err
			}
			out, raws = append(out, m), append(raws, raw)
		}
		if !more || len(keys) == 0 {
			return out, raws, nil
		}
		after = keys[len(keys)-1]
	}
}

func decodeMapping(id string, raw []byte) (Mapping, error) {
	var m Mapping
	if err := json.Unmarshal(raw, &m); err != nil {
		return Mapping{}, fmt.Errorf("eventsource: mapping %s: %w", id, err)
	}
	if m.UUID != id {
		return Mapping{}, fmt.Errorf("eventsource: mapping %s holds %q", id, m.UUID)
	}
	return m, nil
}

// save persists m, in its settled state, as e's. Callers hold e.changing.
func (mgr *Manager) save(ctx context.Context, e *entry, m Mapping) error {
	m.State = settled(m.Enabled)
	m.LastProcessingResult = ""
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("eventsource: encode mapping %s: %w", m.UUID, err)
	}
	if err := mgr.bucket.Put(ctx, m.UUID, raw); err != nil {
		return fmt.Errorf("eventsource: save mapping %s: %w", m.UUID, err)
	}
	e.raw = raw
	return nil
}

func settled(enabled bool) string {
	if enabled {
		return StateEnabled
	}
	return StateDisabled
}

// ARN returns a stream's ARN in this manager's region and account.
func (mgr *Manager) ARN(stream string) string {
	return StreamARN(mgr.cfg.Region, mgr.cfg.AccountID, stream)
}

// Create checks m, saves it with a new UUID and starts it when enabled. It
// returns the mapping in state Creating, as Lambda does; it is Enabled (or
// Disabled) once running. Errors: ErrInvalid, ErrFunctionNotFound,
// ErrStreamNotFound, ErrConflict (the function already has a mapping of
// that stream).
func (mgr *Manager) Create(ctx context.Context, m Mapping) (Mapping, error) {
	if err := m.normalize(); err != nil {
		return Mapping{}, err
	}
	if err := mgr.check(ctx, m); err != nil {
		return Mapping{}, err
	}
	m.UUID = uuid.New()
	m.LastModified = mgr.cfg.Now().UTC()
	m.StateTransitionReason = "USER_INITIATED"

	mgr.mu.Lock()
	if mgr.closed {
		mgr.mu.Unlock()
		return Mapping{}, &Error{Kind: ErrClosed, Message: "event sources are shutting down"}
	}
	for _, o := range mgr.mappings {
		if o.m.Function == m.Function && o.m.Stream == m.Stream && slices.Equal(o.m.Subjects, m.Subjects) {
			mgr.mu.Unlock()
			return Mapping{}, &Error{Kind: ErrConflict, Message: fmt.Sprintf(
				"The event source arn (%s) and function (%s) provided mapping already exists. Please update or delete the existing mapping with UUID %s",
				mgr.ARN(m.Stream), m.Function, o.m.UUID)}
		}
	}
	e := &entry{m: m, stats: newCounters()}
	e.m.State = StateCreating
	mgr.mappings[m.UUID] = e
	e.changing.Lock()
	mgr.mu.Unlock()

	if err := mgr.save(ctx, e, m); err != nil {
		mgr.mu.Lock()
		delete(mgr.mappings, m.UUID)
		mgr.mu.Unlock()
		e.changing.Unlock()
		return Mapping{}, err
	}
	out := e.snapshot()
	go mgr.settle(e, m.Enabled)
	return out, nil
}

// settle starts or stops e's poller, as enabled says, and moves it to its
// settled state. Callers hold e.changing, which settle releases.
func (mgr *Manager) settle(e *entry, enabled bool) {
	defer e.changing.Unlock()
	ctx := context.Background()
	var err error
	if enabled {
		err = mgr.start(ctx, e)
	} else {
		mgr.stop(ctx, e)
	}
	mgr.mu.Lock()
	if e.m.State != StateDeleting {
		e.m.State = settled(enabled)
	}
	mgr.mu.Unlock()
	if err != nil {
		mgr.startLater(e, err)
	}
}

// check verifies what m names exists: its function, its stream and its
// failure destination.
func (mgr *Manager) check(ctx context.Context, m Mapping) error {
	if _, err := mgr.cfg.Engine.Function(m.Function); err != nil {
		if errors.Is(err, engine.ErrFunctionNotFound) {
			return &Error{Kind: ErrFunctionNotFound, Message: fmt.Sprintf("Function not found: %s", m.Function)}
		}
		return err
	}
	if _, err := mgr.cfg.JetStream.Stream(ctx, m.Stream); err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return &Error{Kind: ErrStreamNotFound, Message: fmt.Sprintf(
				"EventSourceArn %s: stream %s does not exist; create it first (flint stream create %s)", mgr.ARN(m.Stream), m.Stream, m.Stream)}
		}
		return fmt.Errorf("eventsource: stream %s: %w", m.Stream, err)
	}
	if m.OnFailure != DeadLetterDestination {
		if _, err := mgr.failureSubject(ctx, m.OnFailure); err != nil {
			return err
		}
	}
	return nil
}

// failureSubject is where failure records for a stream destination are
// published: the stream's first subject, which must be a literal one.
func (mgr *Manager) failureSubject(ctx context.Context, arn string) (string, error) {
	if _, err := ParseStreamARN(arn); err != nil {
		return "", invalid("DestinationConfig.OnFailure.Destination %q: use a stream's ARN (arn:aws:nats:REGION:ACCOUNT:stream/NAME) or %q", truncate(arn, 200), DeadLetterDestination)
	}
	subject, err := (&Streams{JetStream: mgr.cfg.JetStream}).subject(ctx, arn)
	if err != nil {
		return "", invalid("DestinationConfig.OnFailure.Destination: %v", err)
	}
	return subject, nil
}

// Get returns a mapping.
func (mgr *Manager) Get(id string) (Mapping, error) {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	e, ok := mgr.mappings[id]
	if !ok {
		return Mapping{}, notFound(id)
	}
	return e.snapshotLocked(), nil
}

func notFound(id string) error {
	return &Error{Kind: ErrNotFound, Message: fmt.Sprintf("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: -) (event source mapping %s)", truncate(id, 80))}
}

// List returns the mappings of function (its name: every qualifier; or
// "name:qualifier": that one) and of stream, each when not empty, ordered
// by UUID.
func (mgr *Manager) List(function, stream string) []Mapping {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	var out []Mapping
	for _, id := range slices.Sorted(maps.Keys(mgr.mappings)) {
		m := mgr.mappings[id].snapshotLocked()
		name, _, _ := strings.Cut(m.Function, ":")
		switch {
		case function != "" && m.Function != function && (strings.Contains(function, ":") || name != function):
		case stream != "" && m.Stream != stream:
		default:
			out = append(out, m)
		}
	}
	return out
}

// Update changes a mapping: change receives a copy and edits it (Stream
// and StartingPosition cannot change, as on Lambda). The mapping is
// restarted with its new configuration; Update returns it in state
// Updating, Enabling or Disabling.
func (mgr *Manager) Update(ctx context.Context, id string, change func(*Mapping) error) (Mapping, error) {
	mgr.mu.Lock()
	e, ok := mgr.mappings[id]
	mgr.mu.Unlock()
	if !ok {
		return Mapping{}, notFound(id)
	}
	e.changing.Lock()
	mgr.mu.Lock()
	if e.m.State == StateDeleting || mgr.mappings[id] != e {
		mgr.mu.Unlock()
		e.changing.Unlock()
		return Mapping{}, &Error{Kind: ErrConflict, Message: fmt.Sprintf("event source mapping %s is being deleted", id)}
	}
	old := e.m
	mgr.mu.Unlock()

	m := old
	m.Subjects = slices.Clone(old.Subjects)
	m.Filters = slices.Clone(old.Filters)
	if err := change(&m); err != nil {
		e.changing.Unlock()
		return Mapping{}, err
	}
	m.UUID, m.Stream, m.StartingPosition, m.StartingPositionTimestamp = old.UUID, old.Stream, old.StartingPosition, old.StartingPositionTimestamp
	if err := m.normalize(); err != nil {
		e.changing.Unlock()
		return Mapping{}, err
	}
	if err := mgr.check(ctx, m); err != nil {
		e.changing.Unlock()
		return Mapping{}, err
	}
	m.LastModified = mgr.cfg.Now().UTC()
	m.StateTransitionReason = "USER_INITIATED"
	if err := mgr.save(ctx, e, m); err != nil {
		e.changing.Unlock()
		return Mapping{}, err
	}
	mgr.stop(ctx, e) // restarted below with the new configuration
	mgr.mu.Lock()
	e.m = m
	switch {
	case m.Enabled && !old.Enabled:
		e.m.State = StateEnabling
	case !m.Enabled && old.Enabled:
		e.m.State = StateDisabling
	default:
		e.m.State = StateUpdating
	}
	out := e.snapshotLocked()
	mgr.mu.Unlock()
	go mgr.settle(e, m.Enabled)
	return out, nil
}

// Delete stops a mapping, removes its consumer (its place in the stream)
// and forgets it. It returns the mapping in state Deleting.
func (mgr *Manager) Delete(ctx context.Context, id string) (Mapping, error) {
	mgr.mu.Lock()
	e, ok := mgr.mappings[id]
	if !ok || e.m.State == StateDeleting {
		mgr.mu.Unlock()
		return Mapping{}, notFound(id)
	}
	e.m.State = StateDeleting
	out := e.snapshotLocked()
	mgr.mu.Unlock()

	e.changing.Lock()
	defer e.changing.Unlock()
	mgr.stop(ctx, e)
	if err := mgr.bucket.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return Mapping{}, fmt.Errorf("eventsource: delete mapping %s: %w", id, err)
	}
	if s, err := mgr.cfg.JetStream.Stream(ctx, e.m.Stream); err == nil {
		if err := s.DeleteConsumer(ctx, consumerName(id)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			mgr.cfg.Logger.Warn("event source mapping: deleting its consumer", "uuid", id, "err", err)
		}
	}
	mgr.mu.Lock()
	delete(mgr.mappings, id)
	mgr.mu.Unlock()
	return out, nil
}

// Stats returns a mapping's counters, and its lag: the records its stream
// holds that the mapping has not yet received.
func (mgr *Manager) Stats(ctx context.Context, id string) (Stats, error) {
	mgr.mu.Lock()
	e, ok := mgr.mappings[id]
	mgr.mu.Unlock()
	if !ok {
		return Stats{}, notFound(id)
	}
	// The stream's figures first, the counters after: a record counted as
	// acknowledged by the stream is then counted here too (the poller
	// counts a record before it acknowledges it).
	var info *jetstream.ConsumerInfo
	if s, err := mgr.cfg.JetStream.Stream(ctx, e.m.Stream); err == nil {
		if c, err := s.Consumer(ctx, consumerName(id)); err == nil {
			info, _ = c.Info(ctx)
		}
	}
	st := e.stats.snapshot()
	if info != nil {
		st.Lag = info.NumPending
		st.InFlight = uint64(info.NumAckPending + info.NumRedelivered)
		st.Started = true
	}
	return st, nil
}

// Close stops every mapping: batches in flight finish (until ctx is
// done), records received but not yet invoked go back to their streams,
// and the mappings stay saved for the next start. It is safe to call more
// than once.
func (mgr *Manager) Close(ctx context.Context) error {
	mgr.mu.Lock()
	if mgr.closed {
		mgr.mu.Unlock()
		return nil
	}
	mgr.closed = true
	entries := slices.Collect(maps.Values(mgr.mappings))
	mgr.mu.Unlock()
	mgr.stopFollowing()
	mgr.cancel()
	mgr.retries.Wait()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Go(func() {
			e.changing.Lock()
			defer e.changing.Unlock()
			mgr.stop(ctx, e)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// start starts e's poller (if it is not running).
func (mgr *Manager) start(ctx context.Context, e *entry) error {
	mgr.mu.Lock()
	if mgr.closed || e.poller != nil {
		mgr.mu.Unlock()
		return nil
	}
	m := e.m
	mgr.mu.Unlock()
	p, err := mgr.newPoller(ctx, m, e.stats)
	if err != nil {
		return err
	}
	mgr.mu.Lock()
	e.poller = p
	mgr.mu.Unlock()
	return nil
}

// A mapping whose poller did not start is tried again startAttempts-1
// times, startRetryDelay later at first and twice as long each time (about
// 12 s in all): JetStream's API can time out on a loaded cluster (a
// consumer several nodes create at once, a stream electing its leader),
// and a mapping that did not start would otherwise stay idle on this node
// until it changed.
const (
	startAttempts   = 5
	startRetryDelay = 800 * time.Millisecond
)

// startLater records why e did not start and tries again in the
// background, while e is enabled, unchanged and not running.
func (mgr *Manager) startLater(e *entry, err error) {
	mgr.cfg.Logger.Error("event source mapping did not start", "uuid", e.m.UUID, "err", err)
	e.stats.setResult("PROBLEM: " + err.Error())
	m := e.m
	mgr.retries.Go(func() {
		delay := startRetryDelay
		for range startAttempts - 1 {
			select {
			case <-time.After(delay):
			case <-mgr.ctx.Done():
				return
			}
			delay *= 2
			e.changing.Lock()
			mgr.mu.Lock()
			same := !mgr.closed && mgr.mappings[m.UUID] == e && e.poller == nil && e.m.Enabled &&
				e.m.LastModified.Equal(m.LastModified)
			mgr.mu.Unlock()
			if !same {
				e.changing.Unlock()
				return // stopped, changed (and started or stopped anew) or running
			}
			err := mgr.start(mgr.ctx, e)
			e.changing.Unlock()
			if err == nil {
				mgr.cfg.Logger.Info("event source mapping started", "uuid", m.UUID)
				e.stats.setResult("No records processed")
				return
			}
			mgr.cfg.Logger.Warn("event source mapping did not start", "uuid", m.UUID, "err", err)
			e.stats.setResult("PROBLEM: " + err.Error())
		}
	})
}

// stop stops e's poller (if it runs) and waits for its batches in flight.
func (mgr *Manager) stop(ctx context.Context, e *entry) {
	mgr.mu.Lock()
	p := e.poller
	e.poller = nil
	mgr.mu.Unlock()
	if p != nil {
		p.stop(ctx)
	}
}

// snapshot returns the mapping with its processing result.
func (e *entry) snapshot() Mapping {
	m := e.m
	m.Subjects = slices.Clone(m.Subjects)
	m.Filters = slices.Clone(m.Filters)
	m.LastProcessingResult = e.stats.result()
	return m
}

func (e *entry) snapshotLocked() Mapping { return e.snapshot() }
