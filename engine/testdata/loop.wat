;; Loops forever without calling anything: only the host's kill stops it.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
