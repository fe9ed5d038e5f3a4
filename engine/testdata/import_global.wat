;; Refused at deploy: imports a global.
(module
  (import "wasi_snapshot_preview1" "counter" (global i32))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (global.get 0)))
