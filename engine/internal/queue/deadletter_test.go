package queue

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gone is a function that cannot be invoked: every event for it is
// dead-lettered at once.
func gone([]byte, int) (Outcome, error) { return Outcome{}, errNoSuchFn }

func TestDeadLetters(t *testing.T) {
	fns := newFakes(map[string]handler{"gone": gone})
	// One worker: events are dead-lettered in the order they were
	// enqueued, on the wall clock.
	q := start(t, Config{Invoke: fns.Invoke, Workers: 1, Now: time.Now})
	const n = 7
	var ids []string
	before := time.Now()
	for i := range n {
		id, err := q.Enqueue(t.Context(), "gone", fmt.Appendf(nil, `{"i":%d}`, i), EnqueueOptions{})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	st := settled(t, q, func(st Stats) bool { return st.DeadLettered == n })
	assert.Equal(t, n, st.DeadLetters)

	t.Run("pages", func(t *testing.T) {
		var got []DeadLetter
		after := ""
		for _, want := range []struct {
			len  int
			more bool
		}{{3, true}, {3, true}, {1, false}} {
			page, more, err := q.DeadLetters(t.Context(), after, 3)
			require.NoError(t, err)
			require.Len(t, page, want.len)
			assert.Equal(t, want.more, more)
			got = append(got, page...)
			after = page[len(page)-1].Key
		}
		require.Len(t, got, n)
		for i, d := range got {
			assert.Equal(t, ids[i], d.ID, "chronological")
			assert.Equal(t, "gone", d.Function)
			assert.Equal(t, fmt.Sprintf(`{"i":%d}`, i), string(d.Payload))
			assert.Equal(t, ConditionInvocationFailed, d.Condition)
			assert.Zero(t, d.Attempts)
			assert.Equal(t, ErrorInfo{Type: ErrorTypeInvoke, Message: "function not found"}, d.LastError)
			assert.False(t, d.FirstEnqueued.Before(before))
			assert.False(t, d.Time.Before(d.FirstEnqueued))
			if i > 0 {
				assert.Less(t, got[i-1].Key, d.Key)
				assert.False(t, d.Time.Before(got[i-1].Time))
			}
			one, err := q.DeadLetter(t.Context(), d.ID)
			require.NoError(t, err)
			assert.Equal(t, d, one)
		}
	})

	t.Run("bad limit", func(t *testing.T) {
		_, _, err := q.DeadLetters(t.Context(), "", 0)
		assert.ErrorIs(t, err, store.ErrInvalidArgument)
	})

	t.Run("not found", func(t *testing.T) {
		for _, id := range []string{"", "nope", ids[0] + "x"} {
			_, err := q.DeadLetter(t.Context(), id)
			assert.ErrorIs(t, err, ErrNotFound, id)
			assert.ErrorIs(t, q.DeleteDeadLetter(t.Context(), id), ErrNotFound, id)
			_, err = q.Redrive(t.Context(), id)
			assert.ErrorIs(t, err, ErrNotFound, id)
		}
	})

	t.Run("delete", func(t *testing.T) {
		require.NoError(t, q.DeleteDeadLetter(t.Context(), ids[1]))
		_, err := q.DeadLetter(t.Context(), ids[1])
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, q.DeleteDeadLetter(t.Context(), ids[1]), ErrNotFound)
		all := deadLetters(t, q)
		require.Len(t, all, n-1)
		for _, d := range all {
			assert.NotEqual(t, ids[1], d.ID)
		}
		assert.Equal(t, n-1, stats(t, q).DeadLetters)
	})
}

func TestRedrive(t *testing.T) {
	var (
		mu     sync.Mutex
		broken = true
	)
	fns := newFakes(map[string]handler{
		"fn": func(p []byte, n int) (Outcome, error) {
			mu.Lock()
			defer mu.Unlock()
			if broken {
				return fail(p, n)
			}
			return Outcome{Payload: p}, nil
		},
	})
	q := start(t, Config{
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"fn": {MaximumRetryAttempts: NoRetries}}),
	})
	id, err := q.Enqueue(t.Context(), "fn:live", []byte(`{"x":1}`), EnqueueOptions{})
	require.NoError(t, err)
	settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })

	// Redriven while still broken: dead-lettered again, under its new id.
	id2, err := q.Redrive(t.Context(), id)
	require.NoError(t, err)
	assert.Regexp(t, uuidRE, id2)
	assert.NotEqual(t, id, id2)
	_, err = q.DeadLetter(t.Context(), id)
	assert.ErrorIs(t, err, ErrNotFound, "a re-driven dead letter is removed")
	st := settled(t, q, func(st Stats) bool { return st.DeadLettered == 2 })
	assert.Equal(t, 1, st.DeadLetters)
	d, err := q.DeadLetter(t.Context(), id2)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Attempts, "attempts start again")
	assert.Equal(t, "fn:live", d.Function)

	// Fixed: several concurrent redrives run it once.
	mu.Lock()
	broken = false
	mu.Unlock()
	var (
		wg     sync.WaitGroup
		okMu   sync.Mutex
		newIDs []string
	)
	for range 8 {
		wg.Go(func() {
			newID, err := q.Redrive(t.Context(), id2)
			if err != nil {
				assert.ErrorIs(t, err, ErrNotFound)
				return
			}
			okMu.Lock()
			newIDs = append(newIDs, newID)
			okMu.Unlock()
		})
	}
	wg.Wait()
	require.Len(t, newIDs, 1)
	st = settled(t, q, func(st Stats) bool { return st.Succeeded == 1 })
	assert.Zero(t, st.DeadLetters)
	assert.Equal(t, uint64(2), st.Redriven)

	calls := fns.Calls("fn:live")
	require.Len(t, calls, 3)
	for i, want := range []string{id, id2, newIDs[0]} {
		assert.Equal(t, want, calls[i].RequestID)
		assert.Equal(t, `{"x":1}`, string(calls[i].Payload))
	}
}

// TestDeadLetterWrittenOnce: an event dead-lettered again (a redelivery
// after a crash between the write and the ack) is listed once.
func TestDeadLetterWrittenOnce(t *testing.T) {
	clk := newClock(t0)
	q := newQueue(t, Config{Invoke: newFakes(nil).Invoke, Now: clk.Now})
	ev := &event{RequestID: uuid.New(), Target: "fn", Payload: []byte(`1`), Enqueued: t0}
	v := &verdict{Condition: ConditionRetriesExhausted, Time: t0, Attempts: 3, Error: newErrorInfo("E", "first")}
	require.NoError(t, q.putDeadLetter(t.Context(), ev, v))
	clk.Advance(time.Minute)
	v.Error = newErrorInfo("E", "second")
	require.NoError(t, q.putDeadLetter(t.Context(), ev, v))

	all := deadLetters(t, q)
	require.Len(t, all, 1)
	assert.Equal(t, "second", all[0].LastError.Message, "rewritten in place")
	assert.Equal(t, t0.Add(time.Minute), all[0].Time)
	assert.Contains(t, all[0].Key, fmt.Sprintf("%020d", t0.UnixNano()), "keeps its place")
}
