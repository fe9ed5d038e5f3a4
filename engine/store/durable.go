package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long Open waits for another process to let go
// of a data directory when Options.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// Options configures Open. The zero value is the default.
type Options struct {
	// LockTimeout is how long Open waits for the lock on the data
	// directory's database before it fails with ErrInUse. Zero means
	// DefaultLockTimeout.
	LockTimeout time.Duration
}

// The data directory's layout.
const (
	// dbFile is the bbolt database: metadata, key-value data, queues.
	dbFile = "flint.db"
	// blobDir holds the blobs, as sha256/<first two hex digits>/<digest>.
	blobDir = "blobs"
)

// The database's layout: top-level buckets, each holding one nested bucket
// per Bucket or Queue name, so that no name can collide with another kind
// or with Flint's own records.
const (
	rootMeta   = "meta"   // format: the format version
	rootKV     = "kv"     // <bucket name>: key -> value
	rootQueues = "queues" // <queue name>: queueMeta and queueBody; its Sequence is the last sequence number given out
	keyFormat  = "format"
	queueMeta  = "m" // seq -> encoded meta
	queueBody  = "b" // seq -> body
)

// format is the version of the on-disk layout this package writes.
const format = 1

// durable is the Store of Open.
type durable struct {
	dir    string
	db     *bbolt.DB
	w      *writer
	blobs  *dirBlobs
	closed chan struct{}

	closing atomic.Bool

	mu     sync.Mutex
	queues map[string]*queue
}

var _ Store = (*durable)(nil)

// Open opens the durable Store in the data directory dir, creating the
// directory if needed: dir/flint.db is a bbolt database with the buckets,
// the queues and Flint's metadata, and dir/blobs/sha256/ab/<digest> are the
// blobs, one file each. A directory is used by one Store at a time: while
// another process (or another Store in this one) holds it, Open fails with
// ErrInUse after opts.LockTimeout.
//
// Every write is durable when the call that made it returns: it was
// committed and fsynced. Concurrent writes share commits (see the package
// documentation).
func Open(dir string, opts Options) (Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("store: open: %w: empty data directory", ErrInvalidArgument)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	closed := make(chan struct{})
	blobs, err := openBlobs(filepath.Join(dir, blobDir), closed)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, dbFile)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: timeout,
		// The freelist is rebuilt on open instead of written by every
		// commit: cheaper commits, as etcd runs it.
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is locked (waited %v); stop the other process or use another directory", ErrInUse, dir, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := initDB(db); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open %s: %w", path, err), db.Close())
	}
	if err := syncDir(dir); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open %s: %w", dir, err), db.Close())
	}
	return &durable{
		dir:    dir,
		db:     db,
		w:      newWriter(db),
		blobs:  blobs,
		closed: closed,
		queues: map[string]*queue{},
	}, nil
}

// initDB creates the top-level buckets and checks the format version.
func initDB(db *bbolt.DB) error {
	return db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{rootMeta, rootKV, rootQueues} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		m := tx.Bucket([]byte(rootMeta))
		v := m.Get([]byte(keyFormat))
		if v == nil {
			return m.Put([]byte(keyFormat), binary.BigEndian.AppendUint32(nil, format))
		}
		if len(v) != 4 {
			return fmt.Errorf("%w: format record is %d bytes", ErrCorrupt, len(v))
		}
		if got := binary.BigEndian.Uint32(v); got != format {
			return fmt.Errorf("%w: version %d, this build reads version %d", ErrUnsupportedFormat, got, format)
		}
		return nil
	})
}

// Bucket implements Store. The bucket is created by its first write.
func (s *durable) Bucket(name string) (Bucket, error) {
	if isClosed(s.closed) {
		return nil, ErrClosed
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	return &boltBucket{s: s, name: []byte(name)}, nil
}

// Blobs implements Store.
func (s *durable) Blobs() Blobs { return s.blobs }

// Queue implements Store. Its first call for a name in a process reads the
// queue's state from disk; a message that was leased when the Store was
// last closed (or the process died) is due again at once.
func (s *durable) Queue(name string) (Queue, error) {
	if isClosed(s.closed) {
		return nil, ErrClosed
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		return q, nil
	}
	p := &boltQueue{w: s.w, name: []byte(name)}
	loaded, last, err := p.load(s.db, time.Now())
	if err != nil {
		return nil, s.err(fmt.Errorf("store: queue %s: %w", name, err))
	}
	q := newQueue(name, s.closed, p, loaded, last)
	s.queues[name] = q
	return q, nil
}

// Close implements Store: it ends waiting Receive calls, lets the writes
// already under way commit, and closes the database.
func (s *durable) Close() error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	close(s.closed)
	s.w.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.dir, err)
	}
	return nil
}

// err turns bbolt's "not open" into ErrClosed: a call that raced Close.
func (s *durable) err(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// boltBucket is a Bucket in the database: a nested bucket of rootKV.
type boltBucket struct {
	s    *durable
	name []byte
}

var _ Bucket = (*boltBucket)(nil)

// bucket returns the bolt bucket, nil if nothing was written to it yet.
func (b *boltBucket) bucket(tx *bbolt.Tx) *bbolt.Bucket {
	return tx.Bucket([]byte(rootKV)).Bucket(b.name)
}

// Get implements Bucket.
func (b *boltBucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkOpen(ctx, b.s.closed); err != nil {
		return nil, err
	}
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	var out []byte
	err := b.s.db.View(func(tx *bbolt.Tx) error {
		if bk := b.bucket(tx); bk != nil {
			if v := bk.Get([]byte(key)); v != nil {
				out = append([]byte{}, v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, b.s.err(err)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: key %q", ErrNotFound, truncate(key))
	}
	return out, nil
}

// Put implements Bucket.
func (b *boltBucket) Put(ctx context.Context, key string, value []byte) error {
	if err := checkOpen(ctx, b.s.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := CheckValue(value); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return b.s.err(b.s.w.do(ctx, func(tx *bbolt.Tx) error {
		bk, err := tx.Bucket([]byte(rootKV)).CreateBucketIfNotExists(b.name)
		if err != nil {
			return err
		}
		return bk.Put([]byte(key), value)
	}))
}

// Delete implements Bucket.
func (b *boltBucket) Delete(ctx context.Context, key string) error {
	if err := checkOpen(ctx, b.s.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	return b.s.err(b.s.w.do(ctx, func(tx *bbolt.Tx) error {
		if bk := b.bucket(tx); bk != nil {
			return bk.Delete([]byte(key))
		}
		return nil
	}))
}

// List implements Bucket.
func (b *boltBucket) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := checkOpen(ctx, b.s.closed); err != nil {
		return nil, false, err
	}
	limit, err := CheckList(prefix, after, limit)
	if err != nil {
		return nil, false, err
	}
	var (
		keys []string
		more bool
	)
	err = b.s.db.View(func(tx *bbolt.Tx) error {
		bk := b.bucket(tx)
		if bk == nil {
			return nil
		}
		p := []byte(prefix)
		c := bk.Cursor()
		k, _ := c.Seek([]byte(max(prefix, after)))
		if k != nil && string(k) == after {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if len(keys) == limit {
				more = true
				return nil
			}
			keys = append(keys, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, false, b.s.err(err)
	}
	return keys, more, nil
}

// Update implements Bucket. fn runs inside the write transaction (on the
// writer's goroutine; a panic in it is raised again in the caller's).
func (b *boltBucket) Update(ctx context.Context, key string, fn func(old []byte, exists bool) ([]byte, error)) error {
	if err := checkOpen(ctx, b.s.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	var (
		fnErr    error
		panicked any
	)
	err := b.s.w.do(ctx, func(tx *bbolt.Tx) error {
		fnErr, panicked = nil, nil
		bk := b.bucket(tx)
		var old []byte
		if bk != nil {
			if v := bk.Get([]byte(key)); v != nil {
				old = append([]byte{}, v...)
			}
		}
		v, err := callUpdate(fn, old, old != nil, &panicked)
		switch {
		case panicked != nil, errors.Is(err, ErrNoChange):
			return nil
		case err != nil:
			fnErr = err
			return nil
		case v == nil:
			if bk != nil {
				return bk.Delete([]byte(key))
			}
			return nil
		}
		if err := CheckValue(v); err != nil {
			fnErr = err
			return nil
		}
		if bk == nil {
			if bk, err = tx.Bucket([]byte(rootKV)).CreateBucketIfNotExists(b.name); err != nil {
				return err
			}
		}
		return bk.Put([]byte(key), append([]byte{}, v...))
	})
	if panicked != nil {
		panic(panicked)
	}
	if err != nil {
		return b.s.err(err)
	}
	return fnErr
}

// callUpdate calls an Update function, catching a panic so that it does not
// take down the writer goroutine.
func callUpdate(fn func([]byte, bool) ([]byte, error), old []byte, exists bool, panicked *any) (v []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			*panicked = r
		}
	}()
	return fn(old, exists)
}
