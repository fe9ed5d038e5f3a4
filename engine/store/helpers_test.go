package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The conformance suite is package storetest, which imports this package:
// these tests of internals cannot use its helpers, so the few they need
// are repeated here.

// newDurable is a durable Store in a fresh directory, closed when the test
// ends.
func newDurable(t *testing.T) Store {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// bucket is a test's bucket called name in s.
func bucket(t *testing.T, s Store, name string) Bucket {
	t.Helper()
	b, err := s.Bucket(name)
	require.NoError(t, err)
	return b
}

// queueOf is a test's queue called name in s.
func queueOf(t *testing.T, s Store, name string) Queue {
	t.Helper()
	q, err := s.Queue(name)
	require.NoError(t, err)
	return q
}

// receive receives one message, failing the test after a generous bound.
func receive(t *testing.T, q Queue, lease time.Duration) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := q.Receive(ctx, lease)
	require.NoError(t, err)
	return m
}

// enqueue enqueues body, due at due.
func enqueue(t *testing.T, q Queue, body string, due time.Time) string {
	t.Helper()
	id, err := q.Enqueue(t.Context(), []byte(body), due)
	require.NoError(t, err)
	return id
}

// assertEmpty asserts that nothing is delivered from q within a short
// while.
func assertEmpty(t *testing.T, q Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	m, err := q.Receive(ctx, time.Minute)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "got message %q", m.Body)
}

// hostileDigests returns digests that Blobs must refuse before touching
// storage (storetest.HostileDigests has the same).
func hostileDigests() []string {
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
