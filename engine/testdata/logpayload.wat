;; Logs its payload as one INFO line and returns it: a destination function
;; whose log shows what it received.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $need i32)
    ;; Grow memory (64 KiB pages) until the payload fits at offset 0.
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (local.get $len) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then (return (i32.const 2))))))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (drop (call $log (i32.const 1) (i32.const 0) (local.get $len)))
    (drop (call $output_write (i32.const 0) (local.get $len)))
    (i32.const 0)))
