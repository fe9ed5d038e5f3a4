;; Its init hook calls the host functions that only make sense during an
;; invocation, and some that are fine during init, and keeps what they
;; return; the handler writes those results out as little-endian i32s
;; (deadline_ms's i64 result last), in the order called below. With a
;; non-empty payload the handler instead returns status 1 without calling
;; error_set (the error_set made during init must not leak into it).
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "deadline_ms" (func $deadline_ms (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "InitType")
  (data (i32.const 16) "set during init")
  (global $n (mut i32) (i32.const 0))
  (func $rec (param $v i32)
    (i32.store offset=1024 (i32.shl (global.get $n) (i32.const 2)) (local.get $v))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32)
    (call $rec (call $input_read (i32.const 256) (i32.const 64)))
    (call $rec (call $output_write (i32.const 0) (i32.const 1)))
    (call $rec (call $context_get (i32.const 0) (i32.const 256) (i32.const 64)))  ;; request id
    (call $rec (call $context_get (i32.const 3) (i32.const 256) (i32.const 64)))  ;; invoked ARN
    (call $rec (call $context_get (i32.const 1) (i32.const 256) (i32.const 64)))  ;; function name
    (call $rec (call $context_get (i32.const 2) (i32.const 256) (i32.const 64)))  ;; version
    (call $rec (call $log (i32.const 1) (i32.const 16) (i32.const 15)))
    (call $rec (call $error_set (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 15)))
    (i64.store offset=1024 (i32.shl (global.get $n) (i32.const 2)) (call $deadline_ms))
    (i32.const 0))
  (func (export "handle") (param $len i32) (result i32)
    (if (local.get $len) (then (return (i32.const 1))))
    (drop (call $output_write (i32.const 1024)
      (i32.add (i32.shl (global.get $n) (i32.const 2)) (i32.const 8))))
    (i32.const 0)))
