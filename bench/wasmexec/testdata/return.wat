;; A WASI command for wasmexec's test that returns from _start without
;; calling proc_exit: exit code 0.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
