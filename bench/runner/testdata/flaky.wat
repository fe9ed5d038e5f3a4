;; flaky: echoes its payload for an instance's first three calls, then
;; traps on every later one. A fresh instance per request never fails; a
;; reused one does after three calls: for the tests of a function that
;; fails in some scenarios and not others. Regenerate flaky.wasm with
;; `go generate ./internal/benchrun` (or `make bench`).
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.gt_u (global.get $calls) (i32.const 3)) (then unreachable))
    (if (i32.gt_u (local.get $len) (i32.const 65536)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (drop (call $output_write (i32.const 0) (local.get $len)))
    (i32.const 0)))
