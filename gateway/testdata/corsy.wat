;; corsy: answers every invocation with a structured function URL response
;; that sets its own Access-Control-Allow-Origin ("*"), which a URL with a
;; Cors configuration replaces. Regenerate corsy.wasm with `make wat`.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\",\"Access-Control-Allow-Origin\":\"*\",\"X-Secret\":\"s\"},\"body\":\"hi\"}")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (drop (call $output_write (i32.const 0) (i32.const 119)))
    (i32.const 0)))
