;; Fails with a handled error whose type is its payload (at most 256 bytes)
;; and whose message is "as asked".
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "as asked")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 256)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (local.get $n)))
    (drop (call $error_set (i32.const 1024) (local.get $n) (i32.const 0) (i32.const 8)))
    (i32.const 1)))
