;; urlresponse: answers every invocation with one structured function URL
;; response (payload format 2.0): status 201, two headers, two cookies and
;; a base64-encoded body ("hello, world"). Regenerate urlresponse.wasm with
;; `wat2wasm urlresponse.wat -o urlresponse.wasm`.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain; charset=utf-8\",\"X-Flint-Test\":\"yes\"},\"cookies\":[\"a=1; Path=/\",\"b=2; HttpOnly\"],\"body\":\"aGVsbG8sIHdvcmxk\",\"isBase64Encoded\":true}")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (drop (call $output_write (i32.const 0) (i32.const 185)))
    (i32.const 0)))
