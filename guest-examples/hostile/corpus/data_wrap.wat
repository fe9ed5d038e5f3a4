;; data_wrap: an active data segment at offset 0xfffffff0 whose end wraps
;; past 2^32, in a 1-page memory. Refused at deploy (*ModuleError), without
;; the host building a 4 GiB memory image for it.
(module
  (memory (export "memory") 1)
  (data (i32.const 0xfffffff0) "0123456789abcdefWRAPPED")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
