;; Refused at deploy: imports its memory instead of defining it.
(module
  (import "flint" "memory" (memory 1))
  (export "memory" (memory 0))
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
