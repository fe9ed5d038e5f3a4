package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// boltQueue persists a queue in the database: a nested bucket of
// rootQueues with two buckets keyed by the message's sequence number (8
// bytes, big-endian), queueMeta with its encoded meta and queueBody with
// its body. They are apart so that a lease, which rewrites the meta, does
// not rewrite the body.
type boltQueue struct {
	w    *writer
	name []byte
}

var _ persister = (*boltQueue)(nil)

// buckets returns the queue's meta and body buckets, nil if the queue has
// no record yet.
func (p *boltQueue) buckets(tx *bbolt.Tx) (metas, bodies *bbolt.Bucket) {
	q := tx.Bucket([]byte(rootQueues)).Bucket(p.name)
	if q == nil {
		return nil, nil
	}
	return q.Bucket([]byte(queueMeta)), q.Bucket([]byte(queueBody))
}

// load reads the queue's messages and the last sequence number given out.
// A message that was leased is due again at now: its lease holder was the
// process that last had the Store open, and it is gone.
func (p *boltQueue) load(db *bbolt.DB, now time.Time) ([]*entry, uint64, error) {
	var (
		loaded []*entry
		last   uint64
	)
	err := db.View(func(tx *bbolt.Tx) error {
		q := tx.Bucket([]byte(rootQueues)).Bucket(p.name)
		if q == nil {
			return nil
		}
		last = q.Sequence()
		metas := q.Bucket([]byte(queueMeta))
		if metas == nil {
			return nil
		}
		return metas.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: message key %x", ErrCorrupt, k)
			}
			seq := binary.BigEndian.Uint64(k)
			m, err := decodeMeta(v)
			if err != nil {
				return fmt.Errorf("message %s: %w", FormatID(seq), err)
			}
			if m.leased {
				m.leased = false
				m.at = min(m.at, unixNano(now))
			}
			loaded = append(loaded, &entry{seq: seq, meta: m, index: -1})
			last = max(last, seq)
			return nil
		})
	})
	return loaded, last, err
}

func (p *boltQueue) create(seq uint64, m meta, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	return p.w.do(context.Background(), func(tx *bbolt.Tx) error {
		q, err := tx.Bucket([]byte(rootQueues)).CreateBucketIfNotExists(p.name)
		if err != nil {
			return err
		}
		metas, err := q.CreateBucketIfNotExists([]byte(queueMeta))
		if err != nil {
			return err
		}
		bodies, err := q.CreateBucketIfNotExists([]byte(queueBody))
		if err != nil {
			return err
		}
		k := seqKey(seq)
		if err := metas.Put(k, encodeMeta(m)); err != nil {
			return err
		}
		if err := bodies.Put(k, body); err != nil {
			return err
		}
		if q.Sequence() < seq {
			return q.SetSequence(seq)
		}
		return nil
	})
}

func (p *boltQueue) lease(seq uint64, m meta) (body []byte, gone bool, err error) {
	err = p.w.do(context.Background(), func(tx *bbolt.Tx) error {
		body, gone = nil, false
		metas, bodies := p.buckets(tx)
		k := seqKey(seq)
		var v []byte
		if metas != nil {
			v = metas.Get(k)
		}
		if v == nil {
			gone = true
			return nil
		}
		old, err := decodeMeta(v)
		if err != nil {
			return fmt.Errorf("message %s: %w", FormatID(seq), err)
		}
		if old.rev < m.rev {
			if err := metas.Put(k, encodeMeta(m)); err != nil {
				return err
			}
		}
		b := bodies.Get(k)
		if b == nil {
			return fmt.Errorf("%w: message %s has no body", ErrCorrupt, FormatID(seq))
		}
		body = append([]byte{}, b...)
		return nil
	})
	return body, gone, err
}

func (p *boltQueue) update(seq uint64, m meta, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	return p.w.do(context.Background(), func(tx *bbolt.Tx) error {
		metas, bodies := p.buckets(tx)
		k := seqKey(seq)
		var v []byte
		if metas != nil {
			v = metas.Get(k)
		}
		if v == nil {
			return nil // acked meanwhile
		}
		old, err := decodeMeta(v)
		if err != nil {
			return fmt.Errorf("message %s: %w", FormatID(seq), err)
		}
		if old.rev >= m.rev {
			return nil
		}
		if err := metas.Put(k, encodeMeta(m)); err != nil {
			return err
		}
		return bodies.Put(k, body)
	})
}

func (p *boltQueue) remove(seq uint64) error {
	return p.w.do(context.Background(), func(tx *bbolt.Tx) error {
		metas, bodies := p.buckets(tx)
		if metas == nil {
			return nil
		}
		k := seqKey(seq)
		if err := metas.Delete(k); err != nil {
			return err
		}
		return bodies.Delete(k)
	})
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// The encoding of meta: a version byte, then rev, at, enqueued (8 bytes
// each, big-endian), deliveries (4 bytes) and flags (1 byte: bit 0 leased).
const (
	metaVersion = 1
	metaLen     = 1 + 8 + 8 + 8 + 4 + 1
	flagLeased  = 1
)

func encodeMeta(m meta) []byte {
	b := make([]byte, 0, metaLen)
	b = append(b, metaVersion)
	b = binary.BigEndian.AppendUint64(b, m.rev)
	b = binary.BigEndian.AppendUint64(b, uint64(m.at))
	b = binary.BigEndian.AppendUint64(b, uint64(m.enqueued))
	b = binary.BigEndian.AppendUint32(b, m.deliveries)
	var flags byte
	if m.leased {
		flags |= flagLeased
	}
	return append(b, flags)
}

func decodeMeta(b []byte) (meta, error) {
	if len(b) != metaLen || b[0] != metaVersion {
		return meta{}, fmt.Errorf("%w: message record of %d bytes, version %d", ErrCorrupt, len(b), firstByte(b))
	}
	flags := b[29]
	if flags&^flagLeased != 0 {
		return meta{}, fmt.Errorf("%w: message record flags %#x", ErrCorrupt, flags)
	}
	return meta{
		rev:        binary.BigEndian.Uint64(b[1:]),
		at:         int64(binary.BigEndian.Uint64(b[9:])),
		enqueued:   int64(binary.BigEndian.Uint64(b[17:])),
		deliveries: binary.BigEndian.Uint32(b[25:]),
		leased:     flags&flagLeased != 0,
	}, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
