package store

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// pausedPersister holds up one kind of write of a durable queue until the
// test lets it go, to order writes that race in production.
type pausedPersister struct {
	persister
	pause   string        // "lease" or "update"
	fired   atomic.Bool   // the pause happened
	reached chan struct{} // a paused write is waiting
	resume  chan struct{} // let it go
}

func (p *pausedPersister) hold(op string) {
	if op == p.pause && p.fired.CompareAndSwap(false, true) {
		close(p.reached)
		<-p.resume
	}
}

func (p *pausedPersister) lease(seq uint64, m meta) ([]byte, bool, error) {
	p.hold("lease")
	return p.persister.lease(seq, m)
}

func (p *pausedPersister) update(seq uint64, m meta, body []byte) error {
	p.hold("update")
	return p.persister.update(seq, m, body)
}

// pausedQueue opens a durable queue in dir whose first write of kind op
// waits for the returned resume channel.
func pausedQueue(t *testing.T, dir, op string) (q *queue, s *durable, reached, resume chan struct{}) {
	t.Helper()
	s = openDir(t, dir).(*durable)
	q = queueOf(t, s, "q").(*queue)
	reached, resume = make(chan struct{}), make(chan struct{})
	q.p = &pausedPersister{persister: q.p, pause: op, reached: reached, resume: resume}
	return q, s, reached, resume
}

// diskMeta reads a message's record from a closed data directory; ok is
// false when there is none.
func diskMeta(t *testing.T, dir, id string) (m meta, ok bool) {
	t.Helper()
	seq, err := ParseID(id)
	require.NoError(t, err)
	editDB(t, dir, func(tx *bbolt.Tx) error {
		metas, _ := (&boltQueue{name: []byte("q")}).buckets(tx)
		if v := metas.Get(seqKey(seq)); v != nil {
			m, err = decodeMeta(v)
			ok = true
			return err
		}
		return nil
	})
	return m, ok
}

func TestDurableRaceLeaseAck(t *testing.T) {
	// A Receive picks a message; it is acked before the lease is written:
	// the Receive takes the next message instead.
	dir := t.TempDir()
	q, s, reached, resume := pausedQueue(t, dir, "lease")
	first := enqueue(t, q, "first", time.Time{})
	got := make(chan Message, 1)
	go func() { got <- receive(t, q, time.Hour) }()
	<-reached
	require.NoError(t, q.Ack(t.Context(), first))
	second := enqueue(t, q, "second", time.Time{})
	close(resume)
	m := <-got
	assert.Equal(t, second, m.ID)
	require.NoError(t, s.Close())
	_, ok := diskMeta(t, dir, first)
	assert.False(t, ok, "the late lease brought an acked message back")
}

func TestDurableRaceRetryAck(t *testing.T) {
	// A Retry is acked before its write: the write does not bring the
	// message back.
	dir := t.TempDir()
	q, s, reached, resume := pausedQueue(t, dir, "update")
	id := enqueue(t, q, "m", time.Time{})
	m := receive(t, q, time.Hour)
	errc := make(chan error, 1)
	go func() { errc <- q.Retry(t.Context(), m.ID, []byte("retried"), time.Time{}) }()
	<-reached
	require.NoError(t, q.Ack(t.Context(), id))
	close(resume)
	require.NoError(t, <-errc)
	st, err := q.Stats(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Depth)
	require.NoError(t, s.Close())
	_, ok := diskMeta(t, dir, id)
	assert.False(t, ok, "the late retry brought an acked message back")
}

func TestDurableRaceStaleLease(t *testing.T) {
	// A lease is written after a newer one (the first expired meanwhile):
	// the disk keeps the newer.
	dir := t.TempDir()
	q, s, reached, resume := pausedQueue(t, dir, "lease")
	id := enqueue(t, q, "m", time.Time{})
	got := make(chan Message, 1)
	go func() { got <- receive(t, q, time.Nanosecond) }()
	<-reached
	second := receive(t, q, time.Hour) // the first lease expired at once
	assert.Equal(t, 2, second.Deliveries)
	close(resume)
	first := <-got
	assert.Equal(t, id, first.ID)
	assert.Equal(t, 1, first.Deliveries)
	require.NoError(t, s.Close())
	m, ok := diskMeta(t, dir, id)
	require.True(t, ok)
	assert.Equal(t, uint32(2), m.deliveries, "the stale lease overwrote the newer one")
	assert.True(t, m.leased)
}

func TestDurableRaceRetryRetry(t *testing.T) {
	// Two Retry calls of one message overlap, the first written last: the
	// second's body and due time win, on disk and in memory.
	dir := t.TempDir()
	q, s, reached, resume := pausedQueue(t, dir, "update")
	id := enqueue(t, q, "m", time.Time{})
	errc := make(chan error, 1)
	go func() { errc <- q.Retry(t.Context(), id, []byte("first"), time.Now().Add(time.Hour)) }()
	<-reached
	require.NoError(t, q.Retry(t.Context(), id, []byte("second"), time.Time{}))
	close(resume)
	require.NoError(t, <-errc)
	m := receive(t, q, time.Hour)
	assert.Equal(t, []byte("second"), m.Body)
	require.NoError(t, s.Close())
	m = receive(t, queueOf(t, openDir(t, dir), "q"), time.Hour)
	assert.Equal(t, []byte("second"), m.Body, "the first Retry's late write won on disk")
}
