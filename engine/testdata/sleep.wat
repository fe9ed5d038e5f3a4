;; Sleeps for the number of milliseconds its payload spells in decimal
;; ("500"), with WASI poll_oneoff, then returns "slept".
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "slept")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $i i32)
    (local $ms i64)
    (if (i32.gt_u (local.get $len) (i32.const 16)) (then (return (i32.const 1))))
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
    ;; One subscription at 2048: a relative timeout on the monotonic clock.
    (i64.store offset=2048 (i32.const 0) (i64.const 0))                ;; userdata
    (i32.store8 offset=2056 (i32.const 0) (i32.const 0))               ;; tag: clock
    (i32.store offset=2064 (i32.const 0) (i32.const 1))                ;; clock id: monotonic
    (i64.store offset=2072 (i32.const 0)
      (i64.mul (local.get $ms) (i64.const 1000000)))                   ;; timeout (ns)
    (i64.store offset=2080 (i32.const 0) (i64.const 0))                ;; precision
    (i32.store16 offset=2088 (i32.const 0) (i32.const 0))              ;; flags: relative
    (drop (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 1) (i32.const 4000)))
    (drop (call $output_write (i32.const 0) (i32.const 5)))
    (i32.const 0)))
