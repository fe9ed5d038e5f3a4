package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schedServer is a gateway with a Scheduler, on a loopback port.
type schedServer struct {
	*server
	Sched *schedule.Scheduler
}

// startSchedulerServer starts an engine, a Scheduler on its store and a
// gateway serving both with the test keys; all stop when the test ends.
func startSchedulerServer(t testing.TB) *schedServer {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(t)})
	require.NoError(t, err)
	sch, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	require.NoError(t, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: []auth.Key{adminKey, invokerKey}, Scheduler: sch})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
		assert.NoError(t, sch.Close(ctx))
		assert.NoError(t, eng.Close(ctx))
		_ = st.Close()
	})
	return &schedServer{server: &server{URL: "http://" + ln.Addr().String(), Engine: eng, GW: gw}, Sched: sch}
}

// schedulerClient is the official AWS SDK's EventBridge Scheduler client,
// signing with key.
func (s *server) schedulerClient(key auth.Key) *scheduler.Client {
	return scheduler.New(scheduler.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

// signFor signs req with key for service, as the AWS SDKs do.
func signFor(t testing.TB, req *http.Request, key auth.Key, service string, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()))
}

const (
	schedRole = "arn:aws:iam::000000000000:role/scheduler"
	reportArn = "arn:aws:lambda:us-east-1:000000000000:function:report"
)

func TestSchedulerAPIWithTheSDK(t *testing.T) {
	t.Parallel()
	s := startSchedulerServer(t)
	sc := s.schedulerClient(adminKey)
	ctx := context.Background()

	// Groups and their tags.
	cg, err := sc.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("reports"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}})
	require.NoError(t, err)
	groupArn := "arn:aws:scheduler:us-east-1:000000000000:schedule-group/reports"
	assert.Equal(t, groupArn, aws.ToString(cg.ScheduleGroupArn))
	gg, err := sc.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("reports")})
	require.NoError(t, err)
	assert.Equal(t, "reports", aws.ToString(gg.Name))
	assert.Equal(t, types.ScheduleGroupStateActive, gg.State)
	assert.WithinDuration(t, time.Now(), aws.ToTime(gg.CreationDate), time.Minute)
	lg, err := sc.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{})
	require.NoError(t, err)
	require.Len(t, lg.ScheduleGroups, 2)
	assert.Equal(t, "default", aws.ToString(lg.ScheduleGroups[0].Name))
	assert.Equal(t, "reports", aws.ToString(lg.ScheduleGroups[1].Name))
	_, err = sc.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: aws.String(groupArn),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	require.NoError(t, err)
	_, err = sc.UntagResource(ctx, &scheduler.UntagResourceInput{ResourceArn: aws.String(groupArn), TagKeys: []string{"team"}})
	require.NoError(t, err)
	tags, err := sc.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: aws.String(groupArn)})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 1)
	assert.Equal(t, "env", aws.ToString(tags.Tags[0].Key))
	assert.Equal(t, "prod", aws.ToString(tags.Tags[0].Value))

	// A schedule with every field.
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	end := start.Add(30 * 24 * time.Hour).Add(500 * time.Millisecond)
	cs, err := sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:                       aws.String("nightly"),
		GroupName:                  aws.String("reports"),
		Description:                aws.String("the nightly report"),
		ScheduleExpression:         aws.String("cron(0 3 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Berlin"),
		StartDate:                  aws.Time(start),
		EndDate:                    aws.Time(end),
		State:                      types.ScheduleStateDisabled,
		ActionAfterCompletion:      types.ActionAfterCompletionDelete,
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)},
		KmsKeyArn:                  aws.String("arn:aws:kms:us-east-1:000000000000:key/k1"),
		ClientToken:                aws.String("token-1"),
		Target: &types.Target{
			Arn:              aws.String(reportArn + ":live"),
			RoleArn:          aws.String(schedRole),
			Input:            aws.String(`{"report":"nightly"}`),
			RetryPolicy:      &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(3)},
			DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(schedule.DeadLetterStoreArn)},
		},
	})
	require.NoError(t, err)
	schedArn := "arn:aws:scheduler:us-east-1:000000000000:schedule/reports/nightly"
	assert.Equal(t, schedArn, aws.ToString(cs.ScheduleArn))

	got, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("reports")})
	require.NoError(t, err)
	assert.Equal(t, schedArn, aws.ToString(got.Arn))
	assert.Equal(t, "nightly", aws.ToString(got.Name))
	assert.Equal(t, "reports", aws.ToString(got.GroupName))
	assert.Equal(t, "the nightly report", aws.ToString(got.Description))
	assert.Equal(t, "cron(0 3 * * ? *)", aws.ToString(got.ScheduleExpression))
	assert.Equal(t, "Europe/Berlin", aws.ToString(got.ScheduleExpressionTimezone))
	assert.True(t, start.Equal(aws.ToTime(got.StartDate)), "%s != %s", start, aws.ToTime(got.StartDate))
	assert.True(t, end.Equal(aws.ToTime(got.EndDate)), "milliseconds are kept: %s != %s", end, aws.ToTime(got.EndDate))
	assert.Equal(t, types.ScheduleStateDisabled, got.State)
	assert.Equal(t, types.ActionAfterCompletionDelete, got.ActionAfterCompletion)
	assert.Equal(t, types.FlexibleTimeWindowModeFlexible, got.FlexibleTimeWindow.Mode)
	assert.Equal(t, int32(15), aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes))
	assert.Equal(t, "arn:aws:kms:us-east-1:000000000000:key/k1", aws.ToString(got.KmsKeyArn))
	assert.Equal(t, reportArn+":live", aws.ToString(got.Target.Arn))
	assert.Equal(t, schedRole, aws.ToString(got.Target.RoleArn))
	assert.Equal(t, `{"report":"nightly"}`, aws.ToString(got.Target.Input))
	assert.Equal(t, int32(3600), aws.ToInt32(got.Target.RetryPolicy.MaximumEventAgeInSeconds))
	assert.Equal(t, int32(3), aws.ToInt32(got.Target.RetryPolicy.MaximumRetryAttempts))
	assert.Equal(t, schedule.DeadLetterStoreArn, aws.ToString(got.Target.DeadLetterConfig.Arn))
	assert.WithinDuration(t, time.Now(), aws.ToTime(got.CreationDate), time.Minute)
	assert.Equal(t, aws.ToTime(got.CreationDate), aws.ToTime(got.LastModificationDate))

	// Update replaces the definition; the defaults come back.
	_, err = sc.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String("nightly"), GroupName: aws.String("reports"),
		ScheduleExpression: aws.String("rate(12 hours)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(reportArn), RoleArn: aws.String(schedRole)},
	})
	require.NoError(t, err)
	got, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("reports")})
	require.NoError(t, err)
	assert.Equal(t, "rate(12 hours)", aws.ToString(got.ScheduleExpression))
	assert.Equal(t, types.ScheduleStateEnabled, got.State)
	assert.Equal(t, types.ActionAfterCompletionNone, got.ActionAfterCompletion)
	assert.Nil(t, got.FlexibleTimeWindow.MaximumWindowInMinutes)
	assert.Nil(t, got.StartDate)
	assert.Nil(t, got.Target.DeadLetterConfig)
	assert.Equal(t, int32(185), aws.ToInt32(got.Target.RetryPolicy.MaximumRetryAttempts))
	assert.Equal(t, int32(86400), aws.ToInt32(got.Target.RetryPolicy.MaximumEventAgeInSeconds))

	// Listing: filters and pages, with the SDK's paginator.
	for i := range 5 {
		_, err := sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
			Name: aws.String(fmt.Sprintf("hourly-%d", i)), ScheduleExpression: aws.String("cron(0 * * * ? *)"),
			State:              map[bool]types.ScheduleState{true: types.ScheduleStateDisabled, false: types.ScheduleStateEnabled}[i%2 == 1],
			FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
			Target:             &types.Target{Arn: aws.String(reportArn), RoleArn: aws.String(schedRole)},
		})
		require.NoError(t, err)
	}
	list := func(in *scheduler.ListSchedulesInput) []string {
		var names []string
		p := scheduler.NewListSchedulesPaginator(sc, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, s := range page.Schedules {
				names = append(names, aws.ToString(s.GroupName)+"/"+aws.ToString(s.Name)+" "+string(s.State)+" "+aws.ToString(s.Target.Arn))
			}
		}
		return names
	}
	assert.Equal(t, []string{
		"default/hourly-0 ENABLED " + reportArn, "default/hourly-1 DISABLED " + reportArn, "default/hourly-2 ENABLED " + reportArn,
		"default/hourly-3 DISABLED " + reportArn, "default/hourly-4 ENABLED " + reportArn, "reports/nightly ENABLED " + reportArn,
	}, list(&scheduler.ListSchedulesInput{MaxResults: aws.Int32(2)}))
	assert.Len(t, list(&scheduler.ListSchedulesInput{GroupName: aws.String("reports")}), 1)
	assert.Len(t, list(&scheduler.ListSchedulesInput{NamePrefix: aws.String("hourly-")}), 5)
	assert.Len(t, list(&scheduler.ListSchedulesInput{State: types.ScheduleStateDisabled}), 2)

	// Deleting.
	_, err = sc.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("hourly-0")})
	require.NoError(t, err)
	_, err = sc.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("reports")})
	require.NoError(t, err)
	_, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("reports")})
	var nf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &nf)
	assert.Len(t, list(&scheduler.ListSchedulesInput{}), 4)
}

func TestSchedulerAPIErrors(t *testing.T) {
	t.Parallel()
	s := startSchedulerServer(t)
	sc := s.schedulerClient(adminKey)
	ctx := context.Background()
	valid := func() *scheduler.CreateScheduleInput {
		return &scheduler.CreateScheduleInput{
			Name: aws.String("e"), ScheduleExpression: aws.String("rate(1 hour)"),
			FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
			Target:             &types.Target{Arn: aws.String(reportArn), RoleArn: aws.String(schedRole)},
		}
	}
	_, err := sc.CreateSchedule(ctx, valid())
	require.NoError(t, err)

	var (
		validation *types.ValidationException
		notFound   *types.ResourceNotFoundException
		conflict   *types.ConflictException
	)
	tests := []struct {
		name   string
		call   func() error
		target any
		status int
		msg    string
	}{
		{"a bad cron", func() error {
			in := valid()
			in.Name, in.ScheduleExpression = aws.String("c"), aws.String("cron(0 3 * * * *)")
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "Invalid Schedule Expression cron(0 3 * * * *)"},
		{"a 1 MB cron", func() error {
			in := valid()
			in.Name, in.ScheduleExpression = aws.String("c"), aws.String("cron("+strings.Repeat("1 ", 1<<19)+")")
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "at 'ScheduleExpression' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"a bad zone", func() error {
			in := valid()
			in.Name, in.ScheduleExpressionTimezone = aws.String("c"), aws.String("Nowhere/City")
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "ScheduleExpressionTimezone"},
		{"a malformed target ARN", func() error {
			in := valid()
			in.Name, in.Target.Arn = aws.String("c"), aws.String("arn:aws:lambda:us-east-1:000000000000:report")
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "Invalid Target.Arn"},
		{"retries out of range", func() error {
			in := valid()
			in.Name = aws.String("c")
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(500)}
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "'Target.RetryPolicy.MaximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"},
		{"a window out of range", func() error {
			in := valid()
			in.Name = aws.String("c")
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(2000)}
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "FlexibleTimeWindow.MaximumWindowInMinutes"},
		{"an SQS dead-letter queue", func() error {
			in := valid()
			in.Name = aws.String("c")
			in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")}
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "Target.DeadLetterConfig.Arn"},
		{"an ECS target", func() error {
			in := valid()
			in.Name = aws.String("c")
			in.Target.EcsParameters = &types.EcsParameters{TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/t")}
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &validation, 400, "Target.EcsParameters is not supported"},
		{"a name that exists", func() error { _, err := sc.CreateSchedule(ctx, valid()); return err },
			&conflict, 409, "Schedule e already exists."},
		{"a group that exists", func() error {
			_, err := sc.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("default")})
			return err
		}, &conflict, 409, "Schedule group default already exists."},
		{"a schedule that does not exist", func() error {
			_, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nope")})
			return err
		}, &notFound, 404, "Schedule nope does not exist."},
		{"a group that does not exist", func() error {
			in := valid()
			in.GroupName = aws.String("nogroup")
			_, err := sc.CreateSchedule(ctx, in)
			return err
		}, &notFound, 404, "Schedule group nogroup does not exist."},
		{"updating a schedule that does not exist", func() error {
			_, err := sc.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String("nope"), ScheduleExpression: aws.String("rate(1 hour)"),
				FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
				Target:             &types.Target{Arn: aws.String(reportArn), RoleArn: aws.String(schedRole)}})
			return err
		}, &notFound, 404, "Schedule nope does not exist."},
		{"deleting the default group", func() error {
			_, err := sc.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("default")})
			return err
		}, &validation, 400, "The default schedule group cannot be deleted."},
		{"a page too large", func() error {
			_, err := sc.ListSchedules(ctx, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(1000)})
			return err
		}, &validation, 400, "MaxResults"},
		{"tags of a schedule", func() error {
			_, err := sc.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:scheduler:us-east-1:000000000000:schedule/default/e")})
			return err
		}, &validation, 400, "only schedule groups have tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.Error(t, err)
			assert.ErrorAs(t, err, tt.target)
			var re interface{ HTTPStatusCode() int }
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.status, re.HTTPStatusCode())
			var ae smithy.APIError
			require.ErrorAs(t, err, &ae)
			assert.Contains(t, ae.ErrorMessage(), tt.msg)
		})
	}
}

func TestSchedulerAPISigning(t *testing.T) {
	t.Parallel()
	s := startSchedulerServer(t)
	ctx := context.Background()

	// The scheduler client signs for "scheduler"; a request signed for
	// "lambda" does not reach its operations, nor one signed for
	// "scheduler" Lambda's.
	tests := []struct {
		name    string
		method  string
		path    string
		service string
		key     auth.Key
		status  int
		code    string
	}{
		{"lambda signature on a Scheduler path", "GET", "/schedules", "lambda", adminKey, 403, "InvalidSignatureException"},
		{"scheduler signature on a Lambda path", "GET", "/2015-03-31/functions", "scheduler", adminKey, 403, "InvalidSignatureException"},
		{"scheduler signature on the Scheduler API", "GET", "/schedules", "scheduler", adminKey, 200, ""},
		{"a key that only invokes", "GET", "/schedules", "scheduler", invokerKey, 403, "AccessDeniedException"},
		{"a path no operation has", "GET", "/schedules/a/b", "scheduler", adminKey, 404, "UnknownOperationException"},
		{"a method the path does not take", "PATCH", "/schedules/a", "scheduler", adminKey, 405, "MethodNotAllowedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.newRequest(t, tt.method, tt.path, nil)
			signFor(t, req, tt.key, tt.service, nil)
			r := do(t, req)
			assert.Equal(t, tt.status, r.Status, string(r.Body))
			assert.Equal(t, tt.code, r.errorType())
		})
	}

	_, err := s.schedulerClient(invokerKey).ListSchedules(ctx, &scheduler.ListSchedulesInput{})
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "AccessDeniedException", ae.ErrorCode())
}

func TestSchedulerAPIHostileInput(t *testing.T) {
	t.Parallel()
	s := startSchedulerServer(t)
	mb := strings.Repeat("x", 1<<20)
	target := `"Target":{"Arn":"` + reportArn + `","RoleArn":"` + schedRole + `"}`
	window := `"FlexibleTimeWindow":{"Mode":"OFF"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code, msg                string
	}{
		{"not JSON", "POST", "/schedules/h", `{`, 400, "ValidationException", "not valid JSON"},
		{"a list", "POST", "/schedules/h", `[]`, 400, "ValidationException", ""},
		{"a number for a string", "POST", "/schedules/h", `{"ScheduleExpression":5}`, 400, "ValidationException", "'ScheduleExpression'"},
		{"a string for a number", "POST", "/schedules/h", `{"StartDate":"soon"}`, 400, "ValidationException", "StartDate"},
		{"NaN date", "POST", "/schedules/h", `{"StartDate":1e999}`, 400, "ValidationException", "StartDate"},
		{"negative date", "POST", "/schedules/h", `{"EndDate":-5}`, 400, "ValidationException", "EndDate"},
		{"a fractional retry count", "POST", "/schedules/h", `{"Target":{"RetryPolicy":{"MaximumRetryAttempts":1.5}}}`, 400, "ValidationException", "Target.RetryPolicy.MaximumRetryAttempts"},
		{"a huge retry count", "POST", "/schedules/h", `{"Target":{"RetryPolicy":{"MaximumRetryAttempts":99999999999999999999}}}`, 400, "ValidationException", "MaximumRetryAttempts"},
		{"an unknown member", "POST", "/schedules/h", `{"Schedule":"x"}`, 400, "ValidationException", "Unknown member"},
		{"data after the body", "POST", "/schedules/h", `{} {}`, 400, "ValidationException", ""},
		{"an empty body", "POST", "/schedules/h", ``, 400, "ValidationException", "must not be null"},
		{"an empty group name", "POST", "/schedules/h", `{"GroupName":"",` + window + `,"ScheduleExpression":"rate(1 hour)",` + target + `}`, 400, "ValidationException", "'GroupName'"},
		{"a long name", "POST", "/schedules/" + mb[:8<<10], `{"ScheduleExpression":"rate(1 hour)",` + window + `,` + target + `}`, 400, "ValidationException", "'Name'"},
		{"a 1 MB name: over the header limit", "POST", "/schedules/" + mb, `{}`, 431, "RequestHeaderFieldsTooLargeException", "limit"},
		{"a 1 MB description", "POST", "/schedules/h", `{"Description":"` + mb + `","ScheduleExpression":"rate(1 hour)",` + window + `,` + target + `}`, 400, "ValidationException", "'Description'"},
		{"a 1 MB input", "POST", "/schedules/h", `{"ScheduleExpression":"rate(1 hour)",` + window + `,"Target":{"Arn":"` + reportArn + `","RoleArn":"` + schedRole + `","Input":"` + mb + `"}}`, 400, "ValidationException", "'Target.Input'"},
		{"a 1 MB target", "POST", "/schedules/h", `{"ScheduleExpression":"rate(1 hour)",` + window + `,"Target":{"Arn":"` + mb + `","RoleArn":"` + schedRole + `"}}`, 400, "ValidationException", "'Target.Arn'"},
		{"a 5 MB body", "POST", "/schedules/h", `{"Description":"` + strings.Repeat(mb, 5) + `"}`, 400, "ValidationException", "at most"},
		{"a long group name in the query", "GET", "/schedules/h?groupName=" + mb[:8<<10], "", 404, "ResourceNotFoundException", "does not exist"},
		{"a bad token", "GET", "/schedules?NextToken=%25%25", "", 400, "ValidationException", "NextToken"},
		{"a bad page size", "GET", "/schedules?MaxResults=abc", "", 400, "ValidationException", "MaxResults"},
		{"a bad state filter", "GET", "/schedules?State=ON", "", 400, "ValidationException", "State"},
		{"a tag without a value", "POST", "/schedule-groups/g", `{"Tags":[{"Key":"k"}]}`, 400, "ValidationException", "Tags.1.member.Value"},
		{"untag without keys", "DELETE", "/tags/arn:aws:scheduler:us-east-1:000000000000:schedule-group/default", "", 400, "ValidationException", "TagKeys"},
		{"tags of a malformed ARN", "GET", "/tags/not-an-arn", "", 400, "ValidationException", "ResourceArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.newRequest(t, tt.method, tt.path, []byte(tt.body))
			signFor(t, req, adminKey, "scheduler", []byte(tt.body))
			r, answered := doOrReset(t, req)
			if !answered {
				require.Equal(t, 431, tt.status, "only a request over the header limit is refused before it is read")
				return
			}
			assert.Equal(t, tt.status, r.Status, string(r.Body[:min(len(r.Body), 300)]))
			assert.Equal(t, tt.code, r.errorType())
			assert.Contains(t, r.message(), tt.msg)
			assert.Less(t, len(r.Body), 4096, "the answer quotes a clipped value")
		})
	}
}

func TestScheduleFiresThroughTheServer(t *testing.T) {
	t.Parallel()
	s := startSchedulerServer(t)
	ctx := context.Background()
	_, err := s.Engine.Deploy(ctx, engine.Function{Name: "report", Code: wasm(t, "logpayload")})
	require.NoError(t, err)
	// A rate schedule fires when it is created, then every interval.
	_, err = s.schedulerClient(adminKey).CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("now"), ScheduleExpression: aws.String("rate(1 hour)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{Arn: aws.String(reportArn), RoleArn: aws.String(schedRole),
			Input: aws.String(`{"from":"<aws.scheduler.schedule-arn>"}`)},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		logs, err := s.Engine.Logs("report", 0)
		require.NoError(t, err)
		for _, l := range logs {
			if strings.Contains(string(l.Text), `{"from":"arn:aws:scheduler:us-east-1:000000000000:schedule/default/now"}`) {
				return true
			}
		}
		return false
	}, 20*time.Second, 5*time.Millisecond)
	assert.Equal(t, uint64(1), s.Sched.Stats().Fired)

	// The metrics count it.
	r := get(t, s.URL+"/metrics")
	assert.Contains(t, string(r.Body), `flint_schedule_fires_total{outcome="fired"} 1`)
	assert.Contains(t, string(r.Body), `flint_schedules 1`)
}

func TestSchedulerAPIWithoutAScheduler(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	_, err := s.schedulerClient(adminKey).ListSchedules(context.Background(), &scheduler.ListSchedulesInput{})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "UnknownOperationException", ae.ErrorCode())
}
