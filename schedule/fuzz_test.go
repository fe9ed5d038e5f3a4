package schedule_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/require"
)

// FuzzCreate sends Create whatever a request could carry: it must take a
// schedule, or refuse it with an *Error that names a field, never panic;
// and what it took it must give back and delete.
func FuzzCreate(f *testing.F) {
	h := newHarness(f, nil, nil)
	f.Fuzz(func(t *testing.T, name, group, expr, zone, input, target, dlq string, retries, age, window int, startSec, endSec int64) {
		ctx := context.Background()
		sc := schedule.Schedule{
			Name: name, GroupName: group, ScheduleExpression: expr, ScheduleExpressionTimezone: zone,
			FlexibleTimeWindow: schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
			Target: schedule.Target{Arn: target, RoleArn: role, Input: input,
				RetryPolicy: &schedule.RetryPolicy{MaximumRetryAttempts: &retries, MaximumEventAgeInSeconds: &age}},
		}
		if window != 0 {
			sc.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: window}
		}
		if dlq != "" {
			sc.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: dlq}
		}
		if startSec != 0 {
			sc.StartDate = time.Unix(startSec, 0)
		}
		if endSec != 0 {
			sc.EndDate = time.Unix(endSec, 0)
		}
		_, err := h.S.Create(ctx, sc)
		if err != nil {
			var se *schedule.Error
			require.True(t, errors.As(err, &se), "%T %v", err, err)
			require.True(t, errors.Is(err, schedule.ErrInvalid) || errors.Is(err, schedule.ErrNotFound) || errors.Is(err, schedule.ErrConflict), "%v", err)
			require.Less(t, len(se.Message), 4000)
			return
		}
		got, err := h.S.Get(ctx, group, name)
		require.NoError(t, err)
		require.Equal(t, expr, got.ScheduleExpression)
		require.Equal(t, input, got.Target.Input)
		require.NoError(t, h.S.Delete(ctx, group, name))
	})
}
