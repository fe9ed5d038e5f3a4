package expression

import "time"

// Wall-clock times are carried as time.Time values in UTC: their fields are
// the wall clock, and adding a minute to them is calendar arithmetic with
// no zone in the way. The functions here turn them into instants.

// offsetAt returns the zone's UTC offset, in seconds, at the Unix second
// sec.
func offsetAt(sec int64, loc *time.Location) int64 {
	_, off := time.Unix(sec, 0).In(loc).Zone()
	return int64(off)
}

// firstInstant returns the earliest instant at which the zone's clocks show
// the wall time w, or false when they never do (w falls in a gap where the
// clocks jumped forward).
func firstInstant(w time.Time, loc *time.Location) (time.Time, bool) {
	u := w.Unix()
	if loc == time.UTC {
		return time.Unix(u, 0), true
	}
	// Whatever offset applies to w is in force within a day of u read as
	// an instant (offsets stay under 24 hours), and zones change offset at
	// most once a day: the offsets a day either side of u cover both sides
	// of any change near w.
	var best int64
	found := false
	for _, probe := range [...]int64{u - 86400, u, u + 86400} {
		off := offsetAt(probe, loc)
		if i := u - off; offsetAt(i, loc) == off && (!found || i < best) {
			best, found = i, true
		}
	}
	return time.Unix(best, 0), found
}

// atInstant places an at() wall time in its zone: at its first instant, or,
// in a spring-forward gap, at the instant the wall time names with the
// offset in force before the gap (which the clocks show as the wall time
// plus the gap's length).
func atInstant(w time.Time, loc *time.Location) time.Time {
	if t, ok := firstInstant(w, loc); ok {
		return t
	}
	u := w.Unix()
	return time.Unix(u-offsetAt(u-86400, loc), 0)
}

// daysIn returns the number of days in month m (1-12) of year y, in the
// proleptic Gregorian calendar.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
