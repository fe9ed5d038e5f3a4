;; Detects concurrent entry: a global flag is set for the duration of a
;; call (which spins a while to widen the window). A call that finds it set
;; traps, so two calls sharing an instance at once show up as an error.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (global $busy (mut i32) (i32.const 0))
  (global $sink (mut i32) (i32.const 0))
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (local $i i32)
    (if (global.get $busy) (then unreachable))
    (global.set $busy (i32.const 1))
    (local.set $i (i32.const 20000))
    (loop $spin
      (global.set $sink (i32.add (global.get $sink) (local.get $i)))
      (if (global.get $busy) (then) (else unreachable))
      (br_if $spin (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (global.set $busy (i32.const 0))
    (drop (call $output_write (i32.const 0) (i32.const 2)))
    (i32.const 0)))
