;; Sleeps for the number of milliseconds its payload spells in decimal
;; (not at all when it is empty), then returns its environment, one
;; NAME=value per line: the function's Env and the AWS_LAMBDA_* variables
;; the engine sets (version, memory size), so a caller can see which
;; configuration ran.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $i i32)
    (local $ms i64)
    (local $size i32)
    (if (i32.gt_u (local.get $len) (i32.const 16)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (i32.const 16)))
    (block $done
      (loop $digits
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $ms
          (i64.add
            (i64.mul (local.get $ms) (i64.const 10))
            (i64.extend_i32_u (i32.sub (i32.load8_u offset=1024 (local.get $i)) (i32.const 48)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digits)))
    (if (i64.gt_u (local.get $ms) (i64.const 0))
      (then
        ;; One subscription at 2048: a relative timeout on the monotonic clock.
        (i64.store offset=2048 (i32.const 0) (i64.const 0))              ;; userdata
        (i32.store8 offset=2056 (i32.const 0) (i32.const 0))             ;; tag: clock
        (i32.store offset=2064 (i32.const 0) (i32.const 1))              ;; clock id: monotonic
        (i64.store offset=2072 (i32.const 0)
          (i64.mul (local.get $ms) (i64.const 1000000)))                 ;; timeout (ns)
        (i64.store offset=2080 (i32.const 0) (i64.const 0))              ;; precision
        (i32.store16 offset=2088 (i32.const 0) (i32.const 0))            ;; flags: relative
        (drop (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 1) (i32.const 4000)))))
    ;; Counts at 4096 and 4100, pointers from 8192, strings from 16384.
    (drop (call $environ_sizes_get (i32.const 4096) (i32.const 4100)))
    (if (i32.gt_u (i32.load (i32.const 4096)) (i32.const 2000)) (then (return (i32.const 2))))
    (local.set $size (i32.load (i32.const 4100)))
    (if (i32.gt_u (local.get $size) (i32.const 49152)) (then (return (i32.const 2))))
    (drop (call $environ_get (i32.const 8192) (i32.const 16384)))
    ;; Each variable ends with a NUL: make it a newline.
    (local.set $i (i32.const 0))
    (block $end
      (loop $nul
        (br_if $end (i32.ge_u (local.get $i) (local.get $size)))
        (if (i32.eqz (i32.load8_u offset=16384 (local.get $i)))
          (then (i32.store8 offset=16384 (local.get $i) (i32.const 10))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nul)))
    (drop (call $output_write (i32.const 16384) (local.get $size)))
    (i32.const 0)))
