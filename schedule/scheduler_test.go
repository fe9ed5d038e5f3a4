package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateGetUpdateDelete(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil, nil)
	sc := sched("nightly", "cron(0 3 * * ? *)")
	sc.ScheduleExpressionTimezone = "Europe/Berlin"
	sc.Description = "the nightly report"
	sc.Target.Arn = fn("report:live")
	sc.Target.Input = `{"kind":"nightly"}`
	arn, err := h.S.Create(ctx, sc)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly", arn)

	got, err := h.S.Get(ctx, "", "nightly")
	require.NoError(t, err)
	assert.Equal(t, schedule.Schedule{
		Name: "nightly", GroupName: "default", Description: "the nightly report",
		ScheduleExpression: "cron(0 3 * * ? *)", ScheduleExpressionTimezone: "Europe/Berlin",
		State:                 schedule.StateEnabled,
		FlexibleTimeWindow:    schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
		ActionAfterCompletion: schedule.ActionNone,
		Target: schedule.Target{Arn: fn("report:live"), RoleArn: role, Input: `{"kind":"nightly"}`,
			RetryPolicy: &schedule.RetryPolicy{MaximumEventAgeInSeconds: ptr(86400), MaximumRetryAttempts: ptr(185)}},
		Arn: arn, CreationDate: t0, LastModificationDate: t0,
	}, got)

	_, err = h.S.Create(ctx, sc)
	assert.ErrorIs(t, err, schedule.ErrConflict)
	assert.EqualError(t, err, "Schedule nightly already exists.")

	h.Clock.Set(t0.Add(time.Minute))
	sc.State = schedule.StateDisabled
	sc.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: schedule.DeadLetterStoreArn}
	sc.Target.RetryPolicy = &schedule.RetryPolicy{MaximumRetryAttempts: ptr(0)}
	sc.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: 15}
	sc.ActionAfterCompletion = schedule.ActionDelete
	_, err = h.S.Update(ctx, sc)
	require.NoError(t, err)
	got, err = h.S.Get(ctx, "default", "nightly")
	require.NoError(t, err)
	assert.Equal(t, schedule.StateDisabled, got.State)
	assert.Equal(t, schedule.ActionDelete, got.ActionAfterCompletion)
	assert.Equal(t, 15, got.FlexibleTimeWindow.MaximumWindowInMinutes)
	assert.Equal(t, schedule.DeadLetterStoreArn, got.Target.DeadLetterConfig.Arn)
	assert.Equal(t, 0, *got.Target.RetryPolicy.MaximumRetryAttempts)
	assert.Equal(t, 86400, *got.Target.RetryPolicy.MaximumEventAgeInSeconds)
	assert.Equal(t, t0, got.CreationDate)
	assert.Equal(t, t0.Add(time.Minute), got.LastModificationDate)

	require.NoError(t, h.S.Delete(ctx, "", "nightly"))
	_, err = h.S.Get(ctx, "", "nightly")
	assert.ErrorIs(t, err, schedule.ErrNotFound)
	assert.EqualError(t, err, "Schedule nightly does not exist.")
	assert.ErrorIs(t, h.S.Delete(ctx, "", "nightly"), schedule.ErrNotFound)
	_, err = h.S.Update(ctx, sc)
	assert.ErrorIs(t, err, schedule.ErrNotFound)
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil, nil)
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"get a missing schedule", func() error { _, err := h.S.Get(ctx, "", "nope"); return err }, "Schedule nope does not exist."},
		{"get from a missing group", func() error { _, err := h.S.Get(ctx, "nogroup", "x"); return err }, "Schedule group nogroup does not exist."},
		{"create in a missing group", func() error {
			sc := sched("x", "rate(1 hour)")
			sc.GroupName = "nogroup"
			_, err := h.S.Create(ctx, sc)
			return err
		}, "Schedule group nogroup does not exist."},
		{"delete a missing schedule", func() error { return h.S.Delete(ctx, "", "nope") }, "Schedule nope does not exist."},
		{"get a missing group", func() error { _, err := h.S.GetGroup(ctx, "nogroup"); return err }, "Schedule group nogroup does not exist."},
		{"delete a missing group", func() error { return h.S.DeleteGroup(ctx, "nogroup") }, "Schedule group nogroup does not exist."},
		{"list a missing group", func() error {
			_, _, err := h.S.List(ctx, schedule.ListOptions{GroupName: "nogroup"})
			return err
		}, "Schedule group nogroup does not exist."},
		{"tags of a missing group", func() error {
			_, err := h.S.Tags(ctx, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/nogroup")
			return err
		}, "Schedule group nogroup does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			assert.ErrorIs(t, err, schedule.ErrNotFound)
			assert.EqualError(t, err, tt.msg)
		})
	}
}

func TestValidation(t *testing.T) {
	mb := strings.Repeat("x", 1<<20)
	tests := []struct {
		name   string
		change func(*schedule.Schedule)
		field  string
		msg    string // a part of the message
	}{
		{"no name", func(s *schedule.Schedule) { s.Name = "" }, "Name", "Value null at 'Name' failed to satisfy constraint: Member must not be null"},
		{"a name with a space", func(s *schedule.Schedule) { s.Name = "a b" }, "Name", "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$"},
		{"a name of 65 characters", func(s *schedule.Schedule) { s.Name = strings.Repeat("n", 65) }, "Name", "Member must have length less than or equal to 64"},
		{"a 1 MB name", func(s *schedule.Schedule) { s.Name = mb }, "Name", "Member must have length less than or equal to 64"},
		{"a bad group name", func(s *schedule.Schedule) { s.GroupName = "g/h" }, "GroupName", "regular expression"},
		{"a 1 MB description", func(s *schedule.Schedule) { s.Description = mb }, "Description", "less than or equal to 512"},
		{"no expression", func(s *schedule.Schedule) { s.ScheduleExpression = "" }, "ScheduleExpression", "must not be null"},
		{"a 1 MB expression", func(s *schedule.Schedule) { s.ScheduleExpression = "cron(" + mb + ")" }, "ScheduleExpression", "less than or equal to 256"},
		{"a cron with both days", func(s *schedule.Schedule) { s.ScheduleExpression = "cron(0 3 * * * *)" }, "ScheduleExpression", "Invalid Schedule Expression cron(0 3 * * * *): "},
		{"a cron with five fields", func(s *schedule.Schedule) { s.ScheduleExpression = "cron(0 3 * * ?)" }, "ScheduleExpression", "Invalid Schedule Expression"},
		{"a rate of 0", func(s *schedule.Schedule) { s.ScheduleExpression = "rate(0 minutes)" }, "ScheduleExpression", "positive integer"},
		{"an at() that does not exist", func(s *schedule.Schedule) { s.ScheduleExpression = "at(2026-02-30T00:00:00)" }, "ScheduleExpression", "day 30"},
		{"an unknown zone", func(s *schedule.Schedule) { s.ScheduleExpressionTimezone = "Mars/Olympus" }, "ScheduleExpressionTimezone", "unknown time zone"},
		{"a 1 MB zone", func(s *schedule.Schedule) { s.ScheduleExpressionTimezone = mb }, "ScheduleExpressionTimezone", "less than or equal to 50"},
		{"a bad state", func(s *schedule.Schedule) { s.State = "PAUSED" }, "State", "Member must satisfy enum value set: [ENABLED, DISABLED]"},
		{"a bad action", func(s *schedule.Schedule) { s.ActionAfterCompletion = "ARCHIVE" }, "ActionAfterCompletion", "[NONE, DELETE]"},
		{"no window mode", func(s *schedule.Schedule) { s.FlexibleTimeWindow.Mode = "" }, "FlexibleTimeWindow.Mode", "must not be null"},
		{"a bad window mode", func(s *schedule.Schedule) { s.FlexibleTimeWindow.Mode = "SOMETIMES" }, "FlexibleTimeWindow.Mode", "[OFF, FLEXIBLE]"},
		{"flexible without a window", func(s *schedule.Schedule) { s.FlexibleTimeWindow.Mode = schedule.Flexible }, "FlexibleTimeWindow.MaximumWindowInMinutes", "greater than or equal to 1"},
		{"a window of 1441 minutes", func(s *schedule.Schedule) {
			s.FlexibleTimeWindow = schedule.FlexibleTimeWindow{Mode: schedule.Flexible, MaximumWindowInMinutes: 1441}
		}, "FlexibleTimeWindow.MaximumWindowInMinutes", "less than or equal to 1440"},
		{"a window with OFF", func(s *schedule.Schedule) { s.FlexibleTimeWindow.MaximumWindowInMinutes = 5 }, "FlexibleTimeWindow.MaximumWindowInMinutes", "only be set when"},
		{"no target", func(s *schedule.Schedule) { s.Target.Arn = "" }, "Target.Arn", "must not be null"},
		{"an SQS target", func(s *schedule.Schedule) { s.Target.Arn = "arn:aws:sqs:us-east-1:000000000000:q" }, "Target.Arn", "not a Lambda function ARN"},
		{"not an ARN", func(s *schedule.Schedule) { s.Target.Arn = "report" }, "Target.Arn", "not an ARN"},
		{"a bad account", func(s *schedule.Schedule) { s.Target.Arn = "arn:aws:lambda:us-east-1:12:function:f" }, "Target.Arn", "malformed"},
		{"a bad function name", func(s *schedule.Schedule) { s.Target.Arn = fn("a.b") }, "Target.Arn", "function name"},
		{"a bad qualifier", func(s *schedule.Schedule) { s.Target.Arn = fn("f:") }, "Target.Arn", "qualifier"},
		{"a 1 MB target", func(s *schedule.Schedule) { s.Target.Arn = fn(mb) }, "Target.Arn", "less than or equal to 1600"},
		{"no role", func(s *schedule.Schedule) { s.Target.RoleArn = "" }, "Target.RoleArn", "must not be null"},
		{"a bad role", func(s *schedule.Schedule) { s.Target.RoleArn = "arn:aws:iam::000000000000:user/x" }, "Target.RoleArn", "regular expression"},
		{"input that is not JSON", func(s *schedule.Schedule) { s.Target.Input = "{not json" }, "Target.Input", "well-formed JSON"},
		{"input of 8193 characters", func(s *schedule.Schedule) { s.Target.Input = `"` + strings.Repeat("i", 8191) + `"` }, "Target.Input", "less than or equal to 8192"},
		{"a 1 MB input", func(s *schedule.Schedule) { s.Target.Input = mb }, "Target.Input", "less than or equal to 8192"},
		{"186 retries", func(s *schedule.Schedule) {
			s.Target.RetryPolicy = &schedule.RetryPolicy{MaximumRetryAttempts: ptr(186)}
		}, "Target.RetryPolicy.MaximumRetryAttempts",
			"Value '186' at 'Target.RetryPolicy.MaximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"},
		{"-1 retries", func(s *schedule.Schedule) {
			s.Target.RetryPolicy = &schedule.RetryPolicy{MaximumRetryAttempts: ptr(-1)}
		}, "Target.RetryPolicy.MaximumRetryAttempts", "greater than or equal to 0"},
		{"an age of 59 s", func(s *schedule.Schedule) {
			s.Target.RetryPolicy = &schedule.RetryPolicy{MaximumEventAgeInSeconds: ptr(59)}
		}, "Target.RetryPolicy.MaximumEventAgeInSeconds", "greater than or equal to 60"},
		{"an age of 86401 s", func(s *schedule.Schedule) {
			s.Target.RetryPolicy = &schedule.RetryPolicy{MaximumEventAgeInSeconds: ptr(86401)}
		}, "Target.RetryPolicy.MaximumEventAgeInSeconds", "less than or equal to 86400"},
		{"an SQS dead-letter queue", func(s *schedule.Schedule) {
			s.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: "arn:aws:sqs:us-east-1:000000000000:dlq"}
		}, "Target.DeadLetterConfig.Arn", "use a NATS stream ARN"},
		{"a stream ARN with a bad name", func(s *schedule.Schedule) {
			s.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: "arn:aws:nats:us-east-1:000000000000:stream/a.b"}
		}, "Target.DeadLetterConfig.Arn", "use a NATS stream ARN"},
		{"a bad function dead-letter ARN", func(s *schedule.Schedule) {
			s.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: "arn:aws:lambda:us-east-1:000000000000:function:"}
		}, "Target.DeadLetterConfig.Arn", "function name"},
		{"EndDate before StartDate", func(s *schedule.Schedule) { s.StartDate, s.EndDate = t0.Add(2*time.Hour), t0.Add(time.Hour) }, "EndDate", "after the StartDate"},
		{"EndDate in the past", func(s *schedule.Schedule) { s.EndDate = t0.Add(-time.Hour) }, "EndDate", "in the future"},
		{"StartDate in the year 10000", func(s *schedule.Schedule) { s.StartDate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "StartDate", "between the years 1970 and 9999"},
		{"a bad KMS key", func(s *schedule.Schedule) { s.KmsKeyArn = "key" }, "KmsKeyArn", "regular expression"},
		{"a bad client token", func(s *schedule.Schedule) { s.ClientToken = "a b" }, "ClientToken", "regular expression"},
		{"invalid UTF-8", func(s *schedule.Schedule) { s.Description = "\xff" }, "Description", "valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sc := sched("v", "rate(1 hour)")
			tt.change(&sc)
			_, err := h.S.Create(context.Background(), sc)
			require.Error(t, err)
			var se *schedule.Error
			require.True(t, errors.As(err, &se), "%T %v", err, err)
			assert.ErrorIs(t, err, schedule.ErrInvalid)
			assert.Equal(t, tt.field, se.Field)
			assert.Contains(t, se.Message, tt.msg)
			assert.Less(t, len(se.Message), 2000, "the message quotes a clipped value")
		})
	}
}

func TestValidationReportsEveryField(t *testing.T) {
	h := newHarness(t, nil, nil)
	sc := sched("", "")
	sc.Target.RoleArn = ""
	_, err := h.S.Create(context.Background(), sc)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "3 validation errors detected: "), err.Error())
	for _, f := range []string{"'Name'", "'ScheduleExpression'", "'Target.RoleArn'"} {
		assert.Contains(t, err.Error(), f)
	}
}

func TestAcceptedTargets(t *testing.T) {
	tests := []struct {
		name, arn, dlq string
	}{
		{"a function", fn("report"), ""},
		{"a version", fn("report:3"), ""},
		{"an alias", fn("report:live"), ""},
		{"$LATEST", fn("report:$LATEST"), ""},
		{"another partition", "arn:aws-cn:lambda:cn-north-1:123456789012:function:report", ""},
		{"the dead-letter store", fn("report"), schedule.DeadLetterStoreArn},
		{"a function failure destination", fn("report"), fn("failures:live")},
		{"a stream failure destination", fn("report"), "arn:aws:nats:us-east-1:000000000000:stream/failures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sc := sched("ok", "rate(1 hour)")
			sc.Target.Arn = tt.arn
			if tt.dlq != "" {
				sc.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: tt.dlq}
			}
			_, err := h.S.Create(context.Background(), sc)
			require.NoError(t, err)
		})
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil, nil)
	def, err := h.S.GetGroup(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default", def.Arn)
	assert.Equal(t, "ACTIVE", def.State)

	arn, err := h.S.CreateGroup(ctx, "reports", []schedule.Tag{{Key: "team", Value: "data"}})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/reports", arn)
	_, err = h.S.CreateGroup(ctx, "reports", nil)
	assert.ErrorIs(t, err, schedule.ErrConflict)
	_, err = h.S.CreateGroup(ctx, "default", nil)
	assert.ErrorIs(t, err, schedule.ErrConflict)

	require.NoError(t, h.S.Tag(ctx, arn, []schedule.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "ops"}}))
	tags, err := h.S.Tags(ctx, arn)
	require.NoError(t, err)
	assert.Equal(t, []schedule.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "ops"}}, tags)
	require.NoError(t, h.S.Untag(ctx, arn, []string{"env", "absent"}))
	tags, err = h.S.Tags(ctx, arn)
	require.NoError(t, err)
	assert.Equal(t, []schedule.Tag{{Key: "team", Value: "ops"}}, tags)
	_, err = h.S.Tags(ctx, "arn:aws:scheduler:us-east-1:000000000000:schedule/default/x")
	assert.ErrorIs(t, err, schedule.ErrInvalid)
	_, err = h.S.Tags(ctx, "not an arn")
	assert.ErrorIs(t, err, schedule.ErrInvalid)

	groups, next, err := h.S.ListGroups(ctx, schedule.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, next)
	require.Len(t, groups, 2)
	assert.Equal(t, "default", groups[0].Name)
	assert.Equal(t, "reports", groups[1].Name)

	// Deleting a group deletes its schedules, which stop firing.
	for i := range 3 {
		sc := sched(fmt.Sprintf("r%d", i), "cron(0 11 * * ? *)")
		sc.GroupName = "reports"
		_, err := h.S.Create(ctx, sc)
		require.NoError(t, err)
	}
	_, err = h.S.Create(ctx, sched("r0", "cron(0 11 * * ? *)")) // same name, another group
	require.NoError(t, err)
	require.NoError(t, h.S.DeleteGroup(ctx, "reports"))
	_, err = h.S.Get(ctx, "reports", "r0")
	assert.ErrorIs(t, err, schedule.ErrNotFound)
	_, err = h.S.Get(ctx, "default", "r0")
	assert.NoError(t, err)
	h.Clock.Set(t0.Add(time.Hour))
	h.settled(t, schedule.Stats{Fired: 1})

	err = h.S.DeleteGroup(ctx, "default")
	assert.ErrorIs(t, err, schedule.ErrInvalid)
	_, err = h.S.CreateGroup(ctx, "bad/name", nil)
	assert.ErrorIs(t, err, schedule.ErrInvalid)
	_, err = h.S.CreateGroup(ctx, "many", make([]schedule.Tag, 201))
	assert.ErrorIs(t, err, schedule.ErrInvalid)
}

func TestList(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil, nil)
	_, err := h.S.CreateGroup(ctx, "other", nil)
	require.NoError(t, err)
	for i := range 150 {
		sc := sched(fmt.Sprintf("job-%03d", i), "rate(1 hour)")
		if i%3 == 0 {
			sc.State = schedule.StateDisabled
		}
		_, err := h.S.Create(ctx, sc)
		require.NoError(t, err)
	}
	sc := sched("job-x", "rate(1 hour)")
	sc.GroupName = "other"
	_, err = h.S.Create(ctx, sc)
	require.NoError(t, err)

	names := func(o schedule.ListOptions) []string {
		var out []string
		for {
			page, next, err := h.S.List(ctx, o)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), max(o.MaxResults, 1)*100)
			for _, s := range page {
				out = append(out, s.GroupName+"/"+s.Name)
			}
			if next == "" {
				return out
			}
			o.NextToken = next
		}
	}
	tests := []struct {
		name  string
		opts  schedule.ListOptions
		count int
		first string
	}{
		{"all, in pages of 100", schedule.ListOptions{}, 151, "default/job-000"},
		{"all, in pages of 7", schedule.ListOptions{MaxResults: 7}, 151, "default/job-000"},
		{"one group", schedule.ListOptions{GroupName: "other"}, 1, "other/job-x"},
		{"a name prefix across groups", schedule.ListOptions{NamePrefix: "job-1"}, 50, "default/job-100"},
		{"a prefix in a group", schedule.ListOptions{GroupName: "default", NamePrefix: "job-14", MaxResults: 3}, 10, "default/job-140"},
		{"disabled only", schedule.ListOptions{State: schedule.StateDisabled}, 50, "default/job-000"},
		{"enabled only", schedule.ListOptions{State: schedule.StateEnabled}, 101, "default/job-001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(tt.opts)
			assert.Len(t, got, tt.count)
			assert.Equal(t, tt.first, got[0])
		})
	}

	bad := []struct {
		name  string
		opts  schedule.ListOptions
		field string
	}{
		{"MaxResults 101", schedule.ListOptions{MaxResults: 101}, "MaxResults"},
		{"a bad token", schedule.ListOptions{NextToken: "!!"}, "NextToken"},
		{"a bad state", schedule.ListOptions{State: "ON"}, "State"},
		{"a bad prefix", schedule.ListOptions{NamePrefix: "a b"}, "NamePrefix"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := h.S.List(ctx, tt.opts)
			var se *schedule.Error
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, tt.field, se.Field)
		})
	}
}

func TestClosed(t *testing.T) {
	h := newHarness(t, nil, nil)
	require.NoError(t, h.S.Close(context.Background()))
	require.NoError(t, h.S.Close(context.Background()), "twice")
	_, err := h.S.Create(context.Background(), sched("late", "rate(1 hour)"))
	assert.ErrorIs(t, err, schedule.ErrClosed)
}

func TestListBoundsWhatOneCallReads(t *testing.T) {
	// A filter that matches one schedule among more than one call reads:
	// short pages with a token, until the match.
	ctx := context.Background()
	h := newHarness(t, nil, nil)
	const n = 10050
	for i := range n {
		sc := sched(fmt.Sprintf("a%05d", i), "rate(1 hour)")
		sc.State = schedule.StateDisabled
		_, err := h.S.Create(ctx, sc)
		require.NoError(t, err)
	}
	_, err := h.S.Create(ctx, sched("z", "rate(1 hour)"))
	require.NoError(t, err)
	page, next, err := h.S.List(ctx, schedule.ListOptions{State: schedule.StateEnabled})
	require.NoError(t, err)
	assert.Empty(t, page)
	require.NotEmpty(t, next)
	page, next, err = h.S.List(ctx, schedule.ListOptions{State: schedule.StateEnabled, NextToken: next})
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, "z", page[0].Name)
	assert.Empty(t, next)
}
