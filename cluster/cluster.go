// Package cluster makes several Flint nodes one Flint. The nodes share a
// store on NATS JetStream (engine/store/jsstore): every node serves every
// function from its own memory, fed by the store's watches, and runs
// them in its own pools. This package adds what a node needs to know
// about the others:
//
//   - membership: each node writes a heartbeat into the store's
//     NodesBucket; a node counts as live while its heartbeats keep coming
//     (judged by the observer's own clock, so clocks need not agree);
//   - shares: a function's reserved and provisioned concurrency is divided
//     among the live nodes (Node implements engine.Shares), recomputed when
//     one joins or leaves;
//   - logs and usage from every node, over NATS subjects: a node asked for
//     a function's logs asks the others, and a follower's interest makes
//     every node publish the function's new log records while it lasts.
//
// Nothing here is on the invocation path: an invocation reads only the
// node's memory.
package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/names"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NodesBucket is the store bucket of the nodes' heartbeats, one record per
// node name.
const NodesBucket = "cluster-nodes"

// Defaults of Config's zero fields.
const (
	DefaultHeartbeat = 2 * time.Second
	DefaultPrefix    = "flint"
)

// Config configures a Node. Name and Store are required.
type Config struct {
	// Name names the node, unique in the cluster: 1 to 64 letters, digits,
	// hyphens and underscores.
	Name string
	// Address is where the node's gateway listens (shown by status).
	Address string
	// Version is the node's Flint version (shown by status).
	Version string
	// Store is the store the nodes share.
	Store store.Store
	// Conn and JetStream carry logs, usage and status. Nil: those cover
	// this node only.
	Conn      *nats.Conn
	JetStream jetstream.JetStream
	// Prefix namespaces the subjects (and, in status, the streams) of one
	// Flint cluster: the store's prefix (DefaultPrefix).
	Prefix string
	// Heartbeat is how often the node writes its heartbeat
	// (DefaultHeartbeat). A node whose heartbeats stop for three of them
	// no longer counts as live.
	Heartbeat time.Duration
	// Logger receives the node's messages. Nil discards them.
	Logger *slog.Logger
}

// Member is one node as its heartbeats describe it.
type Member struct {
	Name    string
	Address string `json:",omitempty"`
	Version string `json:",omitempty"`
	Started time.Time
	// Heartbeat is when the node wrote its last heartbeat, by its clock.
	Heartbeat time.Time
	// Concurrent counts the invocations running on the node then, and
	// Functions the functions it serves.
	Concurrent int
	Functions  int
	// Live says whether the node counts towards the shares: its
	// heartbeats keep coming. LastSeen is how long ago the observer saw
	// the last one. Both are the observer's, not the heartbeat's.
	Live     bool
	LastSeen time.Duration
}

func (h heartbeat) member() Member {
	return Member{Name: h.Name, Address: h.Address, Version: h.Version, Started: h.Started,
		Heartbeat: h.Heartbeat, Concurrent: h.Concurrent, Functions: h.Functions}
}

// heartbeat is what a node writes into NodesBucket.
type heartbeat struct {
	Name       string
	Address    string `json:",omitempty"`
	Version    string `json:",omitempty"`
	Started    time.Time
	Heartbeat  time.Time
	Concurrent int
	Functions  int
}

// Node is this process's place in the cluster. Its methods are safe for
// concurrent use.
type Node struct {
	cfg     Config
	bucket  store.Bucket
	started time.Time
	ctx     context.Context // done at Leave
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	reshare chan struct{} // a change of the live members to apply

	mu      sync.Mutex
	members map[string]*seen // other nodes, by name
	live    []string         // live members' names, this one included, sorted
	frozen  bool             // this node's last heartbeat failed
	left    bool             // Leave was called: start no goroutine
	eng     *engine.Engine
	subs    []*nats.Subscription
	follows map[string]time.Time // functions whose logs someone follows, until
}

// seen is a member and when this node last saw it change.
type seen struct {
	m    Member
	when time.Time
}

// Join writes this node's first heartbeat and starts following the
// others'. Attach the engine with Serve once it exists (the engine takes
// the Node as its Config.Shares first).
func Join(ctx context.Context, cfg Config) (*Node, error) {
	if !names.Function(cfg.Name) {
		return nil, fmt.Errorf("cluster: node name %q: use 1 to 64 letters, digits, hyphens and underscores", cfg.Name)
	}
	if cfg.Store == nil {
		return nil, errors.New("cluster: Config.Store is required")
	}
	cfg.Prefix = cmp.Or(cfg.Prefix, DefaultPrefix)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, DefaultHeartbeat)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := cfg.Store.Bucket(NodesBucket)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n := &Node{cfg: cfg, bucket: b, started: time.Now().UTC(), members: map[string]*seen{},
		live: []string{cfg.Name}, reshare: make(chan struct{}, 1), follows: map[string]time.Time{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if w, ok := b.(store.Watcher); ok {
		if err := w.Watch(n.ctx, n.observe); err != nil {
			n.cancel()
			return nil, fmt.Errorf("cluster: %w", err)
		}
	}
	if err := n.loadMembers(ctx); err != nil {
		n.cancel()
		return nil, err
	}
	if err := n.beat(ctx); err != nil {
		n.cancel()
		return nil, fmt.Errorf("cluster: first heartbeat of %s: %w", cfg.Name, err)
	}
	n.wg.Go(n.heartbeats)
	return n, nil
}

// loadMembers reads the heartbeats there are: each node counts as live
// until it misses its next three.
func (n *Node) loadMembers(ctx context.Context) error {
	after := ""
	for {
		keys, more, err := n.bucket.List(ctx, "", after, store.MaxListKeys)
		if err != nil {
			return fmt.Errorf("cluster: list nodes: %w", err)
		}
		for _, k := range keys {
			n.observeCtx(ctx, k)
		}
		if !more || len(keys) == 0 {
			n.recompute()
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// observe records a change to a node's heartbeat.
func (n *Node) observe(name string) { n.observeCtx(n.ctx, name) }

func (n *Node) observeCtx(ctx context.Context, name string) {
	if name == n.cfg.Name {
		return
	}
	raw, err := n.bucket.Get(ctx, name)
	n.mu.Lock()
	switch {
	case errors.Is(err, store.ErrNotFound):
		delete(n.members, name) // it left
	case err != nil:
		n.cfg.Logger.Warn("cluster: reading a heartbeat", "node", name, "err", err)
	default:
		var h heartbeat
		if err := json.Unmarshal(raw, &h); err != nil || h.Name != name {
			n.cfg.Logger.Warn("cluster: a heartbeat that does not parse", "node", name, "err", err)
			break
		}
		n.members[name] = &seen{m: h.member(), when: time.Now()}
	}
	n.mu.Unlock()
	n.recompute()
}

// liveFor is how long a node counts as live after its last heartbeat.
func (n *Node) liveFor() time.Duration { return 3 * n.cfg.Heartbeat }

// forgetAfter is how long a silent node's heartbeat stays in the bucket:
// then the first live node deletes it.
func (n *Node) forgetAfter() time.Duration { return max(30*n.cfg.Heartbeat, time.Minute) }

// recompute works out the live members and, when they changed, has the
// engine apply its new shares.
func (n *Node) recompute() {
	now := time.Now()
	n.mu.Lock()
	live := []string{n.cfg.Name}
	for name, s := range n.members {
		// A node cut off from the others keeps the members it had: its
		// share must not grow because it no longer hears them.
		if n.frozen && slices.Contains(n.live, name) || now.Sub(s.when) < n.liveFor() {
			live = append(live, name)
		}
	}
	slices.Sort(live)
	changed := !slices.Equal(live, n.live)
	n.live = live
	n.mu.Unlock()
	if changed {
		n.cfg.Logger.Info("cluster: live nodes", "nodes", live)
		select {
		case n.reshare <- struct{}{}:
		default:
		}
	}
}

// heartbeats writes this node's heartbeat every Config.Heartbeat, expires
// silent members and applies changes of the live members to the engine.
func (n *Node) heartbeats() {
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.reshare:
			n.mu.Lock()
			eng := n.eng
			n.mu.Unlock()
			if eng != nil {
				eng.Reshare(n.ctx)
			}
		case <-t.C:
			ctx, cancel := context.WithTimeout(n.ctx, n.cfg.Heartbeat)
			err := n.beat(ctx)
			cancel()
			if err != nil && n.ctx.Err() == nil {
				n.cfg.Logger.Warn("cluster: heartbeat not written; keeping the members known", "err", err)
			}
			n.mu.Lock()
			if n.frozen && err == nil {
				// Back: the others' heartbeats failed too, most likely,
				// so their silence while this node's did counts for
				// nothing.
				now := time.Now()
				for _, s := range n.members {
					if slices.Contains(n.live, s.m.Name) {
						s.when = now
					}
				}
			}
			n.frozen = err != nil
			n.mu.Unlock()
			n.recompute()
			n.forgetSilent()
		}
	}
}

// beat writes this node's heartbeat.
func (n *Node) beat(ctx context.Context) error {
	m := heartbeat{Name: n.cfg.Name, Address: n.cfg.Address, Version: n.cfg.Version, Started: n.started,
		Heartbeat: time.Now().UTC()}
	n.mu.Lock()
	eng := n.eng
	n.mu.Unlock()
	if eng != nil {
		em := eng.Metrics(ctx)
		m.Concurrent, m.Functions = em.Concurrent, len(em.Functions)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return n.bucket.Put(ctx, n.cfg.Name, raw)
}

// forgetSilent deletes the heartbeats of nodes silent for forgetAfter; the
// first live node in name order does it.
func (n *Node) forgetSilent() {
	n.mu.Lock()
	if n.frozen || n.live[0] != n.cfg.Name {
		n.mu.Unlock()
		return
	}
	var gone []string
	for name, s := range n.members {
		if time.Since(s.when) > n.forgetAfter() {
			gone = append(gone, name)
		}
	}
	n.mu.Unlock()
	for _, name := range gone {
		if err := n.bucket.Delete(n.ctx, name); err != nil {
			n.cfg.Logger.Warn("cluster: forgetting a silent node", "node", name, "err", err)
		}
	}
}

// Share implements engine.Shares: a limit of n divided among the live
// nodes, each getting n/live and the remainder going one each to the nodes
// after a place that depends on the function, so that the spare units of
// different functions land on different nodes.
func (n *Node) Share(function string, limit int) int {
	n.mu.Lock()
	k := len(n.live)
	i := slices.Index(n.live, n.cfg.Name)
	n.mu.Unlock()
	return share(function, limit, i, k)
}

// share is the part of limit of the i-th of k nodes.
func share(function string, limit, i, k int) int {
	if k <= 1 || limit <= 0 {
		return max(limit, 0)
	}
	h := fnv.New32a()
	h.Write([]byte(function))
	off := int(h.Sum32() % uint32(k))
	s := limit / k
	if (i-off+k)%k < limit%k {
		s++
	}
	return s
}

// Members returns the nodes known, this one included, by name.
func (n *Node) Members(ctx context.Context) []Member {
	now := time.Now()
	n.mu.Lock()
	eng := n.eng
	n.mu.Unlock()
	self := Member{Name: n.cfg.Name, Address: n.cfg.Address, Version: n.cfg.Version, Started: n.started,
		Heartbeat: now.UTC(), Live: true}
	if eng != nil {
		em := eng.Metrics(ctx)
		self.Concurrent, self.Functions = em.Concurrent, len(em.Functions)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	out := []Member{self}
	for _, s := range n.members {
		m := s.m
		m.Live = slices.Contains(n.live, m.Name)
		m.LastSeen = now.Sub(s.when)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Name returns the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Leave stops the heartbeats and the answers to other nodes, and deletes
// this node's heartbeat, so that the others take its shares at once.
func (n *Node) Leave(ctx context.Context) error {
	n.mu.Lock()
	n.left = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	n.mu.Lock()
	subs := n.subs
	n.subs = nil
	n.mu.Unlock()
	var errs []error
	for _, s := range subs {
		if err := s.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
	}
	if err := n.bucket.Delete(ctx, n.cfg.Name); err != nil {
		errs = append(errs, fmt.Errorf("cluster: delete the heartbeat of %s: %w", n.cfg.Name, err))
	}
	return errors.Join(errs...)
}
