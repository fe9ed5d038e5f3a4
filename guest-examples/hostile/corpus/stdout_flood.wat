;; stdout_flood: writes 4 MiB to stdout without a newline (one endless
;; partial line), then 1 MiB of bare newlines to stderr (a million empty
;; lines). The captured log stays within MaxLogBytes, with the FLINT
;; truncation line.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "flint_abi_version_1"))
  ;; Probe: an empty payload answers "clean", or "dirty" when an earlier
  ;; attack left its marks (the global, byte 1024) on this instance.
  (global $dirty (mut i32) (i32.const 0))
  (data (i32.const 0) "cleandirty")
  (func $taint (global.set $dirty (i32.const 1)) (i32.store8 (i32.const 1024) (i32.const 1)))
  (func $probe (result i32)
    (drop (call $output_write
      (select (i32.const 5) (i32.const 0) (i32.or (global.get $dirty) (i32.load8_u (i32.const 1024))))
      (i32.const 5)))
    (i32.const 0))
  (func (export "handle") (param $len i32) (result i32)
    (local $i i32)
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    ;; page 1 is all newlines; iovec at 512: page 0 (no newline in it)
    (memory.fill (i32.const 0x10000) (i32.const 10) (i32.const 0x10000))
    (memory.fill (i32.const 2048) (i32.const 120) (i32.const 0xe000))
    (i32.store (i32.const 512) (i32.const 2048))
    (i32.store (i32.const 516) (i32.const 0xe000))
    (i32.store (i32.const 520) (i32.const 0x10000))
    (i32.store (i32.const 524) (i32.const 0x10000))
    (local.set $i (i32.const 70))
    (loop $out
      (drop (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 600)))
      (br_if $out (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (local.set $i (i32.const 16))
    (loop $err
      (drop (call $fd_write (i32.const 2) (i32.const 520) (i32.const 1) (i32.const 600)))
      (br_if $err (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (i32.const 0)))
