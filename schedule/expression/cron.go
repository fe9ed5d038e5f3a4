package expression

import (
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// The years a cron expression can name.
const (
	minYear = 1970
	maxYear = 2199
)

// maxSkips bounds how many wall times Next passes over because they fall in
// a spring-forward gap or were already seen in a fall-back overlap: at most
// a day's minutes, the longest gap any zone has had (Pacific/Apia skipped
// 30 December 2011), with room to spare.
const maxSkips = 4 * 24 * 60

// cronSpec is a parsed cron expression: a set of values per field.
type cronSpec struct {
	minutes uint64 // bits 0-59
	hours   uint64 // bits 0-23
	months  uint64 // bits 1-12
	years   bitset // bit y-minYear
	day     daySpec
}

// bitset is a set of small integers, 0-255.
type bitset [4]uint64

func (b *bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// next returns the smallest member of b that is at least i.
func (b *bitset) next(i int) (int, bool) {
	for w := i >> 6; w >= 0 && w < len(b); w++ {
		word := b[w]
		if w == i>>6 {
			word &= ^uint64(0) << (uint(i) & 63)
		}
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word), true
		}
	}
	return 0, false
}

// nextBit returns the smallest bit of mask that is at least i.
func nextBit(mask uint64, i int) (int, bool) {
	if i < 0 || i > 63 {
		return 0, false
	}
	if m := mask >> uint(i) << uint(i); m != 0 {
		return bits.TrailingZeros64(m), true
	}
	return 0, false
}

// dayKind says how the day-of-month and day-of-week fields pick days.
type dayKind uint8

const (
	domSet            dayKind = iota // days of the month in set
	domLast                          // L: the last day of the month
	domLastWeekday                   // LW: the last Monday-Friday
	domNearestWeekday                // nW: the weekday nearest day n
	dowSet                           // weekdays in set (1 SUN - 7 SAT)
	dowLast                          // nL: the last weekday n of the month
	dowNth                           // n#k: the k-th weekday n of the month
)

// daySpec is the day rule of a cron expression, from whichever of the
// day-of-month and day-of-week fields is not ?.
type daySpec struct {
	kind dayKind
	set  uint64 // domSet: bits 1-31; dowSet: bits 1-7
	n    int    // domNearestWeekday: the day; dowLast, dowNth: the weekday 1-7
	k    int    // dowNth: the occurrence, 1-5
}

// field describes one cron field's values.
type field struct {
	name     string
	min, max int
	maxStep  int    // 0: no steps
	names    string // three-letter names of min, min+1, ..., or ""
	wraps    bool   // a range whose end is below its start wraps around
}

// The fields, in order; a function rather than a table so that the package
// keeps no state.
func cronField(i int) field {
	switch i {
	case 0:
		return field{name: "minutes", min: 0, max: 59, maxStep: 59, wraps: true}
	case 1:
		return field{name: "hours", min: 0, max: 23, maxStep: 23, wraps: true}
	case 2:
		return field{name: "day-of-month", min: 1, max: 31, maxStep: 31, wraps: true}
	case 3:
		return field{name: "month", min: 1, max: 12, maxStep: 12, names: "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC", wraps: true}
	case 4:
		return field{name: "day-of-week", min: 1, max: 7, names: "SUNMONTUEWEDTHUFRISAT", wraps: true}
	default:
		return field{name: "year", min: minYear, max: maxYear, maxStep: maxYear - minYear}
	}
}

// offset is what a field's values are shifted down by in its bitset.
func (f field) offset() int {
	if f.min >= minYear {
		return minYear
	}
	return 0
}

// parseCron parses the six fields between cron( and ).
func parseCron(body string) (*cronSpec, error) {
	fields := strings.FieldsFunc(body, isBlank)
	if len(fields) != 6 {
		return nil, exprError(fmt.Sprintf("invalid cron expression: want 6 fields (minutes hours day-of-month month "+
			"day-of-week year) separated by spaces, got %d", len(fields)))
	}
	given := make([]string, len(fields)) // for messages
	for i := range fields {
		given[i] = fields[i]
		fields[i] = strings.ToUpper(fields[i]) // the input is ASCII
	}
	switch domQ, dowQ := fields[2] == "?", fields[4] == "?"; {
	case domQ && dowQ:
		return nil, exprError("invalid cron expression: day-of-month and day-of-week cannot both be ?; specify one of them")
	case !domQ && !dowQ:
		return nil, exprError("invalid cron expression: day-of-month and day-of-week cannot both be specified; use ? in one of them")
	}
	c := &cronSpec{}
	for i, text := range fields {
		f := cronField(i)
		var problem string
		switch {
		case i == 2 && text != "?":
			c.day, problem = parseDayOfMonth(text, f)
		case i == 4 && text != "?":
			c.day, problem = parseDayOfWeek(text, f)
		case i == 2 || i == 4:
			continue
		default:
			var set bitset
			if problem = parseList(text, f, &set); problem == "" {
				switch i {
				case 0:
					c.minutes = set[0]
				case 1:
					c.hours = set[0]
				case 3:
					c.months = set[0]
				case 5:
					c.years = set
				}
			}
		}
		if problem != "" {
			return nil, exprError(fmt.Sprintf("invalid cron expression: %s field %q: %s", f.name, clip(given[i]), problem))
		}
	}
	return c, nil
}

// parseList parses a comma-separated list of items into set, or returns
// what is wrong with it.
func parseList(text string, f field, set *bitset) string {
	for _, item := range strings.Split(text, ",") {
		if problem := parseItem(item, f, set); problem != "" {
			return problem
		}
	}
	return ""
}

// parseItem parses *, a value or a range, with an optional /step.
func parseItem(item string, f field, set *bitset) string {
	if item == "" {
		return "a list item is empty"
	}
	base, step := item, 0
	if i := strings.IndexByte(item, '/'); i >= 0 {
		if f.maxStep == 0 {
			return "/ is not allowed in the " + f.name + " field; it accepts , - * ? L and #"
		}
		base = item[:i]
		n, ok := number(item[i+1:])
		if !ok || n < 1 || n > f.maxStep {
			return fmt.Sprintf("step %q must be a whole number from 1 to %d", clip(item[i+1:]), f.maxStep)
		}
		step = n
	}
	var lo, hi int
	var problem string
	switch {
	case base == "*":
		lo, hi = f.min, f.max
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		if lo, problem = value(a, f); problem != "" {
			return problem
		}
		if hi, problem = value(b, f); problem != "" {
			return problem
		}
		if lo > hi && !f.wraps {
			return fmt.Sprintf("range %s runs backwards", base)
		}
	default:
		if lo, problem = value(base, f); problem != "" {
			return problem
		}
		hi = lo
		if step > 0 {
			hi = f.max
		}
	}
	if step == 0 {
		step = 1
	}
	// Walk the range, wrapping past the maximum, keeping every step-th.
	off := f.offset()
	for i, v := 0, lo; ; i++ {
		if i%step == 0 {
			set.set(v - off)
		}
		if v == hi {
			break
		}
		if v++; v > f.max {
			v = f.min
		}
	}
	return ""
}

// value parses one value of a field: a number or, where the field has
// them, a three-letter name.
func value(s string, f field) (int, string) {
	if s == "" {
		return 0, "a value is missing"
	}
	if n, ok := number(s); ok {
		if n < f.min || n > f.max {
			hint := ""
			if f.name == "day-of-week" {
				hint = " (1 is SUN, 7 is SAT)"
			}
			return 0, fmt.Sprintf("value %s is out of range %d-%d%s", clip(s), f.min, f.max, hint)
		}
		return n, ""
	}
	if f.names != "" && len(s) == 3 {
		if i := strings.Index(f.names, s); i >= 0 && i%3 == 0 {
			return f.min + i/3, ""
		}
	}
	names := func() string {
		return fmt.Sprintf("%q is not a %s value: use %d-%d or %s-%s", clip(s), f.name, f.min, f.max,
			f.names[:3], f.names[len(f.names)-3:])
	}
	_, numbered := number(strings.TrimRight(s, "LW"))
	switch {
	case f.names != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "":
		return 0, names()
	case strings.ContainsAny(s, "?#") || s == "L" || s == "LW" || numbered:
		return 0, "? L W and # can only stand alone in the day-of-month or day-of-week field, as in L, 15W, 6L or 3#2"
	case f.names != "":
		return 0, names()
	}
	return 0, fmt.Sprintf("%q is not a number", clip(s))
}

// number parses a non-negative decimal number; values too long to be in
// any field's range come back as -1.
func number(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	t := strings.TrimLeft(s, "0")
	if len(t) > 4 {
		return -1, true
	}
	return atoiDigits(t), true
}

// parseDayOfMonth parses a day-of-month field other than ?.
func parseDayOfMonth(text string, f field) (daySpec, string) {
	switch {
	case text == "L":
		return daySpec{kind: domLast}, ""
	case text == "LW":
		return daySpec{kind: domLastWeekday}, ""
	case strings.HasSuffix(text, "W"):
		n, ok := number(text[:len(text)-1])
		if !ok {
			return daySpec{}, "W must follow a single day of the month, as in 15W, or L, as in LW"
		}
		if n < f.min || n > f.max {
			return daySpec{}, fmt.Sprintf("day %s is out of range 1-31", clip(text[:len(text)-1]))
		}
		return daySpec{kind: domNearestWeekday, n: n}, ""
	case strings.ContainsAny(text, "?LW"):
		return daySpec{}, "? L LW and nW must stand alone in the day-of-month field"
	}
	var set bitset
	if problem := parseList(text, f, &set); problem != "" {
		return daySpec{}, problem
	}
	return daySpec{kind: domSet, set: set[0]}, ""
}

// parseDayOfWeek parses a day-of-week field other than ?.
func parseDayOfWeek(text string, f field) (daySpec, string) {
	switch {
	case text == "L":
		return daySpec{kind: dowSet, set: 1 << 7}, ""
	case strings.Contains(text, "#"):
		if strings.Contains(text, ",") {
			return daySpec{}, "# cannot be combined with other values; only one n#k is allowed, as in 3#2"
		}
		day, nth, _ := strings.Cut(text, "#")
		wd, problem := value(day, f)
		if problem != "" {
			return daySpec{}, problem
		}
		k, ok := number(nth)
		if !ok || k < 1 || k > 5 {
			return daySpec{}, fmt.Sprintf("occurrence %q must be 1-5, as in 3#2 (the second Tuesday)", clip(nth))
		}
		return daySpec{kind: dowNth, n: wd, k: k}, ""
	case strings.HasSuffix(text, "L"):
		day := text[:len(text)-1]
		if strings.ContainsAny(day, ",-*/") {
			return daySpec{}, "nL must stand alone in the day-of-week field, as in 6L or FRIL (the last Friday of the month)"
		}
		wd, problem := value(day, f)
		if problem != "" {
			return daySpec{}, problem
		}
		return daySpec{kind: dowLast, n: wd}, ""
	case strings.ContainsAny(text, "?L"):
		return daySpec{}, "? L nL and n#k must stand alone in the day-of-week field"
	}
	var set bitset
	if problem := parseList(text, f, &set); problem != "" {
		return daySpec{}, problem
	}
	return daySpec{kind: dowSet, set: set[0]}, ""
}

// dayMask returns the days (bits 1-31) of month m of year y that the day
// rule picks.
func (d *daySpec) dayMask(y, m int) uint64 {
	n := daysIn(y, m)
	first := int(time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Weekday()) // 0 is Sunday
	weekday := func(day int) int { return (first + day - 1) % 7 }                // of a day of this month
	switch d.kind {
	case domSet:
		return d.set & (1<<uint(n+1) - 2)
	case domLast:
		return 1 << uint(n)
	case domLastWeekday:
		day := n
		switch weekday(n) {
		case 6: // Saturday
			day--
		case 0: // Sunday
			day -= 2
		}
		return 1 << uint(day)
	case domNearestWeekday:
		if d.n > n {
			return 0
		}
		day := d.n
		switch weekday(day) {
		case 6: // Saturday: Friday, unless that is in the month before
			if day == 1 {
				day = 3
			} else {
				day--
			}
		case 0: // Sunday: Monday, unless that is in the month after
			if day == n {
				day -= 2
			} else {
				day++
			}
		}
		return 1 << uint(day)
	case dowSet:
		var mask uint64
		for day := 1; day <= n; day++ {
			if d.set&(1<<uint(weekday(day)+1)) != 0 {
				mask |= 1 << uint(day)
			}
		}
		return mask
	case dowLast:
		return 1 << uint(n-(weekday(n)-(d.n-1)+7)%7)
	case dowNth:
		day := 1 + (d.n-1-first+7)%7 + 7*(d.k-1)
		if day > n {
			return 0
		}
		return 1 << uint(day)
	}
	return 0
}

// nextWall returns the first wall time at or after w (whole minutes, UTC
// as carrier) whose fields all match, or false if there is none before
// the end of maxYear.
func (c *cronSpec) nextWall(w time.Time) (time.Time, bool) {
	y, mo, d, h, mi := w.Year(), int(w.Month()), w.Day(), w.Hour(), w.Minute()
	if y < minYear {
		y, mo, d, h, mi = minYear, 1, 1, 0, 0
	}
	// Each loop finds its field's next match, resets the smaller fields
	// when it moved, and on running out lets the enclosing loop move on.
	for ; y <= maxYear; y, mo, d, h, mi = y+1, 1, 1, 0, 0 {
		ny, ok := c.years.next(y - minYear)
		if !ok {
			return time.Time{}, false
		}
		if ny += minYear; ny != y {
			y, mo, d, h, mi = ny, 1, 1, 0, 0
		}
		for ; mo <= 12; mo, d, h, mi = mo+1, 1, 0, 0 {
			nmo, ok := nextBit(c.months, mo)
			if !ok {
				break
			}
			if nmo != mo {
				mo, d, h, mi = nmo, 1, 0, 0
			}
			days := c.day.dayMask(y, mo)
			for ; d <= 31; d, h, mi = d+1, 0, 0 {
				nd, ok := nextBit(days, d)
				if !ok {
					break
				}
				if nd != d {
					d, h, mi = nd, 0, 0
				}
				for ; h <= 23; h, mi = h+1, 0 {
					nh, ok := nextBit(c.hours, h)
					if !ok {
						break
					}
					if nh != h {
						h, mi = nh, 0
					}
					if nmi, ok := nextBit(c.minutes, mi); ok {
						return time.Date(y, time.Month(mo), d, h, nmi, 0, 0, time.UTC), true
					}
				}
			}
		}
	}
	return time.Time{}, false
}

// next returns the first fire time strictly after from: the first instant
// of the first matching wall time that exists in the zone and first
// happens after from.
func (c *cronSpec) next(from time.Time, loc *time.Location) (time.Time, bool) {
	w := from.In(loc)
	if w.Year() > maxYear {
		return time.Time{}, false
	}
	// The first whole minute after from's wall clock (its seconds dropped).
	start := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute()+1, 0, 0, time.UTC)
	for range maxSkips {
		wall, ok := c.nextWall(start)
		if !ok {
			return time.Time{}, false
		}
		if t, ok := firstInstant(wall, loc); ok && t.After(from) {
			return t, true
		}
		// In a gap, or a repeat of a wall time whose first instant was
		// not after from: EventBridge Scheduler skips both.
		start = wall.Add(time.Minute)
	}
	return time.Time{}, false
}
