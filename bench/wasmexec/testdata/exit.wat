;; A WASI command for wasmexec's test: it calls an import of Flint's host
;; module (which wasmexec stubs to return 0) and exits with 3, or with 9
;; when the stub returned something else.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.ne (call $log (i32.const 1) (i32.const 0) (i32.const 0)) (i32.const 0))
      (then (call $exit (i32.const 9))))
    (call $exit (i32.const 3))))
