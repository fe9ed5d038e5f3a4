package engine_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The host capability tests drive cap_call.wat's app_call operations
// against capabilities of the test's own, which record what reaches them.

// More operations of cap_call.wat.
const (
	capApp        = 'a' // app_call name payload
	capAppWhole   = 'A' // app_call name, with cap_call's whole payload
	capContextGet = 'x' // context_get of a field
)

// hostRecorder records the calls that reach a test's host capabilities.
type hostRecorder struct {
	mu    sync.Mutex
	calls []engine.HostCall
	// deadlines are the handlers' ctx deadlines, one per call.
	deadlines []time.Time
}

func (r *hostRecorder) record(ctx context.Context, call engine.HostCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	d, _ := ctx.Deadline()
	r.deadlines = append(r.deadlines, d)
}

func (r *hostRecorder) take() []engine.HostCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls, r.deadlines = nil, nil
	return out
}

// ordersCapabilities are orders.Get (which returns "order "+payload) and
// orders.Annotate (which returns "ok"), checked on
// app:orders/TENANT/PAYLOAD, and ping (returns "pong"), checked on the
// default resource app:ping, all recorded by r.
func ordersCapabilities(r *hostRecorder) []engine.HostCapability {
	orderResource := func(call engine.HostCall) (string, error) {
		return "app:orders/" + call.Tenant + "/" + string(call.Payload), nil
	}
	return []engine.HostCapability{
		{Name: "orders.Get", Resource: orderResource, Handler: func(ctx context.Context, call engine.HostCall) ([]byte, error) {
			r.record(ctx, call)
			return []byte("order " + string(call.Payload)), nil
		}},
		{Name: "orders.Annotate", Resource: orderResource, Handler: func(ctx context.Context, call engine.HostCall) ([]byte, error) {
			r.record(ctx, call)
			return []byte("ok"), nil
		}},
		{Name: "ping", Handler: func(ctx context.Context, call engine.HostCall) ([]byte, error) {
			r.record(ctx, call)
			return []byte("pong"), nil
		}},
	}
}

func TestHostCapabilityConfig(t *testing.T) {
	ok := func(context.Context, engine.HostCall) ([]byte, error) { return nil, nil }
	tests := []struct {
		name string
		caps []engine.HostCapability
		want string // "" when New succeeds
	}{
		{name: "none"},
		{name: "several", caps: []engine.HostCapability{{Name: "orders.Get", Handler: ok}, {Name: "orders.Annotate", Handler: ok}}},
		{name: "empty name", caps: []engine.HostCapability{{Handler: ok}}, want: `name ""`},
		{name: "name with a slash", caps: []engine.HostCapability{{Name: "orders/Get", Handler: ok}}, want: `name "orders/Get"`},
		{name: "name starting with a digit", caps: []engine.HostCapability{{Name: "1orders", Handler: ok}}, want: `name "1orders"`},
		{name: "name too long", caps: []engine.HostCapability{{Name: "a" + strings.Repeat("b", 128), Handler: ok}}, want: "use 1 to 128"},
		{name: "no handler", caps: []engine.HostCapability{{Name: "orders.Get"}}, want: `"orders.Get" has no Handler`},
		{name: "twice", caps: []engine.HostCapability{{Name: "x", Handler: ok}, {Name: "x", Handler: ok}}, want: `"x" is given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := engine.New(context.Background(), engine.Config{HostCapabilities: tt.caps})
			if tt.want == "" {
				require.NoError(t, err)
				require.NoError(t, eng.Close(context.Background()))
				return
			}
			require.Error(t, err)
			assert.Nil(t, eng)
			assert.ErrorIs(t, err, engine.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestHostCapabilityPolicy checks each decision of the policies on
// app_call: the code the guest saw, its pending result, the FLINT line,
// the denial counter, and that a denied call never reached its handler.
func TestHostCapabilityPolicy(t *testing.T) {
	const (
		denied   = -int32(abi.ErrnoDenied)
		notFound = -int32(abi.ErrnoNotFound)
		invalid  = -int32(abi.ErrnoInvalid)
		tooLarge = -int32(abi.ErrnoTooLarge)
	)
	tenant7 := policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": "app:orders.Get", "Resource": "app:orders/t7/*"}]}`)
	allowAll := policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`)
	tests := []struct {
		name       string
		statements []string // the function's policy
		opts       []engine.InvokeOption
		fields     []string // the app_call's: name, payload
		want       int32
		pending    string
		denial     string // the FLINT line, when denied
		reached    bool
	}{
		{name: "allowed", statements: []string{capAllow("app:orders.Get", "app:orders/t1/*")}, opts: []engine.InvokeOption{engine.WithTenant("t1")},
			fields: []string{"orders.Get", "o-1"}, want: 9, pending: "order o-1", reached: true},
		{name: "no statement for it", statements: []string{capAllow("app:orders.Get", "app:orders/t1/*")}, opts: []engine.InvokeOption{engine.WithTenant("t2")},
			fields: []string{"orders.Get", "o-1"}, want: denied, pending: "app:orders/t2/o-1",
			denial: "app:orders.Get on app:orders/t2/o-1: denied: no statement allows it"},
		{name: "another capability", statements: []string{capAllow("app:orders.Get", "app:orders/t1/*")}, opts: []engine.InvokeOption{engine.WithTenant("t1")},
			fields: []string{"orders.Annotate", "o-1"}, want: denied, pending: "app:orders/t1/o-1",
			denial: "app:orders.Annotate on app:orders/t1/o-1: denied: no statement allows it"},
		{name: "a Deny beats an Allow", statements: []string{capAllow("app:*", "*"), capDeny("app:orders.*", "app:orders/t1/locked-*")}, opts: []engine.InvokeOption{engine.WithTenant("t1")},
			fields: []string{"orders.Get", "locked-1"}, want: denied, pending: "app:orders/t1/locked-1",
			denial: "app:orders.Get on app:orders/t1/locked-1: denied by Statement[1]"},
		{name: "the default resource", statements: []string{capAllow("app:ping", "app:ping")},
			fields: []string{"ping", ""}, want: 4, pending: "pong", reached: true},
		{name: "star allows a host capability", statements: []string{capAllow("*", "*")},
			fields: []string{"ping", ""}, want: 4, pending: "pong", reached: true},
		{name: "a kv grant is no app grant", statements: []string{capAllow("*", "kv:*")},
			fields: []string{"ping", ""}, want: denied, pending: "app:ping", denial: "app:ping on app:ping: denied: no statement allows it"},
		{name: "no policy", fields: []string{"ping", ""}, want: denied, pending: "app:ping",
			denial: "app:ping on app:ping: denied: no statement allows it"},

		{name: "the invocation's policy narrows", statements: []string{capAllow("app:orders.*", "app:orders/*")},
			opts:   []engine.InvokeOption{engine.WithTenant("t7"), engine.WithPolicy(tenant7)},
			fields: []string{"orders.Annotate", "o-1"}, want: denied, pending: "app:orders/t7/o-1",
			denial: "app:orders.Annotate on app:orders/t7/o-1: denied by the invocation's policy: no statement allows it"},
		{name: "the invocation's policy allows within the function's", statements: []string{capAllow("app:orders.*", "app:orders/*")},
			opts:   []engine.InvokeOption{engine.WithTenant("t7"), engine.WithPolicy(tenant7)},
			fields: []string{"orders.Get", "o-1"}, want: 9, pending: "order o-1", reached: true},
		{name: "the invocation's policy for another tenant", statements: []string{capAllow("app:orders.*", "app:orders/*")},
			opts:   []engine.InvokeOption{engine.WithTenant("t8"), engine.WithPolicy(tenant7)},
			fields: []string{"orders.Get", "o-1"}, want: denied, pending: "app:orders/t8/o-1",
			denial: "app:orders.Get on app:orders/t8/o-1: denied by the invocation's policy: no statement allows it"},
		{name: "the invocation's policy cannot widen", statements: []string{capAllow("app:orders.Get", "app:orders/*")},
			opts:   []engine.InvokeOption{engine.WithTenant("t7"), engine.WithPolicy(allowAll)},
			fields: []string{"orders.Annotate", "o-1"}, want: denied, pending: "app:orders/t7/o-1",
			denial: "app:orders.Annotate on app:orders/t7/o-1: denied: no statement allows it"},
		{name: "a nil invocation policy denies", statements: []string{capAllow("*", "*")}, opts: []engine.InvokeOption{engine.WithPolicy(nil)},
			fields: []string{"ping", ""}, want: denied, pending: "app:ping",
			denial: "app:ping on app:ping: denied by the invocation's policy: no statement allows it"},
		{name: "the invocation's policy narrows the built-in capabilities too", statements: []string{capAllow("*", "*")},
			opts:   []engine.InvokeOption{engine.WithPolicy(tenant7)},
			fields: []string{"kv-get"}, want: denied,
			denial: "kv:Get on kv:s/k: denied by the invocation's policy: no statement allows it"},

		{name: "unregistered", statements: []string{capAllow("*", "*")}, fields: []string{"orders.Delete", "o-1"}, want: notFound},
		{name: "not a name", statements: []string{capAllow("*", "*")}, fields: []string{"orders/Get", "o-1"}, want: invalid},
		{name: "empty name", statements: []string{capAllow("*", "*")}, fields: []string{"", "o-1"}, want: invalid},
		{name: "name too long", statements: []string{capAllow("*", "*")}, fields: []string{"a" + strings.Repeat("b", 128), ""}, want: tooLarge},
		{name: "unregistered without a grant", fields: []string{"nope", ""}, want: notFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &hostRecorder{}
			eng := newEngine(t, engine.Config{HostCapabilities: ordersCapabilities(rec)})
			capDeploy(t, eng, "fn", capPolicy(t, tt.statements...))
			payload := capPayload(capApp, tt.fields...)
			if tt.fields[0] == "kv-get" {
				payload = capPayload(capKVGet, "s", "k")
			}
			res, err := eng.Invoke(context.Background(), "fn", []byte(payload), tt.opts...)
			require.NoError(t, err)
			require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
			out := capDecodeOut(t, res.Payload)
			assert.Equal(t, tt.want, out.Result)
			assert.Equal(t, tt.pending, out.Pending)
			if tt.denial != "" {
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
			} else {
				assert.Empty(t, capFlintLines(t, res))
				assert.Zero(t, capDenials(t, eng, "fn"))
			}
			calls := rec.take()
			if tt.reached {
				require.Len(t, calls, 1)
				assert.Equal(t, tt.fields[0], calls[0].Capability)
			} else {
				assert.Empty(t, calls, "a refused call never reaches its handler")
			}
		})
	}
}

// TestHostCapabilityErrors maps what a handler (or Resource) returns to
// what the guest sees, and keeps the host's error text out of the
// function's log.
func TestHostCapabilityErrors(t *testing.T) {
	const secret = "dial tcp 10.0.0.7:5432: password authentication failed"
	tests := []struct {
		name     string
		handler  engine.HostFunc
		resource func(engine.HostCall) (string, error)
		want     abi.Errno // 0: success
		pending  string
		flint    string // the invocation log's FLINT line, if any
		logged   string // in the engine's log, if anything
	}{
		{name: "result", handler: func(context.Context, engine.HostCall) ([]byte, error) { return []byte("r"), nil }, pending: "r"},
		{name: "empty result", handler: func(context.Context, engine.HostCall) ([]byte, error) { return nil, nil }},
		{name: "not found", handler: fails(fmt.Errorf("order o-1: %w", engine.ErrNotFound)), want: abi.ErrnoNotFound},
		{name: "denied by the host", handler: fails(engine.ErrDenied), want: abi.ErrnoDenied},
		{name: "invalid", handler: fails(engine.ErrInvalidArgument), want: abi.ErrnoInvalid},
		{name: "too large", handler: fails(engine.ErrPayloadTooLarge), want: abi.ErrnoTooLarge},
		{name: "unavailable", handler: fails(fmt.Errorf("%s: %w", secret, engine.ErrUnavailable)), want: abi.ErrnoUnavailable,
			flint: "app_call: app:x: unavailable"},
		{name: "throttled", handler: fails(engine.ErrThrottled), want: abi.ErrnoUnavailable, flint: "app_call: app:x: unavailable"},
		{name: "a nested function not found", handler: fails(engine.ErrFunctionNotFound), want: abi.ErrnoNotFound},
		{name: "too deep", handler: fails(engine.ErrInvokeDepth), want: abi.ErrnoLimit},
		{name: "typed", handler: fails(&engine.CapabilityError{Type: "OrderLocked", Message: "o-1 is shipping"}),
			want: abi.ErrnoFunction, pending: `{"errorType":"OrderLocked","errorMessage":"o-1 is shipping"}`},
		{name: "typed without a type", handler: fails(fmt.Errorf("wrapped: %w", &engine.CapabilityError{Message: "m"})),
			want: abi.ErrnoFunction, pending: `{"errorType":"Error","errorMessage":"m"}`},
		{name: "a nested function's failure", handler: fails(&engine.FunctionError{Type: "ValidationError", Message: "bad"}),
			want: abi.ErrnoFunction, pending: `{"errorType":"ValidationError","errorMessage":"bad"}`},
		{name: "any other error", handler: fails(errors.New(secret)), want: abi.ErrnoInternal,
			flint: "app_call: app:x: the host capability failed; the host application's log has the details", logged: secret},
		{name: "panic", handler: func(context.Context, engine.HostCall) ([]byte, error) { panic(secret) }, want: abi.ErrnoInternal,
			flint: "app_call: app:x: the host capability failed; the host application's log has the details", logged: "host capability panicked"},
		{name: "result too large", handler: func(context.Context, engine.HostCall) ([]byte, error) { return make([]byte, 1025), nil },
			want: abi.ErrnoTooLarge, flint: "app_call: app:x returned 1025 bytes, over the 1024-byte limit"},
		{name: "Resource refuses the payload", resource: func(engine.HostCall) (string, error) { return "", engine.ErrInvalidArgument },
			want: abi.ErrnoInvalid},
		{name: "Resource names no app resource", resource: func(engine.HostCall) (string, error) { return "kv:s/k", nil },
			want: abi.ErrnoInternal, flint: "app_call: app:x: the host capability failed; the host application's log has the details",
			logged: `Resource named \"kv:s/k\"`},
		{name: "Resource panics", resource: func(engine.HostCall) (string, error) { panic(secret) },
			want: abi.ErrnoInternal, flint: "app_call: app:x: the host capability failed; the host application's log has the details",
			logged: "host capability panicked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			reached := false
			handler := tt.handler
			if handler == nil {
				handler = func(context.Context, engine.HostCall) ([]byte, error) { reached = true; return nil, nil }
			}
			eng := newEngine(t, engine.Config{
				MaxResponseBytes: 1024,
				Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
				HostCapabilities: []engine.HostCapability{{Name: "x", Resource: tt.resource, Handler: handler}},
			})
			capDeploy(t, eng, "fn", capPolicy(t, capAllow("app:x", "*")))
			out, res := capCall(t, eng, "fn", capApp, "x", "payload")
			if tt.want == 0 {
				assert.Equal(t, int32(len(tt.pending)), out.Result)
			} else {
				assert.Equal(t, capErrno(tt.want), out.Result)
			}
			assert.Equal(t, tt.pending, out.Pending)
			var flint []string
			if tt.flint != "" {
				flint = []string{tt.flint}
			}
			assert.Equal(t, flint, capFlintLines(t, res))
			assert.NotContains(t, string(res.Logs), secret, "the host's error text stays out of the function's log")
			assert.NotContains(t, string(res.Payload), secret)
			if tt.logged != "" {
				assert.Contains(t, logs.String(), tt.logged)
				assert.Contains(t, logs.String(), "requestId="+res.RequestID)
			}
			assert.False(t, reached, "a handler never runs after its Resource failed")
			assert.Zero(t, capDenials(t, eng, "fn"), "a host's refusal is not a policy denial")

			// The engine and the instance survive: the next call works.
			again := mustSucceed(t, eng, "fn", capPayload(capNone))
			assert.Equal(t, int32(0), capDecodeOut(t, again.Payload).Result)
		})
	}
}

// fails is a handler that returns err.
func fails(err error) engine.HostFunc {
	return func(context.Context, engine.HostCall) ([]byte, error) { return nil, err }
}

// TestHostCapabilityPayloadTooLarge sends an app_call payload over the
// engine's MaxRequestBytes: refused before any handler runs.
func TestHostCapabilityPayloadTooLarge(t *testing.T) {
	rec := &hostRecorder{}
	eng := newEngine(t, engine.Config{MaxRequestBytes: 1024, HostCapabilities: ordersCapabilities(rec)})
	capDeploy(t, eng, "fn", capPolicy(t, capAllow("*", "*")))
	// The payload field claims 2000 bytes: cap_call passes that range of
	// its memory, past its own (short) input.
	payload := []byte(capPayload(capApp, "ping"))
	payload = binary.LittleEndian.AppendUint32(payload, 2000)
	res, err := eng.Invoke(context.Background(), "fn", payload)
	require.NoError(t, err)
	require.Nil(t, res.FunctionError)
	assert.Equal(t, capErrno(abi.ErrnoTooLarge), capDecodeOut(t, res.Payload).Result)
	assert.Empty(t, rec.take())
}

// TestHostCapabilityContext checks what a handler learns of the call and
// what the guest reads of its invocation's context, directly and through
// invocations it makes.
func TestHostCapabilityContext(t *testing.T) {
	rec := &hostRecorder{}
	eng := newEngine(t, engine.Config{HostCapabilities: ordersCapabilities(rec)})
	all := capPolicy(t, capAllow("*", "*"))
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "cap_call"), Policy: all, Timeout: 5 * time.Second})
	deploy(t, eng, engine.Function{Name: "caller", Code: wat(t, "cap_call"), Policy: all, Timeout: 5 * time.Second})
	opts := []engine.InvokeOption{engine.WithTenant("tenant-42"), engine.WithMetadata("user", "alice"),
		engine.WithMetadata("plan", "pro"), engine.WithMetadata("user", "bob")}

	t.Run("the handler's call", func(t *testing.T) {
		res, err := eng.Invoke(context.Background(), "fn", []byte(capPayload(capApp, "orders.Get", "o-17")), opts...)
		require.NoError(t, err)
		require.Equal(t, "order o-17", capDecodeOut(t, res.Payload).Pending)
		calls := rec.take()
		require.Len(t, calls, 1)
		call := calls[0]
		assert.Equal(t, "orders.Get", call.Capability)
		assert.Equal(t, "fn", call.Function)
		assert.Equal(t, engine.LatestVersion, call.Version)
		assert.Equal(t, res.RequestID, call.RequestID)
		assert.Equal(t, "tenant-42", call.Tenant)
		assert.Equal(t, []byte("o-17"), call.Payload)
		assert.Equal(t, "app:orders/tenant-42/o-17", call.Resource)
		assert.Equal(t, 2, call.Metadata.Len())
		user, ok := call.Metadata.Get("user")
		assert.True(t, ok)
		assert.Equal(t, "bob", user, "the last value given for a key counts")
		_, ok = call.Metadata.Get("nope")
		assert.False(t, ok)
		var keys []string
		for k := range call.Metadata.All() {
			keys = append(keys, k)
		}
		assert.Equal(t, []string{"plan", "user"}, keys)
	})

	t.Run("the handler's deadline is the invocation's", func(t *testing.T) {
		start := time.Now()
		_, err := eng.Invoke(context.Background(), "fn", []byte(capPayload(capApp, "ping", "")))
		require.NoError(t, err)
		rec.mu.Lock()
		deadline := rec.deadlines[0]
		rec.mu.Unlock()
		rec.take()
		assert.WithinDuration(t, start.Add(5*time.Second), deadline, 2*time.Second)
	})

	t.Run("the guest reads its context", func(t *testing.T) {
		tests := []struct {
			name  string
			field byte
			opts  []engine.InvokeOption
			want  string
		}{
			{name: "tenant", field: abi.FieldTenant, opts: opts, want: "tenant-42"},
			{name: "no tenant", field: abi.FieldTenant},
			{name: "metadata", field: abi.FieldMetadata, opts: opts, want: encodeMetadata("plan", "pro", "user", "bob")},
			{name: "no metadata", field: abi.FieldMetadata},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := eng.Invoke(context.Background(), "fn", []byte(capPayload(capContextGet, string(rune(tt.field)))), tt.opts...)
				require.NoError(t, err)
				out := capDecodeOut(t, res.Payload)
				assert.Equal(t, int32(len(tt.want)), out.Result)
				assert.Equal(t, tt.want, out.Pending)
			})
		}
	})

	t.Run("fn_invoke passes the context on", func(t *testing.T) {
		res, err := eng.Invoke(context.Background(), "caller",
			[]byte(capPayload(capInvoke, "fn", capPayload(capApp, "orders.Get", "o-1"))), opts...)
		require.NoError(t, err)
		inner := capDecodeOut(t, []byte(capDecodeOut(t, res.Payload).Pending))
		assert.Equal(t, "order o-1", inner.Pending)
		calls := rec.take()
		require.Len(t, calls, 1)
		assert.Equal(t, "fn", calls[0].Function)
		assert.Equal(t, "tenant-42", calls[0].Tenant)
		user, _ := calls[0].Metadata.Get("user")
		assert.Equal(t, "bob", user)
	})

	t.Run("fn_invoke passes the invocation's policy on", func(t *testing.T) {
		pingOnly := policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": ["app:ping", "fn:Invoke"], "Resource": ["app:ping", "fn:fn"]}]}`)
		res, err := eng.Invoke(context.Background(), "caller",
			[]byte(capPayload(capInvoke, "fn", capPayload(capApp, "orders.Get", "o-1"))), engine.WithPolicy(pingOnly))
		require.NoError(t, err)
		inner := capDecodeOut(t, []byte(capDecodeOut(t, res.Payload).Pending))
		assert.Equal(t, capErrno(abi.ErrnoDenied), inner.Result, "the callee runs under its caller's invocation policy")
		assert.Empty(t, rec.take())
		assert.Equal(t, uint64(1), stats(t, eng, "fn").Denials)
	})
}

// encodeMetadata is the context_get encoding of key, value, ... pairs.
func encodeMetadata(kv ...string) string {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(kv)/2))
	for _, s := range kv {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return string(b)
}

// TestHostCapabilityReentrancy runs a chain host -> engine -> guest ->
// host: a capability invokes the function that called it, which calls
// the capability again. Invoke with the handler's context continues the
// chain, so it stops at MaxInvokeDepth with ErrInvokeDepth, which the
// guest sees as LIMIT, and the invocation's context reaches every level.
func TestHostCapabilityReentrancy(t *testing.T) {
	const depth = 4
	var eng *engine.Engine
	var mu sync.Mutex
	var tenants []string
	var lastErr error
	eng = newEngine(t, engine.Config{MaxInvokeDepth: depth, HostCapabilities: []engine.HostCapability{{
		Name: "again",
		Handler: func(ctx context.Context, call engine.HostCall) ([]byte, error) {
			mu.Lock()
			tenants = append(tenants, call.Tenant)
			mu.Unlock()
			res, err := eng.Invoke(ctx, call.Function, call.Payload)
			if err != nil {
				mu.Lock()
				lastErr = err
				mu.Unlock()
				return nil, err
			}
			return res.Payload, res.Err()
		},
	}}})
	capDeploy(t, eng, "rec", capPolicy(t, capAllow("app:again", "*")))
	res, err := eng.Invoke(context.Background(), "rec", []byte(capPayload(capAppWhole, "again")), engine.WithTenant("t1"))
	require.NoError(t, err)
	require.Nil(t, res.FunctionError)

	out := capDecodeOut(t, res.Payload)
	levels := 0
	for out.Result >= 0 {
		levels++
		require.LessOrEqual(t, levels, depth, "the chain is no deeper than MaxInvokeDepth")
		out = capDecodeOut(t, []byte(out.Pending))
	}
	assert.Equal(t, depth, levels, "every level down to MaxInvokeDepth ran")
	assert.Equal(t, capErrno(abi.ErrnoLimit), out.Result, "the deepest call is refused with LIMIT")
	assert.Equal(t, uint64(depth+1), stats(t, eng, "rec").Invocations)
	assert.ErrorIs(t, lastErr, engine.ErrInvokeDepth)
	assert.Equal(t, []string{"t1", "t1", "t1", "t1", "t1"}, tenants, "every level runs on behalf of the tenant")
}

// TestHostCapabilityTimeout has a handler wait for its context: the
// invocation times out, and the handler's context says so.
func TestHostCapabilityTimeout(t *testing.T) {
	started := make(chan struct{}, 1)
	errs := make(chan error, 1)
	eng := newEngine(t, engine.Config{HostCapabilities: []engine.HostCapability{{
		Name: "wait",
		Handler: func(ctx context.Context, call engine.HostCall) ([]byte, error) {
			started <- struct{}{}
			<-ctx.Done()
			errs <- ctx.Err()
			return nil, ctx.Err()
		},
	}}})
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "cap_call"), Timeout: 200 * time.Millisecond,
		Policy: capPolicy(t, capAllow("app:wait", "*"))})
	res := invoke(t, eng, "fn", capPayload(capApp, "wait", ""))
	<-started
	require.NotNil(t, res.FunctionError)
	assert.Equal(t, engine.ErrorTypeTimeout, res.FunctionError.Type)
	assert.ErrorIs(t, <-errs, context.DeadlineExceeded)

	// Cancelled by the caller once the handler waits.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	res, err := eng.Invoke(ctx, "fn", []byte(capPayload(capApp, "wait", "")))
	if err == nil {
		require.NotNil(t, res.FunctionError)
		assert.Equal(t, engine.ErrorTypeCanceled, res.FunctionError.Type)
	}
	assert.ErrorIs(t, <-errs, context.Canceled)
}

func TestInvokeContextOptions(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "echo", Code: wat(t, "cap_call")})
	tests := []struct {
		name string
		opt  engine.InvokeOption
		want string // "" when valid
	}{
		{name: "tenant", opt: engine.WithTenant("tenant-42@acme.example:eu+1=x")},
		{name: "tenant with a slash", opt: engine.WithTenant("a/b"), want: `tenant "a/b"`},
		{name: "tenant with a space", opt: engine.WithTenant("a b"), want: `tenant "a b"`},
		{name: "tenant too long", opt: engine.WithTenant(strings.Repeat("t", engine.MaxTenantBytes+1)), want: "tenant"},
		{name: "metadata", opt: engine.WithMetadata("trace.id", "x y/z")},
		{name: "metadata key empty", opt: engine.WithMetadata("", "v"), want: `metadata key ""`},
		{name: "metadata key with a colon", opt: engine.WithMetadata("a:b", "v"), want: `metadata key "a:b"`},
		{name: "metadata too large", opt: engine.WithMetadata("k", strings.Repeat("v", engine.MaxMetadataBytes)), want: "over the 16384-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := eng.Invoke(context.Background(), "echo", []byte(capPayload(capNone)), tt.opt)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Nil(t, res.FunctionError)
			} else {
				assert.ErrorIs(t, err, engine.ErrInvalidFunction)
				assert.ErrorContains(t, err, tt.want)
			}
			// The queue does not carry an invocation's context.
			_, err = eng.InvokeAsync(context.Background(), "echo", nil, tt.opt)
			assert.ErrorIs(t, err, engine.ErrInvalidFunction)
		})
	}
}

// TestHostCapabilityConcurrent calls a capability from many invocations
// at once, each for its own tenant: every handler sees its own
// invocation's tenant (run with -race).
func TestHostCapabilityConcurrent(t *testing.T) {
	rec := &hostRecorder{}
	eng := newEngine(t, engine.Config{HostCapabilities: ordersCapabilities(rec)})
	capDeploy(t, eng, "fn", capPolicy(t, capAllow("app:orders.Get", "app:orders/*")))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				tenant := fmt.Sprintf("t%d", i)
				id := fmt.Sprintf("o%d", j)
				res, err := eng.Invoke(context.Background(), "fn", []byte(capPayload(capApp, "orders.Get", id)), engine.WithTenant(tenant))
				if assert.NoError(t, err) && assert.Nil(t, res.FunctionError) {
					assert.Equal(t, "order "+id, capDecodeOut(t, res.Payload).Pending)
				}
			}
		})
	}
	wg.Wait()
	calls := rec.take()
	require.Len(t, calls, 40)
	for _, c := range calls {
		assert.True(t, strings.HasPrefix(c.Resource, "app:orders/"+c.Tenant+"/"), "%s for %s", c.Resource, c.Tenant)
		assert.True(t, bytes.HasSuffix([]byte(c.Resource), c.Payload))
	}
}

// TestHostCapabilityFromC runs guest-examples/c-app, built with
// abi/guest/c/flint_app.h: the C declaration of app_call reaches the
// capability, and its error codes and pending results are what the
// header says.
func TestHostCapabilityFromC(t *testing.T) {
	rec := &hostRecorder{}
	caps := ordersCapabilities(rec)
	eng := newEngine(t, engine.Config{HostCapabilities: caps})
	deploy(t, eng, engine.Function{Name: "c-app", Code: testguest.File(t, "guest-examples/c-app/app.wasm"),
		Policy: capPolicy(t, capAllow("app:orders.Get", "app:orders/tenant-42/*"))})
	tests := []struct {
		name    string
		tenant  string
		payload string
		want    string // the response, or "Type: message" of the handled error
		reaches bool
	}{
		{name: "allowed", tenant: "tenant-42", payload: "o-1", want: "tenant-42: order o-1", reaches: true},
		{name: "denied", tenant: "tenant-7", payload: "o-1", want: "Denied: app:orders/tenant-7/o-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := eng.Invoke(context.Background(), "c-app", []byte(tt.payload), engine.WithTenant(tt.tenant))
			require.NoError(t, err)
			if res.FunctionError != nil {
				assert.Equal(t, tt.want, res.FunctionError.Error())
			} else {
				assert.Equal(t, tt.want, string(res.Payload))
			}
			assert.Equal(t, tt.reaches, len(rec.take()) == 1)
		})
	}
}

// TestHostCapabilityGoSDK runs guest-examples/orderrules against
// capabilities that answer in every way a Go plugin must handle: the SDK's
// guest.CallJSON turns each into the value or error the plugin expects,
// and the plugin reads its context (tenant, metadata).
func TestHostCapabilityGoSDK(t *testing.T) {
	code := testguest.Go(t, "orderrules")
	order := func(total int) engine.HostFunc {
		return func(context.Context, engine.HostCall) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"id":"o-1","total":%d}`, total)), nil
		}
	}
	ok := func(context.Context, engine.HostCall) ([]byte, error) { return []byte("{}"), nil }
	tests := []struct {
		name     string
		get      engine.HostFunc
		annotate engine.HostFunc
		policy   string // the invocation's; "" for none
		opts     []engine.InvokeOption
		want     string // the response, or "Type: message" of the function's error
	}{
		{name: "below the threshold", get: order(99), annotate: ok,
			want: `{"tenant":"t1","order":"o-1","total":99,"flagged":false,"annotated":false}`},
		{name: "a threshold from the metadata", get: order(99), annotate: ok, opts: []engine.InvokeOption{engine.WithMetadata("review-threshold", "50")},
			want: `{"tenant":"t1","order":"o-1","total":99,"flagged":true,"note":"review: total 99 \u003e= 50","annotated":true}`},
		{name: "not found", get: fails(engine.ErrNotFound), annotate: ok, want: "OrderNotFound: no order o-1 for t1"},
		{name: "a typed failure passes through", get: fails(&engine.CapabilityError{Type: "OrderLocked", Message: "o-1 ships"}), annotate: ok,
			want: "OrderLocked: o-1 ships"},
		{name: "a result that is not JSON", get: func(context.Context, engine.HostCall) ([]byte, error) { return []byte("nope"), nil }, annotate: ok,
			want: "InvalidResponse: host capability orders.Get: invalid character 'o' in literal null (expecting 'u')"},
		{name: "unavailable", get: fails(engine.ErrUnavailable), annotate: ok,
			want: "Error: flint: app_call: unavailable: the target could not be reached (network error, timeout or throttling); trying again later may work"},
		{name: "annotate refused by the host itself", get: order(500), annotate: fails(engine.ErrDenied),
			want: `{"tenant":"t1","order":"o-1","total":500,"flagged":true,"note":"review: total 500 \u003e= 100","annotated":false,"error":"flint: app:orders.Annotate denied"}`},
		{name: "annotate refused by the invocation's policy", get: order(500), annotate: ok,
			policy: `{"Statement": [{"Effect": "Allow", "Action": "app:orders.Get", "Resource": "*"}]}`,
			want:   `{"tenant":"t1","order":"o-1","total":500,"flagged":true,"note":"review: total 500 \u003e= 100","annotated":false,"error":"flint: app:orders.Annotate on app:orders.Annotate denied by the function's execution policy"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{HostCapabilities: []engine.HostCapability{
				{Name: "orders.Get", Handler: tt.get},
				{Name: "orders.Annotate", Handler: tt.annotate},
			}})
			deploy(t, eng, engine.Function{Name: "rules", Code: code, Policy: capPolicy(t, capAllow("app:orders.*", "*"))})
			opts := append([]engine.InvokeOption{engine.WithTenant("t1")}, tt.opts...)
			if tt.policy != "" {
				opts = append(opts, engine.WithPolicy(policy.MustParse(tt.policy)))
			}
			res, err := eng.Invoke(context.Background(), "rules", []byte(`{"order":"o-1"}`), opts...)
			require.NoError(t, err)
			if res.FunctionError != nil {
				assert.Equal(t, tt.want, res.FunctionError.Error())
				return
			}
			assert.Equal(t, tt.want, string(res.Payload))
		})
	}
}
