package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/nats-io/nats.go"
)

// Subjects, under Config.Prefix: requests every node answers, and the
// logs of followed functions.
const (
	subjectUsage    = ".cluster.usage"
	subjectLogsGet  = ".cluster.logs.get."  // + function: its kept records
	subjectLogsWant = ".cluster.logs.want." // + function: someone follows it
	subjectLogsRec  = ".cluster.logs.rec."  // + function: a new record
)

// Timing of the messages between nodes.
const (
	// gatherTimeout bounds waiting for the other nodes' answers: a node
	// that does not answer in time is left out (and counted).
	gatherTimeout = 2 * time.Second
	// wantEvery is how often a follower says it still follows; a node
	// stops publishing a function's records wantFor after the last time.
	wantEvery = time.Second
	wantFor   = 5 * time.Second
)

// Serve attaches the engine: the node answers other nodes' requests for
// its logs and usage, publishes the records of functions someone follows,
// and applies changes of the live members to the engine's shares.
func (n *Node) Serve(eng *engine.Engine) error {
	n.mu.Lock()
	n.eng = eng
	n.mu.Unlock()
	select { // the members may have changed before the engine existed
	case n.reshare <- struct{}{}:
	default:
	}
	nc := n.cfg.Conn
	if nc == nil {
		return nil
	}
	p := n.cfg.Prefix
	handlers := map[string]nats.MsgHandler{
		p + subjectUsage: func(m *nats.Msg) {
			n.reply(m, usageReply{Node: n.cfg.Name, Usage: eng.Usage()})
		},
		p + subjectLogsGet + "*": func(m *nats.Msg) {
			fn := lastToken(m.Subject)
			recs, _ := eng.Logs(fn, 0) // a function this node has not heard of yet has none
			n.reply(m, logsReply{Node: n.cfg.Name, Records: recs})
		},
		p + subjectLogsWant + "*": func(m *nats.Msg) { n.want(eng, lastToken(m.Subject)) },
	}
	for subject, h := range handlers {
		s, err := nc.Subscribe(subject, h)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subject, err)
		}
		n.mu.Lock()
		n.subs = append(n.subs, s)
		n.mu.Unlock()
	}
	return nc.Flush()
}

func (n *Node) reply(m *nats.Msg, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = m.Respond(b)
	}
	if err != nil && n.ctx.Err() == nil {
		n.cfg.Logger.Warn("cluster: answering a request", "subject", m.Subject, "err", err)
	}
}

func lastToken(subject string) string {
	for i := len(subject) - 1; i >= 0; i-- {
		if subject[i] == '.' {
			return subject[i+1:]
		}
	}
	return subject
}

// usageReply is one node's answer to a usage request.
type usageReply struct {
	Node  string
	Usage []engine.Usage
}

// logsReply is one node's answer to a logs request.
type logsReply struct {
	Node    string
	Records []engine.LogRecord
}

// LogRecord is a log record and the node it comes from.
type LogRecord struct {
	Node string
	engine.LogRecord
}

// gather sends a request to every node and calls each with the answers
// that come within gatherTimeout, or until every live node answered. It
// returns how many answered.
func (n *Node) gather(ctx context.Context, subject string, each func(data []byte)) (int, error) {
	nc := n.cfg.Conn
	inbox := nc.NewRespInbox()
	ch := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return 0, fmt.Errorf("cluster: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	n.mu.Lock()
	want := len(n.live)
	n.mu.Unlock()
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		return 0, fmt.Errorf("cluster: %w", err)
	}
	timer := time.NewTimer(gatherTimeout)
	defer timer.Stop()
	got := 0
	for got < want {
		select {
		case m := <-ch:
			each(m.Data)
			got++
		case <-timer.C:
			return got, nil
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
	return got, nil
}

// Usage returns the metered use of every function summed over the nodes
// that answered, and how many did.
func (n *Node) Usage(ctx context.Context) ([]engine.Usage, int, error) {
	n.mu.Lock()
	eng := n.eng
	n.mu.Unlock()
	if eng == nil {
		return nil, 0, errors.New("cluster: no engine attached (Serve)")
	}
	if n.cfg.Conn == nil {
		return eng.Usage(), 1, nil
	}
	sum := map[string]*engine.Usage{}
	nodes, err := n.gather(ctx, n.cfg.Prefix+subjectUsage, func(data []byte) {
		var r usageReply
		if json.Unmarshal(data, &r) != nil {
			return
		}
		for _, u := range r.Usage {
			s := sum[u.Function]
			if s == nil {
				s = &engine.Usage{Function: u.Function}
				sum[u.Function] = s
			}
			s.Requests += u.Requests
			s.BilledDuration += u.BilledDuration
			s.GBSeconds += u.GBSeconds
		}
	})
	if err != nil {
		return nil, nodes, err
	}
	out := make([]engine.Usage, 0, len(sum))
	for _, u := range sum {
		u.GBSeconds = math.Round(u.GBSeconds*1e9) / 1e9
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b engine.Usage) int { return cmp.Compare(a.Function, b.Function) })
	return out, nodes, nil
}

// Logs returns the kept log records of function on every node that
// answered, oldest first.
func (n *Node) Logs(ctx context.Context, function string) ([]LogRecord, error) {
	n.mu.Lock()
	eng := n.eng
	n.mu.Unlock()
	if eng == nil {
		return nil, errors.New("cluster: no engine attached (Serve)")
	}
	if n.cfg.Conn == nil {
		recs, err := eng.Logs(function, 0)
		out := make([]LogRecord, len(recs))
		for i, r := range recs {
			out[i] = LogRecord{Node: n.cfg.Name, LogRecord: r}
		}
		return out, err
	}
	var out []LogRecord
	_, err := n.gather(ctx, n.cfg.Prefix+subjectLogsGet+function, func(data []byte) {
		var r logsReply
		if json.Unmarshal(data, &r) != nil {
			return
		}
		for _, rec := range r.Records {
			out = append(out, LogRecord{Node: r.Node, LogRecord: rec})
		}
	})
	slices.SortStableFunc(out, func(a, b LogRecord) int { return a.Time.Compare(b.Time) })
	return out, err
}

// FollowLogs calls fn with each new log record of function, from every
// node, until ctx is done or fn returns false. Records come in the order
// they arrive; a node publishes them from the moment it hears of the
// follower (within a second).
func (n *Node) FollowLogs(ctx context.Context, function string, fn func(LogRecord) bool) error {
	nc := n.cfg.Conn
	if nc == nil {
		n.mu.Lock()
		eng := n.eng
		n.mu.Unlock()
		if eng == nil {
			return errors.New("cluster: no engine attached (Serve)")
		}
		return eng.FollowLogs(ctx, function, func(r engine.LogRecord) bool {
			return fn(LogRecord{Node: n.cfg.Name, LogRecord: r})
		})
	}
	ch := make(chan *nats.Msg, 256)
	sub, err := nc.ChanSubscribe(n.cfg.Prefix+subjectLogsRec+function, ch)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	want := n.cfg.Prefix + subjectLogsWant + function
	if err := nc.Publish(want, nil); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	t := time.NewTicker(wantEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_ = nc.Publish(want, nil) // a missed one is made up for a second later
		case m := <-ch:
			var r LogRecord
			if json.Unmarshal(m.Data, &r) != nil {
				continue
			}
			if !fn(r) {
				return nil
			}
		}
	}
}

// want notes that someone follows function's logs: the node publishes its
// new records until wantFor after the last such note.
func (n *Node) want(eng *engine.Engine, function string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, running := n.follows[function]
	n.follows[function] = time.Now().Add(wantFor)
	if running || n.left {
		return
	}
	subject := n.cfg.Prefix + subjectLogsRec + function
	n.wg.Go(func() {
		ctx, cancel := context.WithCancel(n.ctx)
		defer cancel()
		go func() { // end the follow once the notes stop
			t := time.NewTicker(wantEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					n.mu.Lock()
					until, ok := n.follows[function]
					if ok && time.Now().After(until) {
						delete(n.follows, function)
						ok = false
					}
					n.mu.Unlock()
					if !ok {
						cancel()
						return
					}
				}
			}
		}()
		err := eng.FollowLogs(ctx, function, func(r engine.LogRecord) bool {
			b, err := json.Marshal(LogRecord{Node: n.cfg.Name, LogRecord: r})
			return err == nil && n.cfg.Conn.Publish(subject, b) == nil
		})
		n.mu.Lock()
		delete(n.follows, function)
		n.mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, engine.ErrFunctionNotFound) {
			n.cfg.Logger.Warn("cluster: following logs", "function", function, "err", err)
		}
	})
}
