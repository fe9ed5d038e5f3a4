;; init_abi: the init hook calls what only makes sense during an
;; invocation: input_read, output_write (trying to smuggle "SMUGGLED" into
;; the first response), context_get of the request id, deadline_ms, and
;; result_read with nothing pending. Each must fail with STATE (-5), except
;; result_read, which reads nothing (0). The handler writes the recorded
;; results (little-endian i32s; deadline_ms as an i64) and nothing else.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "deadline_ms" (func $deadline_ms (result i64)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "SMUGGLED")
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32)
    (i32.store (i32.const 256) (call $input_read (i32.const 512) (i32.const 64)))
    (i32.store (i32.const 260) (call $output_write (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 264) (call $context_get (i32.const 0) (i32.const 512) (i32.const 64)))
    (i32.store (i32.const 268) (call $result_read (i32.const 512) (i32.const 64)))
    (i64.store (i32.const 272) (call $deadline_ms))
    (i32.const 0))
  (func (export "handle") (param i32) (result i32)
    (drop (call $output_write (i32.const 256) (i32.const 24)))
    (i32.const 0)))
