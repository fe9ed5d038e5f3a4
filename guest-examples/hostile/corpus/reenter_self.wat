;; reenter_self: the handler invokes its own function (fn_invoke of its
;; own name, read with context_get) with its own payload, recursively, and
;; marks its instance busy meanwhile: if the host ever ran the nested call
;; on the same instance (re-entering the handler), that call answers
;; "REENTERED". The chain must end at the engine's MaxInvokeDepth with
;; LIMIT (-9), or, when the function may run one instance only, with
;; UNAVAILABLE (-10) after the acquire timeout: never a deadlock.
;; Needs fn:Invoke on itself. The response is fn_invoke's result as a
;; little-endian i32, then the nested response when there is one.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "flint" "fn_invoke" (func $fn_invoke (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
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
  (global $busy (mut i32) (i32.const 0))
  (data (i32.const 16) "REENTERED")
  (func (export "handle") (param $len i32) (result i32)
    (local $name i32) (local $r i32) (local $n i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (if (global.get $busy)
      (then (drop (call $output_write (i32.const 16) (i32.const 9))) (return (i32.const 0))))
    (if (i32.gt_u (local.get $len) (i32.const 1024)) (then (return (i32.const 2))))
    (call $taint)
    (global.set $busy (i32.const 1))
    (drop (call $input_read (i32.const 4096) (local.get $len)))
    (local.set $name (call $context_get (i32.const 1) (i32.const 3072) (i32.const 64)))
    (local.set $r (call $fn_invoke (i32.const 3072) (local.get $name) (i32.const 4096) (local.get $len)))
    (global.set $busy (i32.const 0))
    (i32.store (i32.const 8192) (local.get $r))
    (local.set $n (i32.const 0))
    (if (i32.gt_s (local.get $r) (i32.const 0))
      (then (local.set $n (call $result_read (i32.const 8196) (i32.const 0xe000)))))
    (if (i32.gt_u (local.get $n) (i32.const 0xe000)) (then (local.set $n (i32.const 0))))
    (drop (call $output_write (i32.const 8192) (i32.add (local.get $n) (i32.const 4))))
    (i32.const 0)))
