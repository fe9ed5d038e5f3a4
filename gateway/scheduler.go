package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/schedule"
	"github.com/valyala/fasthttp"
)

// The EventBridge Scheduler API (restJson1), served from the rows of the
// route table with access schedulerAdmin: the paths, query parameters and
// JSON members are those of the AWS SDK's scheduler client; timestamps
// are epoch seconds; errors carry X-Amzn-ErrorType and {"Message": ...}.

// SchedulerService is the SigV4 service name the Scheduler API's requests
// are signed for, as the AWS clients sign them.
const SchedulerService = "scheduler"

// maxSchedulerBody bounds a Scheduler request's body: the largest valid
// one (an 8192-character Input among short fields) is far smaller, and a
// request four times over is refused before it is decoded.
const maxSchedulerBody = 4 << 20

// epoch is a time as Scheduler's JSON has it: seconds since the epoch, a
// number with milliseconds.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// scheduleJSON is GetSchedule's answer.
type scheduleJSON struct {
	ActionAfterCompletion      string              `json:"ActionAfterCompletion,omitempty"`
	Arn                        string              `json:"Arn"`
	CreationDate               epoch               `json:"CreationDate"`
	Description                string              `json:"Description,omitempty"`
	EndDate                    *epoch              `json:"EndDate,omitempty"`
	FlexibleTimeWindow         *flexibleWindowJSON `json:"FlexibleTimeWindow"`
	GroupName                  string              `json:"GroupName"`
	KmsKeyArn                  string              `json:"KmsKeyArn,omitempty"`
	LastModificationDate       epoch               `json:"LastModificationDate"`
	Name                       string              `json:"Name"`
	ScheduleExpression         string              `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string              `json:"ScheduleExpressionTimezone,omitempty"`
	StartDate                  *epoch              `json:"StartDate,omitempty"`
	State                      string              `json:"State"`
	Target                     targetJSON          `json:"Target"`
}

type flexibleWindowJSON struct {
	MaximumWindowInMinutes *int   `json:"MaximumWindowInMinutes,omitempty"`
	Mode                   string `json:"Mode"`
}

type targetJSON struct {
	Arn              string                `json:"Arn"`
	DeadLetterConfig *deadLetterConfigJSON `json:"DeadLetterConfig,omitempty"`
	Input            string                `json:"Input,omitempty"`
	RetryPolicy      *retryPolicyJSON      `json:"RetryPolicy,omitempty"`
	RoleArn          string                `json:"RoleArn"`
}

type deadLetterConfigJSON struct {
	Arn string `json:"Arn,omitempty"`
}

type retryPolicyJSON struct {
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds,omitempty"`
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts,omitempty"`
}

// number is a numeric member as it was written, checked where it is read
// (intOf, timeOf) so that a bad one is reported with its field's name.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	*n = number(b)
	return nil
}

func (n *number) String() string { return string(*n) }

// scheduleRequest is CreateSchedule's and UpdateSchedule's body: every
// member a pointer, so that absent and empty differ, and numbers kept as
// written until checked.
type scheduleRequest struct {
	ActionAfterCompletion *string
	ClientToken           *string
	Description           *string
	EndDate               *number
	FlexibleTimeWindow    *struct {
		MaximumWindowInMinutes *number
		Mode                   *string
	}
	GroupName                  *string
	KmsKeyArn                  *string
	ScheduleExpression         *string
	ScheduleExpressionTimezone *string
	StartDate                  *number
	State                      *string
	Target                     *struct {
		Arn              *string
		DeadLetterConfig *struct{ Arn *string }
		Input            *string
		RetryPolicy      *struct {
			MaximumEventAgeInSeconds *number
			MaximumRetryAttempts     *number
		}
		RoleArn *string
		// Scheduler's other target kinds, which Flint does not have.
		EcsParameters               json.RawMessage
		EventBridgeParameters       json.RawMessage
		KinesisParameters           json.RawMessage
		SageMakerPipelineParameters json.RawMessage
		SqsParameters               json.RawMessage
	}
}

// validation returns a ValidationException about field, in AWS's words.
func validation(field, value, constraint string) *apiError {
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	return apiErr("ValidationException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
		strings.ToValidUTF8(value, "?"), field, constraint)
}

// readSchedulerJSON decodes a Scheduler request body strictly into v;
// every failure is a ValidationException that names what it can.
func readSchedulerJSON(ctx *fasthttp.RequestCtx, v any) error {
	body := ctx.PostBody()
	if len(body) > maxSchedulerBody {
		return apiErr("ValidationException", "the request body is %d bytes; a Scheduler request is at most %d", len(body), maxSchedulerBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return validation(te.Field, te.Value, "Member must be "+jsonKind(te.Type.String()))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return apiErr("ValidationException", "Unknown member %s in the request body", field)
	}
	return apiErr("ValidationException", "the request body is not valid JSON: %s", msg)
}

// jsonKind names a Go type of a request member as JSON has it.
func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "Number"):
		return "a number"
	case strings.Contains(goType, "[]"):
		return "a list"
	}
	return "an object"
}

// intOf reads an integer member.
func intOf(field string, n *number) (*int, error) {
	if n == nil {
		return nil, nil
	}
	v, err := strconv.Atoi(n.String())
	if err != nil || v < math.MinInt32 || v > math.MaxInt32 || !json.Valid([]byte(*n)) {
		return nil, validation(field, n.String(), "Member must be an integer")
	}
	return &v, nil
}

// timeOf reads a timestamp member, epoch seconds.
func timeOf(field string, n *number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	const maxSec = 253402300799 // 9999-12-31T23:59:59Z
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || !json.Valid([]byte(*n)) || strings.ContainsAny(n.String(), `"nN`) || math.IsNaN(f) || f < 0 || f > maxSec {
		return time.Time{}, validation(field, n.String(), "Member must be a timestamp in epoch seconds between 0 and 253402300799")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), nil
}

// nonEmpty checks a member that, when present, has a minimum length of 1.
func nonEmpty(field string, s *string) error {
	if s != nil && *s == "" {
		return validation(field, "", "Member must have length greater than or equal to 1")
	}
	return nil
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// scheduleOf turns a request into the Scheduler's Schedule.
func scheduleOf(name string, in *scheduleRequest) (schedule.Schedule, error) {
	sc := schedule.Schedule{
		Name: name, GroupName: str(in.GroupName), Description: str(in.Description),
		ScheduleExpression: str(in.ScheduleExpression), ScheduleExpressionTimezone: str(in.ScheduleExpressionTimezone),
		State: schedule.State(str(in.State)), ActionAfterCompletion: schedule.ActionAfterCompletion(str(in.ActionAfterCompletion)),
		KmsKeyArn: str(in.KmsKeyArn), ClientToken: str(in.ClientToken),
	}
	for _, m := range []struct {
		field string
		s     *string
	}{{"GroupName", in.GroupName}, {"ScheduleExpressionTimezone", in.ScheduleExpressionTimezone}, {"State", in.State},
		{"ActionAfterCompletion", in.ActionAfterCompletion}, {"KmsKeyArn", in.KmsKeyArn}, {"ClientToken", in.ClientToken}} {
		if err := nonEmpty(m.field, m.s); err != nil {
			return sc, err
		}
	}
	var err error
	if sc.StartDate, err = timeOf("StartDate", in.StartDate); err != nil {
		return sc, err
	}
	if sc.EndDate, err = timeOf("EndDate", in.EndDate); err != nil {
		return sc, err
	}
	if fw := in.FlexibleTimeWindow; fw != nil {
		if err := nonEmpty("FlexibleTimeWindow.Mode", fw.Mode); err != nil {
			return sc, err
		}
		sc.FlexibleTimeWindow.Mode = schedule.FlexibleMode(str(fw.Mode))
		w, err := intOf("FlexibleTimeWindow.MaximumWindowInMinutes", fw.MaximumWindowInMinutes)
		if err != nil {
			return sc, err
		}
		if w != nil {
			if *w == 0 {
				return sc, validation("FlexibleTimeWindow.MaximumWindowInMinutes", "0", "Member must have value greater than or equal to 1")
			}
			sc.FlexibleTimeWindow.MaximumWindowInMinutes = *w
		}
	}
	t := in.Target
	if t == nil {
		return sc, nil // the Scheduler says Target.Arn and Target.RoleArn are missing
	}
	for _, m := range []struct {
		field string
		raw   json.RawMessage
	}{{"Target.EcsParameters", t.EcsParameters}, {"Target.EventBridgeParameters", t.EventBridgeParameters},
		{"Target.KinesisParameters", t.KinesisParameters}, {"Target.SageMakerPipelineParameters", t.SageMakerPipelineParameters},
		{"Target.SqsParameters", t.SqsParameters}} {
		if len(m.raw) > 0 && string(m.raw) != "null" {
			return sc, apiErr("ValidationException", "%s is not supported: Flint's schedules invoke Lambda functions only", m.field)
		}
	}
	if err := nonEmpty("Target.Input", t.Input); err != nil {
		return sc, err
	}
	sc.Target = schedule.Target{Arn: str(t.Arn), RoleArn: str(t.RoleArn), Input: str(t.Input)}
	if rp := t.RetryPolicy; rp != nil {
		sc.Target.RetryPolicy = &schedule.RetryPolicy{}
		if sc.Target.RetryPolicy.MaximumEventAgeInSeconds, err = intOf("Target.RetryPolicy.MaximumEventAgeInSeconds", rp.MaximumEventAgeInSeconds); err != nil {
			return sc, err
		}
		if sc.Target.RetryPolicy.MaximumRetryAttempts, err = intOf("Target.RetryPolicy.MaximumRetryAttempts", rp.MaximumRetryAttempts); err != nil {
			return sc, err
		}
	}
	if d := t.DeadLetterConfig; d != nil {
		if err := nonEmpty("Target.DeadLetterConfig.Arn", d.Arn); err != nil {
			return sc, err
		}
		sc.Target.DeadLetterConfig = &schedule.DeadLetterConfig{Arn: str(d.Arn)}
	}
	return sc, nil
}

// scheduler returns the gateway's Scheduler, or says there is none.
func (g *Gateway) scheduler(c *call) (*schedule.Scheduler, error) {
	if g.cfg.Scheduler == nil {
		return nil, apiErr("UnknownOperationException", "this server does not serve the EventBridge Scheduler API (%s %s)",
			c.ctx.Method(), c.ctx.Path())
	}
	return g.cfg.Scheduler, nil
}

func (g *Gateway) createSchedule(c *call) error { return g.putSchedule(c, true) }

func (g *Gateway) updateSchedule(c *call) error { return g.putSchedule(c, false) }

// putSchedule serves CreateSchedule and UpdateSchedule.
func (g *Gateway) putSchedule(c *call, create bool) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	var in scheduleRequest
	if err := readSchedulerJSON(c.ctx, &in); err != nil {
		return err
	}
	sc, err := scheduleOf(c.params.get("schedule"), &in)
	if err != nil {
		return err
	}
	var arn string
	if create {
		arn, err = s.Create(c.ctx, sc)
	} else {
		arn, err = s.Update(c.ctx, sc)
	}
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]string{"ScheduleArn": arn})
	return nil
}

func (g *Gateway) getSchedule(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	sc, err := s.Get(c.ctx, query(c.ctx, "groupName"), c.params.get("schedule"))
	if err != nil {
		return err
	}
	out := scheduleJSON{
		ActionAfterCompletion: string(sc.ActionAfterCompletion), Arn: sc.Arn, CreationDate: epoch(sc.CreationDate),
		Description: sc.Description, FlexibleTimeWindow: &flexibleWindowJSON{Mode: string(sc.FlexibleTimeWindow.Mode)},
		GroupName: sc.GroupName, KmsKeyArn: sc.KmsKeyArn, LastModificationDate: epoch(sc.LastModificationDate),
		Name: sc.Name, ScheduleExpression: sc.ScheduleExpression, ScheduleExpressionTimezone: sc.ScheduleExpressionTimezone,
		State:  string(sc.State),
		Target: targetJSON{Arn: sc.Target.Arn, RoleArn: sc.Target.RoleArn, Input: sc.Target.Input},
	}
	if w := sc.FlexibleTimeWindow.MaximumWindowInMinutes; w != 0 {
		out.FlexibleTimeWindow.MaximumWindowInMinutes = &w
	}
	if !sc.StartDate.IsZero() {
		out.StartDate = (*epoch)(&sc.StartDate)
	}
	if !sc.EndDate.IsZero() {
		out.EndDate = (*epoch)(&sc.EndDate)
	}
	if rp := sc.Target.RetryPolicy; rp != nil {
		out.Target.RetryPolicy = &retryPolicyJSON{MaximumEventAgeInSeconds: rp.MaximumEventAgeInSeconds, MaximumRetryAttempts: rp.MaximumRetryAttempts}
	}
	if d := sc.Target.DeadLetterConfig; d != nil {
		out.Target.DeadLetterConfig = &deadLetterConfigJSON{Arn: d.Arn}
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) deleteSchedule(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	if err := s.Delete(c.ctx, query(c.ctx, "groupName"), c.params.get("schedule")); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, struct{}{})
	return nil
}

// listOptions reads ListSchedules' and ListScheduleGroups' query.
func listOptions(ctx *fasthttp.RequestCtx) (schedule.ListOptions, error) {
	o := schedule.ListOptions{GroupName: query(ctx, "ScheduleGroup"), NamePrefix: query(ctx, "NamePrefix"),
		State: schedule.State(query(ctx, "State")), NextToken: query(ctx, "NextToken")}
	if s := query(ctx, "MaxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > schedule.MaxResults {
			return o, validation("MaxResults", s, fmt.Sprintf("Member must be an integer between 1 and %d", schedule.MaxResults))
		}
		o.MaxResults = n
	}
	return o, nil
}

func (g *Gateway) listSchedules(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	o, err := listOptions(c.ctx)
	if err != nil {
		return err
	}
	page, next, err := s.List(c.ctx, o)
	if err != nil {
		return err
	}
	type summary struct {
		Arn                  string
		CreationDate         epoch
		GroupName            string
		LastModificationDate epoch
		Name                 string
		State                string
		Target               struct{ Arn string }
	}
	out := struct {
		NextToken string `json:",omitempty"`
		Schedules []summary
	}{NextToken: next, Schedules: make([]summary, len(page))}
	for i, sc := range page {
		out.Schedules[i] = summary{Arn: sc.Arn, CreationDate: epoch(sc.CreationDate), GroupName: sc.GroupName,
			LastModificationDate: epoch(sc.LastModificationDate), Name: sc.Name, State: string(sc.State)}
		out.Schedules[i].Target.Arn = sc.Target.Arn
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

// groupJSON is a schedule group as GetScheduleGroup and ListScheduleGroups
// show it.
type groupJSON struct {
	Arn                  string
	CreationDate         epoch
	LastModificationDate epoch
	Name                 string
	State                string
}

func groupOut(gr schedule.Group) groupJSON {
	return groupJSON{Arn: gr.Arn, CreationDate: epoch(gr.CreationDate), LastModificationDate: epoch(gr.LastModificationDate),
		Name: gr.Name, State: gr.State}
}

// tagsJSON is the tag list of CreateScheduleGroup, TagResource and
// ListTagsForResource.
type tagsJSON []struct {
	Key   *string
	Value *string
}

func tagsOf(in tagsJSON) ([]schedule.Tag, error) {
	out := make([]schedule.Tag, len(in))
	for i, t := range in {
		if t.Key == nil || t.Value == nil {
			return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'Tags.%d.member.%s' failed to satisfy constraint: Member must not be null",
				i+1, map[bool]string{true: "Key", false: "Value"}[t.Key == nil])
		}
		out[i] = schedule.Tag{Key: *t.Key, Value: *t.Value}
	}
	return out, nil
}

func tagsOut(tags []schedule.Tag) []schedule.Tag {
	if tags == nil {
		return []schedule.Tag{}
	}
	return tags
}

func (g *Gateway) createScheduleGroup(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	var in struct {
		ClientToken *string
		Tags        tagsJSON
	}
	if err := readSchedulerJSON(c.ctx, &in); err != nil {
		return err
	}
	tags, err := tagsOf(in.Tags)
	if err != nil {
		return err
	}
	arn, err := s.CreateGroup(c.ctx, c.params.get("group"), tags)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]string{"ScheduleGroupArn": arn})
	return nil
}

func (g *Gateway) getScheduleGroup(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	gr, err := s.GetGroup(c.ctx, c.params.get("group"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, groupOut(gr))
	return nil
}

func (g *Gateway) listScheduleGroups(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	o, err := listOptions(c.ctx)
	if err != nil {
		return err
	}
	o.GroupName, o.State = "", ""
	page, next, err := s.ListGroups(c.ctx, o)
	if err != nil {
		return err
	}
	out := struct {
		NextToken      string `json:",omitempty"`
		ScheduleGroups []groupJSON
	}{NextToken: next, ScheduleGroups: make([]groupJSON, len(page))}
	for i, gr := range page {
		out.ScheduleGroups[i] = groupOut(gr)
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) deleteScheduleGroup(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	if err := s.DeleteGroup(c.ctx, c.params.get("group")); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, struct{}{})
	return nil
}

func (g *Gateway) listTagsForResource(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	tags, err := s.Tags(c.ctx, c.params.get("arn"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Tags": tagsOut(tags)})
	return nil
}

func (g *Gateway) tagResource(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	var in struct{ Tags tagsJSON }
	if err := readSchedulerJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.Tags == nil {
		return apiErr("ValidationException", "1 validation error detected: Value null at 'Tags' failed to satisfy constraint: Member must not be null")
	}
	tags, err := tagsOf(in.Tags)
	if err != nil {
		return err
	}
	if err := s.Tag(c.ctx, c.params.get("arn"), tags); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, struct{}{})
	return nil
}

func (g *Gateway) untagResource(c *call) error {
	s, err := g.scheduler(c)
	if err != nil {
		return err
	}
	var keys []string
	for _, k := range c.ctx.QueryArgs().PeekMulti("TagKeys") {
		keys = append(keys, string(k))
	}
	if len(keys) == 0 {
		return apiErr("ValidationException", "1 validation error detected: Value null at 'TagKeys' failed to satisfy constraint: Member must not be null")
	}
	if err := s.Untag(c.ctx, c.params.get("arn"), keys); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, struct{}{})
	return nil
}
