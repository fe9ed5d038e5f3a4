package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
)

// durationValue is a flag value holding a duration, given as Go writes
// them ("3s", "500ms", "1m30s") or as a number of seconds ("2"), as
// Lambda's API takes timeouts.
type durationValue struct{ d time.Duration }

var _ cli.Generic = (*durationValue)(nil)

// Set parses a duration or a number of seconds.
func (v *durationValue) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 || n > float64(1<<62)/float64(time.Second) {
			return fmt.Errorf("%q is out of range", s)
		}
		v.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: use a number of seconds (3) or a number and a unit (3s, 500ms, 1m)", s)
	}
	v.d = d
	return nil
}

// String returns the duration as Go writes it.
func (v *durationValue) String() string {
	if v == nil {
		return ""
	}
	return v.d.String()
}

// durationFlag is a flag taking a duration (see durationValue). def is its
// value when not given; defaultText, when set, is what help shows as the
// default instead.
func durationFlag(name, usage string, def time.Duration, defaultText string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Usage: usage, Value: &durationValue{d: def}, DefaultText: defaultText}
}

// durationOf is the value of a durationFlag.
func durationOf(c *cli.Context, name string) time.Duration {
	if v, ok := c.Generic(name).(*durationValue); ok {
		return v.d
	}
	return 0
}

// lambdaSeconds turns a --timeout into the whole seconds Lambda's API takes,
// from 1 to 900: a duration that is not whole seconds is rounded up, and
// the note says so.
func lambdaSeconds(cmd string, d time.Duration) (secs int32, note string, err error) {
	const max = 15 * time.Minute
	switch {
	case d <= 0:
		return 0, "", usageErrorf("%s: --timeout %v: must be positive", cmd, d)
	case d > max:
		return 0, "", usageErrorf("%s: --timeout %v: at most %v (900 seconds), Lambda's limit", cmd, d, max)
	}
	rounded := (d + time.Second - 1) / time.Second
	if rounded*time.Second != d {
		note = fmt.Sprintf("%s: --timeout %v rounded up to %ds: Lambda's API takes whole seconds, at least 1", cmd, d, rounded)
	}
	return int32(rounded), note, nil
}
