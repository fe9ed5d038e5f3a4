;; init_kv: an initializer that calls a capability. _initialize calls
;; kv_get on store "s", key "k", and keeps the result (the value's length,
;; or a negated error code) at 0x100; every invocation returns it as a
;; little-endian i32. A snapshot of it would freeze what the call did, so
;; the engine takes none (snapshot_test.go).
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "sk")
  (func (export "flint_abi_version_1"))
  (func (export "_initialize")
    (i32.store (i32.const 0x100)
      (call $kv_get (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))))
  (func (export "handle") (param $len i32) (result i32)
    (drop (call $output_write (i32.const 0x100) (i32.const 4)))
    (i32.const 0)))
