;; echolog: the console tests' function. It logs its payload as one line
;; and echoes it; a payload that starts with "! (a JSON string starting
;; with an exclamation mark) fails instead, with the payload (its first
;; 256 bytes) as the error's type and the whole payload as its message. So a test controls the response, the log and
;; the function error. Regenerate echolog.wasm with `make wat`.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $need i32)
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
    (if (i32.and
          (i32.gt_u (local.get $len) (i32.const 1))
          (i32.eq (i32.load16_u (i32.const 0)) (i32.const 0x2122)))
      (then
        (drop (call $error_set
          (i32.const 0)
          (select (local.get $len) (i32.const 256) (i32.lt_u (local.get $len) (i32.const 256)))
          (i32.const 0) (local.get $len)))
        (return (i32.const 1))))
    (drop (call $output_write (i32.const 0) (local.get $len)))
    (i32.const 0)))
