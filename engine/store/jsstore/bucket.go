package jsstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/flintfaas/flint/engine/store"
)

// bucket is a Bucket on a KV bucket, read from a view in memory that a KV
// watch keeps up to date.
//
// Every entry in the view carries the revision (the KV stream's sequence
// number) that wrote it, so that the watch and this process's own writes,
// which are applied as soon as JetStream acknowledges them, can arrive in
// any order and the newest wins. seen is the last revision the watch
// delivered: the view holds every change up to it. A delete by this
// process leaves a tombstone until the watch passes it, so that an older
// write the watch has yet to deliver cannot bring the key back.
type bucket struct {
	s      *jetStore
	name   string
	kv     jetstream.KeyValue
	delPre string // subject prefix of the KV's keys, for deletes
	kvName string

	mu       sync.RWMutex
	items    map[string]item
	keys     []string          // the items' keys, sorted
	tombs    map[string]uint64 // keys deleted here, at revisions after seen
	seen     uint64
	watchers map[*watcher]struct{}
}

// item is a value in the view and the revision that wrote it.
type item struct {
	value []byte
	rev   uint64
}

var (
	_ store.Bucket  = (*bucket)(nil)
	_ store.Watcher = (*bucket)(nil)
)

// openBucket creates or opens the KV bucket for name, starts its watch and
// waits until the view holds its contents.
func openBucket(ctx context.Context, s *jetStore, name string) (*bucket, error) {
	if err := s.connected(); err != nil {
		return nil, err
	}
	kvName := s.opts.Prefix + "_" + encodeName(name)
	var kv jetstream.KeyValue
	err := retrying(ctx, func(ctx context.Context) (err error) {
		kv, err = s.js.KeyValue(ctx, kvName)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket:      kvName,
				Description: "Flint bucket " + name,
				History:     1,
				Storage:     jetstream.FileStorage,
				Replicas:    s.opts.Replicas,
			})
			if errors.Is(err, jetstream.ErrBucketExists) {
				kv, err = s.js.KeyValue(ctx, kvName) // another node created it first
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &bucket{
		s:        s,
		name:     name,
		kv:       kv,
		kvName:   kvName,
		delPre:   s.kvPrefix + "$KV." + kvName + ".",
		items:    map[string]item{},
		tombs:    map[string]uint64{},
		watchers: map[*watcher]struct{}{},
	}
	var w jetstream.KeyWatcher
	for w == nil {
		if w, err = b.load(ctx); err != nil {
			return nil, err
		}
	}
	err = s.goroutine(func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					b.watched(e)
				}
			case <-s.ctx.Done():
				return
			}
		}
	})
	if err != nil {
		_ = w.Stop()
		return nil, err
	}
	return b, nil
}

// load starts the bucket's watch and applies what it delivers until the
// view holds the bucket's contents. A watch that delivers nothing for
// attemptTimeout (its consumer lost on a stream still electing a leader)
// is stopped, and load returns a nil watcher to be called again: what was
// applied stays, and the next watch delivers it again.
func (b *bucket) load(ctx context.Context) (jetstream.KeyWatcher, error) {
	var w jetstream.KeyWatcher
	err := retrying(ctx, func(context.Context) (err error) {
		// Everything the stream holds, from its first message: with a
		// history of one, that is each key's last value or delete marker,
		// as DeliverLastPerSubject would give, but from a start that does
		// not depend on when the consumer comes up on its server.
		w, err = b.kv.WatchAll(b.s.ctx, jetstream.IncludeHistory())
		return err
	})
	if err != nil {
		return nil, err
	}
	idle := time.NewTimer(attemptTimeout)
	defer idle.Stop()
	// The watch first delivers every key's current value, then nil.
	for {
		select {
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return nil, fmt.Errorf("the watch of KV bucket %s ended while loading it", b.kvName)
			case e == nil:
				return w, nil
			default:
				b.watched(e)
				idle.Reset(attemptTimeout)
			}
		case <-idle.C:
			_ = w.Stop()
			return nil, nil
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("loading KV bucket %s: %w", b.kvName, ctx.Err())
		}
	}
}

// encodeKey turns a store key (any bytes) into a KV key: lowercase hex,
// which KV keys allow and which keeps the keys' byte order and prefixes.
func encodeKey(key string) string { return hex.EncodeToString([]byte(key)) }

// decodeKey is encodeKey's inverse; false for a KV key encodeKey does not
// make (someone else's key in the bucket): upper-case hex too, which would
// otherwise name the same key as its lower-case twin.
func decodeKey(k string) (string, bool) {
	if strings.ContainsAny(k, "ABCDEF") {
		return "", false
	}
	b, err := hex.DecodeString(k)
	if err != nil || len(b) == 0 || len(b) > store.MaxKeyBytes {
		return "", false
	}
	return string(b), true
}

// watched applies a change the watch delivered.
func (b *bucket) watched(e jetstream.KeyValueEntry) {
	key, ok := decodeKey(e.Key())
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = max(b.seen, e.Revision())
	for k, rev := range b.tombs {
		if rev <= b.seen {
			delete(b.tombs, k)
		}
	}
	if ok {
		b.applyLocked(key, e.Value(), e.Revision(), e.Operation() != jetstream.KeyValuePut)
	}
}

// applied applies a change this process made, once JetStream acknowledged
// it with rev. If the watch already went past rev, the view has that
// change, or a newer one.
func (b *bucket) applied(key string, value []byte, rev uint64, deleted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rev <= b.seen {
		return
	}
	if b.applyLocked(key, value, rev, deleted) && deleted {
		b.tombs[key] = rev
	}
}

// applyLocked makes the view hold value (or no value) for key as of rev,
// unless it holds something newer, and tells the watchers. It reports
// whether it applied the change. The caller holds b.mu.
func (b *bucket) applyLocked(key string, value []byte, rev uint64, deleted bool) bool {
	cur, exists := b.items[key]
	if exists && cur.rev >= rev {
		return false
	}
	if t, ok := b.tombs[key]; ok && t >= rev {
		return false
	}
	if deleted {
		if !exists {
			return true // nothing visible changed, but the tombstone counts
		}
		delete(b.items, key)
		if i, found := slices.BinarySearch(b.keys, key); found {
			b.keys = slices.Delete(b.keys, i, i+1)
		}
		b.notifyLocked(key)
		return true
	}
	if value == nil {
		value = []byte{}
	}
	if !exists {
		i, _ := slices.BinarySearch(b.keys, key)
		b.keys = slices.Insert(b.keys, i, key)
	}
	b.items[key] = item{value: value, rev: rev}
	b.notifyLocked(key)
	return true
}

// Get implements store.Bucket from the view: it sees this process's own
// writes at once, and others' once the watch delivered them.
func (b *bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.s.check(ctx); err != nil {
		return nil, err
	}
	if err := store.CheckKey(key); err != nil {
		return nil, err
	}
	b.mu.RLock()
	it, ok := b.items[key]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: key %q", store.ErrNotFound, truncate(key))
	}
	return append([]byte{}, it.value...), nil
}

// Put implements store.Bucket.
func (b *bucket) Put(ctx context.Context, key string, value []byte) error {
	if err := b.write(ctx, key); err != nil {
		return err
	}
	if err := store.CheckValue(value); err != nil {
		return err
	}
	rev, err := b.kv.Put(ctx, encodeKey(key), value)
	if err != nil {
		return b.s.fail(ctx, "put", err)
	}
	b.applied(key, append([]byte{}, value...), rev, false)
	return nil
}

// Delete implements store.Bucket.
func (b *bucket) Delete(ctx context.Context, key string) error {
	if err := b.write(ctx, key); err != nil {
		return err
	}
	rev, err := b.del(ctx, encodeKey(key), 0)
	if err != nil {
		return b.s.fail(ctx, "delete", err)
	}
	b.applied(key, nil, rev, true)
	return nil
}

// write checks what every write checks first.
func (b *bucket) write(ctx context.Context, key string) error {
	if err := b.s.check(ctx); err != nil {
		return err
	}
	if err := store.CheckKey(key); err != nil {
		return err
	}
	return b.s.connected()
}

// del writes a delete marker for the KV key k, as KeyValue.Delete does,
// but returns its revision; with rev > 0, only if k's last revision is
// rev.
func (b *bucket) del(ctx context.Context, k string, rev uint64) (uint64, error) {
	m := nats.NewMsg(b.delPre + k)
	m.Header.Set("KV-Operation", "DEL")
	if rev > 0 {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(rev, 10))
	}
	ack, err := b.s.js.PublishMsg(ctx, m)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// List implements store.Bucket from the view.
func (b *bucket) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := b.s.check(ctx); err != nil {
		return nil, false, err
	}
	limit, err := store.CheckList(prefix, after, limit)
	if err != nil {
		return nil, false, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	i, _ := slices.BinarySearch(b.keys, max(prefix, after))
	if i < len(b.keys) && b.keys[i] == after {
		i++
	}
	var keys []string
	for ; i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix); i++ {
		if len(keys) == limit {
			return keys, true, nil
		}
		keys = append(keys, b.keys[i])
	}
	return keys, false, nil
}

// Update implements store.Bucket as a compare-and-set loop on the key's
// revision: fn first sees the view's value; if another writer changed the
// key since, the write fails, and fn runs again on the value read from
// JetStream. So two nodes updating one key never lose an update.
func (b *bucket) Update(ctx context.Context, key string, fn func(old []byte, exists bool) ([]byte, error)) error {
	if err := b.write(ctx, key); err != nil {
		return err
	}
	k := encodeKey(key)
	b.mu.RLock()
	it, exists := b.items[key]
	b.mu.RUnlock()
	old, rev, fromView := it.value, it.rev, true
	for {
		var cp []byte
		if exists {
			cp = append([]byte{}, old...)
		}
		v, err := fn(cp, exists)
		switch {
		case errors.Is(err, store.ErrNoChange):
			return nil
		case err != nil:
			return err
		case v == nil && !exists && !fromView:
			return nil
		}
		var newRev uint64
		switch {
		case v == nil && !exists:
			// Deleting what the view says is missing: the view may be
			// behind; ask JetStream.
			err = errConflict
		case v == nil:
			newRev, err = b.del(ctx, k, rev)
		default:
			if err := store.CheckValue(v); err != nil {
				return err
			}
			if exists {
				newRev, err = b.kv.Update(ctx, k, v, rev)
			} else {
				newRev, err = b.kv.Create(ctx, k, v)
			}
		}
		if err == nil {
			if v != nil {
				v = append([]byte{}, v...)
			}
			b.applied(key, v, newRev, v == nil)
			return nil
		}
		if !errors.Is(err, errConflict) && !conflict(err) && !errors.Is(err, jetstream.ErrKeyExists) {
			return b.s.fail(ctx, "update", err)
		}
		if err := b.s.check(ctx); err != nil {
			return err
		}
		e, err := b.kv.Get(ctx, k)
		switch {
		case err == nil:
			old, rev, exists = e.Value(), e.Revision(), true
			b.applied(key, old, rev, false)
		case errors.Is(err, jetstream.ErrKeyNotFound):
			old, rev, exists = nil, 0, false
		default:
			return b.s.fail(ctx, "update", err)
		}
		fromView = false
	}
}

// errConflict makes Update read the key from JetStream and call fn again.
var errConflict = errors.New("the view may be behind")

// watcher is one Watch: the keys changed since its function last ran, in
// the order they changed, each once.
type watcher struct {
	mu      sync.Mutex
	pending []string
	queued  map[string]bool
	wake    chan struct{} // holds a token while pending is not empty
}

// notifyLocked tells every watch that key changed. The caller holds b.mu,
// so that watches see changes in the order the view applied them.
func (b *bucket) notifyLocked(key string) {
	for w := range b.watchers {
		w.mu.Lock()
		if !w.queued[key] {
			w.queued[key] = true
			w.pending = append(w.pending, key)
		}
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// next takes the first pending key.
func (w *watcher) next() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return "", false
	}
	key := w.pending[0]
	w.pending = w.pending[1:]
	delete(w.queued, key)
	return key, true
}

// Watch implements store.Watcher: fn runs on a goroutine of its own for
// every change the view applies, this process's writes (as soon as
// JetStream acknowledged them) and others' (as soon as the KV watch
// delivered them).
func (b *bucket) Watch(ctx context.Context, fn func(key string)) error {
	if err := b.s.check(ctx); err != nil {
		return err
	}
	w := &watcher{queued: map[string]bool{}, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.watchers[w] = struct{}{}
	b.mu.Unlock()
	err := b.s.goroutine(func() {
		defer func() {
			b.mu.Lock()
			delete(b.watchers, w)
			b.mu.Unlock()
		}()
		for {
			select {
			case <-w.wake:
			case <-ctx.Done():
				return
			case <-b.s.ctx.Done():
				return
			}
			for key, ok := w.next(); ok; key, ok = w.next() {
				if ctx.Err() != nil || b.s.ctx.Err() != nil {
					return
				}
				fn(key)
			}
		}
	})
	if err != nil {
		b.mu.Lock()
		delete(b.watchers, w)
		b.mu.Unlock()
	}
	return err
}

// truncate shortens hostile input before it goes into an error message.
func truncate(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
