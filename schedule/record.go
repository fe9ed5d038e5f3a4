package schedule

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flintfaas/flint/engine/store"
)

// The store's layout: two buckets of JSON records.
const (
	// SchedulesBucket holds one record per schedule, keyed GROUP/NAME:
	// its definition and its firing state, so that one Bucket.Update
	// changes both atomically.
	SchedulesBucket = "schedules"
	// GroupsBucket holds one record per schedule group, keyed by name.
	GroupsBucket = "schedule-groups"
)

// recordVersion is the format of the records; a newer one is refused.
const recordVersion = 1

// record is a schedule as the store keeps it. It is a type apart from
// Schedule so that the API and the stored form can change independently.
type record struct {
	Version int `json:"v"`
	// Gen counts the definition's changes: a fire claimed under one
	// generation does not advance the state of another.
	Gen      uint64     `json:"gen"`
	Def      definition `json:"def"`
	Created  time.Time  `json:"created"`
	Modified time.Time  `json:"modified"`
	Fire     fireState  `json:"fire"`
}

// definition is what CreateSchedule and UpdateSchedule set.
type definition struct {
	Name        string    `json:"name"`
	Group       string    `json:"group"`
	Description string    `json:"description,omitempty"`
	Expression  string    `json:"expression"`
	Timezone    string    `json:"timezone,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	State       State     `json:"state"`
	Mode        string    `json:"mode"`
	Window      int       `json:"window,omitempty"`
	Action      string    `json:"action"`
	KmsKeyArn   string    `json:"kmsKeyArn,omitempty"`
	TargetArn   string    `json:"targetArn"`
	RoleArn     string    `json:"roleArn"`
	Input       string    `json:"input,omitempty"`
	MaxAge      int       `json:"maxAge"`
	Retries     int       `json:"retries"`
	DeadLetter  string    `json:"deadLetter,omitempty"`
}

// fireState is where a schedule is in its fire times. Every change to it
// is a Bucket.Update of the whole record.
type fireState struct {
	// Next is the due time it waits for (zero: none, because the schedule
	// is disabled or complete).
	Next time.Time `json:"next,omitzero"`
	// Claim is a fire in progress: the process Owner is queueing the
	// invocation for due time Due. Until then nobody else fires it; after
	// it, the claim is void (its owner died) and Due is fired again.
	Claim *claim `json:"claim,omitempty"`
	// Last is the last due time fired (or dropped).
	Last time.Time `json:"last,omitzero"`
	// Fired, Dropped and Failed count this schedule's due times by what
	// became of them.
	Fired   uint64 `json:"fired,omitempty"`
	Dropped uint64 `json:"dropped,omitempty"`
	Failed  uint64 `json:"failed,omitempty"`
}

// claim is a fire in progress.
type claim struct {
	Due   time.Time `json:"due"`
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
}

// groupRecord is a schedule group as the store keeps it.
type groupRecord struct {
	Version  int       `json:"v"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Tags     []Tag     `json:"tags,omitempty"`
}

func defOf(sc *Schedule) definition {
	rp := sc.Target.RetryPolicy
	d := definition{
		Name: sc.Name, Group: sc.GroupName, Description: sc.Description,
		Expression: sc.ScheduleExpression, Timezone: sc.ScheduleExpressionTimezone,
		Start: sc.StartDate.UTC(), End: sc.EndDate.UTC(), State: sc.State,
		Mode: string(sc.FlexibleTimeWindow.Mode), Window: sc.FlexibleTimeWindow.MaximumWindowInMinutes,
		Action: string(sc.ActionAfterCompletion), KmsKeyArn: sc.KmsKeyArn,
		TargetArn: sc.Target.Arn, RoleArn: sc.Target.RoleArn, Input: sc.Target.Input,
		MaxAge: *rp.MaximumEventAgeInSeconds, Retries: *rp.MaximumRetryAttempts,
	}
	if sc.StartDate.IsZero() {
		d.Start = time.Time{}
	}
	if sc.EndDate.IsZero() {
		d.End = time.Time{}
	}
	if dl := sc.Target.DeadLetterConfig; dl != nil {
		d.DeadLetter = dl.Arn
	}
	return d
}

// schedule returns the record as the API shows it.
func (r *record) schedule(arn string) Schedule {
	d := &r.Def
	sc := Schedule{
		Name: d.Name, GroupName: d.Group, Description: d.Description,
		ScheduleExpression: d.Expression, ScheduleExpressionTimezone: d.Timezone,
		StartDate: d.Start, EndDate: d.End, State: d.State,
		FlexibleTimeWindow:    FlexibleTimeWindow{Mode: FlexibleMode(d.Mode), MaximumWindowInMinutes: d.Window},
		ActionAfterCompletion: ActionAfterCompletion(d.Action), KmsKeyArn: d.KmsKeyArn,
		Target: Target{Arn: d.TargetArn, RoleArn: d.RoleArn, Input: d.Input,
			RetryPolicy: &RetryPolicy{MaximumEventAgeInSeconds: ptr(d.MaxAge), MaximumRetryAttempts: ptr(d.Retries)}},
		Arn: arn, CreationDate: r.Created, LastModificationDate: r.Modified,
	}
	if d.DeadLetter != "" {
		sc.Target.DeadLetterConfig = &DeadLetterConfig{Arn: d.DeadLetter}
	}
	return sc
}

// asSchedule returns the definition as a Schedule to validate again (when
// a record is loaded).
func (r *record) asSchedule() *Schedule {
	sc := r.schedule("")
	return &sc
}

func encodeRecord(r *record) ([]byte, error) {
	r.Version = recordVersion
	return json.Marshal(r)
}

func decodeRecord(key string, b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("schedule %s: %w: %v", key, store.ErrCorrupt, err)
	}
	if r.Version != recordVersion {
		return nil, fmt.Errorf("schedule %s: %w: record version %d, this Flint reads %d", key, store.ErrCorrupt, r.Version, recordVersion)
	}
	return &r, nil
}

func encodeGroup(g *groupRecord) ([]byte, error) {
	g.Version = recordVersion
	return json.Marshal(g)
}

func decodeGroup(name string, b []byte) (*groupRecord, error) {
	var g groupRecord
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("schedule group %s: %w: %v", name, store.ErrCorrupt, err)
	}
	if g.Version != recordVersion {
		return nil, fmt.Errorf("schedule group %s: %w: record version %d, this Flint reads %d", name, store.ErrCorrupt, g.Version, recordVersion)
	}
	return &g, nil
}
