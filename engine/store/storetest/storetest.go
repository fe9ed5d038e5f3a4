// Package storetest checks that a store.Store keeps the contract of
// package store: the conformance suite that the memory, bbolt and
// JetStream Stores all pass, in the style of testing/fstest. A Store's own
// tests call Run with a function that opens a fresh, empty Store:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := mystore.New()
//			t.Cleanup(func() { _ = s.Close() })
//			return s
//		})
//	}
//
// Where a Store cannot give exactly what the suite checks, it names the
// difference with an Exception, and the suite checks the weaker behaviour
// the Exception documents instead: nothing is skipped silently. The
// helpers (Receive, Enqueue, AssertEmpty, Churn, ...) are for a Store's
// own further tests.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/engine/store"
)

// Opener makes a fresh, empty Store for one test and closes it when the
// test ends (t.Cleanup). The suite calls it many times, from parallel
// subtests.
type Opener func(t *testing.T) store.Store

// Exception names a behaviour of the contract that a Store gives only in a
// weaker form. Passing one to Run replaces the suite's check of that
// behaviour by a check of the weaker form, which its documentation states.
// The memory and bbolt Stores pass with none.
type Exception string

// The exceptions a Store may claim.
const (
	// PastDuesInEnqueueOrder: messages whose due time had already passed
	// when they were enqueued are delivered in the order they were
	// enqueued, not in the order of their due times. Messages due in the
	// future are still delivered in due-time order once due. (A JetStream
	// queue delivers in stream order, and a message due now or earlier is
	// stored at once; the async invoker enqueues everything "now", so this
	// never reorders its events.)
	PastDuesInEnqueueOrder Exception = "past dues in enqueue order"
	// LeasedCountsExpired: QueueStats.Leased also counts a message whose
	// lease expired and that nobody received again yet. (JetStream reports
	// the messages pending acknowledgement; an expired one stays pending
	// until it is redelivered.)
	LeasedCountsExpired Exception = "leased counts expired leases"
)

// suite is one run of the conformance suite.
type suite struct {
	open   Opener
	except map[Exception]bool
}

// excused reports whether the Store claimed e, and logs it when it did.
func (c *suite) excused(t *testing.T, e Exception) bool {
	t.Helper()
	if c.except[e] {
		t.Logf("exception %q: checking the weaker behaviour", e)
		return true
	}
	return false
}

// Run runs the conformance suite against the Stores open makes, in
// parallel subtests, each on a Store of its own. except names the
// behaviours the Store gives only in the weaker form each Exception
// documents.
func Run(t *testing.T, open Opener, except ...Exception) {
	c := &suite{open: open, except: map[Exception]bool{}}
	for _, e := range except {
		c.except[e] = true
	}
	t.Run("Names", func(t *testing.T) { t.Parallel(); testNames(t, c) })
	t.Run("Bucket", func(t *testing.T) { t.Parallel(); testBucket(t, c) })
	t.Run("BucketLimits", func(t *testing.T) { t.Parallel(); testBucketLimits(t, c) })
	t.Run("List", func(t *testing.T) { t.Parallel(); testList(t, c) })
	t.Run("Update", func(t *testing.T) { t.Parallel(); testUpdate(t, c) })
	t.Run("UpdateConcurrent", func(t *testing.T) { t.Parallel(); testUpdateConcurrent(t, c) })
	t.Run("Watch", func(t *testing.T) { t.Parallel(); testWatch(t, c) })
	t.Run("Blobs", func(t *testing.T) { t.Parallel(); testBlobs(t, c) })
	t.Run("Queue", func(t *testing.T) { t.Parallel(); testQueue(t, c) })
	t.Run("QueueOrder", func(t *testing.T) { t.Parallel(); testQueueOrder(t, c) })
	t.Run("QueueLease", func(t *testing.T) { t.Parallel(); testQueueLease(t, c) })
	t.Run("QueueRetry", func(t *testing.T) { t.Parallel(); testQueueRetry(t, c) })
	t.Run("QueueExtend", func(t *testing.T) { t.Parallel(); testQueueExtend(t, c) })
	t.Run("QueueStats", func(t *testing.T) { t.Parallel(); testQueueStats(t, c) })
	t.Run("QueueConcurrent", func(t *testing.T) { t.Parallel(); testQueueConcurrent(t, c) })
	t.Run("QueueWaiting", func(t *testing.T) { t.Parallel(); testQueueWaiting(t, c) })
	t.Run("QueueChurn", func(t *testing.T) { t.Parallel(); Churn(t, OpenQueue(t, c.open(t), "churn")) })
	t.Run("QueueLimits", func(t *testing.T) { t.Parallel(); testQueueLimits(t, c) })
	t.Run("Context", func(t *testing.T) { t.Parallel(); testContext(t, c) })
	t.Run("Close", func(t *testing.T) { t.Parallel(); testClose(t, c) })
}

// OpenBucket returns the bucket called name in s, failing the test if it
// cannot.
func OpenBucket(t *testing.T, s store.Store, name string) store.Bucket {
	t.Helper()
	b, err := s.Bucket(name)
	require.NoError(t, err)
	return b
}

// OpenQueue returns the queue called name in s, failing the test if it
// cannot.
func OpenQueue(t *testing.T, s store.Store, name string) store.Queue {
	t.Helper()
	q, err := s.Queue(name)
	require.NoError(t, err)
	return q
}

// Receive receives one message from q under lease, failing the test after
// a generous bound (10 s).
func Receive(t *testing.T, q store.Queue, lease time.Duration) store.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := q.Receive(ctx, lease)
	require.NoError(t, err)
	return m
}

// Enqueue enqueues body in q, due at due, and returns its ID.
func Enqueue(t *testing.T, q store.Queue, body string, due time.Time) string {
	t.Helper()
	id, err := q.Enqueue(t.Context(), []byte(body), due)
	require.NoError(t, err)
	return id
}

// AssertEmpty asserts that nothing is delivered from q within a short
// while: the negative check of a message that must not be due yet.
func AssertEmpty(t *testing.T, q store.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	m, err := q.Receive(ctx, time.Minute)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "got message %q", m.Body)
}

func testNames(t *testing.T, c *suite) {
	s := c.open(t)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"functions", true},
		{"kv/tenant-1/fn_a.v2", true},
		{strings.Repeat("a", store.MaxNameBytes), true},
		{"A-Z_0.9/-", true},
		{"", false},
		{strings.Repeat("a", store.MaxNameBytes+1), false},
		{"has space", false},
		{"nul\x00", false},
		{"colon:", false},
		{"back\\slash", false},
		{"é", false},
		{"*", false},
	} {
		t.Run(fmt.Sprintf("%.20q", tc.name), func(t *testing.T) {
			_, errB := s.Bucket(tc.name)
			_, errQ := s.Queue(tc.name)
			if tc.ok {
				assert.NoError(t, errB)
				assert.NoError(t, errQ)
			} else {
				assert.ErrorIs(t, errB, store.ErrInvalidName)
				assert.ErrorIs(t, errQ, store.ErrInvalidName)
			}
		})
	}
}

func testBucket(t *testing.T, c *suite) {
	ctx := t.Context()
	s := c.open(t)
	b := OpenBucket(t, s, "kv")

	_, err := b.Get(ctx, "missing")
	require.ErrorIs(t, err, store.ErrNotFound)

	// A bucket keeps its own copy of what it is given, and gives copies.
	value := []byte("one")
	require.NoError(t, b.Put(ctx, "k", value))
	value[0] = 'X'
	got, err := b.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("one"), got)
	got[0] = 'Y'
	got, err = b.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("one"), got)

	require.NoError(t, b.Put(ctx, "k", []byte("two")))
	got, err = b.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("two"), got)

	// Empty values exist and are told apart from missing keys.
	for _, empty := range [][]byte{nil, {}} {
		require.NoError(t, b.Put(ctx, "empty", empty))
		got, err = b.Get(ctx, "empty")
		require.NoError(t, err)
		assert.NotNil(t, got)
		assert.Empty(t, got)
	}

	// Keys are bytes: NUL, 0xff and invalid UTF-8 are keys like any other.
	for _, k := range []string{"\x00", "\xff\xfe", "a\x00b", "/", " "} {
		require.NoError(t, b.Put(ctx, k, []byte(k)))
		got, err = b.Get(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, []byte(k), got)
	}

	// Buckets are separate namespaces; a bucket and a queue may share a name.
	other := OpenBucket(t, s, "kv2")
	_, err = other.Get(ctx, "k")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_ = OpenQueue(t, s, "kv")
	got, err = OpenBucket(t, s, "kv").Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("two"), got)

	require.NoError(t, b.Delete(ctx, "k"))
	_, err = b.Get(ctx, "k")
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, b.Delete(ctx, "k"), "deleting a missing key")
	require.NoError(t, other.Delete(ctx, "k"), "deleting in a bucket never written")
}

func testBucketLimits(t *testing.T, c *suite) {
	ctx := t.Context()
	b := OpenBucket(t, c.open(t), "kv")
	long := strings.Repeat("k", store.MaxKeyBytes)
	tooLong := long + "k"
	big := bytes.Repeat([]byte{7}, store.MaxValueBytes)
	tooBig := append(slices.Clone(big), 7)
	update := func(v []byte) func([]byte, bool) ([]byte, error) {
		return func([]byte, bool) ([]byte, error) { return v, nil }
	}

	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"Get empty key", func() error { _, err := b.Get(ctx, ""); return err }, store.ErrInvalidKey},
		{"Put empty key", func() error { return b.Put(ctx, "", []byte("v")) }, store.ErrInvalidKey},
		{"Delete empty key", func() error { return b.Delete(ctx, "") }, store.ErrInvalidKey},
		{"Update empty key", func() error { return b.Update(ctx, "", update([]byte("v"))) }, store.ErrInvalidKey},
		{"Get long key", func() error { _, err := b.Get(ctx, tooLong); return err }, store.ErrTooLarge},
		{"Put long key", func() error { return b.Put(ctx, tooLong, []byte("v")) }, store.ErrTooLarge},
		{"Delete long key", func() error { return b.Delete(ctx, tooLong) }, store.ErrTooLarge},
		{"Update long key", func() error { return b.Update(ctx, tooLong, update([]byte("v"))) }, store.ErrTooLarge},
		{"Put big value", func() error { return b.Put(ctx, "k", tooBig) }, store.ErrTooLarge},
		{"Update big value", func() error { return b.Update(ctx, "k", update(tooBig)) }, store.ErrTooLarge},
		{"List long prefix", func() error { _, _, err := b.List(ctx, tooLong, "", 1); return err }, store.ErrTooLarge},
		{"List long after", func() error { _, _, err := b.List(ctx, "", tooLong, 1); return err }, store.ErrTooLarge},
		{"List zero limit", func() error { _, _, err := b.List(ctx, "", "", 0); return err }, store.ErrInvalidArgument},
		{"List negative limit", func() error { _, _, err := b.List(ctx, "", "", -1); return err }, store.ErrInvalidArgument},
		{"Put at the limits", func() error { return b.Put(ctx, long, big) }, nil},
		{"Update at the limits", func() error { return b.Update(ctx, long, update(big)) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			if errors.Is(tc.want, store.ErrTooLarge) {
				assert.Regexp(t, `\d+ bytes, the limit is \d+`, err.Error())
			}
		})
	}
	got, err := b.Get(ctx, long)
	require.NoError(t, err)
	assert.Equal(t, big, got)
	_, err = b.Get(ctx, "k")
	assert.ErrorIs(t, err, store.ErrNotFound, "a refused write wrote nothing")
}

func testList(t *testing.T, c *suite) {
	ctx := t.Context()
	s := c.open(t)
	b := OpenBucket(t, s, "kv")
	keys := []string{"a", "a/1", "a/2", "a/3", "ab", "b", "b/1", "\xff"}
	for _, k := range slices.Backward(keys) {
		require.NoError(t, b.Put(ctx, k, []byte("v")))
	}
	require.NoError(t, OpenBucket(t, s, "kv-other").Put(ctx, "a/0", []byte("v")))

	for _, tc := range []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
		more          bool
	}{
		{"all", "", "", 100, keys, false},
		{"exactly all", "", "", len(keys), keys, false},
		{"first page", "", "", 3, keys[:3], true},
		{"next page", "", "a/2", 3, []string{"a/3", "ab", "b"}, true},
		{"last page", "", "b", 3, []string{"b/1", "\xff"}, false},
		{"after the last", "", "\xff", 3, nil, false},
		{"prefix", "a/", "", 10, []string{"a/1", "a/2", "a/3"}, false},
		{"prefix, limited", "a/", "", 2, []string{"a/1", "a/2"}, true},
		{"prefix after", "a/", "a/1", 10, []string{"a/2", "a/3"}, false},
		{"prefix after a missing key", "a/", "a/15", 10, []string{"a/2", "a/3"}, false},
		{"prefix after before the prefix", "b", "a", 10, []string{"b", "b/1"}, false},
		{"prefix after past the prefix", "a/", "b", 10, nil, false},
		{"prefix is a key", "a", "", 10, []string{"a", "a/1", "a/2", "a/3", "ab"}, false},
		{"prefix is a key, after it", "a", "a", 10, []string{"a/1", "a/2", "a/3", "ab"}, false},
		{"no such prefix", "c", "", 10, nil, false},
		{"binary prefix", "\xff", "", 10, []string{"\xff"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, more, err := b.List(ctx, tc.prefix, tc.after, tc.limit)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.more, more)
		})
	}

	t.Run("empty bucket", func(t *testing.T) {
		got, more, err := OpenBucket(t, s, "never-written").List(ctx, "", "", 10)
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.False(t, more)
	})

	t.Run("pages", func(t *testing.T) {
		p := OpenBucket(t, s, "pages")
		var want []string
		for i := range 1100 {
			k := fmt.Sprintf("k%05d", i)
			want = append(want, k)
		}
		// Concurrent writers share commits in the durable Store.
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(want); i += 8 {
					assert.NoError(t, p.Put(ctx, want[i], nil))
				}
			})
		}
		wg.Wait()

		var all []string
		after := ""
		for {
			page, more, err := p.List(ctx, "k", after, 7)
			require.NoError(t, err)
			all = append(all, page...)
			if !more {
				break
			}
			after = page[len(page)-1]
		}
		assert.Equal(t, want, all)

		// A limit above store.MaxListKeys is lowered to it.
		page, more, err := p.List(ctx, "", "", store.MaxListKeys+500)
		require.NoError(t, err)
		assert.Len(t, page, store.MaxListKeys)
		assert.True(t, more)
	})
}

func testUpdate(t *testing.T, c *suite) {
	ctx := t.Context()
	b := OpenBucket(t, c.open(t), "kv")
	errAbort := errors.New("abort")

	type call struct {
		old    []byte
		exists bool
	}
	for _, tc := range []struct {
		name     string
		initial  []byte // nil: missing
		ret      []byte
		retErr   error
		wantErr  error
		wantCall call
		want     []byte // nil: missing afterwards
	}{
		{"create", nil, []byte("new"), nil, nil, call{nil, false}, []byte("new")},
		{"replace", []byte("old"), []byte("new"), nil, nil, call{[]byte("old"), true}, []byte("new")},
		{"no change", []byte("old"), []byte("ignored"), store.ErrNoChange, nil, call{[]byte("old"), true}, []byte("old")},
		{"no change to a missing key", nil, nil, store.ErrNoChange, nil, call{nil, false}, nil},
		{"wrapped no change", []byte("old"), nil, fmt.Errorf("nothing to do: %w", store.ErrNoChange), nil, call{[]byte("old"), true}, []byte("old")},
		{"delete", []byte("old"), nil, nil, nil, call{[]byte("old"), true}, nil},
		{"delete a missing key", nil, nil, nil, nil, call{nil, false}, nil},
		{"store empty", []byte("old"), []byte{}, nil, nil, call{[]byte("old"), true}, []byte{}},
		{"empty exists", []byte{}, []byte("x"), nil, nil, call{[]byte{}, true}, []byte("x")},
		{"abort", []byte("old"), []byte("ignored"), errAbort, errAbort, call{[]byte("old"), true}, []byte("old")},
		{"abort a missing key", nil, []byte("ignored"), errAbort, errAbort, call{nil, false}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.name
			if tc.initial != nil {
				require.NoError(t, b.Put(ctx, key, tc.initial))
			}
			var calls []call
			err := b.Update(ctx, key, func(old []byte, exists bool) ([]byte, error) {
				calls = append(calls, call{slices.Clone(old), exists})
				return tc.ret, tc.retErr
			})
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				assert.NoError(t, err)
			}
			require.NotEmpty(t, calls)
			for _, c := range calls {
				assert.Equal(t, tc.wantCall.exists, c.exists)
				if tc.wantCall.exists {
					assert.Equal(t, tc.wantCall.old, c.old)
				} else {
					assert.Nil(t, c.old)
				}
			}
			got, err := b.Get(ctx, key)
			if tc.want == nil {
				assert.ErrorIs(t, err, store.ErrNotFound)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}

	t.Run("returned value is copied", func(t *testing.T) {
		v := []byte("mine")
		require.NoError(t, b.Update(ctx, "copied", func([]byte, bool) ([]byte, error) { return v, nil }))
		v[0] = 'X'
		got, err := b.Get(ctx, "copied")
		require.NoError(t, err)
		assert.Equal(t, []byte("mine"), got)
	})

	t.Run("panic reaches the caller", func(t *testing.T) {
		assert.PanicsWithValue(t, "boom", func() {
			_ = b.Update(ctx, "panic", func([]byte, bool) ([]byte, error) { panic("boom") })
		})
		_, err := b.Get(ctx, "panic")
		assert.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.Put(ctx, "after-panic", []byte("v")), "the store works on after a panic")
	})
}

func testUpdateConcurrent(t *testing.T, c *suite) {
	ctx := t.Context()
	b := OpenBucket(t, c.open(t), "counters")
	const workers, each = 8, 50
	increment := func(old []byte, exists bool) ([]byte, error) {
		var n uint64
		if exists {
			n = binary.BigEndian.Uint64(old)
		}
		return binary.BigEndian.AppendUint64(nil, n+1), nil
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				assert.NoError(t, b.Update(ctx, "n", increment))
			}
		})
	}
	wg.Wait()
	got, err := b.Get(ctx, "n")
	require.NoError(t, err)
	assert.Equal(t, uint64(workers*each), binary.BigEndian.Uint64(got), "no increment lost")
}

// testWatch checks store.Watcher, for a Store whose buckets implement it.
func testWatch(t *testing.T, c *suite) {
	ctx := t.Context()
	s := c.open(t)
	b := OpenBucket(t, s, "watched")
	w, ok := b.(store.Watcher)
	if !ok {
		t.Skip("the Store's buckets do not implement store.Watcher: nothing changes them from elsewhere")
	}

	// seen is what one watch reported: each key with what Get returned
	// when fn was called.
	type seen struct {
		key   string
		value string
		found bool
	}
	watch := func(ctx context.Context) <-chan seen {
		ch := make(chan seen, 100)
		require.NoError(t, w.Watch(ctx, func(key string) {
			v, err := b.Get(ctx, key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				assert.ErrorIs(t, err, context.Canceled)
			}
			ch <- seen{key, string(v), err == nil}
		}))
		return ch
	}
	next := func(ch <-chan seen) seen {
		t.Helper()
		select {
		case e := <-ch:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("the watch reported nothing")
			return seen{}
		}
	}

	wctx, stop := context.WithCancel(ctx)
	ch := watch(wctx)
	for _, tc := range []struct {
		name   string
		change func() error
		want   seen
	}{
		{"Put", func() error { return b.Put(ctx, "k", []byte("one")) }, seen{"k", "one", true}},
		{"Update", func() error {
			return b.Update(ctx, "k", func([]byte, bool) ([]byte, error) { return []byte("two"), nil })
		}, seen{"k", "two", true}},
		{"binary key", func() error { return b.Put(ctx, "\x00\xff", nil) }, seen{"\x00\xff", "", true}},
		{"Delete", func() error { return b.Delete(ctx, "k") }, seen{"k", "", false}},
		{"Update deleting", func() error {
			return b.Update(ctx, "\x00\xff", func([]byte, bool) ([]byte, error) { return nil, nil })
		}, seen{"\x00\xff", "", false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.change())
			assert.Equal(t, tc.want, next(ch), "reported after Get sees the change")
		})
	}

	// A change through another Bucket value of the same bucket is
	// reported too; one to another bucket is not.
	require.NoError(t, OpenBucket(t, s, "other").Put(ctx, "elsewhere", nil))
	require.NoError(t, OpenBucket(t, s, "watched").Put(ctx, "again", []byte("x")))
	assert.Equal(t, seen{"again", "x", true}, next(ch))

	// No call starts after the watch's context is done; another watch
	// goes on.
	other := watch(ctx)
	stop()
	require.NoError(t, b.Put(ctx, "after stop", nil))
	assert.Equal(t, "after stop", next(other).key)
	select {
	case e := <-ch:
		t.Errorf("a stopped watch reported %q", e.key)
	default:
	}

	wctx, stop = context.WithCancel(ctx)
	stop()
	assert.ErrorIs(t, w.Watch(wctx, func(string) {}), context.Canceled)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, w.Watch(ctx, func(string) {}), store.ErrClosed)
}

func testBlobs(t *testing.T, c *suite) {
	ctx := t.Context()
	bl := c.open(t).Blobs()
	data := []byte("\x00asm module bytes")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	_, err := bl.Get(ctx, want)
	require.ErrorIs(t, err, store.ErrNotFound)

	d, err := bl.Put(ctx, data)
	require.NoError(t, err)
	assert.Equal(t, want, d)
	data[0] = 'X' // Blobs keep their own copy
	d2, err := bl.Put(ctx, []byte("\x00asm module bytes"))
	require.NoError(t, err)
	assert.Equal(t, want, d2, "Put is idempotent")

	got, err := bl.Get(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, []byte("\x00asm module bytes"), got)

	empty, err := bl.Put(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty)
	got, err = bl.Get(ctx, empty)
	require.NoError(t, err)
	assert.Empty(t, got)

	require.NoError(t, bl.Delete(ctx, d))
	_, err = bl.Get(ctx, d)
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, bl.Delete(ctx, d), "deleting a missing blob")

	for _, digest := range HostileDigests() {
		t.Run(fmt.Sprintf("%q", digest), func(t *testing.T) {
			_, err := bl.Get(ctx, digest)
			assert.ErrorIs(t, err, store.ErrInvalidDigest)
			assert.ErrorIs(t, bl.Delete(ctx, digest), store.ErrInvalidDigest)
		})
	}
}

// HostileDigests returns digests that Blobs must refuse with
// ErrInvalidDigest before touching storage: path traversals, wrong lengths,
// upper case, NUL bytes.
func HostileDigests() []string {
	return []string{
		"",
		"../../etc/passwd",
		"../../../../../../../../../../../../../../../../../../../../../etc/passwd",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",   // 63
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", // 65
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",  // upper case
		"e3/0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"..b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b\x00..",
		"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78",
	}
}

func testQueue(t *testing.T, c *suite) {
	ctx := t.Context()
	s := c.open(t)
	q := OpenQueue(t, s, "events")
	before := time.Now()
	id := Enqueue(t, q, "hello", time.Time{})
	assert.Len(t, id, 16)

	m := Receive(t, q, time.Minute)
	assert.Equal(t, id, m.ID)
	assert.Equal(t, []byte("hello"), m.Body)
	assert.Equal(t, 1, m.Deliveries)
	assert.WithinRange(t, m.Enqueued, before.Add(-time.Millisecond), time.Now().Add(time.Millisecond))

	require.NoError(t, q.Ack(ctx, m.ID))
	assert.ErrorIs(t, q.Ack(ctx, m.ID), store.ErrNotFound, "a second ack")
	assert.ErrorIs(t, q.Retry(ctx, m.ID, nil, time.Time{}), store.ErrNotFound, "retry after ack")
	for _, bad := range []string{"", "nope", "0000000000000000", "ffffffffffffffff", "../../etc/passwd", "000000000000000G", strings.ToUpper(id)} {
		assert.ErrorIs(t, q.Ack(ctx, bad), store.ErrNotFound, "ack %q", bad)
		assert.ErrorIs(t, q.Retry(ctx, bad, nil, time.Time{}), store.ErrNotFound, "retry %q", bad)
	}

	// An empty body is a body.
	Enqueue(t, q, "", time.Time{})
	m = Receive(t, q, time.Minute)
	assert.NotNil(t, m.Body)
	assert.Empty(t, m.Body)
	require.NoError(t, q.Ack(ctx, m.ID))

	// The same name is the same queue; queues are separate.
	Enqueue(t, q, "shared", time.Time{})
	other := OpenQueue(t, s, "other")
	AssertEmpty(t, other)
	m = Receive(t, OpenQueue(t, s, "events"), time.Minute)
	assert.Equal(t, []byte("shared"), m.Body)

	// Ack needs no lease: it also cancels a message not yet due.
	id = Enqueue(t, q, "cancelled", time.Now().Add(time.Hour))
	require.NoError(t, q.Ack(ctx, id))
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Depth, "only the leased message is left")

	// IDs are not reused.
	id2 := Enqueue(t, q, "next", time.Time{})
	assert.NotEqual(t, id, id2)
	assert.Greater(t, id2, id)
}

func testQueueOrder(t *testing.T, c *suite) {
	s := c.open(t)
	now := time.Now()

	t.Run("earliest due first", func(t *testing.T) {
		q := OpenQueue(t, s, "by-due")
		Enqueue(t, q, "minus 1s", now.Add(-time.Second))
		Enqueue(t, q, "minus 3s", now.Add(-3*time.Second))
		Enqueue(t, q, "now", time.Time{})
		Enqueue(t, q, "minus 2s", now.Add(-2*time.Second))
		Enqueue(t, q, "year 1", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC))
		var got []string
		for range 5 {
			got = append(got, string(Receive(t, q, time.Minute).Body))
		}
		if c.excused(t, PastDuesInEnqueueOrder) {
			assert.Equal(t, []string{"minus 1s", "minus 3s", "now", "minus 2s", "year 1"}, got)
			return
		}
		assert.Equal(t, []string{"year 1", "minus 3s", "minus 2s", "minus 1s", "now"}, got)
	})

	t.Run("earliest future due first", func(t *testing.T) {
		// Far enough apart for a Store that schedules future messages
		// with a coarse timer (JetStream's runs at most every 250 ms).
		q := OpenQueue(t, s, "by-future-due")
		start := time.Now()
		Enqueue(t, q, "third", start.Add(1500*time.Millisecond))
		Enqueue(t, q, "first", start.Add(300*time.Millisecond))
		Enqueue(t, q, "second", start.Add(900*time.Millisecond))
		var got []string
		for range 3 {
			got = append(got, string(Receive(t, q, time.Minute).Body))
		}
		assert.Equal(t, []string{"first", "second", "third"}, got)
		assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond, "delivered before it was due")
	})

	t.Run("FIFO among equal due", func(t *testing.T) {
		q := OpenQueue(t, s, "fifo")
		due := now.Add(-time.Minute)
		var want []string
		for i := range 50 {
			want = append(want, fmt.Sprint(i))
			Enqueue(t, q, want[i], due)
		}
		var got []string
		for range want {
			got = append(got, string(Receive(t, q, time.Minute).Body))
		}
		assert.Equal(t, want, got)
	})

	t.Run("FIFO for due now", func(t *testing.T) {
		q := OpenQueue(t, s, "fifo-now")
		var want []string
		for i := range 50 {
			want = append(want, fmt.Sprint(i))
			Enqueue(t, q, want[i], time.Time{})
		}
		var got []string
		for range want {
			got = append(got, string(Receive(t, q, time.Minute).Body))
		}
		assert.Equal(t, want, got)
	})

	t.Run("future due waits", func(t *testing.T) {
		q := OpenQueue(t, s, "future")
		due := time.Now().Add(80 * time.Millisecond)
		Enqueue(t, q, "later", due)
		Enqueue(t, q, "far", time.Now().Add(time.Hour))
		m := Receive(t, q, time.Minute)
		assert.Equal(t, []byte("later"), m.Body)
		assert.False(t, time.Now().Before(due), "delivered before it was due")
		AssertEmpty(t, q)
	})

	t.Run("an earlier message wakes a waiting receiver", func(t *testing.T) {
		q := OpenQueue(t, s, "earlier")
		Enqueue(t, q, "far", time.Now().Add(time.Hour))
		got := make(chan store.Message, 1)
		go func() { got <- Receive(t, q, time.Minute) }()
		Enqueue(t, q, "soon", time.Now().Add(20*time.Millisecond))
		select {
		case m := <-got:
			assert.Equal(t, []byte("soon"), m.Body)
		case <-time.After(10 * time.Second):
			t.Fatal("the receiver did not wake for the earlier message")
		}
	})
}

func testQueueLease(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "lease")
	Enqueue(t, q, "a", time.Time{})
	Enqueue(t, q, "b", time.Time{})

	leasedFrom := time.Now() // the lease starts after this
	m1 := Receive(t, q, 100*time.Millisecond)
	assert.Equal(t, []byte("a"), m1.Body)
	m2 := Receive(t, q, time.Hour)
	assert.Equal(t, []byte("b"), m2.Body, "a leased message is not delivered again")

	// The lease expires: delivered again, counted.
	again := Receive(t, q, time.Hour)
	assert.Equal(t, m1.ID, again.ID)
	assert.Equal(t, []byte("a"), again.Body)
	assert.Equal(t, 2, again.Deliveries)
	assert.Equal(t, m1.Enqueued, again.Enqueued)
	assert.GreaterOrEqual(t, time.Since(leasedFrom), 100*time.Millisecond, "redelivered before the lease expired")

	// The old lease holder's ack still counts (at-least-once, not exactly-once).
	require.NoError(t, q.Ack(ctx, m1.ID))
	require.NoError(t, q.Ack(ctx, m2.ID))
	AssertEmpty(t, q)

	assert.ErrorIs(t, func() error { _, err := q.Receive(ctx, 0); return err }(), store.ErrInvalidArgument)
	assert.ErrorIs(t, func() error { _, err := q.Receive(ctx, -time.Second); return err }(), store.ErrInvalidArgument)

	// A lease too long for the clock saturates instead of wrapping around.
	Enqueue(t, q, "forever", time.Time{})
	m := Receive(t, q, time.Duration(1<<63-1))
	require.NoError(t, q.Ack(ctx, m.ID))
}

// testQueueExtend checks that an extended lease keeps a message from
// being delivered again until the new lease ends, and what Extend refuses.
func testQueueExtend(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "extend")
	Enqueue(t, q, "a", time.Time{})
	m := Receive(t, q, 300*time.Millisecond)
	for range 4 { // 4 × 200 ms: well past the first lease
		time.Sleep(200 * time.Millisecond)
		require.NoError(t, q.Extend(ctx, m.ID, 300*time.Millisecond))
	}
	rctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	_, err := q.Receive(rctx, time.Hour)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "an extended lease is not delivered again")

	// Not extended again: delivered again once the last lease ends.
	again := Receive(t, q, time.Hour)
	assert.Equal(t, m.ID, again.ID)
	assert.Equal(t, 2, again.Deliveries)
	require.NoError(t, q.Ack(ctx, again.ID))

	assert.ErrorIs(t, q.Extend(ctx, m.ID, time.Minute), store.ErrNotFound, "extend after ack")
	Enqueue(t, q, "b", time.Time{})
	m = Receive(t, q, time.Minute)
	assert.ErrorIs(t, q.Extend(ctx, m.ID, 0), store.ErrInvalidArgument)
	assert.ErrorIs(t, q.Extend(ctx, m.ID, -time.Second), store.ErrInvalidArgument)
	for _, bad := range []string{"", "x", "0", "18446744073709551616"} {
		err := q.Extend(ctx, bad, time.Minute)
		assert.True(t, errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidArgument), "extend %q: %v", bad, err)
	}
	require.NoError(t, q.Ack(ctx, m.ID))
}

func testQueueRetry(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "retry")
	Enqueue(t, q, "attempt 1", time.Time{})
	m := Receive(t, q, time.Hour)

	require.NoError(t, q.Retry(ctx, m.ID, []byte("attempt 2"), time.Time{}))
	r := Receive(t, q, time.Hour)
	assert.Equal(t, []byte("attempt 2"), r.Body)
	assert.Equal(t, 2, r.Deliveries)
	assert.Equal(t, m.Enqueued, r.Enqueued)

	due := time.Now().Add(60 * time.Millisecond)
	require.NoError(t, q.Retry(ctx, r.ID, []byte("attempt 3"), due))
	r = Receive(t, q, time.Hour)
	assert.False(t, time.Now().Before(due), "retried message delivered before its due time")
	assert.Equal(t, []byte("attempt 3"), r.Body)
	assert.Equal(t, 3, r.Deliveries)

	// Retry needs no lease: it reschedules a message not yet due.
	id := Enqueue(t, q, "later", time.Now().Add(time.Hour))
	require.NoError(t, q.Retry(ctx, id, []byte("now"), time.Time{}))
	r2 := Receive(t, q, time.Hour)
	assert.Equal(t, []byte("now"), r2.Body)
	assert.Equal(t, 1, r2.Deliveries)

	// A retried message can be pushed into the future.
	require.NoError(t, q.Retry(ctx, r.ID, []byte("much later"), time.Now().Add(time.Hour)))
	require.NoError(t, q.Retry(ctx, r2.ID, nil, time.Now().Add(time.Hour)))
	AssertEmpty(t, q)
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Depth)
	assert.Zero(t, st.Leased, "Retry ends the lease")
}

func testQueueStats(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "stats")
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.QueueStats{}, st)

	first := time.Now()
	Enqueue(t, q, "1", time.Time{})
	Enqueue(t, q, "2", time.Time{})
	Enqueue(t, q, "3", time.Now().Add(time.Hour))
	m := Receive(t, q, time.Hour)
	short := Receive(t, q, time.Nanosecond) // expires at once

	st, err = q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Depth)
	if c.excused(t, LeasedCountsExpired) {
		assert.Equal(t, 2, st.Leased, "the expired lease is counted until the message is delivered again")
	} else {
		assert.Equal(t, 1, st.Leased, "an expired lease is not counted")
	}
	assert.WithinRange(t, st.OldestEnqueued, first.Add(-time.Millisecond), time.Now())
	assert.Equal(t, m.Enqueued, st.OldestEnqueued)

	require.NoError(t, q.Ack(ctx, m.ID))
	require.NoError(t, q.Ack(ctx, short.ID))
	st, err = q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Depth)
	assert.Equal(t, 0, st.Leased)
	assert.True(t, st.OldestEnqueued.After(m.Enqueued))
}

func testQueueConcurrent(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "concurrent")
	const n, producers, consumers = 300, 6, 8

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := p; i < n; i += producers {
				_, err := q.Enqueue(ctx, []byte(fmt.Sprint(i)), time.Time{})
				assert.NoError(t, err)
			}
		})
	}

	var (
		mu   sync.Mutex
		ids  = map[string]int{}
		seen = map[string]int{}
	)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range consumers {
		wg.Go(func() {
			for {
				m, err := q.Receive(rctx, time.Hour)
				if err != nil {
					assert.ErrorIs(t, err, context.Canceled)
					return
				}
				assert.NoError(t, q.Ack(ctx, m.ID))
				mu.Lock()
				ids[m.ID]++
				seen[string(m.Body)]++
				done := len(seen) == n
				mu.Unlock()
				if done {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, n)
	for id, c := range ids {
		assert.Equal(t, 1, c, "message %s delivered %d times under a long lease", id, c)
	}
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Depth)
}

// Churn has workers race each other on a queue whose leases expire almost
// at once, so that Receive, Retry and Ack of one message overlap: each
// message is retried twice, then acked. Stale calls (on a message another
// worker took since) may fail with store.ErrNotFound, nothing else; in the end
// every message was acked and the queue is empty.
func Churn(t *testing.T, q store.Queue) {
	ctx := t.Context()
	const messages, workers, attempts = 60, 8, 3
	for i := range messages {
		Enqueue(t, q, fmt.Sprintf("%d#1", i), time.Time{})
	}
	var (
		mu   sync.Mutex
		done = map[int]bool{}
		wg   sync.WaitGroup
	)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for range workers {
		wg.Go(func() {
			for {
				m, err := q.Receive(rctx, time.Millisecond)
				if err != nil {
					assert.ErrorIs(t, err, context.Canceled)
					return
				}
				var i, k int
				if _, err := fmt.Sscanf(string(m.Body), "%d#%d", &i, &k); !assert.NoError(t, err, "body %q", m.Body) {
					return
				}
				assert.GreaterOrEqual(t, m.Deliveries, k)
				if k < attempts {
					err = q.Retry(ctx, m.ID, fmt.Appendf(nil, "%d#%d", i, k+1), time.Time{})
				} else if err = q.Ack(ctx, m.ID); err == nil {
					mu.Lock()
					assert.False(t, done[i], "message %d acked twice", i)
					done[i] = true
					if len(done) == messages {
						cancel()
					}
					mu.Unlock()
				}
				if err != nil {
					assert.ErrorIs(t, err, store.ErrNotFound)
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, done, messages, "not every message was acked in time")
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Depth)
}

func testQueueWaiting(t *testing.T, c *suite) {
	s := c.open(t)
	for _, tc := range []struct {
		name string
		due  time.Duration // from the enqueue; 0: now
	}{
		{"due now", 0},
		{"due soon", 30 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Receivers wait on an empty queue; a burst of messages must
			// reach all of them, not only the first one woken.
			q := OpenQueue(t, s, "waiting-"+strings.ReplaceAll(tc.name, " ", "-"))
			const receivers = 6
			got := make(chan store.Message, receivers)
			for range receivers {
				go func() { got <- Receive(t, q, time.Hour) }()
			}
			for i := range receivers {
				due := time.Time{}
				if tc.due > 0 {
					due = time.Now().Add(tc.due)
				}
				Enqueue(t, q, fmt.Sprint(i), due)
			}
			seen := map[string]bool{}
			for range receivers {
				select {
				case m := <-got:
					seen[m.ID] = true
				case <-time.After(10 * time.Second):
					t.Fatalf("only %d of %d waiting receivers got a message", len(seen), receivers)
				}
			}
			assert.Len(t, seen, receivers)
		})
	}

	t.Run("cancelled receivers hand on the wake-up", func(t *testing.T) {
		q := OpenQueue(t, s, "handoff")
		cctx, cancel := context.WithCancel(t.Context())
		errs := make(chan error, 4)
		for range 4 {
			go func() { _, err := q.Receive(cctx, time.Hour); errs <- err }()
		}
		got := make(chan store.Message, 1)
		go func() { got <- Receive(t, q, time.Hour) }()
		Enqueue(t, q, "far", time.Now().Add(time.Hour))
		cancel()
		for range 4 {
			assert.ErrorIs(t, <-errs, context.Canceled)
		}
		Enqueue(t, q, "soon", time.Now().Add(20*time.Millisecond))
		select {
		case m := <-got:
			assert.Equal(t, []byte("soon"), m.Body)
		case <-time.After(10 * time.Second):
			t.Fatal("the remaining receiver was not woken")
		}
	})
}

func testQueueLimits(t *testing.T, c *suite) {
	ctx := t.Context()
	q := OpenQueue(t, c.open(t), "limits")
	_, err := q.Enqueue(ctx, make([]byte, store.MaxMessageBytes+1), time.Time{})
	assert.ErrorIs(t, err, store.ErrTooLarge)
	id, err := q.Enqueue(ctx, bytes.Repeat([]byte{1}, store.MaxMessageBytes), time.Time{})
	require.NoError(t, err)
	assert.ErrorIs(t, q.Retry(ctx, id, make([]byte, store.MaxMessageBytes+1), time.Time{}), store.ErrTooLarge)
	m := Receive(t, q, time.Hour)
	assert.Len(t, m.Body, store.MaxMessageBytes)

	// Dues outside what nanoseconds since 1970 can hold are clamped.
	Enqueue(t, q, "end of time", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	Enqueue(t, q, "start of time", time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC))
	m = Receive(t, q, time.Hour)
	assert.Equal(t, []byte("start of time"), m.Body)
	AssertEmpty(t, q)
}

func testContext(t *testing.T, c *suite) {
	s := c.open(t)
	b := OpenBucket(t, s, "kv")
	q := OpenQueue(t, s, "q")
	done, cancel := context.WithCancel(t.Context())
	cancel()
	for name, call := range map[string]func() error{
		"Get":     func() error { _, err := b.Get(done, "k"); return err },
		"Put":     func() error { return b.Put(done, "k", nil) },
		"Delete":  func() error { return b.Delete(done, "k") },
		"List":    func() error { _, _, err := b.List(done, "", "", 1); return err },
		"Update":  func() error { return b.Update(done, "k", func([]byte, bool) ([]byte, error) { return nil, nil }) },
		"BlobPut": func() error { _, err := s.Blobs().Put(done, nil); return err },
		"BlobGet": func() error { _, err := s.Blobs().Get(done, strings.Repeat("0", 64)); return err },
		"BlobDel": func() error { return s.Blobs().Delete(done, strings.Repeat("0", 64)) },
		"Enqueue": func() error { _, err := q.Enqueue(done, nil, time.Time{}); return err },
		"Receive": func() error { _, err := q.Receive(done, time.Second); return err },
		"Ack":     func() error { return q.Ack(done, "0000000000000001") },
		"Retry":   func() error { return q.Retry(done, "0000000000000001", nil, time.Time{}) },
		"Stats":   func() error { _, err := q.Stats(done); return err },
	} {
		assert.ErrorIs(t, call(), context.Canceled, name)
	}

	t.Run("cancel unblocks Receive", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { _, err := q.Receive(ctx, time.Second); errc <- err }()
		cancel()
		select {
		case err := <-errc:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("Receive did not return after its context was cancelled")
		}
	})

	t.Run("deadline ends Receive", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		_, err := q.Receive(ctx, time.Second)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func testClose(t *testing.T, c *suite) {
	ctx := t.Context()
	s := c.open(t)
	b := OpenBucket(t, s, "kv")
	q := OpenQueue(t, s, "q")
	require.NoError(t, b.Put(ctx, "k", []byte("v")))
	id := Enqueue(t, q, "m", time.Time{})

	errc := make(chan error, 3)
	for range 3 {
		go func() { _, err := q.Receive(ctx, time.Hour); errc <- err }()
	}
	// One of them takes the message; the other two wait until Close.
	require.NoError(t, <-errc)
	require.NoError(t, s.Close())
	for range 2 {
		select {
		case err := <-errc:
			assert.ErrorIs(t, err, store.ErrClosed)
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not end a waiting Receive")
		}
	}
	assert.NoError(t, s.Close(), "a second Close")

	digest := strings.Repeat("0", 64)
	for name, call := range map[string]func() error{
		"Bucket":  func() error { _, err := s.Bucket("kv"); return err },
		"Queue":   func() error { _, err := s.Queue("q"); return err },
		"Get":     func() error { _, err := b.Get(ctx, "k"); return err },
		"Put":     func() error { return b.Put(ctx, "k", nil) },
		"Delete":  func() error { return b.Delete(ctx, "k") },
		"List":    func() error { _, _, err := b.List(ctx, "", "", 1); return err },
		"Update":  func() error { return b.Update(ctx, "k", func([]byte, bool) ([]byte, error) { return nil, nil }) },
		"BlobPut": func() error { _, err := s.Blobs().Put(ctx, nil); return err },
		"BlobGet": func() error { _, err := s.Blobs().Get(ctx, digest); return err },
		"BlobDel": func() error { return s.Blobs().Delete(ctx, digest) },
		"Enqueue": func() error { _, err := q.Enqueue(ctx, nil, time.Time{}); return err },
		"Receive": func() error { _, err := q.Receive(ctx, time.Second); return err },
		"Ack":     func() error { return q.Ack(ctx, id) },
		"Retry":   func() error { return q.Retry(ctx, id, nil, time.Time{}) },
		"Stats":   func() error { _, err := q.Stats(ctx); return err },
	} {
		assert.ErrorIs(t, call(), store.ErrClosed, name)
	}
}
