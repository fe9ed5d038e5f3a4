;; huge_memory: declares 65536 pages (4 GiB) of initial memory. Refused at
;; deploy (over the function's MemoryMB): a typed *ModuleError, nothing
;; allocated.
(module
  (memory (export "memory") 65536)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
