;; abi_wraparound: every host call given a range whose ptr+len overflows
;; 32 bits (0xfffffff0 + 0x20 wraps to 0x10), which a 32-bit bounds check
;; would accept.
;;
;; Every flint host function that takes a pointer is called once per
;; pointer argument with (ptr, len) = (0xfffffff0, 0x20), its other arguments valid,
;; and no execution policy (the range is checked before the policy is
;; asked). Each must return BOUNDS (-1). The handler writes the 21 results
;; as little-endian i32s, in the order below, and returns 0: the instance
;; survives and is reused. Memory is 1 page (its end is 0x10000).
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "flint" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_delete" (func $kv_delete (param i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_list" (func $kv_list (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flint" "http_fetch" (func $http_fetch (param i32 i32) (result i32)))
  (import "flint" "fn_invoke" (func $fn_invoke (param i32 i32 i32 i32) (result i32)))
  (import "flint" "config_get" (func $config_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  ;; Probe: an empty payload answers "clean", or "dirty" when an earlier
  ;; attack left its marks (the global, byte 1024) on this instance.
  (global $dirty (mut i32) (i32.const 0))
  (data (i32.const 0) "cleandirty")
  (func $taint (global.set $dirty (i32.const 1)) (i32.store8 (i32.const 1024) (i32.const 1)))
  (func $probe (result i32)
    (drop (call $output_write
      (select (i32.const 5) (i32.const 0) (i32.or (global.get $dirty) (i32.load8_u (i32.const 1024))))
      (i32.const 5)))
    (i32.const 0))
  (global $n (mut i32) (i32.const 0))
  (func $rec (param $v i32)
    (i32.store offset=2048 (i32.shl (global.get $n) (i32.const 2)) (local.get $v))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  ;; "s", "k" and "v" are valid arguments: store s, key k, value v.
  (data (i32.const 64) "skv")
  (func (export "handle") (param $len i32) (result i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    (global.set $n (i32.const 0))
    (call $rec (call $input_read (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $output_write (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $error_set (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 64) (i32.const 1)))
    (call $rec (call $error_set (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $log (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $context_get (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $result_read (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $kv_get (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 65) (i32.const 1)))
    (call $rec (call $kv_get (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $kv_put (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 65) (i32.const 1) (i32.const 66) (i32.const 1)))
    (call $rec (call $kv_put (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 66) (i32.const 1)))
    (call $rec (call $kv_put (i32.const 64) (i32.const 1) (i32.const 65) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $kv_delete (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 65) (i32.const 1)))
    (call $rec (call $kv_delete (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $kv_list (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 65) (i32.const 1) (i32.const 65) (i32.const 0) (i32.const 1)))
    (call $rec (call $kv_list (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 65) (i32.const 0) (i32.const 1)))
    (call $rec (call $kv_list (i32.const 64) (i32.const 1) (i32.const 65) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 1)))
    (call $rec (call $http_fetch (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $fn_invoke (i32.const 0xfffffff0) (i32.const 0x20) (i32.const 66) (i32.const 1)))
    (call $rec (call $fn_invoke (i32.const 64) (i32.const 1) (i32.const 0xfffffff0) (i32.const 0x20)))
    (call $rec (call $config_get (i32.const 0xfffffff0) (i32.const 0x20)))
    (drop (call $output_write (i32.const 2048) (i32.shl (global.get $n) (i32.const 2))))
    (i32.const 0)))
