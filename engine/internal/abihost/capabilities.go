package abihost

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/abi"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/tetratelabs/wazero/api"
)

// Capabilities performs the capability calls a function's policy allows.
// The engine implements it for each instance. A returned *HostError (or an
// error wrapping one) chooses the code the guest sees; any other error is
// ErrnoInternal, with its message in the invocation's log.
type Capabilities interface {
	KVGet(ctx context.Context, store, key string) ([]byte, error)
	KVPut(ctx context.Context, store, key string, value []byte) error
	KVDelete(ctx context.Context, store, key string) error
	KVList(ctx context.Context, store, prefix, after string, limit int) (keys []string, more bool, err error)
	// Fetch sends req and returns the response with its body read (and
	// capped). allow must approve every URL the request is sent to,
	// redirects included; it returns a *HostError when it refuses.
	Fetch(ctx context.Context, req *http.Request, allow func(*url.URL) error) (*http.Response, error)
	// Invoke runs another function synchronously.
	Invoke(ctx context.Context, target string, payload []byte) (InvokeResult, error)
	// Config returns a named configuration value or secret.
	Config(ctx context.Context, name string) (string, error)
	// ResolveApp finds the host application's capability called name
	// (which aliases guest memory: copy what outlives the call) and names
	// the policy action and resource of its call with payload. The call is
	// checked against the policy between ResolveApp and CallApp.
	ResolveApp(ctx context.Context, name []byte, payload []byte) (AppCall, error)
	// CallApp runs a call of a host capability that the policy allowed. A
	// failure the capability reports with a type and message (for the
	// guest to see, like a function's error) is a failed InvokeResult.
	CallApp(ctx context.Context, call AppCall) (InvokeResult, error)
	// Denied counts a denied call (it has already been logged): action is
	// the policy's name for it ("kv:Get", "app:orders.Get").
	Denied(action, resource string)
}

// AppCall is a call of one of the host application's capabilities
// (app_call), resolved: the policy action and resource it is checked on,
// its payload, and the capability itself, which only the Capabilities
// that resolved it knows how to run.
type AppCall struct {
	Action     string // "app:NAME"
	Resource   string // named by the capability, starting with "app:"
	Payload    []byte // the guest's, copied
	Capability any
}

// InvokeResult is the outcome of a function invoked through fn_invoke.
type InvokeResult struct {
	Payload      []byte
	Failed       bool
	ErrorType    string
	ErrorMessage string
}

// HostError is a capability failure with the code the guest should see.
type HostError struct {
	Errno abi.Errno
	Msg   string
	// Pending, when set, is left as the call's pending result, for the
	// guest to read why (see GuardPrefix).
	Pending []byte
}

// GuardPrefix starts the pending result an http_fetch refused by the
// private-address guard leaves: "guard: " and the reason. The refusal is
// DENIED like a policy's, and the guest tells them apart by it.
const GuardPrefix = "guard: "

func (e *HostError) Error() string { return e.Msg }

// Errorf returns a *HostError with a formatted message.
func Errorf(errno abi.Errno, format string, args ...any) error {
	return &HostError{Errno: errno, Msg: fmt.Sprintf(format, args...)}
}

// fail logs err when it is not the guest's fault and returns its code.
func (s *State) fail(call string, err error) uint64 {
	var he *HostError
	if errors.As(err, &he) {
		if he.Errno == abi.ErrnoInternal || he.Errno == abi.ErrnoUnavailable {
			s.hostLog(call + ": " + he.Msg)
		}
		if he.Pending != nil {
			s.Pending = he.Pending
		}
		return he.Errno.Result()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return abi.ErrnoUnavailable.Result()
	}
	s.hostLog(call + ": " + err.Error())
	return abi.ErrnoInternal.Result()
}

func (s *State) hostLog(msg string) {
	if s.Log != nil {
		s.Log.Log(abi.LevelHost, []byte(msg))
	}
}

// Allow checks a call of a built-in capability against the function's
// policy and the invocation's own (Session): it needs all of them to
// allow it. A denial is logged and counted, and the caller must then do
// nothing of the call.
func (s *State) Allow(action policy.Action, resource string) bool {
	d := s.Policy.Evaluate(action, resource)
	session := false
	for i := 0; d.Allowed && i < len(s.Session); i++ {
		d, session = s.Session[i].Evaluate(action, resource), true
	}
	if d.Allowed {
		return true
	}
	s.denied(action.String(), resource, d, session)
	return false
}

// allowApp is Allow for a host capability's action ("app:NAME").
func (s *State) allowApp(action, resource string) bool {
	d := s.Policy.EvaluateApp(action, resource)
	session := false
	for i := 0; d.Allowed && i < len(s.Session); i++ {
		d, session = s.Session[i].EvaluateApp(action, resource), true
	}
	if d.Allowed {
		return true
	}
	s.denied(action, resource, d, session)
	return false
}

// denied logs and counts a denial: one FLINT line naming the call, and
// the policy and statement that decided.
func (s *State) denied(action, resource string, d policy.Decision, session bool) {
	why := d.String()
	if session {
		why = "denied by the invocation's policy: no statement allows it"
		if d.Statement >= 0 {
			why = "denied by the invocation's policy, " + strings.TrimPrefix(d.String(), "denied by ")
		}
	}
	s.hostLog(action + " on " + resource + ": " + why)
	if s.Caps != nil {
		s.Caps.Denied(action, resource)
	}
}

// capable returns the state if a capability call may run now: during init
// or an invocation, with capabilities wired.
func capable(ctx context.Context) (*State, abi.Errno) {
	s := StateFrom(ctx)
	switch {
	case s == nil || (s.Phase != PhaseInvoke && s.Phase != PhaseInit):
		return nil, abi.ErrnoState
	case s.Snapshotting:
		s.CalledCapability = true
		return nil, abi.ErrnoState
	case s.Caps == nil:
		return nil, abi.ErrnoInternal
	}
	s.Pending = nil // a failed call must not leave the previous result
	return s, abi.ErrnoOK
}

// readString reads a guest string argument of at most limit bytes.
func readString(m api.Module, ptr, n uint64, limit int) (string, abi.Errno) {
	if n > uint64(limit) {
		if !inRange(m, ptr, n) {
			return "", abi.ErrnoBounds
		}
		return "", abi.ErrnoTooLarge
	}
	b, ok := read(m, ptr, n)
	if !ok {
		return "", abi.ErrnoBounds
	}
	return string(b), abi.ErrnoOK
}

// setPending stores a result for result_read and returns its length.
func (s *State) setPending(b []byte) uint64 {
	s.Pending = b
	return uint64(uint32(len(b)))
}

func arg(stack []uint64, i int) uint64 { return uint64(uint32(stack[i])) }

// result_read(ptr, cap) -> len | -errno
func resultRead(ctx context.Context, m api.Module, stack []uint64) {
	s := StateFrom(ctx)
	if s == nil {
		stack[0] = abi.ErrnoState.Result()
		return
	}
	stack[0] = writeSizedBytes(m, arg(stack, 0), arg(stack, 1), s.Pending)
}

func writeSizedBytes(m api.Module, ptr, capacity uint64, val []byte) uint64 {
	if !inRange(m, ptr, capacity) {
		return abi.ErrnoBounds.Result()
	}
	if uint64(len(val)) <= capacity {
		m.Memory().Write(uint32(ptr), val)
	}
	return uint64(uint32(len(val)))
}

// kvArgs reads the store and key arguments at stack[0:4].
func kvArgs(m api.Module, stack []uint64) (store, key string, errno abi.Errno) {
	if store, errno = readString(m, arg(stack, 0), arg(stack, 1), abi.MaxStoreName); errno != abi.ErrnoOK {
		return "", "", errno
	}
	if key, errno = readString(m, arg(stack, 2), arg(stack, 3), abi.MaxKey); errno != abi.ErrnoOK {
		return "", "", errno
	}
	if !validStoreName(store) {
		return "", "", abi.ErrnoInvalid
	}
	return store, key, abi.ErrnoOK
}

// validStoreName reports whether s is 1 to 64 of [A-Za-z0-9_.-]: the
// names a policy's kv:STORE/KEY resources can name. A '/' would let a
// store named "counters/x" pass as store "counters", key "x/...".
func validStoreName(s string) bool {
	if len(s) == 0 || len(s) > abi.MaxStoreName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// kv_get(store_ptr, store_len, key_ptr, key_len) -> len | -errno
func kvGet(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var store, key string
		if store, key, errno = kvArgs(m, stack); errno == abi.ErrnoOK {
			if !s.Allow(policy.KVGet, "kv:"+store+"/"+key) {
				errno = abi.ErrnoDenied
			} else if v, err := s.Caps.KVGet(ctx, store, key); err != nil {
				stack[0] = s.fail("kv_get", err)
				return
			} else {
				stack[0] = s.setPending(v)
				return
			}
		}
	}
	stack[0] = errno.Result()
}

// kv_put(store_ptr, store_len, key_ptr, key_len, val_ptr, val_len) -> 0 | -errno
func kvPut(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var store, key string
		if store, key, errno = kvArgs(m, stack); errno == abi.ErrnoOK {
			val, ok := read(m, arg(stack, 4), arg(stack, 5))
			switch {
			case !ok:
				errno = abi.ErrnoBounds
			case !s.Allow(policy.KVPut, "kv:"+store+"/"+key):
				errno = abi.ErrnoDenied
			default:
				if err := s.Caps.KVPut(ctx, store, key, bytes.Clone(val)); err != nil {
					stack[0] = s.fail("kv_put", err)
					return
				}
			}
		}
	}
	stack[0] = errno.Result()
}

// kv_delete(store_ptr, store_len, key_ptr, key_len) -> 0 | -errno
func kvDelete(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var store, key string
		if store, key, errno = kvArgs(m, stack); errno == abi.ErrnoOK {
			if !s.Allow(policy.KVDelete, "kv:"+store+"/"+key) {
				errno = abi.ErrnoDenied
			} else if err := s.Caps.KVDelete(ctx, store, key); err != nil {
				stack[0] = s.fail("kv_delete", err)
				return
			}
		}
	}
	stack[0] = errno.Result()
}

// kv_list(store_ptr, store_len, prefix_ptr, prefix_len, after_ptr, after_len, limit) -> len | -errno
//
// The pending result encodes the keys: a little-endian u32 count, a byte
// that is 1 when more keys follow, then each key as a u32 length and its
// bytes.
func kvList(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var store, prefix, after string
		if store, prefix, errno = kvArgs(m, stack); errno == abi.ErrnoOK {
			after, errno = readString(m, arg(stack, 4), arg(stack, 5), abi.MaxKey)
		}
		limit := int(arg(stack, 6))
		switch {
		case errno != abi.ErrnoOK:
		case limit < 1 || limit > abi.MaxListLimit:
			errno = abi.ErrnoInvalid
		case !s.Allow(policy.KVList, "kv:"+store+"/"+prefix):
			errno = abi.ErrnoDenied
		default:
			keys, more, err := s.Caps.KVList(ctx, store, prefix, after, limit)
			if err != nil {
				stack[0] = s.fail("kv_list", err)
				return
			}
			stack[0] = s.setPending(abi.EncodeKeys(keys, more))
			return
		}
	}
	stack[0] = errno.Result()
}

// http_fetch(req_ptr, req_len) -> len | -errno
//
// The request is an HTTP/1.1 request message with an absolute URL as its
// target ("GET https://api.example.com/v1/x HTTP/1.1"); the pending result
// is the HTTP/1.1 response message, body included.
func httpFetch(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno != abi.ErrnoOK {
		stack[0] = errno.Result()
		return
	}
	raw, ok := read(m, arg(stack, 0), arg(stack, 1))
	if !ok {
		stack[0] = abi.ErrnoBounds.Result()
		return
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(bytes.Clone(raw))))
	if err != nil || req.URL == nil || !req.URL.IsAbs() || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		s.hostLog("http_fetch: not an HTTP/1.1 request with an absolute http(s) URL")
		stack[0] = abi.ErrnoInvalid.Result()
		return
	}
	req.RequestURI = ""
	allow := func(u *url.URL) error {
		if !s.Allow(policy.HTTPFetch, u.String()) {
			s.Pending = []byte(u.String()) // the guest learns which hop was refused
			return &HostError{Errno: abi.ErrnoDenied, Msg: "denied http:Fetch on " + u.String()}
		}
		return nil
	}
	if allow(req.URL) != nil {
		s.Pending = nil // only a refused redirect leaves its URL (SPEC.md)
		stack[0] = abi.ErrnoDenied.Result()
		return
	}
	resp, err := s.Caps.Fetch(ctx, req.WithContext(ctx), allow)
	if err != nil {
		stack[0] = s.fail("http_fetch", err)
		return
	}
	var buf bytes.Buffer
	if err := resp.Write(&buf); err != nil {
		stack[0] = s.fail("http_fetch", err)
		return
	}
	stack[0] = s.setPending(buf.Bytes())
}

// fn_invoke(name_ptr, name_len, payload_ptr, payload_len) -> len | -errno
func fnInvoke(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var target string
		if target, errno = readString(m, arg(stack, 0), arg(stack, 1), abi.MaxTargetName); errno == abi.ErrnoOK {
			payload, ok := read(m, arg(stack, 2), arg(stack, 3))
			switch {
			case !ok:
				errno = abi.ErrnoBounds
			case target == "":
				errno = abi.ErrnoInvalid
			case !s.Allow(policy.FnInvoke, "fn:"+target):
				errno = abi.ErrnoDenied
			default:
				res, err := s.Caps.Invoke(ctx, target, bytes.Clone(payload))
				if err != nil {
					stack[0] = s.fail("fn_invoke", err)
					return
				}
				if res.Failed {
					stack[0] = s.functionFailed(res)
					return
				}
				stack[0] = s.setPending(res.Payload)
				return
			}
		}
	}
	stack[0] = errno.Result()
}

// config_get(name_ptr, name_len) -> len | -errno
func configGet(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno == abi.ErrnoOK {
		var name string
		if name, errno = readString(m, arg(stack, 0), arg(stack, 1), abi.MaxConfigName); errno == abi.ErrnoOK {
			switch {
			case name == "":
				errno = abi.ErrnoInvalid
			case !s.Allow(policy.ConfigGet, "config:"+name):
				errno = abi.ErrnoDenied
			default:
				v, err := s.Caps.Config(ctx, name)
				if err != nil {
					stack[0] = s.fail("config_get", err)
					return
				}
				stack[0] = s.setPending([]byte(v))
				return
			}
		}
	}
	stack[0] = errno.Result()
}

// functionFailed leaves a failed function's (or host capability's) error
// as the pending result, {"errorType": ..., "errorMessage": ...}, and
// returns FUNCTION.
func (s *State) functionFailed(res InvokeResult) uint64 {
	b, _ := json.Marshal(struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}{res.ErrorType, res.ErrorMessage})
	s.setPending(b)
	return abi.ErrnoFunction.Result()
}

// app_call(name_ptr, name_len, payload_ptr, payload_len) -> len | -errno
//
// Calls the host application's capability name with the payload. The
// call is checked as action app:NAME on the resource the capability names
// for it; when the policy denies it, the pending result is that resource.
func appCall(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := capable(ctx)
	if errno != abi.ErrnoOK {
		stack[0] = errno.Result()
		return
	}
	nameLen := arg(stack, 1)
	name, ok := read(m, arg(stack, 0), min(nameLen, abi.MaxCapabilityName))
	payload, ok2 := read(m, arg(stack, 2), arg(stack, 3))
	switch {
	case !ok || !ok2 || !inRange(m, arg(stack, 0), nameLen):
		stack[0] = abi.ErrnoBounds.Result()
		return
	case nameLen > abi.MaxCapabilityName || len(payload) > s.MaxAppPayload:
		stack[0] = abi.ErrnoTooLarge.Result()
		return
	case len(name) == 0:
		stack[0] = abi.ErrnoInvalid.Result()
		return
	}
	call, err := s.Caps.ResolveApp(ctx, name, bytes.Clone(payload))
	if err != nil {
		stack[0] = s.fail("app_call", err)
		return
	}
	if !s.allowApp(call.Action, call.Resource) {
		s.Pending = []byte(call.Resource) // the guest learns what was checked
		stack[0] = abi.ErrnoDenied.Result()
		return
	}
	res, err := s.Caps.CallApp(ctx, call)
	switch {
	case err != nil:
		stack[0] = s.fail("app_call", err)
	case res.Failed:
		stack[0] = s.functionFailed(res)
	case len(res.Payload) > s.MaxAppResult:
		s.hostLog("app_call: " + call.Action + " returned " + strconv.Itoa(len(res.Payload)) +
			" bytes, over the " + strconv.Itoa(s.MaxAppResult) + "-byte limit")
		stack[0] = abi.ErrnoTooLarge.Result()
	default:
		stack[0] = s.setPending(res.Payload)
	}
}
