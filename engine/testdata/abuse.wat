;; A hostile guest: its handler calls every flint host function with bad
;; pointers and lengths (out of bounds, wrapping past 2^32, exactly at the
;; end of memory, 0xffffffff) and bad levels and fields, and records each
;; result as a little-endian i32 in the order of the calls below (abi_test.go
;; lists the same order). It writes out
;;
;;   deadline_ms() as an i64 | the recorded results | the request id (36
;;   bytes, from a valid context_get) | the payload (from a valid input_read,
;;   5 bytes expected)
;;
;; Memory is 2 pages: its end is 0x20000.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "deadline_ms" (func $deadline_ms (result i64)))
  (memory (export "memory") 2)
  ;; An i64 whose low half is field 1 (function name): a compiler that does
  ;; not clear the high half leaves it in the register passed to the host.
  (global $field_name_dirty (mut i64) (i64.const 0x7fffffff00000001))
  (global $n (mut i32) (i32.const 0))
  (func $rec (param $v i32)
    (i32.store offset=4096 (i32.shl (global.get $n) (i32.const 2)) (local.get $v))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (global.set $n (i32.const 0))
    (i64.store (i32.const 4088) (call $deadline_ms))

    ;; input_read
    (call $rec (call $input_read (i32.const 0x20000) (i32.const 0)))        ;; at end, cap 0
    (call $rec (call $input_read (i32.const 0x20000) (i32.const 1)))        ;; at end, cap 1
    (call $rec (call $input_read (i32.const 0x20001) (i32.const 0)))        ;; past end, cap 0
    (call $rec (call $input_read (i32.const 0xffffffff) (i32.const 2)))     ;; wraps
    (call $rec (call $input_read (i32.const 0) (i32.const 0xffffffff)))     ;; huge
    (call $rec (call $input_read (i32.const 2048) (i32.const 2)))           ;; cap too small
    (call $rec (call $input_read (i32.const 2048) (i32.const 64)))          ;; valid

    ;; output_write
    (call $rec (call $output_write (i32.const 0x20000) (i32.const 0)))      ;; at end, len 0
    (call $rec (call $output_write (i32.const 0x20000) (i32.const 1)))      ;; at end, len 1
    (call $rec (call $output_write (i32.const 0x20001) (i32.const 0)))      ;; past end, len 0
    (call $rec (call $output_write (i32.const 0xffffffff) (i32.const 2)))   ;; wraps
    (call $rec (call $output_write (i32.const 0) (i32.const 0xffffffff)))   ;; huge

    ;; error_set
    (call $rec (call $error_set (i32.const 0x20000) (i32.const 1) (i32.const 0) (i32.const 0)))      ;; type at end, len 1
    (call $rec (call $error_set (i32.const 0) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20))) ;; message wraps
    (call $rec (call $error_set (i32.const 0) (i32.const 0xffffffff) (i32.const 0) (i32.const 0)))   ;; huge type
    (call $rec (call $error_set (i32.const 0) (i32.const 257) (i32.const 0) (i32.const 0)))          ;; type over 256
    (call $rec (call $error_set (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 65537)))        ;; message over 64 KiB

    ;; log
    (call $rec (call $log (i32.const -1) (i32.const 0) (i32.const 1)))          ;; level -1
    (call $rec (call $log (i32.const 4) (i32.const 0) (i32.const 1)))           ;; level 4
    (call $rec (call $log (i32.const 0x7fffffff) (i32.const 0) (i32.const 1)))  ;; level max
    (call $rec (call $log (i32.const 1) (i32.const 0x20000) (i32.const 1)))     ;; at end, len 1
    (call $rec (call $log (i32.const 1) (i32.const 0xffffffff) (i32.const 2)))  ;; wraps
    (call $rec (call $log (i32.const 1) (i32.const 0) (i32.const 0xffffffff)))  ;; huge
    (call $rec (call $log (i32.const 1) (i32.const 0x20000) (i32.const 0)))     ;; at end, len 0

    ;; context_get
    (call $rec (call $context_get (i32.const 99) (i32.const 2048) (i32.const 64)))          ;; unknown field
    (call $rec (call $context_get (i32.const -1) (i32.const 2048) (i32.const 64)))          ;; negative field
    (call $rec (call $context_get (i32.const 0) (i32.const 0x20000) (i32.const 1)))         ;; at end, cap 1
    (call $rec (call $context_get (i32.const 0) (i32.const 0x20000) (i32.const 0)))         ;; at end, cap 0
    (call $rec (call $context_get (i32.const 0) (i32.const 0xfffffff0) (i32.const 0x20)))   ;; wraps
    (call $rec (call $context_get (i32.const 0) (i32.const 0) (i32.const 0xffffffff)))      ;; huge
    (call $rec (call $context_get (i32.const 0) (i32.const 3000) (i32.const 8)))            ;; cap too small
    (call $rec (call $context_get
      (i32.wrap_i64 (global.get $field_name_dirty)) (i32.const 3100) (i32.const 64)))       ;; field with dirty high bits
    (call $rec (call $context_get (i32.const 0) (i32.const 3000) (i32.const 64)))           ;; valid

    (drop (call $output_write (i32.const 4088) (i32.const 8)))
    (drop (call $output_write (i32.const 4096) (i32.shl (global.get $n) (i32.const 2))))
    (drop (call $output_write (i32.const 3000) (i32.const 36)))
    (drop (call $output_write (i32.const 2048) (i32.const 5)))
    (i32.const 0)))
