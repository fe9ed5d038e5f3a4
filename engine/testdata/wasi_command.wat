;; Refused at deploy: a WASI command (exports _start) rather than a reactor.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "_start"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
