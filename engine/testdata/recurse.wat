;; recurse: a handler doing exponential work by recursion, without a single
;; loop (a naive Fibonacci of 60). Only the checks at function entries can
;; interrupt it (TestTimeout).
(module
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))
  (func $fib (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add
        (call $fib (i64.sub (local.get $n) (i64.const 1)))
        (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
  (func (export "handle") (param $len i32) (result i32)
    (drop (call $fib (i64.const 60)))
    (i32.const 0)))
