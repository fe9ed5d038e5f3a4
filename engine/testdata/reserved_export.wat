;; Refused at deploy: exports a name the host reserves for what it adds to
;; every module.
(module
  (memory (export "memory") 1)
  (global (export "__flint_interrupt") (mut i32) (i32.const 0))
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
