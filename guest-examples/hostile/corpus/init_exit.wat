;; init_exit: the init hook calls WASI proc_exit(1). Runtime.InitError
;; caused by the exit.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32) (call $proc_exit (i32.const 1)) (i32.const 0))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
