;; cap_fail: a callee that fails (caps_test.go). With an empty payload it
;; reports a handled error of type "ValidationError" and message
;; "bad input"; with any payload it traps (an unhandled Runtime.Trap).
(module
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ValidationError")
  (data (i32.const 16) "bad input")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (if (local.get $len) (then unreachable))
    (drop (call $error_set (i32.const 0) (i32.const 15) (i32.const 16) (i32.const 9)))
    (i32.const 1)))
