package abihost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine/internal/abihost"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// hostCalls are the flint host functions, in SPEC.md's order, as exported
// by testdata/hostcalls.wasm with a "call_" prefix.
var hostCalls = [...]string{
	"input_read", "output_write", "error_set", "log", "context_get", "deadline_ms",
	"result_read", "kv_get", "kv_put", "kv_delete", "kv_list", "http_fetch", "fn_invoke", "config_get",
	"app_call",
}

// capabilityCalls are the host functions checked against the policy, with
// whether a success leaves a pending result.
var capabilityCalls = map[string]bool{
	"kv_get": true, "kv_put": false, "kv_delete": false, "kv_list": true,
	"http_fetch": true, "fn_invoke": true, "config_get": true, "app_call": true,
}

// fuzzPolicies are the policies a fuzzed call runs under; nil denies all.
var fuzzPolicies = [...]*policy.Policy{
	policy.MustParse(`{"Statement": [
		{"Effect": "Allow", "Action": ["kv:Get", "kv:Put", "kv:List"], "Resource": "kv:a/*"},
		{"Effect": "Deny", "Action": "kv:*", "Resource": "kv:a/x*"},
		{"Effect": "Allow", "Action": "http:Fetch", "Resource": "http://ok.test/*"},
		{"Effect": "Allow", "Action": "fn:Invoke", "Resource": ["fn:f", "fn:f:*"]},
		{"Effect": "Allow", "Action": "config:Get", "Resource": "config:c*"},
		{"Effect": "Allow", "Action": "app:orders.*", "Resource": "app:orders/a*"},
		{"Effect": "Deny", "Action": "app:*", "Resource": "app:orders/ax*"}]}`),
	policy.MustParse(`{"Statement": []}`),
	nil,
	policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`),
}

// sessionPolicies are the invocation's own policies a fuzzed call runs
// under besides the function's, chosen by the phase argument's bits 2-3:
// none, one that narrows, one that allows nothing.
var sessionPolicies = [...][]*policy.Policy{
	nil,
	{policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": ["kv:Get", "app:orders.Get", "fn:Invoke"], "Resource": ["kv:a/k*", "app:orders/ab*", "fn:f"]}]}`)},
	{policy.MustParse(`{"Statement": []}`)},
	nil,
}

// appCapabilities are the host capabilities the fake resolves, and the
// resource each names for a payload.
var appCapabilities = map[string]func(payload []byte) string{
	"orders.Get":      func(p []byte) string { return "app:orders/" + string(p) },
	"orders.Annotate": func(p []byte) string { return "app:orders/" + string(p) },
	"x":               func([]byte) string { return "app:x" },
}

// Host limits of app_call in the fuzzed state.
const (
	fuzzMaxAppPayload = 32
	fuzzMaxAppResult  = 48
)

// refusedRedirect is where the fake sends a request it is told to
// redirect: no fuzzPolicies but the last allow it.
const refusedRedirect = "http://evil.test/r"

// Fuzz modes: bits of the mode argument.
const (
	modePolicy     = 0x03 // index into fuzzPolicies
	modeNoCaps     = 0x04 // State.Caps is nil
	modeFail       = 0x38 // how the fake fails (>> 3): see fakeCaps.err
	modeRedirect   = 0x40 // Fetch follows a redirect to refusedRedirect
	modeFnFailed   = 0x80 // Invoke reports a failed function
	modeFailShift  = 3
	failHostErrno  = 4 // the fake returns a *HostError with a fuzzed code
	failDeniedHost = 5 // the fake itself returns DENIED (not a policy denial)
)

var storeNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// fakeCaps records what reaches it and checks that the policy allowed it
// and that its arguments were validated.
type fakeCaps struct {
	s          *abihost.State
	mode       uint8
	errno      abi.Errno
	calls      int
	denied     int
	violations []string
	// deniedItself is set when the fake, not the policy, returned DENIED.
	deniedItself bool
}

var _ abihost.Capabilities = (*fakeCaps)(nil)

func (c *fakeCaps) reached(action policy.Action, resource string) {
	c.calls++
	allowed := c.s.Policy.Allowed(action, resource)
	for _, p := range c.s.Session {
		allowed = allowed && p.Allowed(action, resource)
	}
	if !allowed {
		c.violations = append(c.violations, fmt.Sprintf("%s on %q reached the capabilities though a policy denies it", action, resource))
	}
}

func (c *fakeCaps) checkKV(store, key string) {
	if !storeNameRE.MatchString(store) {
		c.violations = append(c.violations, fmt.Sprintf("store name %q reached the capabilities", store))
	}
	if len(key) > abi.MaxKey {
		c.violations = append(c.violations, fmt.Sprintf("a %d-byte key reached the capabilities", len(key)))
	}
}

// err is the failure the mode asks for, or nil.
func (c *fakeCaps) err() error {
	err := c.failure()
	var he *abihost.HostError
	c.deniedItself = errors.As(err, &he) && he.Errno == abi.ErrnoDenied
	return err
}

func (c *fakeCaps) failure() error {
	switch (c.mode & modeFail) >> modeFailShift {
	case 1:
		return &abihost.HostError{Errno: abi.ErrnoNotFound, Msg: "not found"}
	case 2:
		return errors.New("disk on fire")
	case 3:
		return context.Canceled
	case failHostErrno:
		return fmt.Errorf("wrapped: %w", &abihost.HostError{Errno: c.errno, Msg: "fuzzed"})
	case failDeniedHost:
		return &abihost.HostError{Errno: abi.ErrnoDenied, Msg: "refused by the host"}
	}
	return nil
}

func (c *fakeCaps) KVGet(_ context.Context, store, key string) ([]byte, error) {
	c.reached(policy.KVGet, "kv:"+store+"/"+key)
	c.checkKV(store, key)
	if err := c.err(); err != nil {
		return nil, err
	}
	return []byte("value of " + key), nil
}

func (c *fakeCaps) KVPut(_ context.Context, store, key string, value []byte) error {
	c.reached(policy.KVPut, "kv:"+store+"/"+key)
	c.checkKV(store, key)
	return c.err()
}

func (c *fakeCaps) KVDelete(_ context.Context, store, key string) error {
	c.reached(policy.KVDelete, "kv:"+store+"/"+key)
	c.checkKV(store, key)
	return c.err()
}

func (c *fakeCaps) KVList(_ context.Context, store, prefix, after string, limit int) ([]string, bool, error) {
	c.reached(policy.KVList, "kv:"+store+"/"+prefix)
	c.checkKV(store, prefix)
	if len(after) > abi.MaxKey || limit < 1 || limit > abi.MaxListLimit {
		c.violations = append(c.violations, fmt.Sprintf("kv_list after of %d bytes, limit %d reached the capabilities", len(after), limit))
	}
	if err := c.err(); err != nil {
		return nil, false, err
	}
	return []string{prefix + "1", prefix + "2"}, true, nil
}

func (c *fakeCaps) Fetch(_ context.Context, req *http.Request, allow func(*url.URL) error) (*http.Response, error) {
	c.reached(policy.HTTPFetch, req.URL.String())
	if c.mode&modeRedirect != 0 {
		u, _ := url.Parse(refusedRedirect)
		if err := allow(u); err != nil {
			return nil, err
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2,
	}, nil
}

func (c *fakeCaps) Invoke(_ context.Context, target string, payload []byte) (abihost.InvokeResult, error) {
	c.reached(policy.FnInvoke, "fn:"+target)
	if target == "" || len(target) > abi.MaxTargetName {
		c.violations = append(c.violations, fmt.Sprintf("target %q reached the capabilities", target))
	}
	if err := c.err(); err != nil {
		return abihost.InvokeResult{}, err
	}
	if c.mode&modeFnFailed != 0 {
		return abihost.InvokeResult{Failed: true, ErrorType: "Boom", ErrorMessage: string(payload)}, nil
	}
	return abihost.InvokeResult{Payload: payload}, nil
}

func (c *fakeCaps) Config(_ context.Context, name string) (string, error) {
	c.reached(policy.ConfigGet, "config:"+name)
	if name == "" || len(name) > abi.MaxConfigName {
		c.violations = append(c.violations, fmt.Sprintf("config name %q reached the capabilities", name))
	}
	if err := c.err(); err != nil {
		return "", err
	}
	return "value", nil
}

func (c *fakeCaps) ResolveApp(_ context.Context, name, payload []byte) (abihost.AppCall, error) {
	if len(name) == 0 || len(name) > abi.MaxCapabilityName || len(payload) > fuzzMaxAppPayload {
		c.violations = append(c.violations, fmt.Sprintf("app_call of %q with %d bytes reached the capabilities", name, len(payload)))
	}
	resource, ok := appCapabilities[string(name)]
	if !ok {
		return abihost.AppCall{}, &abihost.HostError{Errno: abi.ErrnoNotFound, Msg: "no such capability"}
	}
	return abihost.AppCall{Action: "app:" + string(name), Resource: resource(payload), Payload: payload, Capability: string(name)}, nil
}

func (c *fakeCaps) CallApp(_ context.Context, call abihost.AppCall) (abihost.InvokeResult, error) {
	c.calls++
	allowed := c.s.Policy.EvaluateApp(call.Action, call.Resource).Allowed
	for _, p := range c.s.Session {
		allowed = allowed && p.EvaluateApp(call.Action, call.Resource).Allowed
	}
	if !allowed {
		c.violations = append(c.violations, fmt.Sprintf("%s on %q reached the capabilities though a policy denies it", call.Action, call.Resource))
	}
	if err := c.err(); err != nil {
		return abihost.InvokeResult{}, err
	}
	if c.mode&modeFnFailed != 0 {
		return abihost.InvokeResult{Failed: true, ErrorType: "Boom", ErrorMessage: string(call.Payload)}, nil
	}
	// The result is the payload twice: past fuzzMaxAppResult for long ones.
	return abihost.InvokeResult{Payload: append(bytes.Clone(call.Payload), call.Payload...)}, nil
}

func (c *fakeCaps) Denied(string, string) { c.denied++ }

// lineLog keeps the lines logged through the ABI.
type lineLog struct{ lines []string }

func (l *lineLog) Log(level abi.Level, msg []byte) {
	l.lines = append(l.lines, level.String()+" "+string(msg))
}

// newHostCalls instantiates testdata/hostcalls.wasm on a runtime with the
// flint host module, closed when the test ends.
func newHostCalls(tb testing.TB) api.Module {
	tb.Helper()
	ctx := context.Background()
	wasm, err := os.ReadFile(filepath.Join("testdata", "hostcalls.wasm"))
	require.NoError(tb, err)
	r := wazero.NewRuntime(ctx)
	tb.Cleanup(func() { require.NoError(tb, r.Close(ctx)) })
	require.NoError(tb, abihost.Instantiate(ctx, r))
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("hostcalls"))
	require.NoError(tb, err)
	return mod
}

// FuzzHostCalls calls one host function with fuzzed arguments, memory,
// phase, policies (the function's, and the invocation's from the phase
// argument's bits 2-3) and capability behaviour. Whatever they are, the call
// does not fail (a panic in a host function would), returns a length or a
// defined error code, never reaches the capabilities with a call the
// policy denies or an argument it should have refused, logs and counts
// each policy denial once, and leaves a pending result only as SPEC.md
// says.
func FuzzHostCalls(f *testing.F) {
	mem := func(parts ...string) []byte { return []byte(strings.Join(parts, "")) }
	// Strings at fixed offsets: "a" at 0, "key" at 1, "http request" at 16.
	req := "GET http://ok.test/x HTTP/1.1\r\n\r\n"
	refused := "GET http://no.test/x HTTP/1.1\r\n\r\n"
	seeds := []struct {
		fn                         uint8
		a0, a1, a2, a3, a4, a5, a6 uint32
		mem                        []byte
		phase, mode                uint8
	}{
		{7, 0, 1, 1, 3, 0, 0, 0, mem("akey"), uint8(abihost.PhaseInvoke), 0},                                         // kv_get a/key: allowed
		{7, 0, 1, 1, 3, 0, 0, 0, mem("xkey"), uint8(abihost.PhaseInvoke), 0},                                         // kv_get x/key: denied
		{8, 0, 1, 1, 1, 1, 3, 0, mem("axyz"), uint8(abihost.PhaseInit), 0},                                           // kv_put a/x: Deny wins
		{10, 0, 1, 1, 0, 0, 0, 5, mem("a"), uint8(abihost.PhaseInvoke), 0},                                           // kv_list a/
		{10, 0, 1, 1, 0, 0, 0, 0, mem("a"), uint8(abihost.PhaseInvoke), 0},                                           // kv_list limit 0
		{11, 4, uint32(len(req)), 0, 0, 0, 0, 0, mem("xxxx", req), uint8(abihost.PhaseInvoke), 0},                    // http_fetch allowed
		{11, 4, uint32(len(refused)), 0, 0, 0, 0, 0, mem("xxxx", refused), uint8(abihost.PhaseInvoke), 0},            // http_fetch denied
		{11, 4, uint32(len(req)), 0, 0, 0, 0, 0, mem("xxxx", req), uint8(abihost.PhaseInvoke), modeRedirect},         // refused redirect
		{12, 0, 1, 1, 3, 0, 0, 0, mem("fabc"), uint8(abihost.PhaseInvoke), modeFnFailed},                             // fn_invoke f: failed
		{13, 0, 2, 0, 0, 0, 0, 0, mem("cx"), uint8(abihost.PhaseInvoke), 1 << modeFailShift},                         // config_get cx: not found
		{13, 0, 2, 0, 0, 0, 0, 0, mem("cx"), uint8(abihost.PhaseIdle), 0},                                            // config_get outside a call
		{7, 0xffffffff, 2, 0, 1, 0, 0, 0, nil, uint8(abihost.PhaseInvoke), 3},                                        // wrapping store pointer
		{6, 0, 0xffffffff, 0, 0, 0, 0, 0, nil, uint8(abihost.PhaseInvoke), 0},                                        // result_read huge cap
		{4, 0, 0, 100, 0, 0, 0, 0, nil, uint8(abihost.PhaseInvoke), 0},                                               // context_get request id
		{5, 0, 0, 0, 0, 0, 0, 0, nil, uint8(abihost.PhaseShutdown), 0},                                               // deadline_ms outside a call
		{12, 0, 1, 1, 3, 0, 0, 7, mem("fabc"), uint8(abihost.PhaseInvoke), failHostErrno << modeFailShift},           // fn_invoke with a host error
		{8, 0, 1, 1, 1, 1, 3, 0, mem("akey"), uint8(abihost.PhaseInvoke), failDeniedHost<<modeFailShift | 3},         // the host itself denies
		{14, 0, 10, 10, 3, 0, 0, 0, mem("orders.Getabc"), uint8(abihost.PhaseInvoke), 0},                             // app_call orders.Get abc: allowed
		{14, 0, 10, 10, 3, 0, 0, 0, mem("orders.Getaxe"), uint8(abihost.PhaseInvoke), 0},                             // app_call: the Deny wins
		{14, 0, 10, 10, 3, 0, 0, 0, mem("orders.Getabc"), uint8(abihost.PhaseInvoke) | 2<<2, 0},                      // app_call: the session allows nothing
		{14, 0, 15, 15, 3, 0, 0, 0, mem("orders.Annotateabc"), uint8(abihost.PhaseInvoke) | 1<<2, 0},                 // app_call: the session narrows
		{14, 0, 6, 0, 0, 0, 0, 0, mem("nobody"), uint8(abihost.PhaseInvoke), 3},                                      // app_call of an unknown name
		{14, 0, 200, 0, 0, 0, 0, 0, mem("orders.Get"), uint8(abihost.PhaseInvoke), 3},                                // app_call with a name too long
		{14, 0, 10, 10, 30, 0, 0, 0, mem("orders.Getabcdefghijklmnopqrstuvwxyz0123"), uint8(abihost.PhaseInvoke), 3}, // a result too large
		{14, 0, 10, 0, 0xffffffff, 0, 0, 0, mem("orders.Get"), uint8(abihost.PhaseInvoke), 3},                        // a payload out of bounds
		{14, 0, 10, 10, 3, 0, 0, 0, mem("orders.Getabc"), uint8(abihost.PhaseInvoke), modeFnFailed},                  // app_call: a typed failure
		{14, 0, 1, 1, 0, 0, 0, 0, mem("x"), uint8(abihost.PhaseInvoke), failHostErrno<<modeFailShift | 3},            // app_call: a host error
	}
	for _, s := range seeds {
		f.Add(s.fn, s.a0, s.a1, s.a2, s.a3, s.a4, s.a5, s.a6, s.mem, s.phase, s.mode)
	}

	mod := newHostCalls(f)
	memory := mod.Memory()
	zero := make([]byte, memory.Size())
	f.Fuzz(func(t *testing.T, fn uint8, a0, a1, a2, a3, a4, a5, a6 uint32, data []byte, phase, mode uint8) {
		name := hostCalls[int(fn)%len(hostCalls)]
		require.True(t, memory.Write(0, zero))
		require.True(t, memory.Write(0, data[:min(len(data), len(zero))]))

		logs := &lineLog{}
		s := &abihost.State{
			Phase:         abihost.Phase(phase % 4),
			Input:         []byte("payload"),
			MaxOutput:     64,
			RequestID:     "00000000-0000-4000-8000-000000000000",
			FunctionName:  "fuzz",
			Deadline:      time.Now().Add(time.Minute),
			Log:           logs,
			Policy:        fuzzPolicies[mode&modePolicy],
			Session:       sessionPolicies[(phase>>2)%4],
			Pending:       []byte("stale"),
			MaxAppPayload: fuzzMaxAppPayload,
			MaxAppResult:  fuzzMaxAppResult,
		}
		// Any code but FUNCTION, which a Capabilities reports as a failed
		// InvokeResult, not as an error.
		hostErrnos := [...]abi.Errno{abi.ErrnoBounds, abi.ErrnoTooLarge, abi.ErrnoInvalid, abi.ErrnoNotFound,
			abi.ErrnoState, abi.ErrnoDenied, abi.ErrnoInternal, abi.ErrnoLimit, abi.ErrnoUnavailable}
		fake := &fakeCaps{s: s, mode: mode, errno: hostErrnos[a6%uint32(len(hostErrnos))]}
		if mode&modeNoCaps == 0 {
			s.Caps = fake
		}

		call := mod.ExportedFunction("call_" + name)
		require.NotNil(t, call, name)
		args := []uint64{uint64(a0), uint64(a1), uint64(a2), uint64(a3), uint64(a4), uint64(a5), uint64(a6)}
		results, err := call.Call(abihost.WithState(context.Background(), s), args[:len(call.Definition().ParamTypes())]...)
		require.NoError(t, err, "%s must not fail (a panic in a host function would)", name)
		require.Len(t, results, 1)

		if name == "deadline_ms" {
			got := int64(results[0])
			require.True(t, got >= 0 || got == -int64(abi.ErrnoState), "deadline_ms returned %d", got)
			return
		}
		got := int32(uint32(results[0]))
		require.True(t, got >= 0 || (-got >= 1 && -got <= 10), "%s returned %d, neither a length nor a defined error code", name, got)
		require.Empty(t, fake.violations)

		// Each policy denial is logged and counted once; nothing else is
		// logged or counted as one.
		var denials []string
		for _, l := range logs.lines {
			if strings.HasPrefix(l, "FLINT ") && strings.Contains(l, ": denied") {
				denials = append(denials, l)
			}
		}
		require.Equal(t, len(denials), fake.denied, "denials logged %q", denials)
		policyDenied := got == -int32(abi.ErrnoDenied) && !fake.deniedItself
		if policyDenied {
			require.Len(t, denials, 1, "a policy denial is logged and counted")
			if name == "http_fetch" && fake.calls > 0 {
				// Only a redirect, refused after the first request.
				require.NotZero(t, mode&modeRedirect)
				require.Equal(t, 1, fake.calls)
			} else {
				require.Zero(t, fake.calls, "a denied call does nothing")
			}
		} else {
			require.Empty(t, denials)
		}

		withPending, isCap := capabilityCalls[name]
		capable := isCap && s.Caps != nil && (s.Phase == abihost.PhaseInit || s.Phase == abihost.PhaseInvoke)
		switch {
		case name == "result_read" && got >= 0:
			require.Equal(t, len("stale"), int(got))
		case !capable:
			// Not run: STATE or INTERNAL, and the pending result is left.
		case got >= 0 && withPending:
			require.Len(t, s.Pending, int(got), "%s returns its pending result's length", name)
		case got >= 0:
			require.Nil(t, s.Pending, "%s leaves no pending result", name)
		case name == "http_fetch" && got == -int32(abi.ErrnoDenied) && policyDenied && fake.calls > 0:
			require.Equal(t, refusedRedirect, string(s.Pending), "a refused redirect leaves its URL")
		case name == "app_call" && got == -int32(abi.ErrnoDenied) && policyDenied:
			require.True(t, bytes.HasPrefix(s.Pending, []byte("app:")), "a denied app_call leaves its resource: %q", s.Pending)
		case (name == "fn_invoke" || name == "app_call") && got == -int32(abi.ErrnoFunction):
			require.True(t, bytes.HasPrefix(s.Pending, []byte(`{"errorType":"Boom","errorMessage":`)), "%s", s.Pending)
		default:
			require.Nil(t, s.Pending, "%s failed with %d and left a pending result", name, got)
		}
	})
}
