;; int_overflow: INT32_MIN / -1, the other trapping division. Runtime.Trap.
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
  (func (export "handle") (param $len i32) (result i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    (i32.div_s (i32.const 0x80000000) (i32.sub (i32.const 0) (i32.div_u (local.get $len) (local.get $len))))))
