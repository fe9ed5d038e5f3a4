// Package jsoncodec is the JSON codec of the Go guest SDK: what
// guest.HandleJSON decodes events and encodes responses with. It behaves as
// encoding/json does (struct tags, case-insensitive field names, unknown
// fields ignored, []byte as base64, time.Time, json.RawMessage,
// json.Number, json.Marshaler and json.Unmarshaler, encoding.TextMarshaler,
// HTML-safe escaping, the same error messages); the implementation behind
// it is chosen at build time:
//
//   - by default (or with the build tag flintjson_std), encoding/json
//     itself: the smallest guest, the fastest to compile and to start;
//   - with the build tag flintjson_goccy, github.com/goccy/go-json:
//     encoding/json's behaviour without its reflection on every call (it
//     compiles a codec per type once), 1.5× to 3× faster per call than
//     encoding/json inside WebAssembly on events of 14 bytes to 10 KB, for
//     4.5 MB more of wasm, 3× the first compile and a 1.2× slower cold
//     start (bench/RESULTS.md, "Go guests' JSON");
//   - with flintjson_gjx, github.com/go-json-experiment/json/v1, the
//     encoding/json API on the json/v2 implementation, kept to be measured
//     against the others.
//
// The table of cases on which it must agree with encoding/json is
// internal/jsoncompat; a codec that panics on an input returns an error
// matching ErrPanic instead.
package jsoncodec
