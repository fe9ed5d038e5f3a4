package expression_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/flintfaas/flint/schedule/expression"
)

func ExampleParse() {
	// 02:30 every day in New York: on 8 March 2026 the clocks jump from
	// 02:00 to 03:00, so that day has no 02:30 and the schedule skips it.
	s, err := expression.Parse("cron(30 2 * * ? *)", "America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	for range 3 {
		t, _ = s.Next(t, expression.Bounds{})
		fmt.Println(t)
	}
	// Output:
	// 2026-03-07 02:30:00 -0500 EST
	// 2026-03-09 02:30:00 -0400 EDT
	// 2026-03-10 02:30:00 -0400 EDT
}

func ExampleSchedule_Next_rate() {
	s, err := expression.Parse("rate(90 minutes)", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	created := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	b := expression.Bounds{Anchor: created, End: created.Add(3 * time.Hour)}
	for t, ok := s.Next(created, b); ok; t, ok = s.Next(t, b) {
		fmt.Println(t.Format(time.Kitchen))
	}
	// Output:
	// 10:30AM
	// 12:00PM
}

func ExampleError() {
	_, err := expression.Parse("cron(0 12 * * MON *)", "UTC")
	var e *expression.Error
	if errors.As(err, &e) {
		fmt.Println(e.Field)
		fmt.Println(e.Message)
	}
	// Output:
	// ScheduleExpression
	// invalid cron expression: day-of-month and day-of-week cannot both be specified; use ? in one of them
}
