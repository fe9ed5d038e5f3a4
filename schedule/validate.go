package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/names"
	"github.com/flintfaas/flint/schedule/expression"
)

// Patterns of EventBridge Scheduler's API model, which its messages quote.
const (
	namePattern        = `^[0-9a-zA-Z-_.]+$`
	clientTokenPattern = `^[a-zA-Z0-9-_]+$`
	roleArnPattern     = `^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$`
	kmsKeyArnPattern   = `^arn:aws(-[a-z]+)?:kms:[a-z0-9\-]+:\d{12}:(key|alias)\/[0-9a-zA-Z-_]*$`
)

// Dates outside these years are refused: they cannot be meant.
const minYear, maxYear = 1970, 9999

// violations collects the constraint failures of one request, to report
// them together as AWS does.
type violations struct {
	list []violation
}

type violation struct {
	field, text string
}

// add records that value, at field, fails constraint.
func (v *violations) add(field, value, constraint string) {
	v.list = append(v.list, violation{field, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", quoted(value), field, constraint)})
}

// missing records a required field that was not given.
func (v *violations) missing(field string) {
	v.list = append(v.list, violation{field, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field)})
}

// length checks a string field's length in characters.
func (v *violations) length(field, value string, min, max int) bool {
	if !utf8.ValidString(value) {
		v.add(field, value, "Member must be valid UTF-8")
		return false
	}
	n := utf8.RuneCountInString(value)
	switch {
	case n < min:
		v.add(field, value, fmt.Sprintf("Member must have length greater than or equal to %d", min))
		return false
	case n > max:
		v.add(field, value, fmt.Sprintf("Member must have length less than or equal to %d", max))
		return false
	}
	return true
}

// pattern checks a string field against a pattern of the API model.
func (v *violations) pattern(field, value, pattern string, ok func(string) bool) bool {
	if ok(value) {
		return true
	}
	v.add(field, value, "Member must satisfy regular expression pattern: "+pattern)
	return false
}

// enum checks a string field against its values.
func (v *violations) enum(field, value string, values ...string) bool {
	for _, s := range values {
		if value == s {
			return true
		}
	}
	v.add(field, value, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
	return false
}

// between checks an integer field.
func (v *violations) between(field string, n, min, max int) bool {
	switch {
	case n < min:
		v.add(field, strconv.Itoa(n), fmt.Sprintf("Member must have value greater than or equal to %d", min))
		return false
	case n > max:
		v.add(field, strconv.Itoa(n), fmt.Sprintf("Member must have value less than or equal to %d", max))
		return false
	}
	return true
}

// date checks a date field's year.
func (v *violations) date(field string, t time.Time) {
	if y := t.UTC().Year(); !t.IsZero() && (y < minYear || y > maxYear) {
		v.add(field, t.UTC().Format(time.RFC3339), fmt.Sprintf("Member must be a date between the years %d and %d", minYear, maxYear))
	}
}

// err returns the collected failures as one ValidationException, or nil.
func (v *violations) err() *Error {
	switch len(v.list) {
	case 0:
		return nil
	case 1:
		return invalid(v.list[0].field, "1 validation error detected: "+v.list[0].text)
	}
	texts := make([]string, len(v.list))
	for i, x := range v.list {
		texts[i] = x.text
	}
	return invalid(v.list[0].field, fmt.Sprintf("%d validation errors detected: %s", len(v.list), strings.Join(texts, "; ")))
}

// quoted makes a value safe and short enough to quote in a message: at
// most 64 characters, control characters and quotes replaced.
func quoted(s string) string {
	const max = 64
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == '\'' || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// validName reports whether s is a schedule or group name's characters.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != ""
}

func validClientToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// The ARN patterns are compiled where they are used, once per Scheduler:
// no package-level state.
type patterns struct {
	role, kms *regexp.Regexp
}

func newPatterns() *patterns {
	return &patterns{role: regexp.MustCompile(roleArnPattern), kms: regexp.MustCompile(kmsKeyArnPattern)}
}

// checkName validates a schedule or group name field.
func checkName(v *violations, field, name string) {
	if name == "" {
		v.missing(field)
		return
	}
	if v.length(field, name, 1, MaxNameLength) {
		v.pattern(field, name, namePattern, validName)
	}
}

// plan is what a valid schedule fires by: its definition, checked and
// parsed.
type plan struct {
	expr     *expression.Schedule
	bounds   expression.Bounds
	enabled  bool
	window   time.Duration
	target   string // the engine's NAME or NAME:QUALIFIER
	input    string // "" : {}
	retries  int
	maxAge   time.Duration
	failure  string // the engine's failure destination; "": the function's own
	deleteAt bool   // ActionDelete
}

// validate checks a schedule as CreateSchedule and UpdateSchedule take it,
// fills in the defaults of its optional fields, and returns the plan it
// fires by. now is the request's time (EndDate must be after it);
// checkDest, when not nil, vets a stream failure destination.
func (p *patterns) validate(sc *Schedule, now time.Time, checkDest func(string) error) (*plan, error) {
	var v violations
	checkName(&v, "Name", sc.Name)
	if sc.GroupName == "" {
		sc.GroupName = DefaultGroup
	} else if v.length("GroupName", sc.GroupName, 1, MaxNameLength) {
		v.pattern("GroupName", sc.GroupName, namePattern, validName)
	}
	v.length("Description", sc.Description, 0, MaxDescriptionLength)
	if sc.ScheduleExpression == "" {
		v.missing("ScheduleExpression")
	} else {
		v.length("ScheduleExpression", sc.ScheduleExpression, 1, expression.MaxLength)
	}
	v.length("ScheduleExpressionTimezone", sc.ScheduleExpressionTimezone, 0, expression.MaxTimezoneLength)
	if sc.State == "" {
		sc.State = StateEnabled
	}
	v.enum("State", string(sc.State), string(StateEnabled), string(StateDisabled))
	if sc.ActionAfterCompletion == "" {
		sc.ActionAfterCompletion = ActionNone
	}
	v.enum("ActionAfterCompletion", string(sc.ActionAfterCompletion), string(ActionNone), string(ActionDelete))
	if sc.KmsKeyArn != "" && v.length("KmsKeyArn", sc.KmsKeyArn, 1, MaxKmsKeyArnLength) {
		v.pattern("KmsKeyArn", sc.KmsKeyArn, kmsKeyArnPattern, p.kms.MatchString)
	}
	if sc.ClientToken != "" && v.length("ClientToken", sc.ClientToken, 1, MaxClientTokenLength) {
		v.pattern("ClientToken", sc.ClientToken, clientTokenPattern, validClientToken)
	}
	sc.ClientToken = ""
	v.date("StartDate", sc.StartDate)
	v.date("EndDate", sc.EndDate)

	fw := &sc.FlexibleTimeWindow
	switch {
	case fw.Mode == "":
		v.missing("FlexibleTimeWindow.Mode")
	case v.enum("FlexibleTimeWindow.Mode", string(fw.Mode), string(FlexibleOff), string(Flexible)):
		if fw.Mode == Flexible {
			v.between("FlexibleTimeWindow.MaximumWindowInMinutes", fw.MaximumWindowInMinutes, 1, MaxWindowMinutes)
		}
	}

	t := &sc.Target
	if t.Arn == "" {
		v.missing("Target.Arn")
	} else {
		v.length("Target.Arn", t.Arn, 1, MaxArnLength)
	}
	if t.RoleArn == "" {
		v.missing("Target.RoleArn")
	} else if v.length("Target.RoleArn", t.RoleArn, 1, MaxArnLength) {
		v.pattern("Target.RoleArn", t.RoleArn, roleArnPattern, p.role.MatchString)
	}
	inputOK := t.Input == "" || v.length("Target.Input", t.Input, 1, MaxInputLength)
	if t.RetryPolicy == nil {
		t.RetryPolicy = &RetryPolicy{}
	}
	rp := t.RetryPolicy
	if rp.MaximumEventAgeInSeconds == nil {
		rp.MaximumEventAgeInSeconds = ptr(MaxEventAgeSeconds)
	}
	if rp.MaximumRetryAttempts == nil {
		rp.MaximumRetryAttempts = ptr(MaxRetryAttempts)
	}
	v.between("Target.RetryPolicy.MaximumEventAgeInSeconds", *rp.MaximumEventAgeInSeconds, MinEventAgeSeconds, MaxEventAgeSeconds)
	v.between("Target.RetryPolicy.MaximumRetryAttempts", *rp.MaximumRetryAttempts, 0, MaxRetryAttempts)
	if d := t.DeadLetterConfig; d != nil && d.Arn == "" {
		t.DeadLetterConfig = nil
	} else if d != nil {
		v.length("Target.DeadLetterConfig.Arn", d.Arn, 1, MaxArnLength)
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	// The fields are well-formed; now what they mean.
	pl := &plan{
		enabled:  sc.State == StateEnabled,
		window:   time.Duration(fw.MaximumWindowInMinutes) * time.Minute,
		input:    t.Input,
		retries:  *rp.MaximumRetryAttempts,
		maxAge:   time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second,
		deleteAt: sc.ActionAfterCompletion == ActionDelete,
		bounds:   expression.Bounds{Start: sc.StartDate, End: sc.EndDate, Anchor: rateAnchor(sc.CreationDate)},
	}
	if fw.Mode == FlexibleOff && fw.MaximumWindowInMinutes != 0 {
		return nil, invalid("FlexibleTimeWindow.MaximumWindowInMinutes",
			"FlexibleTimeWindow.MaximumWindowInMinutes can only be set when FlexibleTimeWindow.Mode is FLEXIBLE")
	}
	expr, err := expression.Parse(sc.ScheduleExpression, sc.ScheduleExpressionTimezone)
	if err != nil {
		var e *expression.Error
		if !errors.As(err, &e) {
			return nil, invalid(expression.FieldExpression, fmt.Sprintf("Invalid Schedule Expression %s: %v", quoted(sc.ScheduleExpression), err))
		}
		if e.Field == expression.FieldTimezone {
			return nil, invalid(e.Field, fmt.Sprintf("Invalid ScheduleExpressionTimezone %s: %s", quoted(sc.ScheduleExpressionTimezone), e.Message))
		}
		return nil, invalid(e.Field, fmt.Sprintf("Invalid Schedule Expression %s: %s", quoted(sc.ScheduleExpression), e.Message))
	}
	pl.expr = expr
	if !sc.StartDate.IsZero() && !sc.EndDate.IsZero() && !sc.EndDate.After(sc.StartDate) {
		return nil, invalid("EndDate", "The EndDate must be after the StartDate.")
	}
	if !sc.EndDate.IsZero() && !sc.EndDate.After(now) {
		return nil, invalid("EndDate", "The EndDate must be in the future.")
	}
	if pl.target, err = functionTarget("Target.Arn", t.Arn); err != nil {
		return nil, err
	}
	if inputOK && t.Input != "" && !json.Valid([]byte(t.Input)) {
		return nil, invalid("Target.Input", "Target.Input must be well-formed JSON for a Lambda function target.")
	}
	if d := t.DeadLetterConfig; d != nil {
		if pl.failure, err = failureDestination(d.Arn, checkDest); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// functionTarget turns a Lambda function ARN,
// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], into the
// engine's NAME[:QUALIFIER].
func functionTarget(field, arn string) (string, error) {
	bad := func(why string) (string, error) {
		return "", invalid(field, fmt.Sprintf("Invalid %s %s: %s; Flint's schedules invoke functions, "+
			"named arn:aws:lambda:REGION:ACCOUNT:function:NAME[:VERSION_OR_ALIAS]", field, quoted(arn), why))
	}
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") {
		return bad("not an ARN")
	}
	if len(parts) < 7 || parts[2] != "lambda" || parts[5] != "function" {
		return bad("not a Lambda function ARN")
	}
	if !validRegion(parts[3]) || !validAccount(parts[4]) {
		return bad("the region or account is malformed")
	}
	if len(parts) > 8 {
		return bad("too many parts")
	}
	name := parts[6]
	if !names.Function(name) {
		return bad("the function name must be 1 to 64 letters, digits, hyphens and underscores")
	}
	if len(parts) == 8 {
		if !names.Qualifier(parts[7]) {
			return bad("the qualifier must be $LATEST, a version number or an alias name")
		}
		return name + ":" + parts[7], nil
	}
	return name, nil
}

// failureDestination turns a DeadLetterConfig.Arn into the engine's
// failure destination.
func failureDestination(arn string, checkDest func(string) error) (string, error) {
	const field = "Target.DeadLetterConfig.Arn"
	switch {
	case arn == DeadLetterStoreArn:
		return engine.DeadLetterDestination, nil
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":lambda:"):
		target, err := functionTarget(field, arn)
		if err != nil {
			return "", err
		}
		return engine.FunctionDestinationPrefix + target, nil
	case isStreamArn(arn):
		if checkDest != nil {
			if err := checkDest(arn); err != nil {
				return "", invalid(field, fmt.Sprintf("Invalid %s %s: %v", field, quoted(arn), err))
			}
		}
		return arn, nil
	}
	return "", invalid(field, fmt.Sprintf("Invalid %s %s: use a NATS stream ARN (arn:aws:nats:REGION:ACCOUNT:stream/NAME), "+
		"a Lambda function ARN, or %s for Flint's dead-letter store", field, quoted(arn), DeadLetterStoreArn))
}

// isStreamArn reports whether s is arn:aws:nats:REGION:ACCOUNT:stream/NAME.
func isStreamArn(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "nats" ||
		!validRegion(parts[3]) || !validAccount(parts[4]) {
		return false
	}
	name, ok := strings.CutPrefix(parts[5], "stream/")
	return ok && len(name) <= 255 && validStreamName(name)
}

// validStreamName reports whether s can name a JetStream stream: letters,
// digits, '-' and '_'.
func validStreamName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

func validRegion(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != "" && len(s) <= 32
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkTags validates a group's tags.
func checkTags(v *violations, field string, tags []Tag) {
	if len(tags) > MaxTags {
		v.add(field, fmt.Sprintf("[%d tags]", len(tags)), fmt.Sprintf("Member must have length less than or equal to %d", MaxTags))
		return
	}
	for i, t := range tags {
		v.length(fmt.Sprintf("%s.%d.member.Key", field, i+1), t.Key, 1, MaxTagKeyLength)
		v.length(fmt.Sprintf("%s.%d.member.Value", field, i+1), t.Value, 1, MaxTagValueLength)
	}
}

func ptr[T any](v T) *T { return &v }

// rateAnchor is the first due time of a rate schedule without a StartDate:
// its creation, in whole seconds, as <aws.scheduler.scheduled-time> shows
// due times.
func rateAnchor(created time.Time) time.Time { return created.Truncate(time.Second) }
