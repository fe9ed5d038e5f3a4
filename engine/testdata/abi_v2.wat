;; Refused at deploy: built for a Flint ABI version this host does not speak.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_2"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
