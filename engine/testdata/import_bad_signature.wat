;; Refused at deploy: imports flint.input_read with a signature other than
;; the host's (i32, i32) -> (i32).
(module
  (import "flint" "input_read" (func (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
