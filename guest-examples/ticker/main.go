// Command ticker is a Flint function for schedules: it logs the event a
// schedule sends it and, when the event says when it was due, how late it
// ran. make run fires it every minute:
//
//	flint schedule put ticker --rate '1 minute' --target ticker \
//	  --input '{"schedule":"<aws.scheduler.schedule-arn>","due":"<aws.scheduler.scheduled-time>"}'
//
// and flint logs ticker shows the ticks.
package main

import (
	"encoding/json"
	"time"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is what a schedule's input gives ticker; other members are logged
// as they are.
type Event struct {
	// Due is the fire's due time, from <aws.scheduler.scheduled-time>.
	Due string `json:"due"`
}

func init() {
	guest.Handle(func(_ guest.Context, event []byte) ([]byte, error) {
		guest.Log(guest.LevelInfo, Describe(event, time.Now()))
		return event, nil
	})
}

// Describe is the log line for an event received at now.
func Describe(event []byte, now time.Time) string {
	line := "tick: " + string(event)
	var ev Event
	if json.Unmarshal(event, &ev) != nil || ev.Due == "" {
		return line
	}
	due, err := time.Parse(time.RFC3339, ev.Due)
	if err != nil {
		return line
	}
	return line + " (" + now.Sub(due).Round(time.Millisecond).String() + " after its due time)"
}
