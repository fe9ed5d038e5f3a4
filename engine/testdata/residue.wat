;; residue: looks for what an earlier instance left in linear memory.
;; Payload "write" grows memory to 4 pages and fills pages 1-3 with 0xAB;
;; anything else grows to 4 pages and answers "clean" if pages 1-3 are all
;; zero, else "dirty" (TestMemoryNotReusedDirty).
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "cleandirtyok")
  (func (export "flint_abi_version_1"))
  (func (export "handle") (param $len i32) (result i32)
    (local $p i32)
    (drop (memory.grow (i32.sub (i32.const 4) (memory.size))))
    (drop (call $input_read (i32.const 100) (i32.const 5)))
    (if (i32.and (i32.eq (local.get $len) (i32.const 5))
                 (i32.eq (i32.load8_u (i32.const 100)) (i32.const 119))) ;; 'w'
      (then
        (memory.fill (i32.const 65536) (i32.const 0xAB) (i32.const 196608))
        (drop (call $output_write (i32.const 10) (i32.const 2)))
        (return (i32.const 0))))
    (local.set $p (i32.const 65536))
    (loop $scan
      (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0))
        (then
          (drop (call $output_write (i32.const 5) (i32.const 5)))
          (return (i32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $scan (i32.lt_u (local.get $p) (i32.const 262144))))
    (drop (call $output_write (i32.const 0) (i32.const 5)))
    (i32.const 0)))
