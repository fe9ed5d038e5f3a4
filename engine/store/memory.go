package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// memory is the Store of NewMemory.
type memory struct {
	closing atomic.Bool
	closed  chan struct{}

	mu      sync.Mutex
	buckets map[string]*memBucket
	queues  map[string]*queue
	blobs   *memBlobs
}

var _ Store = (*memory)(nil)

// NewMemory returns a Store that keeps everything in memory: the embeddable
// library's default. Nothing outlives the process; everything else is as a
// durable Store does it, limits included.
func NewMemory() Store {
	closed := make(chan struct{})
	return &memory{
		closed:  closed,
		buckets: map[string]*memBucket{},
		queues:  map[string]*queue{},
		blobs:   &memBlobs{closed: closed, blobs: map[string][]byte{}},
	}
}

// Bucket implements Store.
func (s *memory) Bucket(name string) (Bucket, error) {
	if isClosed(s.closed) {
		return nil, ErrClosed
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[name]
	if b == nil {
		b = &memBucket{closed: s.closed, values: map[string][]byte{}}
		s.buckets[name] = b
	}
	return b, nil
}

// Blobs implements Store.
func (s *memory) Blobs() Blobs { return s.blobs }

// Queue implements Store.
func (s *memory) Queue(name string) (Queue, error) {
	if isClosed(s.closed) {
		return nil, ErrClosed
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[name]
	if q == nil {
		q = newQueue(name, s.closed, nil, nil, 0)
		s.queues[name] = q
	}
	return q, nil
}

// Close implements Store.
func (s *memory) Close() error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	close(s.closed)
	return nil
}

// isClosed reports whether the Store whose closed channel this is was closed.
func isClosed(closed <-chan struct{}) bool {
	select {
	case <-closed:
		return true
	default:
		return false
	}
}

// checkOpen returns ErrClosed after Close, else ctx's error.
func checkOpen(ctx context.Context, closed <-chan struct{}) error {
	if isClosed(closed) {
		return ErrClosed
	}
	return ctx.Err()
}

// memBucket is a Bucket in memory: a map, and its keys sorted for List.
type memBucket struct {
	closed <-chan struct{}

	mu     sync.RWMutex
	values map[string][]byte
	keys   []string // sorted
}

var _ Bucket = (*memBucket)(nil)

// Get implements Bucket.
func (b *memBucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkOpen(ctx, b.closed); err != nil {
		return nil, err
	}
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	b.mu.RLock()
	v, ok := b.values[key]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: key %q", ErrNotFound, truncate(key))
	}
	return append([]byte{}, v...), nil
}

// Put implements Bucket.
func (b *memBucket) Put(ctx context.Context, key string, value []byte) error {
	if err := checkOpen(ctx, b.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := CheckValue(value); err != nil {
		return err
	}
	v := append([]byte{}, value...)
	b.mu.Lock()
	b.set(key, v)
	b.mu.Unlock()
	return nil
}

// Delete implements Bucket.
func (b *memBucket) Delete(ctx context.Context, key string) error {
	if err := checkOpen(ctx, b.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	b.mu.Lock()
	b.delete(key)
	b.mu.Unlock()
	return nil
}

// List implements Bucket.
func (b *memBucket) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := checkOpen(ctx, b.closed); err != nil {
		return nil, false, err
	}
	limit, err := CheckList(prefix, after, limit)
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

// Update implements Bucket. fn runs with the bucket locked.
func (b *memBucket) Update(ctx context.Context, key string, fn func(old []byte, exists bool) ([]byte, error)) error {
	if err := checkOpen(ctx, b.closed); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, exists := b.values[key]
	if exists {
		old = append([]byte{}, old...)
	}
	v, err := fn(old, exists)
	switch {
	case errors.Is(err, ErrNoChange):
		return nil
	case err != nil:
		return err
	case v == nil:
		b.delete(key)
		return nil
	}
	if err := CheckValue(v); err != nil {
		return err
	}
	b.set(key, append([]byte{}, v...))
	return nil
}

// set stores v, which the bucket owns, under key. The caller holds b.mu.
func (b *memBucket) set(key string, v []byte) {
	if _, ok := b.values[key]; !ok {
		i, _ := slices.BinarySearch(b.keys, key)
		b.keys = slices.Insert(b.keys, i, key)
	}
	b.values[key] = v
}

// delete removes key. The caller holds b.mu.
func (b *memBucket) delete(key string) {
	if _, ok := b.values[key]; !ok {
		return
	}
	delete(b.values, key)
	if i, found := slices.BinarySearch(b.keys, key); found {
		b.keys = slices.Delete(b.keys, i, i+1)
	}
}

// memBlobs is Blobs in memory.
type memBlobs struct {
	closed <-chan struct{}

	mu    sync.RWMutex
	blobs map[string][]byte
}

var _ Blobs = (*memBlobs)(nil)

// Put implements Blobs.
func (m *memBlobs) Put(ctx context.Context, data []byte) (string, error) {
	if err := checkOpen(ctx, m.closed); err != nil {
		return "", err
	}
	digest := digestOf(data)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[digest]; !ok {
		m.blobs[digest] = append([]byte{}, data...)
	}
	return digest, nil
}

// Get implements Blobs. A blob in memory cannot rot, so it is not hashed
// again.
func (m *memBlobs) Get(ctx context.Context, digest string) ([]byte, error) {
	if err := checkOpen(ctx, m.closed); err != nil {
		return nil, err
	}
	if err := CheckDigest(digest); err != nil {
		return nil, err
	}
	m.mu.RLock()
	data, ok := m.blobs[digest]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: blob %s", ErrNotFound, digest)
	}
	return append([]byte{}, data...), nil
}

// Delete implements Blobs.
func (m *memBlobs) Delete(ctx context.Context, digest string) error {
	if err := checkOpen(ctx, m.closed); err != nil {
		return err
	}
	if err := CheckDigest(digest); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.blobs, digest)
	m.mu.Unlock()
	return nil
}

// digestOf returns the lowercase hex SHA-256 digest of data.
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
