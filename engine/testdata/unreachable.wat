;; Traps (unreachable) when the payload is not empty; otherwise returns "ok".
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (if (local.get $len) (then unreachable))
    (drop (call $output_write (i32.const 0) (i32.const 2)))
    (i32.const 0)))
