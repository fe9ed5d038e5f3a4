;; snapcell: state in memory and in a global, set by every kind of
;; initializer, for the snapshot tests (snapshot_test.go).
;;
;; The start function sets the counter cell (0x100) to 100; _initialize sets
;; the mutable global $g to 7; flint_init increments the cell at 0x104 (how
;; many times flint_init ran in this instance's history) and logs
;; "flint_init ran"; flint_shutdown logs "flint_shutdown ran".
;;
;; Every invocation increments the counter and $g, then acts on the
;; payload's first byte (at most 256 bytes are read):
;;   'u'  traps (unreachable)
;;   's'  loops forever
;;   'g'  grows the memory by one page
;;   'G'  asks for 256 more pages (16 MiB); when refused (the memory cap), traps
;;   else nothing
;; and returns 12 bytes, little-endian i32s: the counter, the flint_init
;; count and $g.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0) "flint_init ran")
  (data (i32.const 32) "flint_shutdown ran")
  (func (export "flint_abi_version_1"))
  (func $start (i32.store (i32.const 0x100) (i32.const 100)))
  (start $start)
  (func (export "_initialize") (global.set $g (i32.const 7)))
  (func (export "flint_init") (result i32)
    (i32.store (i32.const 0x104) (i32.add (i32.load (i32.const 0x104)) (i32.const 1)))
    (drop (call $log (i32.const 1) (i32.const 0) (i32.const 14)))
    (i32.const 0))
  (func (export "flint_shutdown")
    (drop (call $log (i32.const 1) (i32.const 32) (i32.const 18))))
  (func (export "handle") (param $len i32) (result i32)
    (local $op i32)
    (if (i32.gt_u (local.get $len) (i32.const 256)) (then (return (i32.const 2))))
    (i32.store (i32.const 0x100) (i32.add (i32.load (i32.const 0x100)) (i32.const 1)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (if (local.get $len)
      (then
        (drop (call $input_read (i32.const 0x200) (local.get $len)))
        (local.set $op (i32.load8_u (i32.const 0x200)))))
    (if (i32.eq (local.get $op) (i32.const 0x75)) (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 0x73)) (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 0x67)) (then (drop (memory.grow (i32.const 1)))))
    (if (i32.eq (local.get $op) (i32.const 0x47))
      (then (if (i32.eq (memory.grow (i32.const 0x100)) (i32.const -1)) (then unreachable))))
    (i32.store (i32.const 0x108) (global.get $g))
    (drop (call $output_write (i32.const 0x100) (i32.const 12)))
    (i32.const 0)))
