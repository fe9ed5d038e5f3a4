;; start_loop: the wasm start function loops forever, so instantiation
;; itself never ends. Runtime.InitError caused by a timeout.
(module
  (memory (export "memory") 1)
  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
