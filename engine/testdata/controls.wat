;; Writes what could take over a terminal: a response that sets the window
;; title, clears the screen and ends with a carriage return, and an INFO log
;; line in red with a right-to-left override. With a payload longer than two
;; bytes it fails instead, with a type and a message holding an escape
;; sequence, a CR LF and a NUL. The CLI must show all of it escaped.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\1b]0;pwned\07\1b[2Jhello\0d")
  (data (i32.const 64) "\1b[31mred\1b[0m\e2\80\ae")
  (data (i32.const 128) "Bad\1b[31m")
  (data (i32.const 192) "msg\0d\0asecond\00")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $n i32) (result i32)
    (drop (call $log (i32.const 1) (i32.const 64) (i32.const 15)))
    (if (i32.gt_u (local.get $n) (i32.const 2))
      (then
        (drop (call $error_set (i32.const 128) (i32.const 8) (i32.const 192) (i32.const 12)))
        (return (i32.const 1))))
    (drop (call $output_write (i32.const 0) (i32.const 20)))
    (i32.const 0)))
