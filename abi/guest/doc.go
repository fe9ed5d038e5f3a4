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
// # Reaching outside the sandbox
//
// Every call below is checked against the function's execution policy
// (abi/POLICY.md) before anything happens; a denied call returns a
// *DeniedError naming the action and resource, which matches ErrDenied:
//
//   - another function: Invoke (fn:Invoke on fn:NAME);
//   - configuration values and secrets: Config (config:Get on config:NAME);
//   - the capabilities of the application that embeds Flint: Call and
//     CallJSON (app:NAME on a resource the capability names);
//   - key-value stores: package kv (kv:Get, kv:Put, kv:Delete, kv:List on
//     kv:STORE/KEY);
//   - HTTP: package fetch, an http.RoundTripper for net/http (http:Fetch
//     on the URL, and on every redirect);
//   - files: nothing in the SDK. Directories the operator mounts are WASI
//     preopens: use os.Open, os.ReadFile, os.WriteFile, os.ReadDir on their
//     guest paths ("/data/reports/q3.csv"). Reading needs fs:Read and
//     writing fs:Write on fs:PATH; a path the policy does not grant fails
//     like a missing or forbidden file, with an *fs.PathError.
//
// Errors of these calls are values: *DeniedError, *Error (an invoked
// function or a host capability failed), or *HostError with the ABI's
// error code, matched with errors.Is against ErrNotFound, ErrDenied,
// ErrLimit, ErrUnavailable, ErrTooLarge and ErrInvalid.
//
// The environment variables the function is deployed with need no policy:
// read them with os.Getenv.
//
// # Size
//
// Every package a guest links adds to its size and cold start, so this
// package stays away from net/http, and fmt and reflection are used only by
// helpers a function opts into (Logf, HandleJSON). net/http is linked only
// by functions that import package fetch. HandleJSON's codec is
// encoding/json; -tags flintjson_goccy builds it with github.com/goccy/go-json
// instead (faster per call, 4.5 MB larger: 7.9 MB for go-hello against
// 3.4 MB; see HandleJSON).
//
// The package imports nothing of the host side, and compiles on other
// platforms too (so that tools and tests can load it), where its host calls
// report that no host is present (a *HostError with code 5, STATE).
package guest
