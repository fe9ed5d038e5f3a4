// Package host is the Go guest's side of the flint host module: one Go
// function per host function of abi/SPEC.md, with its raw signature
// (pointers, lengths, a negated error code), and the helpers every caller
// needs to use them. Package guest and its subpackages build their APIs on
// it; functions never call it directly.
//
// On wasip1 the functions are //go:wasmimport declarations; elsewhere they
// are stubs that report Errno[State], so that the SDK compiles and its pure
// parts can be tested on the build machine.
package host

import "unsafe"

// Error codes of ABI v1 (abi/SPEC.md). Host functions return them negated.
const (
	Bounds      = 1
	TooLarge    = 2
	Invalid     = 3
	NotFound    = 4
	State       = 5
	Denied      = 6
	Internal    = 7
	Function    = 8
	Limit       = 9
	Unavailable = 10
)

// Handler statuses (abi.StatusOK, abi.StatusError, abi.StatusDecline) and
// the header carrying an HTTP message's client address
// (abi.SourceIPHeader): the guest SDK's copies, which its tests check
// against the abi package's.
const (
	StatusOK       = 0
	StatusError    = 1
	StatusDecline  = 2
	SourceIPHeader = "Flint-Source-Ip"
)

// Bytes returns the address of b's first byte, for a (ptr, len) argument.
func Bytes(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// String returns the address of s's first byte, for a (ptr, len) argument.
// The host only reads through it.
func String(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// Result completes a capability call that returned r: a negative r is the
// call's error code, returned as errno; r >= 0 is the length of the pending
// result, which Result copies out with result_read. errno is 0 on success.
func Result(r int32) (b []byte, errno int32) {
	if r < 0 {
		return nil, -r
	}
	return read(r)
}

// Pending returns the pending result when its length is not known: after
// fn_invoke returned Function, the pending result is the failed function's
// error, and a result_read with no room reports its length.
func Pending() (b []byte, errno int32) {
	return Result(ResultRead(nil, 0))
}

// read copies out the pending result, of length n >= 0.
func read(n int32) ([]byte, int32) {
	b := make([]byte, n)
	if n == 0 {
		return b, 0
	}
	m := ResultRead(Bytes(b), uint32(n))
	switch {
	case m < 0:
		return nil, -m
	case m != n:
		// The pending result cannot change between the call and
		// result_read; if it did, the host is broken.
		return nil, Internal
	}
	return b, 0
}

// PanicMessage describes a recovered panic value without fmt.
func PanicMessage(r any) string {
	switch v := r.(type) {
	case string:
		return v
	case error:
		return v.Error()
	case interface{ String() string }:
		return v.String()
	}
	return "panic with a non-string value"
}
