;; init_trap: the init hook traps (unreachable). Runtime.InitError caused
;; by a trap, for every instance.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32) (unreachable))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
