// Package expression parses Amazon EventBridge Scheduler schedule
// expressions and computes when a schedule fires.
//
// Parse takes a ScheduleExpression and a ScheduleExpressionTimezone, as
// CreateSchedule receives them, and returns a Schedule or an *Error that
// names the field at fault. Schedule.Next gives the first fire time after a
// moment, within the schedule's StartDate and EndDate (Bounds). A Schedule
// never changes after Parse and is safe for concurrent use.
//
// # Grammar
//
// An expression is at most 256 characters of printable ASCII, one of:
//
//	at(yyyy-mm-ddThh:mm:ss)       one time, e.g. at(2026-03-01T09:30:00)
//	rate(value unit)              value a positive integer; unit one of
//	                              minute minutes hour hours day days
//	cron(min hour dom month dow year)
//
// The keywords at, rate and cron and the rate units are lower case, the T
// of at is upper case, and nothing may stand outside the parentheses.
// Inside rate and cron the parts are separated by one or more spaces or
// tabs, and blanks just inside the parentheses are ignored; at takes no
// blanks. A singular or a plural unit goes with any value: the Scheduler
// API reference lists all six units and Scheduler takes rate(1 hours),
// unlike EventBridge rules, which want the singular exactly for 1.
//
// The six cron fields are wall-clock values in the schedule's time zone:
//
//	field          values              wildcards
//	minutes        0-59                , - * /
//	hours          0-23                , - * /
//	day-of-month   1-31                , - * / ? L W
//	month          1-12 or JAN-DEC     , - * /
//	day-of-week    1-7 or SUN-SAT      , - * ? L #
//	year           1970-2199           , - * /
//
// A field is a comma-separated list of items; an item is *, a value, a
// range a-b, or any of those followed by /step (a/step runs from a to the
// field's maximum). Names are three letters in any case, and are accepted
// wherever a value is (JAN-MAR, MON-FRI, FRI-MON). A range whose end is
// below its start wraps around (22-2 in hours is 22, 23, 0, 1, 2), except
// in the year field, where it is an error. Steps are at most 59, 23, 31 and
// 12 in the minutes, hours, day-of-month and month fields and at most 229
// in the year field; as AWS documents, day-of-week takes no steps.
//
// Exactly one of day-of-month and day-of-week must be ?; a * counts as
// specified. The special forms stand alone in their field:
//
//	L     in day-of-month: the last day of the month
//	LW    in day-of-month: the last weekday (Monday to Friday) of the month
//	15W   in day-of-month: the weekday nearest the 15th, within the month
//	      (1W on a Saturday is Monday the 3rd; 31W on a Sunday is Friday
//	      the 29th; nW never fires in a month that has no day n)
//	L     in day-of-week: the last day of the week, Saturday (7)
//	5L    in day-of-week: the last Thursday of the month (also THUL)
//	3#2   in day-of-week: the second Tuesday of the month (also TUE#2);
//	      the count is 1-5 and #5 skips months without a fifth one
//
// Quartz's L-3 (third-to-last day) is not accepted; AWS does not document
// it.
//
// # Semantics
//
// Time zones. The zone is an IANA name of at most 50 characters, UTC when
// empty; "Local" is refused, since it would depend on the machine. cron
// fields and the at() time are wall-clock times in that zone. AWS documents
// that, for EventBridge Scheduler, when clocks spring forward a cron time
// that does not exist that day is skipped, and that when they fall back a cron time
// that happens twice fires once: Next skips such a time, and fires a
// repeated one at its first (earlier) instant only, so cron(0/15 * * * ? *)
// has an hour-long pause in the repeated hour. An at() time in a
// spring-forward gap fires at the instant the skipped wall time names with
// the offset in force before the change (02:30 becomes 03:30 in
// America/New_York), so a one-time schedule is never silently lost; a
// repeated one fires at its first instant.
//
// Rates are fixed durations: a day is 24 hours whatever the clocks do, as
// EventBridge Scheduler documents, so rate schedules ignore the time zone.
// A rate fires at its anchor and every interval after: the anchor is
// Bounds.Start (StartDate) when set, else Bounds.Anchor (the caller passes
// the creation time, since a schedule without a StartDate starts at once),
// else the Unix epoch. The interval is at most 100 years (36500 days), a
// Flint limit that keeps it a time.Duration.
//
// Bounds. cron and rate schedules fire only at times t with Start <= t <=
// End (either may be zero, meaning no bound). As EventBridge Scheduler
// documents, StartDate and EndDate are ignored for one-time schedules: an
// at() schedule fires once at its time, whatever the bounds. cron fire
// times are whole minutes; rate and at fire times keep the anchor's and
// the at() time's seconds.
//
// Next never loops over minutes: it walks the fields' bit sets year by
// year, month by month, day by day, so any expression, even one that never
// fires again (cron(0 0 30 2 ? *)), answers in microseconds.
//
// Time zone data comes from time.LoadLocation; a binary that may run where
// the system has no zoneinfo should import time/tzdata.
package expression
