package eventsource

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/eventsource/filter"
	"github.com/flintfaas/flint/internal/jsonstr"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// consumerName is a mapping's durable JetStream consumer: its place in the
// stream, kept while the mapping is disabled and across restarts.
func consumerName(id string) string { return "flint-esm-" + id }

// poller runs one enabled mapping: a reader pulls the stream's messages,
// the batcher (run) gathers them into batches as the mapping says, and up
// to MaximumConcurrency batches are invoked at once, each acknowledged
// record by record after its invocation.
type poller struct {
	mgr         *Manager
	m           Mapping
	arn, fnArn  string
	filters     *filter.Criteria
	stats       *counters
	iter        jetstream.MessagesContext
	failSubject string // for a stream failure destination

	ctx      context.Context // done when the poller stops: no new batches
	cancel   context.CancelFunc
	done     chan struct{} // closed when run has returned
	inflight sync.WaitGroup
}

// pending is a received record, ready to join a batch.
type pending struct {
	msg jetstream.Msg
	md  *jetstream.MsgMetadata
	rec []byte // the record's JSON
	id  string // its messageId
}

// newPoller creates (or finds) the mapping's consumer and starts pulling.
func (mgr *Manager) newPoller(ctx context.Context, m Mapping, stats *counters) (*poller, error) {
	filters, err := filter.CompileCriteria(m.Filters)
	if err != nil {
		return nil, invalid("FilterCriteria: %v", err)
	}
	stream, err := mgr.cfg.JetStream.Stream(ctx, m.Stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", m.Stream, err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:     consumerName(m.UUID),
		Description: "Flint event source mapping " + m.UUID + " to " + m.Function,
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     mgr.ackWait(m),
		MaxDeliver:  -1, // the mapping counts retries itself, then sends the record on
		// Room for the client's buffer and every batch in flight: were the
		// server to stop at this cap, the mapping would stall on it.
		MaxAckPending: max(2000, 4*m.BatchSize*(m.concurrency()+1)),
	}
	switch len(m.Subjects) {
	case 0:
	case 1:
		cc.FilterSubject = m.Subjects[0]
	default:
		cc.FilterSubjects = m.Subjects
	}
	switch m.StartingPosition {
	case Latest:
		cc.DeliverPolicy = jetstream.DeliverNewPolicy
	case AtTimestamp:
		ts := m.StartingPositionTimestamp
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &ts
	default:
		cc.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	cons, err := consumerFor(ctx, stream, cc)
	if err != nil {
		return nil, fmt.Errorf("consumer of stream %s: %w", m.Stream, err)
	}
	p := &poller{
		mgr: mgr, m: m, filters: filters, stats: stats, done: make(chan struct{}),
		arn:   mgr.ARN(m.Stream),
		fnArn: "arn:aws:lambda:" + mgr.cfg.Region + ":" + mgr.cfg.AccountID + ":function:" + m.Function,
	}
	if m.OnFailure != DeadLetterDestination {
		if p.failSubject, err = mgr.failureSubject(ctx, m.OnFailure); err != nil {
			return nil, err
		}
	}
	// The client-side buffer: enough for every batch in flight, and not so
	// small that the iterator pulls a handful of messages at a time. Short
	// pull requests bound how long an unlucky one can sit at the server.
	buffer := max(256, min(m.BatchSize*m.concurrency(), 20000))
	if p.iter, err = cons.Messages(jetstream.PullMaxMessages(buffer), jetstream.PullExpiry(5*time.Second)); err != nil {
		return nil, fmt.Errorf("pull from stream %s: %w", m.Stream, err)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	go p.run()
	return p, nil
}

// consumerFor returns the durable consumer cc describes, creating it or
// updating its configuration only when it differs: an update, even to the
// same configuration, drops the pull requests waiting at the server, and
// on a cluster every node's poller of the mapping is waiting on it.
func consumerFor(ctx context.Context, stream jetstream.Stream, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	cons, err := stream.Consumer(ctx, cc.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return stream.CreateOrUpdateConsumer(ctx, cc)
	}
	if err != nil {
		return nil, err
	}
	have := cons.CachedInfo().Config
	if have.AckWait == cc.AckWait && have.MaxAckPending == cc.MaxAckPending && have.MaxDeliver == cc.MaxDeliver &&
		have.FilterSubject == cc.FilterSubject && slices.Equal(have.FilterSubjects, cc.FilterSubjects) &&
		have.Description == cc.Description {
		return cons, nil
	}
	return stream.CreateOrUpdateConsumer(ctx, cc)
}

// ackWait is how long a delivered record may go unacknowledged before
// JetStream delivers it again: the function's timeout, the batching window
// and a margin, so that a batch still running is never delivered twice.
func (mgr *Manager) ackWait(m Mapping) time.Duration {
	timeout := engine.DefaultTimeout
	if info, err := mgr.cfg.Engine.Function(m.Function); err == nil {
		timeout = info.Timeout
	}
	return timeout + m.MaximumBatchingWindow + mgr.cfg.AckMargin
}

// stop ends the poller: no new batch starts, records received but not in
// a batch go back to the stream at once (Nak), and batches in flight
// finish; stop waits for them until ctx is done.
func (p *poller) stop(ctx context.Context) {
	p.cancel()
	p.iter.Drain()
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}

// read forwards the stream's messages to in until the iterator is
// drained; when the batcher falls behind it waits, and so pulls no more.
func (p *poller) read(in chan<- jetstream.Msg) {
	defer close(in)
	for {
		msg, err := p.iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			p.mgr.cfg.Logger.Warn("event source mapping: pulling", "uuid", p.m.UUID, "err", err)
			continue
		}
		in <- msg
	}
}

// run gathers batches and starts their invocations, at most
// MaximumConcurrency at once.
func (p *poller) run() {
	defer close(p.done)
	in := make(chan jetstream.Msg, p.m.BatchSize)
	go p.read(in)
	sem := make(chan struct{}, p.m.concurrency())
	var carry *pending
	for {
		batch, more := p.collect(in, &carry)
		if len(batch) > 0 {
			select {
			case sem <- struct{}{}:
				p.inflight.Add(1)
				go func() {
					defer func() { <-sem; p.inflight.Done() }()
					p.process(batch)
				}()
			case <-p.ctx.Done():
				p.release(batch)
			}
		}
		if !more {
			break
		}
	}
	if carry != nil {
		p.release([]*pending{carry})
	}
	p.inflight.Wait()
}

// collect gathers one batch: it waits for a first record, then adds
// records until the batch is full, the batching window ends (at once
// without a window: what has already arrived), or the next record would
// take the event over MaxBatchBytes (it is carried to the next batch).
// Records that match no filter are acknowledged and left out; records too
// old go to the failure destination. more is false once in is closed.
func (p *poller) collect(in <-chan jetstream.Msg, carry **pending) (batch []*pending, more bool) {
	size := eventOverhead(0)
	add := func(r *pending) bool {
		if len(batch) > 0 && size+len(r.rec)+1 > MaxBatchBytes {
			*carry = r
			return false
		}
		batch = append(batch, r)
		size += len(r.rec) + 1
		return true
	}
	if c := *carry; c != nil {
		*carry = nil
		add(c)
	}
	for len(batch) == 0 {
		select {
		case msg, ok := <-in:
			if !ok {
				return nil, false
			}
			if r := p.prepare(msg); r != nil {
				add(r)
			}
		case <-p.ctx.Done():
			p.drain(in)
			return nil, false
		}
	}
	var window <-chan time.Time
	if w := p.m.MaximumBatchingWindow; w > 0 {
		t := time.NewTimer(w)
		defer t.Stop()
		window = t.C
	}
	yielded := false
	for len(batch) < p.m.BatchSize {
		var msg jetstream.Msg
		var ok bool
		if window == nil {
			select {
			case msg, ok = <-in:
			default:
				if yielded {
					return batch, true
				}
				// Let the reader hand over what it has already pulled.
				yielded = true
				runtime.Gosched()
				continue
			}
		} else {
			select {
			case msg, ok = <-in:
			case <-window:
				return batch, true
			case <-p.ctx.Done():
				p.drain(in)
				p.release(batch)
				return nil, false
			}
		}
		if !ok {
			return batch, false
		}
		if r := p.prepare(msg); r != nil && !add(r) {
			return batch, true
		}
	}
	return batch, true
}

// drain gives back, unprocessed, what the reader still forwards after the
// poller stopped, until the iterator is drained.
func (p *poller) drain(in <-chan jetstream.Msg) {
	for msg := range in {
		_ = msg.Nak()
	}
}

// release gives records back to the stream for immediate redelivery.
func (p *poller) release(batch []*pending) {
	for _, r := range batch {
		_ = r.msg.Nak()
	}
}

// prepare reads a message's metadata and builds its record; it returns nil
// for a record that is dealt with at once (filtered out, too old, or not a
// JetStream message).
func (p *poller) prepare(msg jetstream.Msg) *pending {
	md, err := msg.Metadata()
	if err != nil {
		p.mgr.cfg.Logger.Warn("event source mapping: a message without JetStream metadata, dropped", "uuid", p.m.UUID, "err", err)
		_ = msg.Term()
		return nil
	}
	now := p.mgr.cfg.Now()
	r := &pending{msg: msg, md: md, id: strconv.FormatUint(md.Sequence.Stream, 10)}
	r.rec = appendRecord(make([]byte, 0, len(msg.Data())+512), msg, md, recordMeta{arn: p.arn, region: p.mgr.cfg.Region, received: now})
	if p.filters.Len() > 0 && !p.filters.Match(r.rec) {
		p.stats.filtered.Add(1)
		_ = msg.Ack()
		return nil
	}
	if a := p.m.MaximumRecordAge; a > 0 && now.Sub(md.Timestamp) > a {
		p.giveUp(r, conditionRecordAge, "Flint.RecordAgeExceeded",
			fmt.Sprintf("the record is %v old, over MaximumRecordAgeInSeconds %d", now.Sub(md.Timestamp).Round(time.Second), int(a.Seconds())))
		return nil
	}
	return r
}

// process invokes the function with one batch and settles each record:
// acknowledged when it succeeded, given back with a delay when it failed
// (or sent to the failure destination when out of retries). A throttled
// invocation waits and is tried again: backpressure, never a failure. So
// does one the engine could not start because the store was unreachable
// (the function's code could not be read while a cluster elects new
// stream leaders, say): the function never ran, so the records did not
// fail.
func (p *poller) process(batch []*pending) {
	recs := make([][]byte, len(batch))
	ids := make([]string, len(batch))
	for i, r := range batch {
		recs[i], ids[i] = r.rec, r.id
	}
	event := batchEvent(make([]byte, 0, eventOverhead(len(batch))+sumLen(recs)), recs)
	p.stats.batches.Add(1)
	p.stats.records.Add(uint64(len(batch)))

	var res *engine.Result
	var err error
	wait := 10 * time.Millisecond
	for {
		// Not the poller's context: a stopping poller lets a running
		// invocation finish, as the server lets requests in flight finish.
		res, err = p.mgr.cfg.Engine.Invoke(context.WithoutCancel(p.ctx), p.m.Function, event)
		if !engine.IsPassing(err) {
			break
		}
		p.stats.throttles.Add(1)
		if errors.Is(err, engine.ErrThrottled) {
			p.stats.setResult("PROBLEM: Function call throttled; the mapping slows down")
		} else {
			p.stats.setResult("PROBLEM: Function could not be started: the store is unavailable; the mapping waits")
		}
		for _, r := range batch {
			_ = r.msg.InProgress()
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
			p.release(batch)
			return
		}
		wait = min(2*wait, time.Second)
	}

	var failed []string
	all := false
	var errType, errMsg string
	switch {
	case err != nil:
		all, errType, errMsg = true, "Flint.InvokeError", err.Error()
	case res.FunctionError != nil:
		all, errType, errMsg = true, res.FunctionError.Type, res.FunctionError.Message
	case p.m.ReportBatchItemFailures:
		failed, all = failedItems(res.Payload, ids)
		errType, errMsg = "Flint.BatchItemFailure", "the function reported the record as failed"
		if all {
			errType, errMsg = "Flint.InvalidBatchResponse", "the function's batch response is malformed or names a record not in the batch"
		}
	}
	for _, r := range batch {
		if all || containsString(failed, r.id) {
			p.stats.failed.Add(1)
			p.fail(r, errType, errMsg)
			continue
		}
		p.stats.succeeded.Add(1)
		_ = r.msg.Ack()
	}
	switch {
	case all:
		p.stats.setResult("PROBLEM: Function call failed: " + truncate(errType+": "+errMsg, 400))
	case len(failed) > 0:
		p.stats.setResult(fmt.Sprintf("PROBLEM: %d of %d records failed", len(failed), len(batch)))
	default:
		p.stats.setResult("OK")
	}
}

// fail settles a failed record: given back to be delivered again after a
// backoff, or, out of retries, sent to the failure destination.
func (p *poller) fail(r *pending, errType, errMsg string) {
	n := r.md.NumDelivered
	if p.m.MaximumRetryAttempts >= 0 && n > uint64(p.m.MaximumRetryAttempts) {
		p.giveUp(r, conditionRetries, errType, errMsg)
		return
	}
	_ = r.msg.NakWithDelay(p.backoff(n))
}

// backoff is the delay before the delivery after the nth.
func (p *poller) backoff(n uint64) time.Duration {
	d := p.mgr.cfg.RetryDelay
	for i := uint64(1); i < n && d < p.mgr.cfg.MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, p.mgr.cfg.MaxRetryDelay)
}

// Why a record is given up on.
const (
	conditionRetries   = "RetryAttemptsExhausted"
	conditionRecordAge = "RecordAgeExceeded"
)

// giveUp sends a record to the mapping's failure destination and then
// acknowledges it; if the destination cannot take it, the record is given
// back to be tried again later, so it is never lost.
func (p *poller) giveUp(r *pending, condition, errType, errMsg string) {
	ctx := context.WithoutCancel(p.ctx)
	var err error
	if p.failSubject == "" {
		dlCondition := "RetriesExhausted"
		if condition == conditionRecordAge {
			dlCondition = "EventAgeExceeded"
		}
		_, err = p.mgr.cfg.Engine.AddDeadLetter(ctx, engine.DeadLetter{
			Function: p.m.Function, Payload: batchEvent(nil, [][]byte{r.rec}), Condition: dlCondition,
			Attempts: int(r.md.NumDelivered), FirstEnqueued: r.md.Timestamp,
			LastErrorType: errType, LastErrorMessage: errMsg,
		})
	} else {
		msg := nats.NewMsg(p.failSubject)
		// The same record given up twice (a crash between the publish and
		// the acknowledgement) is kept once by JetStream's deduplication.
		msg.Header.Set(jetstream.MsgIDHeader, p.m.UUID+"-"+r.id+"-"+strconv.FormatUint(r.md.NumDelivered, 10))
		msg.Data = p.failureRecord(r, condition, errType, errMsg)
		_, err = p.mgr.cfg.JetStream.PublishMsg(ctx, msg)
	}
	if err != nil {
		p.mgr.cfg.Logger.Error("event source mapping: the failure destination did not take a record; it will be tried again",
			"uuid", p.m.UUID, "record", r.id, "destination", p.m.OnFailure, "err", err)
		_ = r.msg.NakWithDelay(p.backoff(r.md.NumDelivered))
		return
	}
	p.stats.sentToFailure.Add(1)
	_ = r.msg.Ack()
}

// failureRecord is what a stream failure destination gets: Lambda's
// invocation record shape, with the record itself.
//
//	{"version":"1.0","timestamp":"...","requestContext":{"requestId":"<uuid>",
//	  "functionArn":"arn:aws:lambda:...:function:NAME","condition":"RetryAttemptsExhausted",
//	  "approximateInvokeCount":N},
//	 "responseContext":{"statusCode":200,"functionError":"Unhandled"},
//	 "responsePayload":{"errorType":"..","errorMessage":".."},
//	 "eventSourceMappingUUID":"..","Records":[<the record>]}
func (p *poller) failureRecord(r *pending, condition, errType, errMsg string) []byte {
	b := append([]byte(nil), `{"version":"1.0","timestamp":"`...)
	b = p.mgr.cfg.Now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","requestContext":{"requestId":"`...)
	b = append(b, uuid.New()...)
	b = append(b, `","functionArn":`...)
	b = jsonstr.Append(b, p.fnArn)
	b = append(b, `,"condition":"`+condition+`","approximateInvokeCount":`...)
	b = strconv.AppendUint(b, r.md.NumDelivered, 10)
	b = append(b, `},"responseContext":{"statusCode":200,"functionError":"Unhandled"},"responsePayload":{"errorType":`...)
	b = jsonstr.Append(b, errType)
	b = append(b, `,"errorMessage":`...)
	b = jsonstr.Append(b, errMsg)
	b = append(b, `},"eventSourceMappingUUID":"`+p.m.UUID+`","Records":[`...)
	b = append(b, r.rec...)
	return append(b, "]}"...)
}

func sumLen(bs [][]byte) int {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	return n
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
