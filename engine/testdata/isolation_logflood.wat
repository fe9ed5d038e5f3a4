;; isolation_logflood: a noisy neighbour that floods its log
;; (neighbours_test.go, bench/neighbours_test.go). Every invocation logs
;; 4 MiB: 2048 lines of 1 KiB through the ABI log at INFO, and as many
;; through WASI stdout, far past the engine's per-invocation log cap, so the
;; host drops and counts most of it. It returns "ok".
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $i i32)
    ;; A 1 KiB line at 1024, its last byte a newline for stdout; the iovec
    ;; for it at 16.
    (memory.fill (i32.const 1024) (i32.const 0x78) (i32.const 1023))
    (i32.store8 (i32.const 2047) (i32.const 10))
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 1024))
    (local.set $i (i32.const 2048))
    (loop $flood
      (drop (call $log (i32.const 1) (i32.const 1024) (i32.const 1023)))
      (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
      (br_if $flood (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (drop (call $output_write (i32.const 0) (i32.const 2)))
    (i32.const 0)))
