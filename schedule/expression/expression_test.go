package expression_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need the same zones on every machine

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flintfaas/flint/schedule/expression"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestNext(t *testing.T) {
	tests := []struct {
		name     string
		expr, tz string
		after    string
		bounds   func(t testing.TB) expression.Bounds
		want     []string // consecutive fire times, in the schedule's zone
		thenNone bool     // and after the last of them, no more
	}{
		// Steps, ranges and lists.
		{name: "step from zero", expr: "cron(0/15 * * * ? *)", after: "2026-01-01T00:07:00Z",
			want: []string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
		{name: "step on a range", expr: "cron(5-55/10 * * * ? *)", after: "2026-01-01T00:50:00Z",
			want: []string{"2026-01-01T00:55:00Z", "2026-01-01T01:05:00Z", "2026-01-01T01:15:00Z"}},
		{name: "step on star in hours", expr: "cron(0 */2 * * ? *)", after: "2026-01-01T23:00:00Z",
			want: []string{"2026-01-02T00:00:00Z", "2026-01-02T02:00:00Z", "2026-01-02T04:00:00Z"}},
		{name: "step from a single value", expr: "cron(10 1/12 * * ? *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-01T01:10:00Z", "2026-01-01T13:10:00Z", "2026-01-02T01:10:00Z"}},
		{name: "list of ranges and steps", expr: "cron(0 1-3/2,20,22-23 * * ? *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-01T01:00:00Z", "2026-01-01T03:00:00Z", "2026-01-01T20:00:00Z",
				"2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"}},
		{name: "range wraps around midnight", expr: "cron(0 22-1 * * ? *)", after: "2026-01-01T12:00:00Z",
			want: []string{"2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T00:00:00Z",
				"2026-01-02T01:00:00Z", "2026-01-02T22:00:00Z"}},
		{name: "every minute, seconds dropped", expr: "cron(* * * * ? *)", after: "2026-01-01T00:00:59.999Z",
			want: []string{"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
		{name: "a fire time equal to after is not after it", expr: "cron(0 12 * * ? *)", after: "2026-01-01T12:00:00Z",
			want: []string{"2026-01-02T12:00:00Z"}},

		// Names, in any case.
		{name: "month and day names", expr: "cron(0 9 ? JAN,JUL MON-FRI *)", after: "2026-01-29T12:00:00Z",
			want: []string{"2026-01-30T09:00:00Z", "2026-07-01T09:00:00Z", "2026-07-02T09:00:00Z", "2026-07-03T09:00:00Z", "2026-07-06T09:00:00Z"}},
		{name: "names in mixed case", expr: "cron(0 9 ? jan,Jul mOn-fri *)", after: "2026-01-29T12:00:00Z",
			want: []string{"2026-01-30T09:00:00Z", "2026-07-01T09:00:00Z"}},
		{name: "day range wraps over the week end", expr: "cron(0 9 ? * FRI-MON *)", after: "2026-01-01T12:00:00Z",
			want: []string{"2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z", "2026-01-05T09:00:00Z", "2026-01-09T09:00:00Z"}},
		{name: "month step with a name", expr: "cron(0 0 1 FEB/3 ? *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-02-01T00:00:00Z", "2026-05-01T00:00:00Z", "2026-08-01T00:00:00Z", "2026-11-01T00:00:00Z", "2027-02-01T00:00:00Z"}},

		// L, W, LW, nL, #.
		{name: "L: last day of the month, leap February", expr: "cron(0 10 L * ? *)", after: "2024-01-31T10:00:00Z",
			want: []string{"2024-02-29T10:00:00Z", "2024-03-31T10:00:00Z", "2024-04-30T10:00:00Z"}},
		{name: "LW: last weekday of the month", expr: "cron(0 10 LW * ? *)", after: "2024-03-01T00:00:00Z",
			// 31 March 2024 is a Sunday, 30 June a Sunday.
			want: []string{"2024-03-29T10:00:00Z", "2024-04-30T10:00:00Z", "2024-05-31T10:00:00Z", "2024-06-28T10:00:00Z"}},
		{name: "1W on a Saturday the 1st moves to Monday the 3rd", expr: "cron(0 9 1W * ? *)", after: "2025-01-15T00:00:00Z",
			want: []string{"2025-02-03T09:00:00Z", "2025-03-03T09:00:00Z", "2025-04-01T09:00:00Z"}},
		{name: "31W on a Sunday moves back to Friday, skips short months", expr: "cron(0 9 31W * ? *)", after: "2025-07-01T00:00:00Z",
			want: []string{"2025-07-31T09:00:00Z", "2025-08-29T09:00:00Z", "2025-10-31T09:00:00Z", "2025-12-31T09:00:00Z"}},
		{name: "15W", expr: "cron(0 9 15W * ? *)", after: "2026-02-01T00:00:00Z",
			// 15 February 2026 is a Sunday, and so is 15 March.
			want: []string{"2026-02-16T09:00:00Z", "2026-03-16T09:00:00Z", "2026-04-15T09:00:00Z"}},
		{name: "L in day-of-week is Saturday", expr: "cron(0 0 ? * L *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-03T00:00:00Z", "2026-01-10T00:00:00Z", "2026-01-17T00:00:00Z"}},
		{name: "5L: last Thursday", expr: "cron(30 8 ? * 5L *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-29T08:30:00Z", "2026-02-26T08:30:00Z", "2026-03-26T08:30:00Z"}},
		{name: "THUL: last Thursday by name", expr: "cron(30 8 ? * thuL *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-29T08:30:00Z", "2026-02-26T08:30:00Z"}},
		{name: "3#2: second Tuesday", expr: "cron(0 12 ? * 3#2 *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-13T12:00:00Z", "2026-02-10T12:00:00Z", "2026-03-10T12:00:00Z"}},
		{name: "FRI#5 skips months without a fifth Friday", expr: "cron(0 12 ? * FRI#5 *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-30T12:00:00Z", "2026-05-29T12:00:00Z", "2026-07-31T12:00:00Z", "2026-10-30T12:00:00Z"}},
		{name: "31st skips short months", expr: "cron(0 0 31 * ? *)", after: "2026-01-31T00:00:00Z",
			want: []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"}},

		// Years.
		{name: "29 February only in leap years", expr: "cron(0 0 29 2 ? *)", after: "2025-01-01T00:00:00Z",
			want: []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"}},
		{name: "29 February 2196, then never", expr: "cron(0 0 29 2 ? 2196)", after: "2026-01-01T00:00:00Z",
			want: []string{"2196-02-29T00:00:00Z"}, thenNone: true},
		{name: "2100 is not a leap year", expr: "cron(0 0 29 2 ? 2097-2104)", after: "2026-01-01T00:00:00Z",
			want: []string{"2104-02-29T00:00:00Z"}, thenNone: true},
		{name: "year list and step", expr: "cron(0 0 1 1 ? 2030/50,2031)", after: "2026-01-01T00:00:00Z",
			want:     []string{"2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z", "2080-01-01T00:00:00Z", "2130-01-01T00:00:00Z", "2180-01-01T00:00:00Z"},
			thenNone: true},
		{name: "last minute of 2199, then never", expr: "cron(59 23 31 12 ? *)", after: "2199-12-31T23:58:00Z",
			want: []string{"2199-12-31T23:59:00Z"}, thenNone: true},
		{name: "after before 1970 starts in 1970", expr: "cron(0 0 1 1 ? *)", after: "1900-06-01T00:00:00Z",
			want: []string{"1970-01-01T00:00:00Z", "1971-01-01T00:00:00Z"}},
		{name: "a day that never comes", expr: "cron(0 0 30 2 ? *)", after: "2026-01-01T00:00:00Z", thenNone: true},
		{name: "years over", expr: "cron(0 0 * * ? 1970-2025)", after: "2026-01-01T00:00:00Z", thenNone: true},

		// Time zones: wall clock, and DST both ways.
		{name: "wall clock in the zone", expr: "cron(0 9 * * ? *)", tz: "Asia/Kolkata", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"}},
		{name: "New York spring forward skips 02:30", expr: "cron(30 2 * * ? *)", tz: "America/New_York",
			after: "2026-03-07T00:00:00-05:00",
			want:  []string{"2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}},
		{name: "New York spring forward, hourly", expr: "cron(0 * * * ? *)", tz: "America/New_York",
			after: "2026-03-08T00:30:00-05:00",
			want:  []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},
		{name: "New York fall back fires 01:30 once", expr: "cron(30 1 * * ? *)", tz: "America/New_York",
			after: "2026-10-31T12:00:00-04:00",
			want:  []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{name: "New York fall back, half-hourly pauses in the repeated hour", expr: "cron(0/30 * * * ? *)", tz: "America/New_York",
			after: "2026-11-01T00:45:00-04:00",
			want: []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
				"2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"}},
		{name: "New York fall back, after inside the repeated hour", expr: "cron(0/30 * * * ? *)", tz: "America/New_York",
			after: "2026-11-01T01:10:00-05:00",
			want:  []string{"2026-11-01T02:00:00-05:00"}},
		{name: "Berlin spring forward skips 02:30", expr: "cron(30 2 * * ? *)", tz: "Europe/Berlin",
			after: "2026-03-28T12:00:00+01:00",
			want:  []string{"2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"}},
		{name: "Berlin fall back fires 02:30 once", expr: "cron(30 2 * * ? *)", tz: "Europe/Berlin",
			after: "2026-10-24T12:00:00+02:00",
			want:  []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{name: "Berlin fall back, every 20 minutes", expr: "cron(0/20 * * * ? *)", tz: "Europe/Berlin",
			after: "2026-10-25T02:30:00+02:00",
			want:  []string{"2026-10-25T02:40:00+02:00", "2026-10-25T03:00:00+01:00"}},
		{name: "Berlin last Sunday of March at 02:00 never exists", expr: "cron(0 2 ? 3 1L *)", tz: "Europe/Berlin",
			after: "2026-01-01T00:00:00+01:00", thenNone: true},

		// Bounds.
		{name: "cron within start and end, inclusive", expr: "cron(0 * * * ? *)", after: "2026-01-01T00:00:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2026-01-01T05:00:00Z"), End: mustTime(t, "2026-01-01T07:00:00Z")}
			},
			want: []string{"2026-01-01T05:00:00Z", "2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z"}, thenNone: true},
		{name: "cron start between fire times", expr: "cron(0 * * * ? *)", after: "2026-01-01T00:00:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2026-01-01T05:00:01Z")}
			},
			want: []string{"2026-01-01T06:00:00Z"}},

		// Rates.
		{name: "rate from the start date", expr: "rate(5 minutes)", after: "2026-01-01T00:07:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2026-01-01T00:00:02Z")}
			},
			want: []string{"2026-01-01T00:10:02Z", "2026-01-01T00:15:02Z", "2026-01-01T00:20:02Z"}},
		{name: "rate fires at the start date first", expr: "rate(1 hour)", after: "2025-12-01T00:00:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2026-01-01T00:30:00Z"), Anchor: mustTime(t, "2025-01-01T00:00:00Z")}
			},
			want: []string{"2026-01-01T00:30:00Z", "2026-01-01T01:30:00Z"}},
		{name: "rate from the anchor, until the end date", expr: "rate(2 hours)", after: "2026-01-01T00:00:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Anchor: mustTime(t, "2026-01-01T01:00:00Z"), End: mustTime(t, "2026-01-01T05:00:00Z")}
			},
			want: []string{"2026-01-01T01:00:00Z", "2026-01-01T03:00:00Z", "2026-01-01T05:00:00Z"}, thenNone: true},
		{name: "rate on the epoch grid without start or anchor", expr: "rate(15 minutes)", after: "2026-01-01T00:07:00Z",
			want: []string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"}},
		{name: "rate days are 24 hours across DST", expr: "rate(1 day)", tz: "America/New_York", after: "2026-03-07T12:00:00-05:00",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2026-03-06T12:00:00-05:00")}
			},
			want: []string{"2026-03-08T13:00:00-04:00", "2026-03-09T13:00:00-04:00"}},

		// One-time schedules.
		{name: "at in the zone", expr: "at(2026-03-01T09:30:00)", tz: "America/New_York", after: "2026-01-01T00:00:00Z",
			want: []string{"2026-03-01T09:30:00-05:00"}, thenNone: true},
		{name: "at keeps its seconds", expr: "at(2026-03-01T09:30:45)", after: "2026-03-01T09:30:44Z",
			want: []string{"2026-03-01T09:30:45Z"}, thenNone: true},
		{name: "at ignores start and end", expr: "at(2026-03-01T09:30:00)", after: "2026-01-01T00:00:00Z",
			bounds: func(t testing.TB) expression.Bounds {
				return expression.Bounds{Start: mustTime(t, "2027-01-01T00:00:00Z"), End: mustTime(t, "2026-02-01T00:00:00Z")}
			},
			want: []string{"2026-03-01T09:30:00Z"}, thenNone: true},
		{name: "at in a spring-forward gap fires after it", expr: "at(2026-03-08T02:30:00)", tz: "America/New_York",
			after: "2026-01-01T00:00:00Z", want: []string{"2026-03-08T03:30:00-04:00"}},
		{name: "at in a fall-back overlap fires at the first", expr: "at(2026-11-01T01:30:00)", tz: "America/New_York",
			after: "2026-01-01T00:00:00Z", want: []string{"2026-11-01T01:30:00-04:00"}, thenNone: true},
		{name: "at already past", expr: "at(2020-02-29T00:00:00)", after: "2026-01-01T00:00:00Z", thenNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := expression.Parse(tt.expr, tt.tz)
			require.NoError(t, err)
			var b expression.Bounds
			if tt.bounds != nil {
				b = tt.bounds(t)
			}
			after := mustTime(t, tt.after)
			for i, want := range tt.want {
				got, ok := s.Next(after, b)
				require.True(t, ok, "fire time %d: want %s, got none", i, want)
				assert.Equal(t, want, got.Format(time.RFC3339Nano), "fire time %d", i)
				assert.Equal(t, s.Location(), got.Location())
				after = got
			}
			if tt.thenNone {
				got, ok := s.Next(after, b)
				assert.False(t, ok, "want no more fire times, got %s", got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, expr, tz string
		kind           expression.Kind
		zone           string
	}{
		{name: "at", expr: "at(2026-03-01T09:30:00)", kind: expression.At, zone: "UTC"},
		{name: "rate singular", expr: "rate(1 minute)", kind: expression.Rate, zone: "UTC"},
		// EventBridge rules insist on singular for 1 and plural above;
		// EventBridge Scheduler documents both forms and accepts rate(1 hours).
		{name: "rate plural for one", expr: "rate(1 hours)", kind: expression.Rate, zone: "UTC"},
		{name: "rate singular for many", expr: "rate(3 day)", kind: expression.Rate, zone: "UTC"},
		{name: "rate longest", expr: "rate(36500 days)", kind: expression.Rate, zone: "UTC"},
		{name: "rate blanks", expr: "rate( 5\tminutes )", kind: expression.Rate, zone: "UTC"},
		{name: "cron", expr: "cron(0 12 * * ? *)", tz: "Europe/Berlin", kind: expression.Cron, zone: "Europe/Berlin"},
		{name: "cron blanks", expr: "cron( 0  12\t* * ?  * )", kind: expression.Cron, zone: "UTC"},
		{name: "cron leading zeros", expr: "cron(07 09 01 01 ? 2030)", kind: expression.Cron, zone: "UTC"},
		{name: "cron all special day-of-month", expr: "cron(0 0 LW * ? *)", kind: expression.Cron, zone: "UTC"},
		{name: "cron zone with plus", expr: "cron(0 0 * * ? *)", tz: "Etc/GMT+5", kind: expression.Cron, zone: "Etc/GMT+5"},
		{name: "explicit UTC", expr: "cron(0 0 * * ? *)", tz: "UTC", kind: expression.Cron, zone: "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := expression.Parse(tt.expr, tt.tz)
			require.NoError(t, err)
			assert.Equal(t, tt.kind, s.Kind())
			assert.Equal(t, tt.expr, s.String())
			assert.Equal(t, tt.zone, s.Location().String())
		})
	}
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "at", expression.At.String())
	assert.Equal(t, "rate", expression.Rate.String())
	assert.Equal(t, "cron", expression.Cron.String())
	assert.Equal(t, "Kind(9)", expression.Kind(9).String())
}

func TestParseErrors(t *testing.T) {
	const (
		expr = expression.FieldExpression
		zone = expression.FieldTimezone
	)
	tests := []struct {
		name, expr, tz string
		field          string
		want           string // a substring of the message
	}{
		// Form.
		{name: "empty", expr: "", field: expr, want: "the expression is empty"},
		{name: "unknown keyword", expr: "every(5 minutes)", field: expr, want: "must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron("},
		{name: "upper-case keyword", expr: "CRON(0 12 * * ? *)", field: expr, want: "in lower case"},
		{name: "blank before", expr: " cron(0 12 * * ? *)", field: expr, want: "with nothing around it"},
		{name: "blank after", expr: "cron(0 12 * * ? *) ", field: expr, want: "with nothing around it"},
		{name: "no closing parenthesis", expr: "cron(0 12 * * ? *", field: expr, want: "must be at("},
		{name: "too long", expr: "cron(" + strings.Repeat("1,", 130) + "1 * * * ? *)", field: expr, want: "the maximum is 256 characters"},
		{name: "NUL byte", expr: "cron(0 12 * * ?\x00*)", field: expr, want: "control character 0x00 at offset 15"},
		{name: "newline", expr: "cron(0 12 * *\n? *)", field: expr, want: "control character 0x0a"},
		{name: "unicode lookalike", expr: "cron(0 12 * * \uff1f *)", field: expr, want: "non-ASCII byte 0xef at offset 14"},
		{name: "fullwidth digit", expr: "rate(\uff15 minutes)", field: expr, want: "non-ASCII"},

		// at.
		{name: "at with a space", expr: "at(2026-03-01 09:30:00)", field: expr, want: "want at(yyyy-mm-ddThh:mm:ss)"},
		{name: "at without seconds", expr: "at(2026-03-01T09:30)", field: expr, want: "want at(yyyy-mm-ddThh:mm:ss)"},
		{name: "at with a zone", expr: "at(2026-03-01T09:30:00Z)", field: expr, want: "want at(yyyy-mm-ddThh:mm:ss)"},
		{name: "at lower-case t", expr: "at(2026-03-01t09:30:00)", field: expr, want: "want at(yyyy-mm-ddThh:mm:ss)"},
		{name: "at month 13", expr: "at(2026-13-01T09:30:00)", field: expr, want: "month 13 is out of range 01-12"},
		{name: "at 29 February in a common year", expr: "at(2026-02-29T09:30:00)", field: expr, want: "day 29 is out of range for February 2026, which has 28 days"},
		{name: "at hour 24", expr: "at(2026-02-01T24:00:00)", field: expr, want: "hour 24 is out of range"},
		{name: "at minute 60", expr: "at(2026-02-01T23:60:00)", field: expr, want: "minute 60 is out of range"},
		{name: "at second 60", expr: "at(2026-02-01T23:59:60)", field: expr, want: "second 60 is out of range"},

		// rate.
		{name: "rate zero", expr: "rate(0 minutes)", field: expr, want: "must be a positive integer, not 0"},
		{name: "rate negative", expr: "rate(-5 minutes)", field: expr, want: `value "-5" is not a positive integer`},
		{name: "rate fraction", expr: "rate(1.5 hours)", field: expr, want: `value "1.5" is not a positive integer`},
		{name: "rate seconds", expr: "rate(30 seconds)", field: expr, want: `unknown unit "seconds"`},
		{name: "rate weeks", expr: "rate(1 week)", field: expr, want: `unknown unit "week"`},
		{name: "rate upper-case unit", expr: "rate(5 Minutes)", field: expr, want: `unknown unit "Minutes"`},
		{name: "rate missing unit", expr: "rate(5)", field: expr, want: "want rate(value unit)"},
		{name: "rate no space", expr: "rate(5minutes)", field: expr, want: "want rate(value unit)"},
		{name: "rate three parts", expr: "rate(5 minutes later)", field: expr, want: "want rate(value unit)"},
		{name: "rate too long", expr: "rate(36501 days)", field: expr, want: "too large; the longest interval is 100 years (36500 days)"},
		{name: "rate huge", expr: "rate(99999999999999999999999999 minutes)", field: expr, want: "is too large"},

		// cron: shape and the ? rule.
		{name: "five fields", expr: "cron(0 12 * * ?)", field: expr, want: "want 6 fields (minutes hours day-of-month month day-of-week year) separated by spaces, got 5"},
		{name: "seven fields", expr: "cron(0 0 12 * * ? *)", field: expr, want: "got 7"},
		{name: "empty cron", expr: "cron()", field: expr, want: "got 0"},
		{name: "both days specified", expr: "cron(0 12 * * MON *)", field: expr,
			want: "invalid cron expression: day-of-month and day-of-week cannot both be specified; use ? in one of them"},
		{name: "both days star", expr: "cron(0 12 * * * *)", field: expr, want: "cannot both be specified"},
		{name: "both days ?", expr: "cron(0 12 ? * ? *)", field: expr, want: "day-of-month and day-of-week cannot both be ?"},

		// cron: values.
		{name: "minute 60", expr: "cron(60 12 * * ? *)", field: expr, want: `minutes field "60": value 60 is out of range 0-59`},
		{name: "hour 24", expr: "cron(0 24 * * ? *)", field: expr, want: `hours field "24": value 24 is out of range 0-23`},
		{name: "day 0", expr: "cron(0 0 0 * ? *)", field: expr, want: "value 0 is out of range 1-31"},
		{name: "day 32", expr: "cron(0 0 32 * ? *)", field: expr, want: "value 32 is out of range 1-31"},
		{name: "month 13", expr: "cron(0 0 1 13 ? *)", field: expr, want: "value 13 is out of range 1-12"},
		{name: "weekday 0", expr: "cron(0 0 ? * 0 *)", field: expr, want: "value 0 is out of range 1-7 (1 is SUN, 7 is SAT)"},
		{name: "weekday 8", expr: "cron(0 0 ? * 8 *)", field: expr, want: "value 8 is out of range 1-7"},
		{name: "year 1969", expr: "cron(0 0 1 1 ? 1969)", field: expr, want: "value 1969 is out of range 1970-2199"},
		{name: "year 2200", expr: "cron(0 0 1 1 ? 2200)", field: expr, want: "value 2200 is out of range 1970-2199"},
		{name: "huge number", expr: "cron(0 99999999999999999999999 * * ? *)", field: expr, want: "value 99999999999999999999999 is out of range 0-23"},
		{name: "negative", expr: "cron(-1 0 * * ? *)", field: expr, want: "a value is missing"},
		{name: "unknown month name", expr: "cron(0 0 1 JANUARY ? *)", field: expr, want: `"JANUARY" is not a month value: use 1-12 or JAN-DEC`},
		{name: "month name in day-of-week", expr: "cron(0 0 ? * JAN *)", field: expr, want: `"JAN" is not a day-of-week value: use 1-7 or SUN-SAT`},
		{name: "name in hours", expr: "cron(0 MON * * ? *)", field: expr, want: `"MON" is not a number`},
		{name: "backwards year range", expr: "cron(0 0 1 1 ? 2030-2020)", field: expr, want: "range 2030-2020 runs backwards"},
		{name: "range of three", expr: "cron(0 1-2-3 * * ? *)", field: expr, want: `"2-3" is not a number`},
		{name: "star in a range", expr: "cron(0 *-3 * * ? *)", field: expr, want: `"*" is not a number`},
		{name: "empty list item", expr: "cron(0 1,,2 * * ? *)", field: expr, want: "a list item is empty"},
		{name: "trailing comma", expr: "cron(0 1, * * ? *)", field: expr, want: "a list item is empty"},
		{name: "many commas", expr: "cron(" + strings.Repeat(",", 200) + " 0 * * ? *)", field: expr, want: "a list item is empty"},
		{name: "question mark in minutes", expr: "cron(? 0 * * ? *)", field: expr, want: "can only stand alone in the day-of-month or day-of-week field"},
		{name: "L in month", expr: "cron(0 0 1 L ? *)", field: expr, want: `"L" is not a month value`},
		{name: "name in year", expr: "cron(0 0 1 1 ? jul)", field: expr, want: `year field "jul": "JUL" is not a number`},
		{name: "L in a minutes list", expr: "cron(1,5L 0 * * ? *)", field: expr, want: "can only stand alone in the day-of-month or day-of-week field"},
		{name: "message quotes the field as given", expr: "cron(0 0 1 janu ? *)", field: expr, want: `month field "janu": "JANU" is not a month value`},

		// cron: steps.
		{name: "step zero", expr: "cron(*/0 * * * ? *)", field: expr, want: `step "0" must be a whole number from 1 to 59`},
		{name: "step 60", expr: "cron(*/60 * * * ? *)", field: expr, want: `step "60" must be a whole number from 1 to 59`},
		{name: "hour step 24", expr: "cron(0 */24 * * ? *)", field: expr, want: "from 1 to 23"},
		{name: "step by name", expr: "cron(0 0 1 1/FEB ? *)", field: expr, want: `step "FEB" must be a whole number from 1 to 12`},
		{name: "empty step", expr: "cron(0/ * * * ? *)", field: expr, want: `step "" must be a whole number`},
		{name: "two steps", expr: "cron(0/5/5 * * * ? *)", field: expr, want: `step "5/5" must be a whole number`},
		{name: "step in day-of-week", expr: "cron(0 0 ? * 1/2 *)", field: expr, want: "/ is not allowed in the day-of-week field"},

		// cron: L, W, #.
		{name: "W alone", expr: "cron(0 0 W * ? *)", field: expr, want: "W must follow a single day of the month, as in 15W, or L, as in LW"},
		{name: "W on a range", expr: "cron(0 0 1-5W * ? *)", field: expr, want: "W must follow a single day of the month"},
		{name: "32W", expr: "cron(0 0 32W * ? *)", field: expr, want: "day 32 is out of range 1-31"},
		{name: "L with an offset", expr: "cron(0 0 L-3 * ? *)", field: expr, want: "? L LW and nW must stand alone in the day-of-month field"},
		{name: "L in a day-of-month list", expr: "cron(0 0 L,15 * ? *)", field: expr, want: "must stand alone in the day-of-month field"},
		{name: "nL in day-of-month", expr: "cron(0 0 3L * ? *)", field: expr, want: "must stand alone in the day-of-month field"},
		{name: "W in day-of-week", expr: "cron(0 0 ? * 2W *)", field: expr, want: "can only stand alone"},
		{name: "two # in a list", expr: "cron(0 0 ? * 3#1,6#3 *)", field: expr, want: "# cannot be combined with other values"},
		{name: "#0", expr: "cron(0 0 ? * 3#0 *)", field: expr, want: `occurrence "0" must be 1-5`},
		{name: "#6", expr: "cron(0 0 ? * 3#6 *)", field: expr, want: `occurrence "6" must be 1-5`},
		{name: "# on weekday 8", expr: "cron(0 0 ? * 8#1 *)", field: expr, want: "value 8 is out of range 1-7"},
		{name: "# without a weekday", expr: "cron(0 0 ? * #2 *)", field: expr, want: "a value is missing"},
		{name: "nL on a range", expr: "cron(0 0 ? * 2-3L *)", field: expr, want: "nL must stand alone in the day-of-week field"},
		{name: "L in a day-of-week list", expr: "cron(0 0 ? * L,2 *)", field: expr, want: "must stand alone in the day-of-week field"},
		{name: "unknown day before L", expr: "cron(0 0 ? * XL *)", field: expr, want: `"X" is not a day-of-week value`},

		// Time zones.
		{name: "unknown zone", expr: "cron(0 0 * * ? *)", tz: "Mars/Olympus_Mons", field: zone, want: `unknown time zone "Mars/Olympus_Mons"; use an IANA time zone name`},
		{name: "Local", expr: "cron(0 0 * * ? *)", tz: "Local", field: zone, want: `unknown time zone "Local"`},
		{name: "path traversal", expr: "cron(0 0 * * ? *)", tz: "../../etc/passwd", field: zone, want: `unexpected character '.' at offset 0`},
		{name: "absolute path", expr: "cron(0 0 * * ? *)", tz: "/etc/localtime", field: zone, want: `unknown time zone "/etc/localtime"`},
		{name: "directory", expr: "cron(0 0 * * ? *)", tz: "America", field: zone, want: `unknown time zone "America"`},
		{name: "trailing slash", expr: "cron(0 0 * * ? *)", tz: "America/", field: zone, want: `unknown time zone "America/"`},
		{name: "zone NUL", expr: "cron(0 0 * * ? *)", tz: "UTC\x00", field: zone, want: `unexpected character '\x00' at offset 3`},
		{name: "zone blank", expr: "cron(0 0 * * ? *)", tz: " UTC", field: zone, want: "unexpected character ' '"},
		{name: "zone too long", expr: "cron(0 0 * * ? *)", tz: strings.Repeat("A", 51), field: zone, want: "the maximum is 50 characters"},
		{name: "zone checked before a bad expression body", expr: "cron(bad)", tz: "Nowhere/At_All", field: zone, want: "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := expression.Parse(tt.expr, tt.tz)
			require.Error(t, err)
			assert.Nil(t, s)
			var e *expression.Error
			require.True(t, errors.As(err, &e), "want *expression.Error, got %T", err)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.want)
			assert.Equal(t, tt.field+": "+e.Message, err.Error())
		})
	}
}

func TestHostileInputFailsFast(t *testing.T) {
	tests := []struct {
		name, expr, tz string
	}{
		{name: "1 MB", expr: "cron(" + strings.Repeat("0", 1<<20) + ")"},
		{name: "1 MB of commas", expr: strings.Repeat(",", 1<<20)},
		{name: "1 MB zone", expr: "rate(1 minute)", tz: strings.Repeat("A/", 1<<19)},
		{name: "NULs", expr: strings.Repeat("\x00", 300)},
		{name: "invalid UTF-8", expr: "cron(\xff\xfe)"},
		{name: "deep commas within the limit", expr: "cron(" + strings.Repeat("1,", 119) + "1 * * * ? *)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := expression.Parse(tt.expr, tt.tz)
			elapsed := time.Since(start)
			if tt.name == "deep commas within the limit" {
				require.NoError(t, err) // long lists that fit are fine
			} else {
				require.Error(t, err)
				assert.Less(t, len(err.Error()), 300, "the message must not echo the input")
			}
			assert.Less(t, elapsed, 50*time.Millisecond)
		})
	}
}

func TestNextIsFast(t *testing.T) {
	after := mustTime(t, "2026-01-01T00:00:00Z")
	for _, expr := range []string{
		"cron(0 0 29 2 ? 2196)",
		"cron(0 0 31 * ? *)",
		"cron(0 0 30 2 ? *)", // never: walks every year to 2199
		"cron(0 0 31W 2 ? *)",
		"cron(59 23 ? * 1#5 2199)",
	} {
		t.Run(expr, func(t *testing.T) {
			s, err := expression.Parse(expr, "America/New_York")
			require.NoError(t, err)
			// Generous, for -race on a loaded machine; the benchmark has the
			// real figures.
			allocs := testing.AllocsPerRun(20, func() { s.Next(after, expression.Bounds{}) })
			assert.Zero(t, allocs)
			start := time.Now()
			for range 100 {
				s.Next(after, expression.Bounds{})
			}
			assert.Less(t, time.Since(start)/100, 5*time.Millisecond)
		})
	}
}

func BenchmarkNext(b *testing.B) {
	after := time.Date(2026, 3, 8, 1, 30, 0, 0, time.UTC)
	for _, bc := range []struct{ expr, tz string }{
		{"cron(0/15 * * * ? *)", "UTC"},
		{"cron(0/15 * * * ? *)", "America/New_York"},
		{"cron(0 9 ? * MON-FRI *)", "Europe/Berlin"},
		{"cron(0 0 31 * ? *)", "UTC"},
		{"cron(0 0 29 2 ? 2196)", "UTC"},
		{"cron(0 0 30 2 ? *)", "UTC"},
		{"cron(30 8 ? * 6#5 *)", "America/New_York"},
		{"cron(0 10 LW * ? *)", "UTC"},
		{"rate(7 minutes)", "UTC"},
		{"at(2030-01-01T00:00:00)", "UTC"},
	} {
		s, err := expression.Parse(bc.expr, bc.tz)
		require.NoError(b, err)
		b.Run(bc.expr+"/"+bc.tz, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Next(after, expression.Bounds{})
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expression.Parse("cron(0/15 8-17 ? JAN-MAR,OCT MON-FRI 2026-2030)", "UTC"); err != nil {
			b.Fatal(err)
		}
	}
}
