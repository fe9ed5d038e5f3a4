package schedule_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/schedule"
)

// A Scheduler over the engine's store invokes the engine's functions.
func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{Store: st})
	if err != nil {
		panic(err)
	}
	defer eng.Close(ctx)
	s, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	if err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	arn, err := s.Create(ctx, schedule.Schedule{
		Name:                       "nightly",
		ScheduleExpression:         "cron(0 3 * * ? *)",
		ScheduleExpressionTimezone: "Europe/Berlin",
		FlexibleTimeWindow:         schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
		Target: schedule.Target{
			Arn:     "arn:aws:lambda:us-east-1:000000000000:function:report",
			RoleArn: "arn:aws:iam::000000000000:role/scheduler",
			Input:   `{"report":"nightly","at":"<aws.scheduler.scheduled-time>"}`,
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(arn)
	sc, err := s.Get(ctx, "", "nightly")
	if err != nil {
		panic(err)
	}
	fmt.Println(sc.State, sc.ActionAfterCompletion, *sc.Target.RetryPolicy.MaximumRetryAttempts)
	// Output:
	// arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly
	// ENABLED NONE 185
}

// An invalid request is an *Error that names the field at fault.
func ExampleError() {
	ctx := context.Background()
	st := store.NewMemory()
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{Store: st})
	if err != nil {
		panic(err)
	}
	defer eng.Close(ctx)
	s, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	if err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	_, err = s.Create(ctx, schedule.Schedule{
		Name:               "nightly",
		ScheduleExpression: "cron(0 3 * * * *)",
		FlexibleTimeWindow: schedule.FlexibleTimeWindow{Mode: schedule.FlexibleOff},
		Target: schedule.Target{
			Arn:     "arn:aws:lambda:us-east-1:000000000000:function:report",
			RoleArn: "arn:aws:iam::000000000000:role/scheduler",
		},
	})
	var se *schedule.Error
	if errors.As(err, &se) {
		fmt.Println(errors.Is(err, schedule.ErrInvalid), se.Field)
	}
	// Output: true ScheduleExpression
}
