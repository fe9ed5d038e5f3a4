;; Declares 17 pages (1088 KiB) of initial memory: refused for a function
;; with MemoryMB 1 (16 pages), accepted with more.
(module
  (memory (export "memory") 17)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
