;; initialize_loop: the language-runtime initializer (_initialize) never
;; returns, also while the host takes its snapshot. Runtime.InitError
;; caused by a timeout.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "_initialize") (loop $forever (br $forever)))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
