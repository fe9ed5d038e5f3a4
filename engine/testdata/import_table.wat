;; Refused at deploy: imports a table.
(module
  (import "flint" "table" (table 1 funcref))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
