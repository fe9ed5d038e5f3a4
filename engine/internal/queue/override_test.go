package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOverride checks that an event's own override of its function's
// configuration decides its retries and its failure destination, within
// the wider bounds an override allows.
func TestOverride(t *testing.T) {
	fns := newFakes(map[string]handler{"flaky": fail})
	q := start(t, Config{
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"flaky": {MaximumRetryAttempts: 1}}),
	})
	five := 5
	id, err := q.Enqueue(t.Context(), "flaky", []byte(`"x"`), EnqueueOptions{
		RequestID: "fire-1",
		Override:  &Override{MaximumRetryAttempts: &five, OnFailure: ToFunction("sink")},
	})
	require.NoError(t, err)
	assert.Equal(t, "fire-1", id, "the caller's request id")
	settled(t, q, func(st Stats) bool { return st.Failed == 1 && len(fns.Calls("sink")) == 1 })
	assert.Len(t, fns.Calls("flaky"), 6, "five retries, over the function's one")
	for _, c := range fns.Calls("flaky") {
		assert.Equal(t, "fire-1", c.RequestID)
	}
	assert.Empty(t, deadLetters(t, q), "the record went to the override's destination")

	t.Run("out of bounds", func(t *testing.T) {
		for _, o := range []*Override{
			{MaximumRetryAttempts: new(-1)},
			{MaximumRetryAttempts: new(MaxOverrideRetryAttempts + 1)},
			{MaximumEventAge: time.Second},
			{MaximumEventAge: MaxOverrideEventAge + time.Second},
			{OnFailure: &Destination{Kind: DestinationExternal}},
			{OnFailure: &Destination{Kind: DestinationKind(42)}},
		} {
			_, err := q.Enqueue(t.Context(), "flaky", nil, EnqueueOptions{Override: o})
			assert.ErrorIs(t, err, ErrInvalidEventConfig, "%+v", o)
		}
	})
}

// external is a fake external destination: records by destination name,
// and an error to return on demand.
type external struct {
	mu      sync.Mutex
	records map[string][][]byte
	fail    error
}

func (x *external) Deliver(_ context.Context, name string, record []byte) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fail != nil {
		return x.fail
	}
	if x.records == nil {
		x.records = map[string][][]byte{}
	}
	x.records[name] = append(x.records[name], record)
	return nil
}

func (x *external) Records(name string) [][]byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.records[name]
}

func (x *external) Fail(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fail = err
}

// TestExternalDestination checks that records for an external destination
// are handed to Deliver, that a failed delivery is tried again without
// invoking again, and that without Deliver a failure record is not lost.
func TestExternalDestination(t *testing.T) {
	t.Run("delivered", func(t *testing.T) {
		fns := newFakes(map[string]handler{"bad": fail})
		x := &external{}
		x.Fail(errors.New("the stream is not there yet"))
		q := start(t, Config{
			Invoke: fns.Invoke, Deliver: x.Deliver,
			EventConfig: configs(map[string]EventConfig{
				"good": {OnSuccess: ToExternal("stream:ok")},
				"bad":  {MaximumRetryAttempts: NoRetries, OnFailure: ToExternal("stream:failed")},
			}),
		})
		_, err := q.Enqueue(t.Context(), "bad", []byte(`1`), EnqueueOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return stats(t, q).DestinationErrors >= 2 }, 10*time.Second, time.Millisecond,
			"the delivery fails, and is tried again")
		x.Fail(nil)
		_, err = q.Enqueue(t.Context(), "good", []byte(`2`), EnqueueOptions{})
		require.NoError(t, err)
		st := settled(t, q, func(st Stats) bool { return len(x.Records("stream:failed")) == 1 && len(x.Records("stream:ok")) == 1 })
		assert.Len(t, fns.Calls("bad"), 1, "a failed delivery is retried without invoking again")
		assert.Zero(t, st.DeadLetters)
		assert.Contains(t, string(x.Records("stream:failed")[0]), `"condition":"RetriesExhausted"`)
		assert.Contains(t, string(x.Records("stream:ok")[0]), `"condition":"Success"`)
	})
	t.Run("nothing delivers", func(t *testing.T) {
		fns := newFakes(map[string]handler{"bad": fail})
		q := start(t, Config{Invoke: fns.Invoke,
			EventConfig: configs(map[string]EventConfig{"bad": {MaximumRetryAttempts: NoRetries, OnFailure: ToExternal("stream:x")}})})
		id, err := q.Enqueue(t.Context(), "bad", nil, EnqueueOptions{})
		require.NoError(t, err)
		settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
		_, err = q.DeadLetter(t.Context(), id)
		assert.NoError(t, err, "the failure record is kept in the dead-letter store")
	})
}
