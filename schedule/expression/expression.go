package expression

import (
	"fmt"
	"strings"
	"time"
)

// MaxLength is the longest ScheduleExpression EventBridge Scheduler
// accepts, in characters.
const MaxLength = 256

// MaxTimezoneLength is the longest ScheduleExpressionTimezone EventBridge
// Scheduler accepts, in characters.
const MaxTimezoneLength = 50

// maxRateMinutes caps a rate at 100 years of 365 days, so that the interval
// is always a time.Duration.
const maxRateMinutes = 36500 * 24 * 60

// Kind is the type of a schedule: one-time, rate-based or cron-based.
type Kind uint8

// The kinds of schedule, one per expression form.
const (
	// At is a one-time schedule, at(yyyy-mm-ddThh:mm:ss).
	At Kind = iota + 1
	// Rate is a schedule that fires at a fixed interval, rate(value unit).
	Rate
	// Cron is a schedule that fires at the wall-clock times a cron(...)
	// expression names.
	Cron
)

// String returns the expression keyword of the kind: "at", "rate" or
// "cron".
func (k Kind) String() string {
	switch k {
	case At:
		return "at"
	case Rate:
		return "rate"
	case Cron:
		return "cron"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Bounds limits the fire times Next may return; the zero value limits
// nothing.
type Bounds struct {
	// Start is the schedule's StartDate: cron and rate schedules fire at or
	// after it, and it is a rate schedule's first fire time. Zero: none.
	Start time.Time
	// End is the schedule's EndDate: cron and rate schedules fire at or
	// before it. Zero: none.
	End time.Time
	// Anchor is a rate schedule's first fire time when Start is zero;
	// callers pass the schedule's creation time, since EventBridge
	// Scheduler starts such a schedule at once. When both are zero, rates
	// are anchored at the Unix epoch. Other kinds ignore it.
	Anchor time.Time
}

// Schedule is a parsed schedule expression with its time zone. It is
// immutable and safe for concurrent use.
type Schedule struct {
	expr     string
	kind     Kind
	loc      *time.Location
	at       time.Time // At: the instant it fires
	interval int64     // Rate: seconds between fire times
	cron     *cronSpec // Cron
}

// Parse parses a ScheduleExpression in the time zone named by timezone (an
// IANA name such as "America/New_York"; "" means UTC). Its errors are
// *Error, naming the field at fault.
func Parse(expr, timezone string) (*Schedule, error) {
	if err := checkText(expr); err != nil {
		return nil, err
	}
	loc, err := loadZone(timezone)
	if err != nil {
		return nil, err
	}
	s := &Schedule{expr: expr, loc: loc}
	switch {
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		s.kind = At
		s.at, err = parseAt(expr[len("at(") : len(expr)-1])
		if err == nil {
			s.at = atInstant(s.at, loc)
		}
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		s.kind = Rate
		s.interval, err = parseRate(expr[len("rate(") : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		s.kind = Cron
		s.cron, err = parseCron(expr[len("cron(") : len(expr)-1])
	default:
		return nil, exprError("the expression must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or " +
			"cron(minutes hours day-of-month month day-of-week year), in lower case and with nothing around it")
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// checkText refuses what no form accepts, before any parsing: empty, too
// long, or anything but printable ASCII (tabs aside), so that later
// messages can quote the input safely.
func checkText(expr string) error {
	switch {
	case expr == "":
		return exprError("the expression is empty; use at(...), rate(...) or cron(...)")
	case len(expr) > MaxLength:
		// Non-ASCII is refused anyway, so bytes are characters here.
		return exprError(fmt.Sprintf("the expression is %d bytes long; the maximum is %d characters", len(expr), MaxLength))
	}
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c >= 0x80:
			return exprError(fmt.Sprintf("the expression has a non-ASCII byte 0x%02x at offset %d; use plain ASCII letters, digits and symbols", c, i))
		case c == '\t':
		case c < 0x20 || c == 0x7f:
			return exprError(fmt.Sprintf("the expression has a control character 0x%02x at offset %d", c, i))
		}
	}
	return nil
}

// loadZone resolves a ScheduleExpressionTimezone.
func loadZone(name string) (*time.Location, error) {
	const hint = "; use an IANA time zone name such as UTC or America/New_York"
	if name == "" {
		return time.UTC, nil
	}
	if len(name) > MaxTimezoneLength {
		return nil, zoneError(fmt.Sprintf("the time zone is %d bytes long; the maximum is %d characters", len(name), MaxTimezoneLength))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/_+-", c) >= 0) {
			return nil, zoneError(fmt.Sprintf("the time zone has an unexpected character %q at offset %d%s", c, i, hint))
		}
	}
	if name == "Local" || name[0] == '/' || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return nil, zoneError(fmt.Sprintf("unknown time zone %q%s", name, hint))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, zoneError(fmt.Sprintf("unknown time zone %q%s", name, hint))
	}
	return loc, nil
}

// parseAt reads yyyy-mm-ddThh:mm:ss into a wall-clock time (in UTC as a
// carrier; atInstant places it in the zone).
func parseAt(body string) (time.Time, error) {
	const want = "invalid at expression: want at(yyyy-mm-ddThh:mm:ss), such as at(2026-03-01T09:30:00)"
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(body) != len(layout) {
		return time.Time{}, exprError(want)
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' && !isDigit(body[i]) || layout[i] != 'd' && body[i] != layout[i] {
			return time.Time{}, exprError(want)
		}
	}
	n := func(i, j int) int { return atoiDigits(body[i:j]) }
	y, mo, d, h, mi, sec := n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19)
	switch {
	case mo < 1 || mo > 12:
		return time.Time{}, exprError(fmt.Sprintf("invalid at expression: month %02d is out of range 01-12", mo))
	case d < 1 || d > daysIn(y, mo):
		return time.Time{}, exprError(fmt.Sprintf("invalid at expression: day %02d is out of range for %s %04d, which has %d days",
			d, time.Month(mo), y, daysIn(y, mo)))
	case h > 23:
		return time.Time{}, exprError(fmt.Sprintf("invalid at expression: hour %02d is out of range 00-23", h))
	case mi > 59:
		return time.Time{}, exprError(fmt.Sprintf("invalid at expression: minute %02d is out of range 00-59", mi))
	case sec > 59:
		return time.Time{}, exprError(fmt.Sprintf("invalid at expression: second %02d is out of range 00-59", sec))
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), nil
}

// parseRate reads "value unit" into seconds.
func parseRate(body string) (int64, error) {
	const want = "invalid rate expression: want rate(value unit), such as rate(5 minutes), " +
		"with unit minute, minutes, hour, hours, day or days"
	parts := strings.FieldsFunc(body, isBlank)
	if len(parts) != 2 {
		return 0, exprError(want)
	}
	value, unit := parts[0], parts[1]
	var minutes int64
	switch unit {
	case "minute", "minutes":
		minutes = 1
	case "hour", "hours":
		minutes = 60
	case "day", "days":
		minutes = 24 * 60
	default:
		return 0, exprError(fmt.Sprintf("invalid rate expression: unknown unit %q; use minute, minutes, hour, hours, day or days", clip(unit)))
	}
	for i := 0; i < len(value); i++ {
		if !isDigit(value[i]) {
			return 0, exprError(fmt.Sprintf("invalid rate expression: value %q is not a positive integer", clip(value)))
		}
	}
	limit := maxRateMinutes / minutes
	v := strings.TrimLeft(value, "0")
	if v == "" {
		return 0, exprError("invalid rate expression: the value must be a positive integer, not 0")
	}
	if len(v) > 9 || int64(atoiDigits(v)) > limit {
		return 0, exprError(fmt.Sprintf("invalid rate expression: value %s is too large; the longest interval is 100 years "+
			"(%d %s)", clip(v), limit, strings.TrimSuffix(unit, "s")+"s"))
	}
	return int64(atoiDigits(v)) * minutes * 60, nil
}

// Kind returns the kind of schedule: At, Rate or Cron.
func (s *Schedule) Kind() Kind { return s.kind }

// String returns the expression as it was parsed.
func (s *Schedule) String() string { return s.expr }

// Location returns the schedule's time zone; Next returns times in it.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first time the schedule fires strictly after after,
// within b, in the schedule's time zone. It returns false when there is
// none: an at() time not after after, a time past b.End, or a cron
// expression whose years are over. To include a fire time at a given
// instant, such as a rate schedule's anchor, pass an after just before it.
// Next does not allocate.
func (s *Schedule) Next(after time.Time, b Bounds) (time.Time, bool) {
	var t time.Time
	switch s.kind {
	case At:
		// StartDate and EndDate do not apply to one-time schedules.
		if !s.at.After(after) {
			return time.Time{}, false
		}
		return s.at.In(s.loc), true
	case Rate:
		t = s.nextRate(after, b)
	case Cron:
		from := after
		if !b.Start.IsZero() {
			if justBefore := b.Start.Add(-time.Nanosecond); justBefore.After(from) {
				from = justBefore
			}
		}
		var ok bool
		if t, ok = s.cron.next(from, s.loc); !ok {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	if !b.End.IsZero() && t.After(b.End) {
		return time.Time{}, false
	}
	return t.In(s.loc), true
}

// nextRate returns the first point of the rate's grid after after.
func (s *Schedule) nextRate(after time.Time, b Bounds) time.Time {
	anchor := b.Start
	if anchor.IsZero() {
		anchor = b.Anchor
	}
	if anchor.IsZero() {
		anchor = time.Unix(0, 0)
	}
	if after.Before(anchor) {
		return anchor
	}
	// Whole seconds and nanoseconds, since the gap may be too wide for a
	// Duration; the interval is whole minutes, so the nanoseconds of
	// after-anchor never change which interval it falls in.
	secs := after.Unix() - anchor.Unix()
	if after.Nanosecond() < anchor.Nanosecond() {
		secs--
	}
	k := secs/s.interval + 1
	return time.Unix(anchor.Unix()+k*s.interval, int64(anchor.Nanosecond()))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isBlank(r rune) bool { return r == ' ' || r == '\t' }

// atoiDigits converts a string of at most 9 ASCII digits.
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// clip shortens a piece of input for an error message.
func clip(s string) string {
	const max = 24
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
