;; Always fails with a handled error of type "Boom" ("failed on purpose").
(module
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Boom")
  (data (i32.const 16) "failed on purpose")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32)
    (drop (call $error_set (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 17)))
    (i32.const 1)))
