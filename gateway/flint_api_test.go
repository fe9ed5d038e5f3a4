package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadLetter is a dead letter as /flint/v1/dead-letters answers.
type deadLetter struct {
	Key, ID, Function string
	Payload           []byte
	Record            json.RawMessage
	Condition         string
	Attempts          int
	LastError         struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
}

type deadLetters struct {
	DeadLetters []deadLetter
	NextAfter   string
}

// invokeEvent queues an asynchronous invocation and returns its request id.
func (s *server) invokeEvent(t testing.TB, function, payload string) string {
	t.Helper()
	out, err := s.client(adminKey).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)})
	require.NoError(t, err)
	require.Equal(t, int32(http.StatusAccepted), out.StatusCode)
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok)
	return id
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "fail", wasm(t, "fail"))
	_, err := s.client(adminKey).PutFunctionEventInvokeConfig(context.Background(), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("fail"), MaximumRetryAttempts: aws.Int32(0)})
	require.NoError(t, err)
	list := func(query string) deadLetters {
		r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/dead-letters"+query, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		return decode[deadLetters](t, r)
	}
	waitFor := func(id string) deadLetter {
		t.Helper()
		var dl deadLetter
		require.Eventually(t, func() bool {
			r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/dead-letters/"+id, nil)
			if r.Status != http.StatusOK {
				return false
			}
			dl = decode[deadLetter](t, r)
			return true
		}, 10*time.Second, 5*time.Millisecond, "dead letter %s", id)
		return dl
	}
	assert.Empty(t, list("").DeadLetters)

	var ids []string
	for i := range 3 {
		ids = append(ids, s.invokeEvent(t, "fail", fmt.Sprintf(`{"n":%d}`, i)))
	}
	for _, id := range ids {
		waitFor(id)
	}
	dl := waitFor(ids[0])
	assert.Equal(t, ids[0], dl.ID)
	assert.Equal(t, "fail", dl.Function)
	assert.JSONEq(t, `{"n":0}`, string(dl.Payload))
	assert.Equal(t, "RetriesExhausted", dl.Condition)
	assert.Equal(t, 1, dl.Attempts, "no retries")
	assert.Equal(t, "Boom", dl.LastError.Type)
	assert.Equal(t, "failed on purpose", dl.LastError.Message)
	assert.NotEmpty(t, dl.Record)

	t.Run("list in pages", func(t *testing.T) {
		first := list("?limit=2")
		require.Len(t, first.DeadLetters, 2)
		require.NotEmpty(t, first.NextAfter)
		rest := list("?limit=2&after=" + first.NextAfter)
		require.Len(t, rest.DeadLetters, 1)
		assert.Empty(t, rest.NextAfter)
		var got []string
		for _, d := range append(first.DeadLetters, rest.DeadLetters...) {
			got = append(got, d.ID)
		}
		assert.ElementsMatch(t, ids, got)
	})

	t.Run("redrive", func(t *testing.T) {
		r := s.signedRequest(t, adminKey, http.MethodPost, "/flint/v1/dead-letters/"+ids[1]+"/redrive", nil)
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		again := decode[map[string]string](t, r)["RequestId"]
		require.NotEmpty(t, again)
		// It fails again, and is dead-lettered again.
		dl := waitFor(again)
		assert.JSONEq(t, `{"n":1}`, string(dl.Payload))
		assert.Equal(t, 1, dl.Attempts)
	})

	t.Run("delete", func(t *testing.T) {
		r := s.signedRequest(t, adminKey, http.MethodDelete, "/flint/v1/dead-letters/"+ids[2], nil)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			r = s.signedRequest(t, adminKey, method, "/flint/v1/dead-letters/"+ids[2], nil)
			assert.Equal(t, http.StatusNotFound, r.Status, method)
			assert.Equal(t, "ResourceNotFoundException", r.errorType(), method)
		}
		r = s.signedRequest(t, adminKey, http.MethodPost, "/flint/v1/dead-letters/"+ids[2]+"/redrive", nil)
		assert.Equal(t, http.StatusNotFound, r.Status)
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct{ method, path, code string }{
			{http.MethodGet, "/flint/v1/dead-letters?limit=0", "InvalidParameterValueException"},
			{http.MethodGet, "/flint/v1/dead-letters?limit=x", "InvalidParameterValueException"},
			{http.MethodPost, "/flint/v1/dead-letters", "MethodNotAllowedException"},
			{http.MethodGet, "/flint/v1/dead-letters/a/b/c", "UnknownOperationException"},
		} {
			r := s.signedRequest(t, adminKey, tc.method, tc.path, nil)
			assert.Equal(t, tc.code, r.errorType(), "%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	})
}

func TestUsage(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "echo", testguest.WATEcho(t))
	s.deploy(t, "idle", testguest.WATEcho(t))
	for range 3 {
		s.invoke(t, "echo", `{}`)
	}
	r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/usage", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	type usage struct {
		Function       string
		Requests       uint64
		BilledDuration time.Duration
		GBSeconds      float64
	}
	byName := map[string]usage{}
	for _, u := range decode[struct{ Usage []usage }](t, r).Usage {
		byName[u.Function] = u
	}
	assert.Equal(t, uint64(3), byName["echo"].Requests)
	assert.GreaterOrEqual(t, byName["echo"].BilledDuration, 3*time.Millisecond, "at least 1 ms billed each")
	assert.Greater(t, byName["echo"].GBSeconds, 0.0)
	assert.Zero(t, byName["idle"].Requests)

	assert.Equal(t, http.StatusForbidden, s.signedRequest(t, invokerKey, http.MethodGet, "/flint/v1/usage", nil).Status)
	assert.Equal(t, "MethodNotAllowedException", s.signedRequest(t, adminKey, http.MethodPost, "/flint/v1/usage", nil).errorType())
}

func TestLogs(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	s.deploy(t, "lp", wasm(t, "logpayload"))
	first := s.invoke(t, "lp", `"first"`)
	s.invoke(t, "lp", `"second"`)
	firstID, _ := awsmiddleware.GetRequestIDMetadata(first.ResultMetadata)

	t.Run("plain", func(t *testing.T) {
		r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/lp/logs", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "text/plain; charset=utf-8", r.Header.Get("Content-Type"))
		log := string(r.Body)
		assert.Contains(t, log, "START RequestId: "+firstID+" Version: $LATEST\n")
		assert.Contains(t, log, "END RequestId: "+firstID+"\n")
		assert.Contains(t, log, "REPORT RequestId: "+firstID)
		require.Contains(t, log, `"second"`)
		assert.Less(t, strings.Index(log, `"first"`), strings.Index(log, `"second"`), "oldest first")
	})

	t.Run("follow", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req := s.newRequest(t, http.MethodGet, "/flint/v1/functions/lp/logs?follow=1", nil).WithContext(ctx)
		sign(t, req, adminKey, nil, time.Now())
		res, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		await := func(want string) bool {
			timeout := time.After(200 * time.Millisecond)
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						return false
					}
					if strings.Contains(l, want) {
						return true
					}
				case <-timeout:
					return false
				}
			}
		}
		require.True(t, await(`"second"`), "the kept records come first")
		// New records follow; invoke until one shows (the stream may
		// subscribe just after the first one).
		for i := 0; ; i++ {
			require.Less(t, i, 50, "no new record followed")
			tick := fmt.Sprintf(`"tick-%d"`, i)
			s.invoke(t, "lp", tick)
			if await(tick) {
				break
			}
		}
		cancel() // the client goes away; the server must let it go
	})

	t.Run("bad requests", func(t *testing.T) {
		r := s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/nosuch/logs", nil)
		assert.Equal(t, http.StatusNotFound, r.Status)
		assert.Equal(t, "ResourceNotFoundException", r.errorType())
		r = s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/lp/logs?since=x", nil)
		assert.Equal(t, "InvalidParameterValueException", r.errorType())
		r = s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/nosuch/code", nil)
		assert.Equal(t, "ResourceNotFoundException", r.errorType())
		r = s.signedRequest(t, adminKey, http.MethodGet, "/flint/v1/functions/lp/nothing", nil)
		assert.Equal(t, "UnknownOperationException", r.errorType())
		r = s.signedRequest(t, invokerKey, http.MethodGet, "/flint/v1/functions/lp/logs", nil)
		assert.Equal(t, "AccessDeniedException", r.errorType())
	})
}

// TestLogFollowerLeaves checks that a log stream whose client went away is
// let go at once, not when the function next logs (which may be never). It
// does not run in parallel: the streams it counts must be its own.
func TestLogFollowerLeaves(t *testing.T) {
	s := startServer(t, false)
	s.deploy(t, "lp", wasm(t, "logpayload"))
	s.invoke(t, "lp", `"kept"`)
	// The goroutines serving a follow=1 stream, in the whole test process.
	followers := func() int {
		buf := make([]byte, 4<<20)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "gateway.(*Gateway).serveLogs")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := s.newRequest(t, http.MethodGet, "/flint/v1/functions/lp/logs?follow=1", nil).WithContext(ctx)
	sign(t, req, adminKey, nil, time.Now())
	res, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	require.NoError(t, err)
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, "START RequestId")
	require.Positive(t, followers())
	cancel()
	res.Body.Close()
	require.Eventually(t, func() bool { return followers() == 0 }, 5*time.Second, 5*time.Millisecond)
}
