;; import_unknown_module: imports "env"."system", a module the host does
;; not have. Refused at deploy with a *ModuleError naming the import.
(module
  (import "env" "system" (func $system (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (call $system (i32.const 0))))
