package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/storetest"
)

// openMemory opens a memory Store, closed when the test ends.
func openMemory(t *testing.T) store.Store {
	s := store.NewMemory()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openDurable opens a durable Store in a fresh directory, closed when the
// test ends.
func openDurable(t *testing.T) store.Store {
	s, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The memory and bbolt Stores pass the whole suite, with no exception.
func TestMemory(t *testing.T)  { storetest.Run(t, openMemory) }
func TestDurable(t *testing.T) { storetest.Run(t, openDurable) }

// TestDurableChurn checks that what reaches the disk when Receive, Retry
// and Ack of one message race each other is what the Store had in memory.
func TestDurableChurn(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	storetest.Churn(t, storetest.OpenQueue(t, s, "churn"))
	require.NoError(t, s.Close())

	s, err = store.Open(dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	st, err := storetest.OpenQueue(t, s, "churn").Stats(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Depth, "a message acked in memory came back from disk")
}
