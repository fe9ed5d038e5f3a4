;; init_loop: the guest's init hook (flint_init) never returns. Every
;; instance's init times out: Runtime.InitError caused by a timeout.
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "flint_init") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
