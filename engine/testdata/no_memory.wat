;; Refused at deploy: defines a memory but does not export it.
(module
  (memory 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
