package jsstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/flintfaas/flint/engine/store"
)

// A queue is a work-queue stream with one durable pull consumer. Each
// message has a token of its own (a NUID) and lives on one of two
// subjects:
//
//	<root>.r.<token>   ready: due, delivered by the consumer
//	<root>.s.<token>   scheduled: a JetStream message schedule ("@at <due>")
//	                   whose target is <root>.r.<token>
//
// The stream keeps at most one message per subject, and every rewrite of a
// message (Retry) is a publish that expects the last sequence on
// <root>.*.<token> to be the message's ID: a compare-and-set, so that of two
// calls on one message only one succeeds.
const (
	readyToken     = "r"
	scheduledToken = "s"
	consumerName   = "flint"
	// pullWait bounds one pull request: an idle receiver asks again this
	// often.
	pullWait = 10 * time.Second
	// maxWaiting is how many Receive calls, across all nodes, may wait on
	// one queue at once.
	maxWaiting = 4096
	// hdrEnqueued and hdrDeliveries carry a message's Enqueued time (Unix
	// nanoseconds) and the deliveries it had before it was last rewritten.
	hdrEnqueued   = "Flint-Enqueued"
	hdrDeliveries = "Flint-Deliveries"
	// JetStream's message scheduling headers (nats-server 2.12 and later).
	hdrSchedule       = "Nats-Schedule"
	hdrScheduleTarget = "Nats-Schedule-Target"
	hdrScheduleNext   = "Nats-Schedule-Next"
	hdrScheduler      = "Nats-Scheduler"
	hdrExpectSubject  = "Nats-Expected-Last-Subject-Sequence-Subject"
)

// maxDue is the latest due time scheduled: JetStream computes schedules in
// nanoseconds since 1970, which overflow in 2262. Later dues wait until
// then.
var maxDue = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// queue is a Queue on a stream and its consumer.
type queue struct {
	s       *jetStore
	name    string
	stream  jetstream.Stream
	sname   string
	root    string
	cons    jetstream.Consumer
	ackWait time.Duration

	mu      sync.Mutex
	held    map[uint64]delivery // messages received here, by sequence
	sweepAt int
}

// delivery is what this process knows of a message it received, which
// the stream does not say: how many times it was delivered.
type delivery struct {
	reply      string // the delivery's ack subject, to extend the lease on
	subject    string
	enqueued   int64
	deliveries int
	expires    time.Time
}

var _ store.Queue = (*queue)(nil)

// openQueue creates or opens the stream and consumer for name.
func openQueue(ctx context.Context, s *jetStore, name string) (*queue, error) {
	if err := s.connected(); err != nil {
		return nil, err
	}
	enc := encodeName(name)
	q := &queue{
		s:       s,
		name:    name,
		sname:   "QUEUE_" + s.opts.Prefix + "_" + enc,
		root:    s.opts.Prefix + ".queue." + enc,
		held:    map[uint64]delivery{},
		sweepAt: 1024,
	}
	err := retrying(ctx, func(ctx context.Context) error { return q.open(ctx, name) })
	if err != nil {
		return nil, err
	}
	// The consumer's lease is whatever the node that created it asked for.
	q.ackWait = q.cons.CachedInfo().Config.AckWait
	return q, nil
}

// open finds or creates the queue's stream and consumer.
func (q *queue) open(ctx context.Context, name string) error {
	s := q.s
	var err error
	q.stream, err = s.js.Stream(ctx, q.sname)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		q.stream, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:              q.sname,
			Description:       "Flint queue " + name,
			Subjects:          []string{q.root + ".>"},
			Retention:         jetstream.WorkQueuePolicy,
			MaxMsgsPerSubject: 1,
			Discard:           jetstream.DiscardOld,
			Storage:           jetstream.FileStorage,
			Replicas:          s.opts.Replicas,
			AllowMsgSchedules: true,
			AllowRollup:       true,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			q.stream, err = s.js.Stream(ctx, q.sname)
		}
	}
	if err != nil {
		return err
	}
	q.cons, err = q.stream.Consumer(ctx, consumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		q.cons, err = q.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       consumerName,
			Description:   "Flint's receivers of queue " + name,
			FilterSubject: q.root + "." + readyToken + ".>",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       s.opts.Lease,
			MaxDeliver:    -1,
			MaxAckPending: -1,
			// Every waiting Receive of every node is a pull request
			// (JetStream's default allows 512).
			MaxWaiting: maxWaiting,
		})
		if errors.Is(err, jetstream.ErrConsumerExists) {
			q.cons, err = q.stream.Consumer(ctx, consumerName)
		}
	}
	return err
}

// Enqueue implements store.Queue: a message due now or earlier is
// published ready, a later one as a message schedule that JetStream
// publishes ready when it is due.
func (q *queue) Enqueue(ctx context.Context, body []byte, due time.Time) (string, error) {
	if err := q.s.check(ctx); err != nil {
		return "", err
	}
	if err := store.CheckBody(body); err != nil {
		return "", err
	}
	if err := q.s.connected(); err != nil {
		return "", err
	}
	now := time.Now()
	token := nuid.Next()
	m := q.message(token, body, now.UnixNano(), 0, now, due)
	// A publish whose acknowledgement is late (a loaded cluster) may have
	// been stored: it is sent again with the same message id, which
	// JetStream's duplicate window (two minutes) drops, so that a caller
	// never sees a failure for a message that was queued, and retries it
	// as a second one.
	m.Header[nats.MsgIdHdr] = []string{token}
	var ack *jetstream.PubAck
	err := retrying(ctx, func(actx context.Context) (err error) {
		ack, err = q.s.js.PublishMsg(actx, m)
		return err
	})
	if err != nil {
		return "", q.s.fail(ctx, "enqueue", err)
	}
	return store.FormatID(ack.Sequence), nil
}

// message builds the message with token due at due.
func (q *queue) message(token string, body []byte, enqueued int64, deliveries int, now, due time.Time) *nats.Msg {
	m := &nats.Msg{Data: body, Header: nats.Header{}}
	m.Header[hdrEnqueued] = []string{strconv.FormatInt(enqueued, 10)}
	if deliveries > 0 {
		m.Header[hdrDeliveries] = []string{strconv.Itoa(deliveries)}
	}
	if due.After(now) {
		m.Subject = q.root + "." + scheduledToken + "." + token
		if due.After(maxDue) {
			due = maxDue
		}
		m.Header[hdrSchedule] = []string{"@at " + due.UTC().Format(time.RFC3339Nano)}
		m.Header[hdrScheduleTarget] = []string{q.root + "." + readyToken + "." + token}
		return m
	}
	m.Subject = q.root + "." + readyToken + "." + token
	return m
}

// Receive implements store.Queue with one pull request for one message at
// a time, renewed every pullWait. A lease other than the consumer's
// AckWait is set by a negative acknowledgement with that delay, which
// JetStream treats as the message's new deadline.
func (q *queue) Receive(ctx context.Context, lease time.Duration) (store.Message, error) {
	if err := store.CheckLease(lease); err != nil {
		return store.Message{}, err
	}
	lease = min(lease, maxLease)
	for {
		if err := q.s.check(ctx); err != nil {
			return store.Message{}, err
		}
		if err := q.s.connected(); err != nil {
			return store.Message{}, err
		}
		// The pull request is not bound to ctx: when ctx ends first, a
		// message on its way is handed back (drain) rather than left
		// leased to nobody.
		deadline := time.Now().Add(pullWait)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		fctx, cancel := context.WithDeadline(q.s.ctx, deadline)
		batch, err := q.cons.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			if errors.Is(err, jetstream.ErrInvalidOption) && time.Until(deadline) <= 0 {
				continue // the deadline passed while asking
			}
			return store.Message{}, q.s.fail(ctx, "receive", err)
		}
		select {
		case m, ok := <-batch.Messages():
			cancel()
			if ok {
				return q.deliver(m, lease)
			}
			if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				return store.Message{}, q.s.fail(ctx, "receive", err)
			}
		case <-ctx.Done():
			q.drain(batch, cancel)
			return store.Message{}, ctx.Err()
		case <-q.s.ctx.Done():
			cancel()
			return store.Message{}, store.ErrClosed
		}
	}
}

// drain hands back any message that reaches the abandoned pull request
// batch before it expires, for immediate redelivery.
func (q *queue) drain(batch jetstream.MessageBatch, cancel context.CancelFunc) {
	err := q.s.goroutine(func() {
		defer cancel()
		for m := range batch.Messages() {
			_ = m.Nak()
		}
	})
	if err != nil {
		cancel()
	}
}

// deliver turns a message the consumer delivered into a store.Message
// leased for lease.
func (q *queue) deliver(m jetstream.Msg, lease time.Duration) (store.Message, error) {
	meta, err := m.Metadata()
	if err != nil {
		return store.Message{}, fmt.Errorf("jsstore: receive: %w", err)
	}
	if lease != q.ackWait {
		// If this is lost, the lease is the consumer's AckWait.
		_ = m.NakWithDelay(lease)
	}
	h := m.Headers()
	enqueued, err := strconv.ParseInt(h.Get(hdrEnqueued), 10, 64)
	if err != nil {
		enqueued = meta.Timestamp.UnixNano() // published by someone else
	}
	before, _ := strconv.Atoi(h.Get(hdrDeliveries))
	d := delivery{
		reply:      m.Reply(),
		subject:    m.Subject(),
		enqueued:   enqueued,
		deliveries: max(before, 0) + int(meta.NumDelivered),
		expires:    time.Now().Add(lease),
	}
	seq := meta.Sequence.Stream
	q.hold(seq, d)
	body := m.Data()
	if body == nil {
		body = []byte{}
	}
	return store.Message{
		ID:         store.FormatID(seq),
		Body:       body,
		Enqueued:   time.Unix(0, enqueued),
		Deliveries: d.deliveries,
	}, nil
}

// hold remembers a delivery until the message is acked or retried here.
// Deliveries whose lease ended are forgotten now and then (someone else
// may have the message).
func (q *queue) hold(seq uint64, d delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.held[seq] = d
	if len(q.held) >= q.sweepAt {
		now := time.Now()
		for s, h := range q.held {
			if h.expires.Before(now) {
				delete(q.held, s)
			}
		}
		q.sweepAt = max(1024, 2*len(q.held))
	}
}

// held returns what this process knows of message seq, if it received it.
func (q *queue) delivery(seq uint64) (delivery, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	d, ok := q.held[seq]
	return d, ok
}

// forget drops what this process knows of message seq.
func (q *queue) forget(seq uint64) {
	q.mu.Lock()
	delete(q.held, seq)
	q.mu.Unlock()
}

// Ack implements store.Queue: it deletes the message from the stream, which
// also ends its lease.
func (q *queue) Ack(ctx context.Context, id string) error {
	if err := q.s.check(ctx); err != nil {
		return err
	}
	seq, err := store.ParseID(id)
	if err != nil {
		return err
	}
	if err := q.s.connected(); err != nil {
		return err
	}
	found, err := q.s.deleteMsg(ctx, q.sname, seq)
	if err != nil {
		return q.s.fail(ctx, "ack", err)
	}
	q.forget(seq)
	if !found {
		return fmt.Errorf("%w: message %s", store.ErrNotFound, id)
	}
	return nil
}

// Extend implements store.Queue: it tells the server the message is in
// progress, which restarts its AckWait when lease is the consumer's, or
// delays its redelivery by lease otherwise (as Receive does).
func (q *queue) Extend(ctx context.Context, id string, lease time.Duration) error {
	if err := q.s.check(ctx); err != nil {
		return err
	}
	if err := store.CheckLease(lease); err != nil {
		return err
	}
	seq, err := store.ParseID(id)
	if err != nil {
		return err
	}
	if err := q.s.connected(); err != nil {
		return err
	}
	lease = min(lease, maxLease)
	d, ok := q.delivery(seq)
	if !ok || d.reply == "" {
		return fmt.Errorf("%w: message %s is not leased here", store.ErrNotFound, id)
	}
	// JetStream's acknowledgement protocol, written out: the client's own
	// calls allow one acknowledgement per delivery, and a lease other than
	// AckWait already took it (a delayed Nak).
	ack := []byte("+WPI")
	if lease != q.ackWait {
		ack = fmt.Appendf(nil, `-NAK {"delay":%d}`, lease.Nanoseconds())
	}
	if err := q.s.nc.Publish(d.reply, ack); err != nil {
		return q.s.fail(ctx, "extend", err)
	}
	d.expires = time.Now().Add(lease)
	q.mu.Lock()
	if _, still := q.held[seq]; still {
		q.held[seq] = d
	}
	q.mu.Unlock()
	return nil
}

// Retry implements store.Queue: it publishes the new body under the
// message's token, expecting the message to be the token's last (else
// ErrNotFound: another call acked or retried it). Due now, the new message
// replaces the old in the same write (one message per subject) and purges
// a schedule the old one was; due later, it is a schedule, and the old
// message is deleted after.
func (q *queue) Retry(ctx context.Context, id string, body []byte, due time.Time) error {
	if err := q.s.check(ctx); err != nil {
		return err
	}
	seq, err := store.ParseID(id)
	if err != nil {
		return err
	}
	if err := store.CheckBody(body); err != nil {
		return err
	}
	if err := q.s.connected(); err != nil {
		return err
	}
	d, ok := q.delivery(seq)
	if !ok {
		// Not received here: the stream has the subject and headers, not
		// the deliveries of its current incarnation.
		raw, err := q.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("%w: message %s", store.ErrNotFound, id)
		}
		if err != nil {
			return q.s.fail(ctx, "retry", err)
		}
		d.subject = raw.Subject
		if d.enqueued, err = strconv.ParseInt(raw.Header.Get(hdrEnqueued), 10, 64); err != nil {
			d.enqueued = raw.Time.UnixNano()
		}
		d.deliveries, _ = strconv.Atoi(raw.Header.Get(hdrDeliveries))
	}
	kind, token, ok := q.parseSubject(d.subject)
	if !ok {
		return fmt.Errorf("%w: message %s", store.ErrNotFound, id)
	}
	now := time.Now()
	m := q.message(token, body, d.enqueued, d.deliveries, now, due)
	m.Header[jetstream.ExpectedLastSubjSeqHeader] = []string{strconv.FormatUint(seq, 10)}
	m.Header[hdrExpectSubject] = []string{q.root + ".*." + token}
	later := due.After(now)
	if !later {
		m.Header[hdrScheduleNext] = []string{"purge"}
		m.Header[hdrScheduler] = []string{q.root + "." + scheduledToken + "." + token}
	}
	_, err = q.s.js.PublishMsg(ctx, m)
	if conflict(err) {
		q.forget(seq)
		return fmt.Errorf("%w: message %s", store.ErrNotFound, id)
	}
	if err != nil {
		return q.s.fail(ctx, "retry", err)
	}
	q.forget(seq)
	if later && kind == readyToken {
		// The schedule is stored; if this delete is lost, the old body is
		// delivered once more when its lease ends (at least once).
		_, _ = q.s.deleteMsg(ctx, q.sname, seq)
	}
	return nil
}

// parseSubject splits one of the queue's message subjects into its kind
// (readyToken or scheduledToken) and token.
func (q *queue) parseSubject(subject string) (kind, token string, ok bool) {
	rest, ok := strings.CutPrefix(subject, q.root+".")
	if !ok {
		return "", "", false
	}
	kind, token, ok = strings.Cut(rest, ".")
	if !ok || (kind != readyToken && kind != scheduledToken) || token == "" || strings.Contains(token, ".") {
		return "", "", false
	}
	return kind, token, true
}

// Stats implements store.Queue from the stream's and the consumer's state:
// Depth counts the stream's messages (ready and scheduled), Leased the
// consumer's messages pending acknowledgement (see LeasedCountsExpired in
// storetest), OldestEnqueued is the Enqueued time of the stream's first
// message.
func (q *queue) Stats(ctx context.Context) (store.QueueStats, error) {
	if err := q.s.check(ctx); err != nil {
		return store.QueueStats{}, err
	}
	if err := q.s.connected(); err != nil {
		return store.QueueStats{}, err
	}
	info, err := q.stream.Info(ctx)
	if err != nil {
		return store.QueueStats{}, q.s.fail(ctx, "stats", err)
	}
	ci, err := q.cons.Info(ctx)
	if err != nil {
		return store.QueueStats{}, q.s.fail(ctx, "stats", err)
	}
	st := store.QueueStats{Depth: int(info.State.Msgs), Leased: ci.NumAckPending}
	if st.Depth == 0 {
		return st, nil
	}
	raw, err := q.stream.GetMsg(ctx, info.State.FirstSeq, jetstream.WithGetMsgSubject(q.root+".>"))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return store.QueueStats{}, q.s.fail(ctx, "stats", err)
	default:
		if ns, err := strconv.ParseInt(raw.Header.Get(hdrEnqueued), 10, 64); err == nil {
			st.OldestEnqueued = time.Unix(0, ns)
		} else {
			st.OldestEnqueued = raw.Time
		}
	}
	return st, nil
}
