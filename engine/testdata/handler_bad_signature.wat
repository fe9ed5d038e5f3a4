;; Refused at deploy: "handle" takes no argument.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (result i32) (i32.const 0)))
