// Package guest is the Go SDK for writing Flint functions. It hides the
// ABI's pointers: a function registers a handler in init and has an empty
// main.
//
//	package main
//
//	import "github.com/flintfaas/flint/abi/guest"
//
//	func main() {}
//
//	func init() {
//		guest.Handle(func(ctx guest.Context, event []byte) ([]byte, error) {
//			return event, nil
//		})
//	}
//
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o fn.wasm .
//
// The package imports nothing of the host side, and compiles on other
// platforms too (so that tools and tests can load it), where its host calls
// report that no host is present.
package guest
