;; Refused at deploy: imports a "flint" function that ABI v1 does not define.
(module
  (import "flint" "no_such_call" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
