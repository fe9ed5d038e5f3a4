package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/schedule"
	"github.com/flintfaas/flint/schedule/expression"
	"github.com/urfave/cli/v2"
)

// schedulerRole is the RoleArn the CLI gives its schedules' targets:
// EventBridge Scheduler requires one, and Flint keeps it without using it
// (a function runs with its own execution policy).
const schedulerRole = "arn:aws:iam::" + gateway.DefaultAccountID + ":role/flint-scheduler"

func scheduleCommand() *cli.Command {
	group := &cli.StringFlag{Name: "group", Value: schedule.DefaultGroup, Usage: "the schedule `GROUP`"}
	put := &cli.Command{
		Name:      "put",
		Usage:     "create a schedule, or replace the one of that name",
		ArgsUsage: "NAME",
		Description: `Fires the target function asynchronously at every due time of the expression
(give one of --cron, --rate, --at or --expression), through the EventBridge
Scheduler API:

  flint schedule put nightly --cron '0 3 * * ? *' --tz Europe/Berlin --target report
  flint schedule put ticker --rate '1 minute' --target ticker --input '{"hello":"flint"}'
  flint schedule put once --at 2027-01-01T00:00:00 --target report --delete-after-completion

The input may hold <aws.scheduler.scheduled-time>, <aws.scheduler.schedule-arn>
and <aws.scheduler.execution-id>, replaced at each fire. A schedule that exists
is replaced whole: flags not given take their defaults.`,
		Flags: withClientFlags(
			&cli.StringFlag{Name: "cron", Usage: "six-field cron `FIELDS`: minutes hours day-of-month month day-of-week year"},
			&cli.StringFlag{Name: "rate", Usage: "a rate: `N UNIT` (5 minutes, 1 hour, 2 days)"},
			&cli.StringFlag{Name: "at", Usage: "once, at `yyyy-mm-ddThh:mm:ss` in the time zone"},
			&cli.StringFlag{Name: "expression", Usage: "the whole schedule `EXPRESSION`: at(...), rate(...) or cron(...)"},
			&cli.StringFlag{Name: "tz", Usage: "IANA time `ZONE` of cron and at times (default UTC)"},
			&cli.StringFlag{Name: "target", Usage: "the function: `NAME[:QUALIFIER]` or its ARN (required)"},
			&cli.StringFlag{Name: "input", Usage: "the event: `JSON`, @file or - (default {})"},
			group,
			&cli.StringFlag{Name: "description", Usage: "a `TEXT` of up to 512 characters"},
			&cli.BoolFlag{Name: "disabled", Usage: "create it disabled: it does not fire"},
			&cli.StringFlag{Name: "start", Usage: "fire from `TIME` on (RFC 3339, such as 2027-01-01T00:00:00Z)"},
			&cli.StringFlag{Name: "end", Usage: "fire until `TIME` (RFC 3339)"},
			&cli.IntFlag{Name: "window", Usage: "spread each fire over a flexible window of `MINUTES` (1-1440)", DefaultText: "off: fire on time"},
			&cli.IntFlag{Name: "retries", Value: -1, Usage: "retry a failed invocation up to `N` times (0-185; default 185)"},
			&cli.DurationFlag{Name: "max-age", Usage: "give up a fire older than `D` (1m-24h)", DefaultText: "24h"},
			&cli.StringFlag{Name: "dead-letter", Usage: "where failed fires go: `DEST` dead-letter (flint dlq), a function NAME[:Q], or an ARN"},
			&cli.BoolFlag{Name: "delete-after-completion", Usage: "delete the schedule after its last fire"},
		),
		OnUsageError: onUsageError,
		Action:       clientAction(schedulePutAction),
	}
	named := func(name, usage string, action func(*cli.Context, *client) error) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: "NAME", Flags: withClientFlags(group),
			OnUsageError: onUsageError, Action: clientAction(action)}
	}
	return &cli.Command{
		Name:  "schedule",
		Usage: "create, show and delete schedules (EventBridge Scheduler) that invoke functions",
		Subcommands: []*cli.Command{
			put,
			named("get", "show a schedule", scheduleGetAction),
			{
				Name: "ls", Usage: "list schedules", ArgsUsage: " ",
				Flags: withClientFlags(
					&cli.StringFlag{Name: "group", Usage: "only the schedules of `GROUP`"},
					&cli.StringFlag{Name: "prefix", Usage: "only names that start with `PREFIX`"},
					&cli.StringFlag{Name: "state", Usage: "only the schedules in `STATE` ENABLED or DISABLED"},
				),
				OnUsageError: onUsageError,
				Action:       clientAction(scheduleListAction),
			},
			named("rm", "delete a schedule", scheduleRemoveAction),
		},
	}
}

// scheduleExpression builds the expression from put's flags.
func scheduleExpression(c *cli.Context) (string, error) {
	var exprs []string
	for _, f := range []struct{ flag, keyword string }{{"cron", "cron"}, {"rate", "rate"}, {"at", "at"}, {"expression", ""}} {
		v := strings.TrimSpace(c.String(f.flag))
		if v == "" {
			continue
		}
		if f.keyword != "" && !strings.HasPrefix(v, f.keyword+"(") {
			v = f.keyword + "(" + v + ")"
		}
		exprs = append(exprs, v)
	}
	if len(exprs) != 1 {
		return "", usageErrorf("%s: give one of --cron, --rate, --at and --expression", commandName(c))
	}
	return exprs[0], nil
}

// functionArn makes a target or function destination's ARN from
// NAME[:QUALIFIER] in region; an ARN stays as it is.
func functionArn(c *cli.Context, region, s string) (string, error) {
	if strings.HasPrefix(s, "arn:") {
		return s, nil
	}
	name, qualifier, err := splitTarget(c, s)
	if err != nil {
		return "", err
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, gateway.DefaultAccountID, name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn, nil
}

func schedulePutAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	expr, err := scheduleExpression(c)
	if err != nil {
		return err
	}
	if c.String("target") == "" {
		return usageErrorf("%s: --target NAME[:QUALIFIER] is required", commandName(c))
	}
	targetArn, err := functionArn(c, cl.region, c.String("target"))
	if err != nil {
		return err
	}
	in := &scheduler.CreateScheduleInput{
		Name:               aws.String(name),
		GroupName:          aws.String(c.String("group")),
		ScheduleExpression: aws.String(expr),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(targetArn), RoleArn: aws.String(schedulerRole)},
	}
	if tz := c.String("tz"); tz != "" {
		in.ScheduleExpressionTimezone = aws.String(tz)
	}
	if d := c.String("description"); d != "" {
		in.Description = aws.String(d)
	}
	if c.Bool("disabled") {
		in.State = types.ScheduleStateDisabled
	}
	if c.Bool("delete-after-completion") {
		in.ActionAfterCompletion = types.ActionAfterCompletionDelete
	}
	for _, f := range []struct {
		flag string
		dst  **time.Time
	}{{"start", &in.StartDate}, {"end", &in.EndDate}} {
		if s := c.String(f.flag); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return usageErrorf("%s: --%s %q: use RFC 3339, such as 2027-01-01T00:00:00Z", commandName(c), f.flag, s)
			}
			*f.dst = &t
		}
	}
	if w := c.Int("window"); w != 0 {
		in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(int32(w))}
	}
	if s := c.String("input"); s != "" {
		b, err := readPayload(s, cl.stdin)
		if err != nil {
			return usageErrorf("%s: --input: %v", commandName(c), err)
		}
		in.Target.Input = aws.String(string(b))
	}
	if r, age := c.Int("retries"), c.Duration("max-age"); r >= 0 || age != 0 {
		in.Target.RetryPolicy = &types.RetryPolicy{}
		if r >= 0 {
			in.Target.RetryPolicy.MaximumRetryAttempts = aws.Int32(int32(min(r, 1<<30)))
		}
		if age != 0 {
			in.Target.RetryPolicy.MaximumEventAgeInSeconds = aws.Int32(int32(min(age/time.Second, 1<<30)))
		}
	}
	if d := c.String("dead-letter"); d != "" {
		arn := d
		switch {
		case d == "dead-letter":
			arn = schedule.DeadLetterStoreArn
		case !strings.HasPrefix(d, "arn:") && !strings.HasPrefix(d, "flint:"):
			if arn, err = functionArn(c, cl.region, d); err != nil {
				return err
			}
		}
		in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(arn)}
	}

	verb := "created"
	out, err := cl.scheduler.CreateSchedule(c.Context, in)
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		verb = "updated"
		var up *scheduler.UpdateScheduleOutput
		up, err = cl.scheduler.UpdateSchedule(c.Context, &scheduler.UpdateScheduleInput{
			Name: in.Name, GroupName: in.GroupName, ScheduleExpression: in.ScheduleExpression,
			ScheduleExpressionTimezone: in.ScheduleExpressionTimezone, Description: in.Description,
			StartDate: in.StartDate, EndDate: in.EndDate, State: in.State, ActionAfterCompletion: in.ActionAfterCompletion,
			FlexibleTimeWindow: in.FlexibleTimeWindow, Target: in.Target,
		})
		if err == nil {
			out = &scheduler.CreateScheduleOutput{ScheduleArn: up.ScheduleArn}
		}
	}
	if err != nil {
		return cl.fail(err, "schedule group "+c.String("group"))
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"arn": aws.ToString(out.ScheduleArn), "result": verb})
	}
	_, err = fmt.Fprintf(cl.stdout, "schedule %s %s: %s\n", name, verb, aws.ToString(out.ScheduleArn))
	return err
}

// scheduleOut is a schedule as -o json prints it.
type scheduleOut struct {
	Name                  string     `json:"name"`
	Group                 string     `json:"group"`
	Arn                   string     `json:"arn"`
	State                 string     `json:"state"`
	Expression            string     `json:"expression,omitempty"`
	Timezone              string     `json:"timezone,omitempty"`
	Description           string     `json:"description,omitempty"`
	Start                 *time.Time `json:"start,omitempty"`
	End                   *time.Time `json:"end,omitempty"`
	WindowMinutes         int32      `json:"windowMinutes,omitempty"`
	Target                string     `json:"target"`
	Input                 any        `json:"input,omitempty"`
	MaximumRetryAttempts  *int32     `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAgeSecs   *int32     `json:"maximumEventAgeSeconds,omitempty"`
	DeadLetter            string     `json:"deadLetter,omitempty"`
	ActionAfterCompletion string     `json:"actionAfterCompletion,omitempty"`
	NextDue               *time.Time `json:"nextDue,omitempty"`
	Created               *time.Time `json:"created,omitempty"`
	LastModified          *time.Time `json:"lastModified,omitempty"`
}

// nextDue is when an enabled schedule is next due, computed here from its
// expression (without its flexible window's offset).
func nextDue(o *scheduleOut) *time.Time {
	if o.State != string(types.ScheduleStateEnabled) {
		return nil
	}
	e, err := expression.Parse(o.Expression, o.Timezone)
	if err != nil {
		return nil
	}
	b := expression.Bounds{}
	for dst, src := range map[*time.Time]*time.Time{&b.Start: o.Start, &b.End: o.End, &b.Anchor: o.Created} {
		if src != nil {
			*dst = *src
		}
	}
	b.Anchor = b.Anchor.Truncate(time.Second) // as the server anchors rates
	t, ok := e.Next(time.Now(), b)
	if !ok {
		return nil
	}
	t = t.UTC()
	return &t
}

func scheduleGetAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	got, err := cl.scheduler.GetSchedule(c.Context, &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String(c.String("group"))})
	if err != nil {
		return cl.fail(err, "schedule "+name)
	}
	o := scheduleOut{
		Name: aws.ToString(got.Name), Group: aws.ToString(got.GroupName), Arn: aws.ToString(got.Arn), State: string(got.State),
		Expression: aws.ToString(got.ScheduleExpression), Timezone: aws.ToString(got.ScheduleExpressionTimezone),
		Description: aws.ToString(got.Description), Start: got.StartDate, End: got.EndDate,
		ActionAfterCompletion: string(got.ActionAfterCompletion), Created: got.CreationDate, LastModified: got.LastModificationDate,
	}
	if w := got.FlexibleTimeWindow; w != nil {
		o.WindowMinutes = aws.ToInt32(w.MaximumWindowInMinutes)
	}
	if t := got.Target; t != nil {
		o.Target = aws.ToString(t.Arn)
		if t.Input != nil {
			o.Input = rawOrString([]byte(*t.Input))
		}
		if rp := t.RetryPolicy; rp != nil {
			o.MaximumRetryAttempts, o.MaximumEventAgeSecs = rp.MaximumRetryAttempts, rp.MaximumEventAgeInSeconds
		}
		if d := t.DeadLetterConfig; d != nil {
			o.DeadLetter = aws.ToString(d.Arn)
		}
	}
	o.NextDue = nextDue(&o)
	if cl.json {
		return printJSON(cl.stdout, o)
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	}
	t := newTable(cl.stdout)
	t.row("name", o.Name)
	t.row("group", o.Group)
	t.row("arn", o.Arn)
	t.row("state", o.State)
	t.row("expression", o.Expression)
	t.row("time zone", orDash(o.Timezone))
	t.row("description", orDash(o.Description))
	t.row("start", when(o.Start))
	t.row("end", when(o.End))
	if o.WindowMinutes > 0 {
		t.row("flexible window", fmt.Sprintf("%d min", o.WindowMinutes))
	} else {
		t.row("flexible window", "off")
	}
	t.row("target", o.Target)
	t.row("input", orDash(aws.ToString(got.Target.Input)))
	if o.MaximumRetryAttempts != nil && o.MaximumEventAgeSecs != nil {
		t.row("retries", fmt.Sprintf("%d within %s", *o.MaximumRetryAttempts, time.Duration(*o.MaximumEventAgeSecs)*time.Second))
	}
	t.row("dead letter", orDash(o.DeadLetter))
	t.row("after completion", o.ActionAfterCompletion)
	t.row("next due", when(o.NextDue))
	t.row("created", when(o.Created))
	t.row("last modified", when(o.LastModified))
	return t.flush()
}

func scheduleListAction(c *cli.Context, cl *client) error {
	if c.NArg() != 0 {
		return usageErrorf("%s: takes no arguments (see '%s --help')", commandName(c), commandName(c))
	}
	in := &scheduler.ListSchedulesInput{}
	if g := c.String("group"); g != "" {
		in.GroupName = aws.String(g)
	}
	if p := c.String("prefix"); p != "" {
		in.NamePrefix = aws.String(p)
	}
	if s := strings.ToUpper(c.String("state")); s != "" {
		in.State = types.ScheduleState(s)
	}
	type row struct {
		Name     string    `json:"name"`
		Group    string    `json:"group"`
		Arn      string    `json:"arn"`
		State    string    `json:"state"`
		Target   string    `json:"target"`
		Modified time.Time `json:"lastModified"`
	}
	rows := []row{}
	p := scheduler.NewListSchedulesPaginator(cl.scheduler, in)
	for p.HasMorePages() {
		page, err := p.NextPage(c.Context)
		if err != nil {
			return cl.fail(err, "schedule group "+c.String("group"))
		}
		for _, s := range page.Schedules {
			r := row{Name: aws.ToString(s.Name), Group: aws.ToString(s.GroupName), Arn: aws.ToString(s.Arn), State: string(s.State),
				Modified: aws.ToTime(s.LastModificationDate).UTC()}
			if s.Target != nil {
				r.Target = aws.ToString(s.Target.Arn)
			}
			rows = append(rows, r)
		}
	}
	if cl.json {
		return printJSON(cl.stdout, rows)
	}
	t := newTable(cl.stdout, "NAME", "GROUP", "STATE", "TARGET", "LAST MODIFIED")
	for _, r := range rows {
		target := r.Target
		if i := strings.Index(target, ":function:"); i >= 0 {
			target = target[i+len(":function:"):]
		}
		t.row(r.Name, r.Group, r.State, target, r.Modified.Format("2006-01-02 15:04:05Z"))
	}
	return t.flush()
}

func scheduleRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	_, err := cl.scheduler.DeleteSchedule(c.Context, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(c.String("group"))})
	if err != nil {
		return cl.fail(err, "schedule "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": name})
	}
	_, err = fmt.Fprintf(cl.stdout, "schedule %s deleted\n", name)
	return err
}
