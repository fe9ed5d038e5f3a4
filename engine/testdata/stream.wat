;; Writes its payload as its response, byte by byte, and streams it: a '|'
;; flushes what was written since the last one (output_flush), and an 'E'
;; stops with a handled error of type "Boom". A flush that fails (the
;; caller went away) ends the invocation with a handled error of type
;; "FlushFailed". Payloads are at most 60 KiB.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "output_flush" (func $output_flush (result i32)))
  (import "flint" "error_set" (func $error_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "FlushFailedBoom")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $n i32) (result i32)
    (local $i i32)
    (local $c i32)
    (if (i32.gt_u (local.get $n) (i32.const 61440)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u offset=1024 (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 124))
          (then
            (if (i32.lt_s (call $output_flush) (i32.const 0))
              (then
                (drop (call $error_set (i32.const 0) (i32.const 11) (i32.const 0) (i32.const 0)))
                (return (i32.const 1)))))
          (else
            (if (i32.eq (local.get $c) (i32.const 69))
              (then
                (drop (call $error_set (i32.const 11) (i32.const 4) (i32.const 0) (i32.const 0)))
                (return (i32.const 1))))
            (drop (call $output_write (i32.add (i32.const 1024) (local.get $i)) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0)))
