;; start_trap: the wasm start function divides by zero. Runtime.InitError
;; caused by a trap.
(module
  (memory (export "memory") 1)
  (global $zero (mut i32) (i32.const 0))
  (func $start (drop (i32.div_u (i32.const 1) (global.get $zero))))
  (start $start)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
