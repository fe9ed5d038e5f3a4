package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsoleShowsEventSources checks that the console of a server with
// event sources and a scheduler shows the mappings and schedules made
// through the AWS APIs, on its event sources page and the function's page.
func TestConsoleShowsEventSources(t *testing.T) {
	t.Parallel()
	s := startEventServer(t)
	ctx := context.Background()
	wasm := testguest.Go(t, "eventsource/testdata/batchreply")
	s.deploy(t, "orders", wasm)
	s.deploy(t, "other", wasm)
	require.Equal(t, http.StatusOK, s.putStream(t, "orders", `{"Subjects":["orders.>"]}`).Status)
	m, err := s.client(adminKey).CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String("arn:aws:nats:us-east-1:000000000000:stream/orders"),
		FunctionName:   aws.String("orders"), BatchSize: aws.Int32(7),
	})
	require.NoError(t, err)
	_, err = s.schedulerClient(adminKey).CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:               aws.String("nightly-report"),
		ScheduleExpression: aws.String("cron(0 3 * * ? *)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		Target: &schedtypes.Target{Arn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:orders:live"),
			RoleArn: aws.String("arn:aws:iam::000000000000:role/scheduler")},
	})
	require.NoError(t, err)

	c := signInToConsole(t, s.URL, adminKey)
	for _, path := range []string{"/console/event-sources", "/console/functions/orders"} {
		body := c.get(t, path)
		assert.Contains(t, body, aws.ToString(m.UUID), path)
		assert.Contains(t, body, "stream/orders", path)
		assert.Contains(t, body, "nightly-report", path)
		assert.Contains(t, body, "cron(0 3 * * ? *)", path)
	}
	assert.NotContains(t, c.get(t, "/console/functions/other"), "nightly-report", "another function's page lists none of them")
}

// consoleClient is a browser-like client of the console: it keeps cookies.
type consoleClient struct {
	base string
	http *http.Client
}

// signInToConsole signs in to the console at base with key.
func signInToConsole(t *testing.T, base string, key auth.Key) consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := consoleClient{base, &http.Client{Jar: jar}}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(c.get(t, "/console/signin"))
	require.NotNil(t, token, "the sign-in form has a token")
	resp, err := c.http.PostForm(base+"/console/signin", url.Values{"token": {token[1]},
		"access_key": {key.AccessKeyID}, "secret_key": {key.SecretAccessKey}, "next": {"/console/functions"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "/console/functions", resp.Request.URL.Path, "signed in")
	return c
}

// get fetches a console page and returns its body.
func (c consoleClient) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := c.http.Get(c.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return strings.ReplaceAll(string(b), "&#43;", "+")
}
