package guest

import (
	"encoding/binary"
	"encoding/json"

	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// Call calls one of the host application's own capabilities: name is what
// the application that embeds Flint registered it as ("orders.Get"), and
// payload is whatever that capability takes (often JSON: see CallJSON).
// The function's execution policy (and its invocation's) must allow the
// action app:NAME on the resource the capability names for this call,
// such as app:orders/tenant-42/o-17.
//
// When the capability fails with a type and message of its own, the error
// is an *Error with them. Other errors: a *DeniedError naming the action
// and the resource that was refused; a *HostError matching ErrNotFound
// (no capability by that name, or nothing of what the call asked for),
// ErrInvalid, ErrTooLarge, ErrLimit (a chain of invocations too deep) or
// ErrUnavailable; or with code 7 (INTERNAL) when the capability itself
// failed, which the host application's log explains.
func Call(name string, payload []byte) ([]byte, error) {
	r := host.AppCall(host.String(name), uint32(len(name)), host.Bytes(payload), uint32(len(payload)))
	switch r {
	case -host.Function:
		raw, errno := host.Pending()
		if errno != 0 {
			return nil, &HostError{Call: "app_call", Errno: host.Function}
		}
		return nil, decodeFunctionError(raw)
	case -host.Denied:
		// The pending result is the resource the policy refused.
		resource, _ := host.Pending()
		return nil, &DeniedError{Action: "app:" + name, Resource: string(resource)}
	}
	out, errno := host.Result(r)
	if errno != 0 {
		return nil, &HostError{Call: "app_call", Errno: errno}
	}
	return out, nil
}

// CallJSON calls the host capability name as Call does, with req encoded
// as JSON, and decodes its JSON result into a Resp. A result that does not
// decode is an *Error of type "InvalidResponse".
func CallJSON[Req, Resp any](name string, req Req) (Resp, error) {
	var resp Resp
	payload, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	out, err := Call(name, payload)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, &Error{Type: "InvalidResponse", Message: "host capability " + name + ": " + err.Error()}
	}
	return resp, nil
}

// Tenant returns the tenant (or user) on whose behalf the invocation
// runs, as the application that invoked it said (engine.WithTenant), or
// "" when it said none.
func (Context) Tenant() string { return contextString(4) }

// Metadata returns the value of key in the invocation's metadata, which
// the application that invoked the function gives beside the payload
// (engine.WithMetadata), and whether it is there.
func (c Context) Metadata(key string) (string, bool) {
	v, ok := decodeMetadata(contextBytes(5))[key]
	return v, ok
}

// AllMetadata returns the invocation's metadata: a new map on every call,
// empty when there is none.
func (Context) AllMetadata() map[string]string { return decodeMetadata(contextBytes(5)) }

// contextBytes reads a field of the invocation's context.
func contextBytes(field int32) []byte {
	n := host.ContextGet(field, nil, 0)
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	if m := host.ContextGet(field, host.Bytes(b), uint32(n)); m != n {
		return nil
	}
	return b
}

// decodeMetadata decodes context_get's metadata field (abi/SPEC.md): a
// little-endian u32 count of pairs, then each key and value as a u32
// length and its bytes. What does not decode (a host never sends it)
// yields the pairs before it.
func decodeMetadata(b []byte) map[string]string {
	m := map[string]string{}
	if len(b) < 4 {
		return m
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	next := func() (string, bool) {
		if len(b) < 4 {
			return "", false
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return "", false
		}
		s := string(b[4 : 4+l])
		b = b[4+l:]
		return s, true
	}
	for range n {
		k, ok := next()
		if !ok {
			break
		}
		v, ok := next()
		if !ok {
			break
		}
		m[k] = v
	}
	return m
}
