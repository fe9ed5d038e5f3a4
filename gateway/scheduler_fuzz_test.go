package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/flintfaas/flint/schedule"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// FuzzSchedulerAPI sends arbitrary requests to the EventBridge Scheduler
// API's decoding and checks every answer: no panic, no 5xx (a 5xx would be
// Flint failing on input it should have refused), a JSON body on success,
// and on an error Scheduler's shape: X-Amzn-ErrorType and {"Message": ...}.
// The gateway runs open (no keys), so requests reach decoding.
func FuzzSchedulerAPI(f *testing.F) {
	const target = `"Target":{"Arn":"arn:aws:lambda:us-east-1:000000000000:function:report","RoleArn":"arn:aws:iam::000000000000:role/r"}`
	seeds := []struct{ method, uri, body string }{
		{"POST", "/schedules/a", `{"ScheduleExpression":"rate(1 hour)","FlexibleTimeWindow":{"Mode":"OFF"},` + target + `}`},
		{"POST", "/schedules/b", `{"ScheduleExpression":"cron(0 3 ? * MON-FRI *)","ScheduleExpressionTimezone":"Europe/Berlin","StartDate":1767225600.5,"EndDate":1893456000,"State":"DISABLED","ActionAfterCompletion":"DELETE","FlexibleTimeWindow":{"Mode":"FLEXIBLE","MaximumWindowInMinutes":15},"Target":{"Arn":"arn:aws:lambda:us-east-1:000000000000:function:report:live","RoleArn":"arn:aws:iam::000000000000:role/r","Input":"{\"a\":\"<aws.scheduler.scheduled-time>\"}","RetryPolicy":{"MaximumEventAgeInSeconds":60,"MaximumRetryAttempts":0},"DeadLetterConfig":{"Arn":"flint:dead-letter"}}}`},
		{"PUT", "/schedules/a", `{"ScheduleExpression":"at(2030-01-01T00:00:00)","FlexibleTimeWindow":{"Mode":"OFF"},` + target + `}`},
		{"PUT", "/schedules/a", `{"ScheduleExpression":"rate(1 hour)","GroupName":"g","FlexibleTimeWindow":{"Mode":"OFF"},"Target":{"EcsParameters":{}}}`},
		{"GET", "/schedules/a?groupName=default", ``},
		{"DELETE", "/schedules/a?groupName=g&clientToken=t", ``},
		{"GET", "/schedules?ScheduleGroup=default&NamePrefix=a&State=ENABLED&MaxResults=1&NextToken=ZGVmYXVsdC9h", ``},
		{"GET", "/schedules?MaxResults=0&NextToken=%ff", ``},
		{"POST", "/schedule-groups/g", `{"ClientToken":"c","Tags":[{"Key":"k","Value":"v"}]}`},
		{"GET", "/schedule-groups?NamePrefix=d", ``},
		{"GET", "/schedule-groups/g", ``},
		{"DELETE", "/schedule-groups/g", ``},
		{"POST", "/tags/arn:aws:scheduler:us-east-1:000000000000:schedule-group/g", `{"Tags":[{"Key":"k","Value":"v"}]}`},
		{"GET", "/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2Fdefault", ``},
		{"DELETE", "/tags/arn:aws:scheduler:us-east-1:000000000000:schedule-group/g?TagKeys=k&TagKeys=", ``},
		{"POST", "/schedules/c", `{"StartDate":1e400,"EndDate":"x","Target":{"RetryPolicy":{"MaximumRetryAttempts":-0.0}}}`},
		{"POST", "/schedules/%00", `{"Description":"\u0000\ud800"}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.uri, []byte(s.body))
	}

	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(f)})
	require.NoError(f, err)
	sch, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng})
	require.NoError(f, err)
	f.Cleanup(func() { _ = sch.Close(ctx); _ = eng.Close(ctx); _ = st.Close() })
	_, err = sch.CreateGroup(ctx, "g", nil)
	require.NoError(f, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Scheduler: sch})
	require.NoError(f, err)
	handle := gw.Handler()
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

	f.Fuzz(func(t *testing.T, method, uri string, body []byte) {
		var req fasthttp.Request
		req.Header.SetMethod(method)
		req.SetRequestURI(uri)
		req.Header.SetContentType("application/json")
		req.SetBody(body)
		var rc fasthttp.RequestCtx
		rc.Init(&req, remote, nil)
		handle(&rc)

		status := rc.Response.StatusCode()
		if status < 200 || status > 599 {
			t.Fatalf("%s %q: status %d", method, uri, status)
		}
		path := string(rc.Path())
		if !strings.HasPrefix(path, "/schedule") && !strings.HasPrefix(path, "/tags/") {
			return
		}
		if status < 400 {
			if !json.Valid(rc.Response.Body()) {
				t.Fatalf("%s %q: %d with a body that is not JSON: %q", method, uri, status, rc.Response.Body())
			}
			return
		}
		errType := string(rc.Response.Header.Peek("X-Amzn-Errortype"))
		var msg struct{ Message string }
		if err := json.Unmarshal(rc.Response.Body(), &msg); errType == "" || err != nil || msg.Message == "" {
			t.Fatalf("%s %q: %d %q: error body %q is not Scheduler's", method, uri, status, errType, rc.Response.Body())
		}
		if status >= 500 {
			t.Fatalf("%s %q: %d %s: %s", method, uri, status, errType, msg.Message)
		}
	})
}
