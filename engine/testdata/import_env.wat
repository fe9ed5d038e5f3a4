;; Refused at deploy: imports a function from a module the host does not
;; provide ("env"), as an Emscripten or TinyGo default build would.
(module
  (import "env" "foo" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param i32) (result i32) (i32.const 0)))
