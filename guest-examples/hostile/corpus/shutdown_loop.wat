;; shutdown_loop: a well-behaved handler whose shutdown hook
;; (flint_shutdown) never returns. Retiring the instance (Remove,
;; redeploy, Close) must not hang: the hook is cut at ShutdownTimeout.
(module
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "clean")
  (func (export "flint_abi_version_1"))
  (func (export "flint_shutdown") (loop $forever (br $forever)))
  (func (export "handle") (param i32) (result i32)
    (drop (call $output_write (i32.const 0) (i32.const 5)))
    (i32.const 0)))
