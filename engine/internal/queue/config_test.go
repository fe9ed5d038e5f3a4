package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   EventConfig
		field string // "" when valid
	}{
		{"zero", EventConfig{}, ""},
		{"no retries", EventConfig{MaximumRetryAttempts: NoRetries}, ""},
		{"any negative is none", EventConfig{MaximumRetryAttempts: -5}, ""},
		{"max retries", EventConfig{MaximumRetryAttempts: 2}, ""},
		{"three retries", EventConfig{MaximumRetryAttempts: 3}, "MaximumRetryAttempts"},
		{"min age", EventConfig{MaximumEventAge: time.Minute}, ""},
		{"max age", EventConfig{MaximumEventAge: 6 * time.Hour}, ""},
		{"age too short", EventConfig{MaximumEventAge: 59 * time.Second}, "MaximumEventAge"},
		{"age negative", EventConfig{MaximumEventAge: -time.Minute}, "MaximumEventAge"},
		{"age too long", EventConfig{MaximumEventAge: 6*time.Hour + time.Second}, "MaximumEventAge"},
		{"destinations", EventConfig{OnSuccess: ToFunction("ok:live"), OnFailure: ToFunction("errors")}, ""},
		{"dead letters on failure", EventConfig{OnFailure: ToDeadLetters()}, ""},
		{"dead letters on success", EventConfig{OnSuccess: ToDeadLetters()}, "OnSuccess.Kind"},
		{"no kind", EventConfig{OnFailure: &Destination{Function: "x"}}, "OnFailure.Kind"},
		{"unknown kind", EventConfig{OnFailure: &Destination{Kind: 9}}, "OnFailure.Kind"},
		{"no function", EventConfig{OnSuccess: ToFunction("")}, "OnSuccess.Function"},
		{"bad function", EventConfig{OnFailure: ToFunction("a:b:c")}, "OnFailure.Function"},
		{"function for dead letters", EventConfig{OnFailure: &Destination{Kind: DestinationDeadLetters, Function: "x"}}, "OnFailure.Function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidEventConfig)
			var e *EventConfigError
			require.True(t, errors.As(err, &e))
			assert.Equal(t, tc.field, e.Field)
			assert.Contains(t, err.Error(), tc.field)
			assert.NotEmpty(t, e.Allowed)
		})
	}
}

func TestEventConfigResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  EventConfig
		want eventConfig
	}{
		{"zero", EventConfig{}, eventConfig{retries: 2, maxAge: 6 * time.Hour, onFailure: ToDeadLetters()}},
		{"no retries", EventConfig{MaximumRetryAttempts: NoRetries, MaximumEventAge: time.Hour},
			eventConfig{retries: 0, maxAge: time.Hour, onFailure: ToDeadLetters()}},
		{"destinations", EventConfig{MaximumRetryAttempts: 1, OnSuccess: ToFunction("a"), OnFailure: ToFunction("b")},
			eventConfig{retries: 1, maxAge: 6 * time.Hour, onSuccess: ToFunction("a"), onFailure: ToFunction("b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.cfg.resolve())
		})
	}
}

// TestInvalidEventConfigUsesDefault: a configuration that does not
// validate is replaced by the default, so failures still reach the
// dead-letter store.
func TestInvalidEventConfigUsesDefault(t *testing.T) {
	fns := newFakes(map[string]handler{"fn": fail})
	q := start(t, Config{
		Invoke:      fns.Invoke,
		EventConfig: configs(map[string]EventConfig{"fn": {MaximumRetryAttempts: 5, OnFailure: ToFunction("never")}}),
	})
	_, err := q.Enqueue(t.Context(), "fn", nil, EnqueueOptions{})
	require.NoError(t, err)
	settled(t, q, func(st Stats) bool { return st.DeadLettered == 1 })
	assert.Len(t, fns.Calls("fn"), 1+DefaultRetryAttempts)
	assert.Empty(t, fns.Calls("never"))
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		base, limit time.Duration
		n           int
		want        time.Duration
	}{
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 2, 2 * time.Second},
		{time.Second, time.Minute, 6, 32 * time.Second},
		{time.Second, time.Minute, 7, time.Minute},
		{time.Second, time.Minute, 1000, time.Minute},
		{time.Hour, 1<<63 - 1, 200, 1<<63 - 1},
	} {
		assert.Equal(t, tc.want, backoff(tc.base, tc.limit, tc.n), "%v doubled %d times, at most %v", tc.base, tc.n-1, tc.limit)
	}
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "short", truncate("short", 100))
	long := truncate(string(make([]byte, 1000)), 100)
	assert.Len(t, long, 100)
	assert.Contains(t, long, "(truncated)")
	// Not cut inside a multi-byte character.
	s := truncate("ééééééééééééééééééééééé", 20)
	assert.LessOrEqual(t, len(s), 20)
	assert.Equal(t, "éé"+"... (truncated)", s)
}
