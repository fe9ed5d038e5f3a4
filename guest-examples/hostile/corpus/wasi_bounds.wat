;; wasi_bounds: WASI calls with hostile pointers: fd_write with an iovec
;; array past memory, an iovec pointing past memory, four billion iovecs;
;; random_get of 4 GiB and of a range wrapping past 2^32; args_sizes_get,
;; environ_get and clock_time_get writing past memory. Each must return
;; an errno (EFAULT, 21), never crash the host. The response is the eight
;; errnos as little-endian i32s; the instance survives.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
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
    (if (i32.eqz (local.get $len)) (then (return (call $probe))))
    (call $taint)
    ;; an iovec at 512 pointing past memory, with a 4 GiB length
    (i32.store (i32.const 512) (i32.const 0xffff0000))
    (i32.store (i32.const 516) (i32.const 0xffffffff))
    (i32.store (i32.const 2048) (call $fd_write (i32.const 1) (i32.const 0xfffffff8) (i32.const 1) (i32.const 600)))
    (i32.store (i32.const 2052) (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 600)))
    (i32.store (i32.const 2056) (call $fd_write (i32.const 1) (i32.const 512) (i32.const 0x7fffffff) (i32.const 600)))
    (i32.store (i32.const 2060) (call $random_get (i32.const 0) (i32.const 0xffffffff)))
    (i32.store (i32.const 2064) (call $random_get (i32.const 0xfffffff0) (i32.const 0x20)))
    (i32.store (i32.const 2068) (call $args_sizes_get (i32.const 0xffffffff) (i32.const 0)))
    (i32.store (i32.const 2072) (call $environ_get (i32.const 0x10000) (i32.const 0x10000)))
    (i32.store (i32.const 2076) (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0xfffffffc)))
    (drop (call $output_write (i32.const 2048) (i32.const 32)))
    (i32.const 0)))
