package gateway_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncDoc lets the fidelity guest use its key-value store "sync", through
// which a test tells a streaming invocation to go on.
const syncDoc = `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["kv:Get","kv:Put"],"Resource":["kv:sync/*"]}]}`

// deployFidelity deploys the fidelity test guest as function name, with a
// role that lets it use the store "sync".
func (s *server) deployFidelity(t testing.TB, name string) {
	t.Helper()
	s.putRole(t, "sync", syncDoc)
	s.deployRole(t, name, testguest.Go(t, "gateway/testdata/fidelity"), roleArn("sync"))
}

// release puts key in the store "sync", through an invocation of the
// fidelity function name: a streaming invocation waiting for it goes on.
func (s *server) release(t testing.TB, name, key string) {
	t.Helper()
	out := s.invoke(t, name, `{"op":"set","key":"`+key+`"}`)
	require.Nil(t, out.FunctionError, "%s", out.Payload)
}

// streamEvents reads an InvokeWithResponseStream's events until the end:
// the payload chunks and the completion.
func streamEvents(t testing.TB, out *lambda.InvokeWithResponseStreamOutput) ([]string, types.InvokeWithResponseStreamCompleteEvent) {
	t.Helper()
	stream := out.GetStream()
	defer stream.Close()
	var chunks []string
	var complete *types.InvokeWithResponseStreamCompleteEvent
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			require.Nil(t, complete, "a chunk after InvokeComplete")
			chunks = append(chunks, string(v.Value.Payload))
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			complete = &v.Value
		default:
			t.Fatalf("unexpected event %T", ev)
		}
	}
	require.NoError(t, stream.Err())
	require.NotNil(t, complete, "the stream ends with InvokeComplete")
	return chunks, *complete
}

func TestInvokeWithResponseStream(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "stream", wasm(t, "stream"))

	for _, tc := range []struct {
		name    string
		payload string
		chunks  []string
		errCode string
	}{
		{"a chunk per flush", `"ab|c|de"`, []string{`"ab`, `c`, `de"`}, ""},
		{"no flush: one chunk", `"abc"`, []string{`"abc"`}, ""},
		{"an error after a flush", `"ab|E"`, []string{`"ab`}, "Boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lc.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("stream"),
				Payload: []byte(tc.payload)})
			require.NoError(t, err)
			assert.Equal(t, "$LATEST", aws.ToString(out.ExecutedVersion))
			chunks, complete := streamEvents(t, out)
			assert.Equal(t, tc.chunks, chunks)
			assert.Equal(t, tc.errCode, aws.ToString(complete.ErrorCode))
			assert.Empty(t, aws.ToString(complete.LogResult))
		})
	}

	t.Run("log tail and a version", func(t *testing.T) {
		_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("stream")})
		require.NoError(t, err)
		out, err := lc.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("stream"),
			Qualifier: aws.String("1"), Payload: []byte(`"x"`), LogType: types.LogTypeTail})
		require.NoError(t, err)
		assert.Equal(t, "1", aws.ToString(out.ExecutedVersion))
		_, complete := streamEvents(t, out)
		log, err := base64.StdEncoding.DecodeString(aws.ToString(complete.LogResult))
		require.NoError(t, err)
		assert.Contains(t, string(log), "REPORT RequestId:")
	})

	t.Run("refused", func(t *testing.T) {
		_, err := lc.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("nosuch")})
		var nf *types.ResourceNotFoundException
		require.ErrorAs(t, err, &nf)
		_, err = s.client(invokerKey).InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("stream")})
		assert.Equal(t, "AccessDeniedException", apiCode(err))
		_, err = lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("stream"), ReservedConcurrentExecutions: aws.Int32(0)})
		require.NoError(t, err)
		_, err = lc.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("stream")})
		var tm *types.TooManyRequestsException
		require.ErrorAs(t, err, &tm)
	})
}

// The chunks reach the client while the function still runs: the function
// waits, after its first flush, until the test has read it.
func TestInvokeWithResponseStreamIncremental(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deployFidelity(t, "fid")

	out, err := lc.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("fid"),
		Payload: []byte(`{"op":"stream","chunks":["one","two","three"],"wait":"go"}`)})
	require.NoError(t, err)
	stream := out.GetStream()
	defer stream.Close()
	first := <-stream.Events()
	chunk, ok := first.(*types.InvokeWithResponseStreamResponseEventMemberPayloadChunk)
	require.True(t, ok, "%T", first)
	assert.Equal(t, "one", string(chunk.Value.Payload), "the first chunk, before the function goes on")
	assert.Equal(t, 1, s.Engine.Metrics(ctx).Concurrent, "the function is still running")

	s.release(t, "fid", "go")
	var rest []string
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			rest = append(rest, string(v.Value.Payload))
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			assert.Empty(t, aws.ToString(v.Value.ErrorCode))
		}
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, []string{"two", "three"}, rest)
}

// readLine reads one line of a streamed body, failing the test after a
// while rather than hanging it.
func readLine(t testing.TB, r *bufio.Reader) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := r.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("no line of the streamed response within 30s")
		return ""
	}
}

func TestFunctionURLStreaming(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deployFidelity(t, "fid")
	_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fid"),
		AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: types.InvokeModeResponseStream})
	require.NoError(t, err)
	s.allowPublicURL(t, "fid")
	got, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fid")})
	require.NoError(t, err)
	assert.Equal(t, types.InvokeModeResponseStream, got.InvokeMode)

	t.Run("chunked, read as it comes", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/fn/fid/stream/url-go")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
		assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"), "from the prelude")
		body := bufio.NewReader(resp.Body)
		assert.Equal(t, "chunk 1\n", readLine(t, body), "before the function goes on")
		s.release(t, "fid", "url-go")
		rest, err := io.ReadAll(body)
		require.NoError(t, err)
		assert.Equal(t, "chunk 2\nchunk 3\n", string(rest))
	})
	t.Run("no prelude: an octet stream", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/fn/fid/raw")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "raw 1\nraw 2\n", string(b))
	})
	t.Run("a failure halfway: the response is cut", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/fn/fid/fail")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "the head went out before the failure")
		b, err := io.ReadAll(resp.Body)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "no terminating chunk: the client can tell")
		assert.Equal(t, "partial\n", string(b))
	})
	t.Run("a buffered structured response, as BUFFERED answers it", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/fn/fid/nowhere")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("a buffered URL sends a flushed response whole", func(t *testing.T) {
		_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fid"), InvokeMode: types.InvokeModeBuffered})
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fid"), InvokeMode: types.InvokeModeResponseStream})
			assert.NoError(t, err)
		})
		s.release(t, "fid", "buffered")
		resp, err := http.Get(s.URL + "/fn/fid/stream/buffered")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Empty(t, resp.TransferEncoding)
		assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "chunk 1\nchunk 2\nchunk 3\n", string(b))
	})
}

// The function reads the ARN it was invoked by, as Lambda's context gives
// it: unqualified, a version's or an alias's (not the version the alias
// routed to).
func TestInvokedFunctionARN(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(_ *gateway.Config, e *engine.Config) { e.Region, e.AccountID = "eu-west-3", "123456789012" })
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deployFidelity(t, "fid")
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fid")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fid"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)

	const arn = "arn:aws:lambda:eu-west-3:123456789012:function:fid"
	for _, tc := range []struct {
		name      string
		function  string
		qualifier string
		want      string
	}{
		{"unqualified", "fid", "", arn},
		{"version", "fid", "1", arn + ":1"},
		{"alias", "fid", "live", arn + ":live"},
		{"alias in the name", "fid:live", "", arn + ":live"},
		{"$LATEST", "fid", "$LATEST", arn + ":$LATEST"},
		{"by ARN", arn, "", arn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.InvokeInput{FunctionName: aws.String(tc.function), Payload: []byte(`{"op":"arn"}`)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			out, err := lc.Invoke(ctx, in)
			require.NoError(t, err)
			require.Nil(t, out.FunctionError, "%s", out.Payload)
			assert.Equal(t, `"`+tc.want+`"`, string(out.Payload))
		})
	}
}
