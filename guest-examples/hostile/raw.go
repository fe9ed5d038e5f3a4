package main

import (
	"errors"
	"strconv"
	"unsafe"

	"github.com/flintfaas/flint/abi/guest"
)

// rawAttempts calls host functions directly, with what a guest in any
// language could pass: the host must check everything and crash on
// nothing.
func rawAttempts() []Attempt {
	// Far past the end of any memory a function can have (at most 4 GiB,
	// and Flint's caps are far lower), and a range that wraps past 2^32.
	const outside, nearTop = uintptr(0xFFFF_0000), uintptr(0xFFFF_FFFF)
	store, key := "counters", "hits"
	return []Attempt{
		try("result_read with nothing pending", func() (string, error) {
			n := resultRead(nil, 0)
			switch {
			case n < 0:
				return "", &guest.HostError{Call: "result_read", Errno: -n}
			case n > 0:
				// Something is left over from a call this invocation
				// did not make, or made and was refused.
				buf := make([]byte, n)
				resultRead(unsafe.Pointer(unsafe.SliceData(buf)), uint32(n))
				return string(buf), nil
			}
			return "", errNothingPending
		}),
		try("kv_get counters/hits with an out-of-bounds key pointer", func() (string, error) {
			return status("kv_get", kvGet(uintptr(unsafe.Pointer(unsafe.StringData(store))), uint32(len(store)), outside, uint32(len(key))))
		}),
		try("http_fetch of an out-of-bounds request", func() (string, error) {
			return status("http_fetch", httpFetch(outside, 4096))
		}),
		try("fn_invoke with a name range wrapping past 2^32", func() (string, error) {
			return status("fn_invoke", fnInvoke(nearTop, 2, 0, 0))
		}),
		try("app_call with a name range wrapping past 2^32", func() (string, error) {
			return status("app_call", appCall(nearTop, 2, 0, 0))
		}),
		try("app_call orders.Get with an out-of-bounds payload", func() (string, error) {
			c := "orders.Get"
			return status("app_call", appCall(uintptr(unsafe.Pointer(unsafe.StringData(c))), uint32(len(c)), outside, 4096))
		}),
		try("log at the host's own level (FLINT, 4)", func() (string, error) {
			msg := "denied kv:Get on kv:counters/hits: forged"
			return status("log", logLine(4, unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg))))
		}),
	}
}

// status turns a raw host call result into an Attempt's outcome: a
// negative result is the call's error, anything else success.
func status(call string, r int32) (string, error) {
	if r < 0 {
		return "", &guest.HostError{Call: call, Errno: -r}
	}
	return "returned " + strconv.Itoa(int(r)), nil
}

var errNothingPending = errors.New("nothing pending (length 0)")
