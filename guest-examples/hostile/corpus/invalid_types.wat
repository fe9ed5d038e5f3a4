;; wat2wasm --no-check
;; invalid_types: a well-formed binary whose handler does not type-check
;; (i32.add of an i64, and a missing result). Refused at deploy: a
;; *ModuleError, never run.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (i32.add (i64.const 1) (local.get 0))
    (drop)))
