;; Logs through every channel: ABI log at each level (one message with
;; newlines), WASI stdout and stderr (the stderr text ends without a
;; newline). With a non-empty payload it floods the log instead: 1000 ABI
;; lines of 64 bytes.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "debug line")
  (data (i32.const 16) "info line")
  (data (i32.const 32) "first\nsecond\nthird")
  (data (i32.const 64) "error line")
  (data (i32.const 80) "to stdout\n")
  (data (i32.const 96) "to stderr\nunterminated")
  (data (i32.const 128) "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
  (func (export "flint_abi_version_1"))
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 512) (local.get $ptr))
    (i32.store (i32.const 516) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 512) (i32.const 1) (i32.const 520))))
  (func (export "handle") (param $len i32) (result i32)
    (local $i i32)
    (if (local.get $len)
      (then
        (local.set $i (i32.const 1000))
        (loop $flood
          (drop (call $log (i32.const 1) (i32.const 128) (i32.const 64)))
          (br_if $flood (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
        (return (i32.const 0))))
    (drop (call $log (i32.const 0) (i32.const 0) (i32.const 10)))
    (drop (call $log (i32.const 1) (i32.const 16) (i32.const 9)))
    (drop (call $log (i32.const 2) (i32.const 32) (i32.const 18)))
    (drop (call $log (i32.const 3) (i32.const 64) (i32.const 10)))
    (call $write (i32.const 1) (i32.const 80) (i32.const 10))
    (call $write (i32.const 2) (i32.const 96) (i32.const 22))
    (i32.const 0)))
