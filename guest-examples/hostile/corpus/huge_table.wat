;; huge_table: declares a table of 100 million entries (800 MB of host
;; memory per instance, outside linear memory and so outside MemoryMB).
;; Refused at deploy with a typed *ModuleError.
(module
  (memory (export "memory") 1)
  (table 100000000 funcref)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
