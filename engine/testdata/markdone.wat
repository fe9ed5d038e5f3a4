;; Marks its payload (a key of at most 1024 bytes) done: kv_put of "1"
;; under that key in the store "done". It needs kv:Put on kv:done/*; when
;; the put fails (denied, say) it reports a handled error "PutFailed".
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "done")
  (data (i32.const 16) "1")
  (data (i32.const 32) "PutFailed")
  (data (i32.const 48) "kv_put failed")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (if (i32.gt_u (local.get $len) (i32.const 1024)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (i32.const 1024)))
    (if (i32.lt_s
          (call $kv_put (i32.const 0) (i32.const 4) (i32.const 1024) (local.get $len) (i32.const 16) (i32.const 1))
          (i32.const 0))
      (then
        (drop (call $error_set (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 13)))
        (return (i32.const 1))))
    (i32.const 0)))
