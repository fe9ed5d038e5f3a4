package expression

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need the same zones on every machine

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fires reports whether the schedule fires at t within b. It is an oracle
// for Next written the other way round: it reads t's wall clock from the
// instant, and decides the day rules by their definitions rather than by
// dayMask's arithmetic.
func (s *Schedule) fires(t time.Time, b Bounds) bool {
	switch s.kind {
	case At:
		return t.Equal(s.at)
	case Rate:
		anchor := b.Start
		if anchor.IsZero() {
			anchor = b.Anchor
		}
		if anchor.IsZero() {
			anchor = time.Unix(0, 0)
		}
		if t.Before(anchor) || t.Nanosecond() != anchor.Nanosecond() || !b.End.IsZero() && t.After(b.End) {
			return false
		}
		return (t.Unix()-anchor.Unix())%s.interval == 0
	case Cron:
		if !b.Start.IsZero() && t.Before(b.Start) || !b.End.IsZero() && t.After(b.End) {
			return false
		}
		return s.cron.firesAt(t, s.loc)
	}
	return false
}

func (c *cronSpec) firesAt(t time.Time, loc *time.Location) bool {
	w := t.In(loc)
	y, mo, d := w.Year(), int(w.Month()), w.Day()
	if w.Second() != 0 || w.Nanosecond() != 0 || y < minYear || y > maxYear {
		return false
	}
	if c.years[(y-minYear)>>6]&(1<<uint((y-minYear)&63)) == 0 || c.months&(1<<uint(mo)) == 0 ||
		c.hours&(1<<uint(w.Hour())) == 0 || c.minutes&(1<<uint(w.Minute())) == 0 || !c.day.picks(y, mo, d) {
		return false
	}
	// Only the first instant of a repeated wall time fires: no earlier
	// instant within a few hours shows the same clock.
	for back := 15 * time.Minute; back <= 4*time.Hour; back += 15 * time.Minute {
		if e := t.Add(-back).In(loc); e.Year() == y && int(e.Month()) == mo && e.Day() == d &&
			e.Hour() == w.Hour() && e.Minute() == w.Minute() && e.Second() == 0 {
			return false
		}
	}
	return true
}

// picks decides the day rule for one day by its definition.
func (d *daySpec) picks(y, m, day int) bool {
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	weekday := func(day int) time.Weekday { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC).Weekday() }
	isWeekday := func(day int) bool { wd := weekday(day); return wd != time.Saturday && wd != time.Sunday }
	switch d.kind {
	case domSet:
		return d.set&(1<<uint(day)) != 0
	case domLast:
		return day == last
	case domLastWeekday:
		for later := day + 1; later <= last; later++ {
			if isWeekday(later) {
				return false
			}
		}
		return isWeekday(day)
	case domNearestWeekday:
		if d.n > last || !isWeekday(day) {
			return false
		}
		// The nearest weekday of the month to day n (never a tie: a
		// weekend day is one from one weekday and two from the other).
		dist := func(x int) int { return max(x-d.n, d.n-x) }
		for other := 1; other <= last; other++ {
			if isWeekday(other) && dist(other) < dist(day) {
				return false
			}
		}
		return true
	case dowSet:
		return d.set&(1<<uint(weekday(day)+1)) != 0
	case dowLast:
		return int(weekday(day))+1 == d.n && day+7 > last
	case dowNth:
		return int(weekday(day))+1 == d.n && (day-1)/7+1 == d.k
	}
	return false
}

// bruteForceSpan is how far checkNext searches, minute by minute, for a
// fire time Next may have skipped.
const bruteForceSpan = 40 * 24 * time.Hour

// checkNoneBetween asserts, minute by minute, that s fires nowhere in
// (from, to). Wall-clock hours a cron expression rules out are passed over a
// quarter of an hour at a time (zones change offset on quarter hours).
func checkNoneBetween(t testing.TB, s *Schedule, b Bounds, from, to time.Time) {
	t.Helper()
	for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(to); {
		if s.kind == Cron {
			if w := m.In(s.loc); !s.cron.hourMatches(w) {
				m = m.Add(time.Duration(15-w.Minute()%15) * time.Minute)
				continue
			}
		}
		if s.fires(m, b) {
			t.Fatalf("%s in %s: Next(%s) skipped a fire time, %s", s, s.loc, from.In(s.loc), m.In(s.loc))
		}
		m = m.Add(time.Minute)
	}
}

// hourMatches reports whether the wall-clock hour of w could have a fire
// time, by the definitions.
func (c *cronSpec) hourMatches(w time.Time) bool {
	y, mo := w.Year(), int(w.Month())
	return y >= minYear && y <= maxYear && c.years[(y-minYear)>>6]&(1<<uint((y-minYear)&63)) != 0 &&
		c.months&(1<<uint(mo)) != 0 && c.hours&(1<<uint(w.Hour())) != 0 && c.day.picks(y, mo, w.Day())
}

// checkNext runs Next from after and checks what it returns against the
// oracle, and by brute force that it skipped nothing.
func checkNext(t testing.TB, s *Schedule, b Bounds, after time.Time) (time.Time, bool) {
	t.Helper()
	got, ok := s.Next(after, b)
	if !ok {
		if s.kind == Cron {
			checkNoneBetween(t, s, b, after, after.Add(bruteForceSpan))
		}
		return got, false
	}
	require.True(t, got.After(after), "%s: Next(%s) = %s, not after it", s, after, got)
	require.True(t, s.fires(got, b), "%s in %s: Next(%s) = %s, which does not match", s, s.loc, after.In(s.loc), got)
	require.Equal(t, s.loc, got.Location())
	if s.kind != Cron && got.Sub(after) <= 24*time.Hour || s.kind == Cron {
		checkNoneBetween(t, s, b, after, minTime(got, after.Add(bruteForceSpan)))
	}
	return got, true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func TestNextAgreesWithBruteForce(t *testing.T) {
	exprs := []string{
		"cron(* * * * ? *)",
		"cron(0/20 * * * ? *)",
		"cron(30 1,2 * * ? *)",
		"cron(0 0-3 * * ? *)",
		"cron(45 23 L * ? *)",
		"cron(0 12 LW * ? *)",
		"cron(0 12 15W * ? *)",
		"cron(0 12 1W * ? *)",
		"cron(0 12 31W * ? *)",
		"cron(15 2 ? * 1L *)",
		"cron(0 2 ? * SUN#2 *)",
		"cron(0 2 ? * 6#5 *)",
		"cron(0 9 ? * L *)",
		"cron(59 2 ? * MON-FRI *)",
		"cron(0 0 29 2 ? *)",
		"rate(7 minutes)",
		"rate(1 day)",
	}
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "America/Santiago"}
	for _, zone := range zones {
		for _, expr := range exprs {
			t.Run(zone+"/"+expr, func(t *testing.T) {
				if testing.Short() && zone != "America/New_York" {
					t.Skip("short")
				}
				s, err := Parse(expr, zone)
				require.NoError(t, err)
				// Around the 2011 Apia day-skip and 2026's DST changes, the
				// days before them and the minutes before some.
				for _, start := range []string{"2011-12-28T00:00:00Z", "2026-03-05T00:00:00Z", "2026-03-26T00:00:00Z",
					"2026-10-22T00:00:00Z", "2026-03-08T06:50:00Z", "2026-11-01T05:50:00Z", "2026-10-25T00:50:00Z"} {
					after, err := time.Parse(time.RFC3339, start)
					require.NoError(t, err)
					for range 12 {
						next, ok := checkNext(t, s, Bounds{Anchor: after}, after)
						if !ok {
							break
						}
						after = next
					}
				}
			})
		}
	}
}

func TestDayMaskAgreesWithDefinition(t *testing.T) {
	rules := []daySpec{{kind: domLast}, {kind: domLastWeekday}, {kind: dowSet, set: 1<<1 | 1<<7}}
	for n := 1; n <= 31; n++ {
		rules = append(rules, daySpec{kind: domNearestWeekday, n: n}, daySpec{kind: domSet, set: 1 << uint(n)})
	}
	for wd := 1; wd <= 7; wd++ {
		rules = append(rules, daySpec{kind: dowLast, n: wd})
		for k := 1; k <= 5; k++ {
			rules = append(rules, daySpec{kind: dowNth, n: wd, k: k})
		}
	}
	// 28 years cover every calendar of every month; 2100 is not leap.
	for _, y := range []int{2024, 2025, 2026, 2027, 2028, 2029, 2030, 2031, 2032, 2033, 2034, 2035, 2036, 2037, 2038,
		2039, 2040, 2041, 2042, 2043, 2044, 2045, 2046, 2047, 2048, 2049, 2050, 2051, 2100} {
		for m := 1; m <= 12; m++ {
			for _, r := range rules {
				mask := r.dayMask(y, m)
				for day := 1; day <= 31; day++ {
					want := day <= daysIn(y, m) && r.picks(y, m, day)
					if got := mask&(1<<uint(day)) != 0; got != want {
						t.Fatalf("%+v in %d-%02d, day %d: mask says %v, definition %v", r, y, m, day, got, want)
					}
				}
			}
		}
	}
}

// randomCron builds a valid cron expression from r, mixing every form.
func randomCron(r *rand.Rand) string {
	n := func(lo, hi int) int { return lo + r.IntN(hi-lo+1) }
	item := func(lo, hi int, steps bool) string {
		switch r.IntN(6) {
		case 0:
			return "*"
		case 1:
			return fmt.Sprint(n(lo, hi))
		case 2:
			return fmt.Sprintf("%d-%d", n(lo, hi), n(lo, hi)) // may wrap
		case 3:
			if steps {
				return fmt.Sprintf("%d/%d", n(lo, hi), n(1, hi-lo))
			}
		case 4:
			if steps {
				return fmt.Sprintf("*/%d", n(1, hi-lo))
			}
		}
		return fmt.Sprint(n(lo, hi))
	}
	list := func(lo, hi int, steps bool) string {
		items := make([]string, n(1, 3))
		for i := range items {
			items[i] = item(lo, hi, steps)
		}
		return strings.Join(items, ",")
	}
	dom, dow := "?", "?"
	if r.IntN(2) == 0 {
		switch r.IntN(6) {
		case 0:
			dom = "L"
		case 1:
			dom = "LW"
		case 2:
			dom = fmt.Sprintf("%dW", n(1, 31))
		default:
			dom = list(1, 31, true)
		}
	} else {
		days := []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
		switch r.IntN(6) {
		case 0:
			dow = "L"
		case 1:
			dow = fmt.Sprintf("%dL", n(1, 7))
		case 2:
			dow = fmt.Sprintf("%s#%d", days[n(0, 6)], n(1, 5))
		case 3:
			dow = days[n(0, 6)] + "-" + days[n(0, 6)]
		default:
			dow = list(1, 7, false)
		}
	}
	year := "*"
	if r.IntN(4) == 0 {
		year = fmt.Sprintf("%d-%d", n(2026, 2028), n(2028, 2031))
	}
	return fmt.Sprintf("cron(%s %s %s %s %s %s)", list(0, 59, true), list(0, 23, true), dom, list(1, 12, true), dow, year)
}

func TestRandomExpressionsAgreeWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 11))
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"}
	count := 200
	if testing.Short() {
		count = 30
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range count {
		expr, zone := randomCron(r), zones[r.IntN(len(zones))]
		s, err := Parse(expr, zone)
		require.NoError(t, err, "%s", expr)
		after := base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		for range 3 {
			next, ok := checkNext(t, s, Bounds{}, after)
			if !ok {
				break
			}
			after = next
		}
	}
}

// FuzzParse: Parse never panics and fails only with an *Error; what it
// accepts fires, by Next, strictly after the time asked for, at a time the
// oracle agrees with, and never skips one.
func FuzzParse(f *testing.F) {
	const lo, hi = -315619200, 7573593600 // 1960 to 2210
	f.Fuzz(func(t *testing.T, expr, zone string, afterSec int64, shape uint8) {
		s, err := Parse(expr, zone)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%T", err)
			require.Contains(t, []string{FieldExpression, FieldTimezone}, e.Field)
			require.NotEmpty(t, e.Message)
			require.Less(t, len(e.Message), 400)
			require.Nil(t, s)
			return
		}
		require.Equal(t, expr, s.String())
		require.Contains(t, []Kind{At, Rate, Cron}, s.Kind())

		after := time.Unix(lo+((afterSec%(hi-lo))+(hi-lo))%(hi-lo), int64(shape)*1e6).In(s.loc)
		var b Bounds
		switch shape % 4 {
		case 1:
			b.Start = after.Add(97 * time.Minute)
		case 2:
			b.End = after.Add(3 * 24 * time.Hour)
		case 3:
			b.Anchor = after.Add(-13*time.Minute - 7*time.Second)
		}
		first, ok := checkNext(t, s, b, after)
		if !ok {
			if s.kind == At {
				assert.False(t, s.at.After(after))
			}
			return
		}
		second, ok := checkNext(t, s, b, first)
		if ok {
			assert.True(t, second.After(first))
		}
		if s.kind == At {
			assert.False(t, ok, "a one-time schedule fires once")
		}
	})
}
