;; Its init hook logs, reports an error with error_set and returns 1.
(module
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ConfigError")
  (data (i32.const 16) "DATABASE_URL is not set")
  (data (i32.const 48) "checking config")
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32)
    (drop (call $log (i32.const 1) (i32.const 48) (i32.const 15)))
    (drop (call $error_set (i32.const 0) (i32.const 11) (i32.const 16) (i32.const 23)))
    (i32.const 1))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
