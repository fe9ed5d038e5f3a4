;; fanout_storm: every invocation invokes its own function twice (a binary
;; tree of fn_invoke calls) and answers how many invocations its subtree
;; ran, itself included, as a little-endian i32. Only the engine's
;; MaxInvokeDepth bounds the storm: with depth d, exactly 2^(d+1)-1
;; invocations run. Needs fn:Invoke on itself. Also the target of the
;; asynchronous storm (many InvokeAsync at once).
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "flint" "fn_invoke" (func $fn_invoke (param i32 i32 i32 i32) (result i32)))
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
  (data (i32.const 64) "x")
  (func $child (param $name i32) (result i32)
    (if (i32.ne (call $fn_invoke (i32.const 3072) (local.get $name) (i32.const 64) (i32.const 1)) (i32.const 4))
      (then (return (i32.const 0))))
    (drop (call $result_read (i32.const 128) (i32.const 4)))
    (i32.load (i32.const 128)))
  (func (export "handle") (param $len i32) (result i32)
    (local $name i32) (local $total i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    (local.set $name (call $context_get (i32.const 1) (i32.const 3072) (i32.const 64)))
    (local.set $total (i32.add (i32.const 1)
      (i32.add (call $child (local.get $name)) (call $child (local.get $name)))))
    (i32.store (i32.const 256) (local.get $total))
    (drop (call $output_write (i32.const 256) (i32.const 4)))
    (i32.const 0)))
