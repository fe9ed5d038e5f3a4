;; abi_overlap: host calls whose ranges overlap each other or memory the
;; host has just read: kv_put with the key and the value the same bytes,
;; result_read into a range overlapping the key it was read by, error_set
;; with type and message the same bytes, two output_writes of overlapping
;; ranges. Overlap is legal: every call succeeds and the bytes are right.
;; Needs kv:* on kv:s/*. The response is five little-endian i32 results
;; (input_read, kv_put, kv_get, result_read, error_set) then bytes
;; [100, 101+len) and [101, 101+len) of memory.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "flint" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32) (result i32)))
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
  (data (i32.const 64) "s")
  (func (export "handle") (param $len i32) (result i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (if (i32.gt_u (local.get $len) (i32.const 512)) (then (return (i32.const 2))))
    (call $taint)
    (i32.store (i32.const 2048) (call $input_read (i32.const 100) (local.get $len)))
    (i32.store (i32.const 2052) (call $kv_put (i32.const 64) (i32.const 1)
      (i32.const 100) (local.get $len) (i32.const 100) (local.get $len)))
    (i32.store (i32.const 2056) (call $kv_get (i32.const 64) (i32.const 1) (i32.const 100) (local.get $len)))
    (i32.store (i32.const 2060) (call $result_read (i32.const 101) (local.get $len)))
    (i32.store (i32.const 2064) (call $error_set (i32.const 100) (i32.const 4) (i32.const 100) (i32.const 4)))
    (drop (call $output_write (i32.const 2048) (i32.const 20)))
    (drop (call $output_write (i32.const 100) (i32.add (local.get $len) (i32.const 1))))
    (drop (call $output_write (i32.const 101) (local.get $len)))
    (i32.const 0)))
