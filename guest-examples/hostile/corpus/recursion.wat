;; recursion: unbounded recursion with a growing frame: the wasm stack
;; overflows (wazero grows it to about 100 MB first, on the host's heap).
;; Runtime.Trap (stack overflow), never a host crash.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
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
  (func $down (param $n i64) (result i64)
    (local $a i64)
    (i64.add (call $down (i64.add (local.get $n) (i64.const 1))) (local.get $a)))
  (func (export "handle") (param $len i32) (result i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    (call $down (i64.const 0))
    (drop)
    (i32.const 0)))
