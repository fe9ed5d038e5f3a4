;; Well framed but invalid: "handle" returns an i64 where its type says
;; i32. Compiled with `wat2wasm --no-check`; wazero refuses it.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i64.const 0)))
