;; Refused at deploy: no "handle" export.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handler") (param i32) (result i32) (i32.const 0)))
