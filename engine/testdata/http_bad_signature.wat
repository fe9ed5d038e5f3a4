;; A function whose flint_http_handle has the wrong signature: refused at
;; deploy. Regenerate http_bad_signature.wasm with `make wat`.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0))
  (func (export "flint_http_handle") (param i32)))
