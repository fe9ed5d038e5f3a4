package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInvoke(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "echo", testguest.WATEcho(t))
	s.deploy(t, "logs", wasm(t, "logs"))
	s.deploy(t, "logpayload", wasm(t, "logpayload"))

	t.Run("request response", func(t *testing.T) {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"a":[1,2,"three"]}`), LogType: types.LogTypeTail})
		require.NoError(t, err)
		assert.Equal(t, int32(http.StatusOK), out.StatusCode)
		assert.JSONEq(t, `{"a":[1,2,"three"]}`, string(out.Payload))
		assert.Equal(t, "$LATEST", aws.ToString(out.ExecutedVersion))
		assert.Nil(t, out.FunctionError)
		log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		require.NoError(t, err)
		assert.Regexp(t, `(?s)^START RequestId: \S+ Version: \$LATEST\n.*END RequestId: \S+\nREPORT RequestId: \S+\tDuration: .* ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t`, string(log))

		out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`"x"`)})
		require.NoError(t, err)
		assert.Nil(t, out.LogResult, "no tail unless asked")
		out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
		require.NoError(t, err)
		assert.Empty(t, out.Payload, "no payload: the function gets an empty one")
	})

	t.Run("log tail is the last 4 KB", func(t *testing.T) {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logs"), Payload: []byte(`"flood"`), LogType: types.LogTypeTail})
		require.NoError(t, err)
		log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		require.NoError(t, err)
		assert.Len(t, log, 4096)
		assert.NotContains(t, string(log), "START RequestId", "the head is cut")
		assert.Contains(t, string(log), "\nEND RequestId: ")
		assert.Regexp(t, `\nREPORT RequestId: [^\n]+\n$`, string(log))
	})

	t.Run("event", func(t *testing.T) {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logpayload"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(`"an event ran"`)})
		require.NoError(t, err)
		assert.Equal(t, int32(http.StatusAccepted), out.StatusCode)
		assert.Empty(t, out.Payload)
		require.Eventually(t, func() bool {
			records, err := s.Engine.Logs("logpayload", 0)
			require.NoError(t, err)
			for _, r := range records {
				if bytes.Contains(r.Text, []byte("an event ran")) {
					return true
				}
			}
			return false
		}, 10*time.Second, 5*time.Millisecond)
	})

	t.Run("dry run", func(t *testing.T) {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logpayload"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`"dry"`)})
		require.NoError(t, err)
		assert.Equal(t, int32(http.StatusNoContent), out.StatusCode)
		records, err := s.Engine.Logs("logpayload", 0)
		require.NoError(t, err)
		for _, r := range records {
			assert.NotContains(t, string(r.Text), "dry", "nothing ran")
		}
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nosuch"), InvocationType: types.InvocationTypeDryRun})
		var nf *types.ResourceNotFoundException
		require.ErrorAs(t, err, &nf)
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				payload := fmt.Sprintf(`{"i":%d}`, i)
				out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(payload)})
				if assert.NoError(t, err) {
					assert.JSONEq(t, payload, string(out.Payload))
				}
			})
		}
		wg.Wait()
	})
}

func TestInvokeQualifiers(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fn", testguest.WATEcho(t))
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: wasm(t, "fail")})
	require.NoError(t, err)
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, function, qualifier, version string
		failed                             bool
	}{
		{name: "unqualified", function: "fn", version: "$LATEST", failed: true},
		{name: "$LATEST", function: "fn", qualifier: "$LATEST", version: "$LATEST", failed: true},
		{name: "version", function: "fn", qualifier: "1", version: "1"},
		{name: "alias", function: "fn", qualifier: "live", version: "1"},
		{name: "version in the name", function: "fn:1", version: "1"},
		{name: "alias in the ARN", function: "arn:aws:lambda:us-east-1:000000000000:function:fn:live", version: "1"},
		{name: "same qualifier twice", function: "fn:live", qualifier: "live", version: "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.InvokeInput{FunctionName: aws.String(tc.function), Payload: []byte(`{}`)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			out, err := lc.Invoke(ctx, in)
			require.NoError(t, err)
			assert.Equal(t, tc.version, aws.ToString(out.ExecutedVersion))
			assert.Equal(t, tc.failed, out.FunctionError != nil)
		})
	}

	var ip *types.InvalidParameterValueException
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn:1"), Qualifier: aws.String("live")})
	require.ErrorAs(t, err, &ip, "two different qualifiers")
	var nf *types.ResourceNotFoundException
	for _, q := range []string{"2", "nosuch"} {
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Qualifier: aws.String(q)})
		require.ErrorAs(t, err, &nf, q)
	}
}

func TestInvokeFunctionErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "fail", wasm(t, "fail"))
	s.deploy(t, "trap", wasm(t, "unreachable"))
	s.deploy(t, "go-fail", testguest.Go(t, "fail"))
	s.deploy(t, "go-panic", testguest.Go(t, "panic"))
	s.deploy(t, "loop", wasm(t, "loop"))
	_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("loop"), Timeout: aws.Int32(1)})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, function, payload string
		kind, errorType         string
		message                 string
	}{
		{name: "WAT handled", function: "fail", payload: `{}`, kind: "Handled", errorType: "Boom", message: "failed on purpose"},
		{name: "WAT trap", function: "trap", payload: `1`, kind: "Unhandled", errorType: "Runtime.Trap", message: "unreachable"},
		{name: "Go handled", function: "go-fail", payload: `{}`, kind: "Handled"},
		{name: "Go panic", function: "go-panic", payload: `{}`, kind: "Unhandled", errorType: "Runtime.Panic"},
		{name: "timeout", function: "loop", payload: `{}`, kind: "Unhandled", errorType: "Sandbox.Timedout", message: "1.00 seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.function), Payload: []byte(tc.payload), LogType: types.LogTypeTail})
			require.NoError(t, err)
			assert.Equal(t, int32(http.StatusOK), out.StatusCode)
			assert.Equal(t, tc.kind, aws.ToString(out.FunctionError))
			body := decode[map[string]string](t, response{Body: out.Payload})
			assert.Len(t, body, 2, "errorMessage and errorType: %s", out.Payload)
			assert.NotEmpty(t, body["errorType"])
			assert.NotEmpty(t, body["errorMessage"])
			if tc.errorType != "" {
				assert.Equal(t, tc.errorType, body["errorType"])
			}
			assert.Contains(t, body["errorMessage"], tc.message)
			log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			require.NoError(t, err)
			assert.Contains(t, string(log), "REPORT RequestId")
		})
	}
}

func TestInvokeRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, false)
	lc := s.client(adminKey)
	ctx := context.Background()
	s.deploy(t, "echo", testguest.WATEcho(t))
	big := []byte(`"` + strings.Repeat("x", 6<<20) + `"`)

	for _, tc := range []struct {
		name string
		in   lambda.InvokeInput
		want any
		code int
	}{
		{name: "payload over 6 MB", in: lambda.InvokeInput{Payload: big}, want: &types.RequestTooLargeException{}, code: http.StatusRequestEntityTooLarge},
		{name: "event over 256 KB", in: lambda.InvokeInput{Payload: []byte(`"` + strings.Repeat("x", 300<<10) + `"`), InvocationType: types.InvocationTypeEvent},
			want: &types.RequestTooLargeException{}, code: http.StatusRequestEntityTooLarge},
		{name: "not JSON", in: lambda.InvokeInput{Payload: []byte("hello")}, want: &types.InvalidRequestContentException{}, code: http.StatusBadRequest},
		{name: "truncated JSON", in: lambda.InvokeInput{Payload: []byte(`{"a":`)}, want: &types.InvalidRequestContentException{}, code: http.StatusBadRequest},
		{name: "unknown invocation type", in: lambda.InvokeInput{InvocationType: "Later"}, want: &types.InvalidParameterValueException{}, code: http.StatusBadRequest},
		{name: "unknown log type", in: lambda.InvokeInput{LogType: "Head"}, want: &types.InvalidParameterValueException{}, code: http.StatusBadRequest},
		{name: "unknown function", in: lambda.InvokeInput{FunctionName: aws.String("nosuch")}, want: &types.ResourceNotFoundException{}, code: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.FunctionName == nil {
				tc.in.FunctionName = aws.String("echo")
			}
			_, err := lc.Invoke(ctx, &tc.in)
			switch want := tc.want.(type) {
			case *types.RequestTooLargeException:
				require.ErrorAs(t, err, &want)
			case *types.InvalidRequestContentException:
				require.ErrorAs(t, err, &want)
			case *types.InvalidParameterValueException:
				require.ErrorAs(t, err, &want)
			case *types.ResourceNotFoundException:
				require.ErrorAs(t, err, &want)
			}
			var re interface{ HTTPStatusCode() int }
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.code, re.HTTPStatusCode())
		})
	}
	_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: big[: 1<<20 : 1<<20]})
	var ic *types.InvalidRequestContentException
	require.ErrorAs(t, err, &ic, "a cut string is not JSON")
	out := s.invoke(t, "echo", string(big[:5<<20])+`"`)
	assert.Len(t, out.Payload, 5<<20+1, "a payload under the limit passes")
}
