//go:build wasip1

package httpguest

import (
	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// The export by which a module that links httpguest takes HTTP requests as
// HTTP/1.1 messages (abi/SPEC.md, "HTTP requests as messages").

//go:wasmexport flint_http_handle
func httpHandle(inputLen uint32) uint32 { return serveMessage(inputLen) }

// serveMessage runs one invocation whose input is an HTTP/1.1 request
// message: status 0 with the response message written, 1 a handled error,
// 2 (no handler registered with Handle: the module serves events with
// guest.Handle) declined.
func serveMessage(inputLen uint32) uint32 {
	h := registered.handler
	if h == nil {
		return host.StatusDecline
	}
	msg := make([]byte, inputLen)
	if n := host.InputRead(host.Bytes(msg), inputLen); n < 0 {
		setError("Runtime.HostError", (&guest.HostError{Call: "input_read", Errno: -n}).Error())
		return host.StatusError
	}
	// A panic crashes the instance, as under guest.Handle; its message
	// is recorded first.
	defer func() {
		if r := recover(); r != nil {
			setError("Runtime.Panic", host.PanicMessage(r))
			panic(r)
		}
	}()
	if err := serveMessageTo(guest.Context{}, h, msg, &guest.ResponseWriter{}); err != nil {
		typ := "Error"
		if t, ok := err.(interface{ ErrorType() string }); ok {
			typ = t.ErrorType()
		}
		setError(typ, err.Error())
		return host.StatusError
	}
	return host.StatusOK
}

func setError(typ, msg string) {
	const maxMsg = 64 << 10
	if len(msg) > maxMsg {
		msg = msg[:maxMsg]
	}
	host.ErrorSet(host.String(typ), uint32(len(typ)), host.String(msg), uint32(len(msg)))
}
