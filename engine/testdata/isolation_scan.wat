;; isolation_scan: writes a secret across its linear memory, or looks for
;; what anything else left there (isolation_test.go). One module plays both
;; sides: function A fills its memory with a pattern, function B (or a
;; fresh instance of A) scans its own for anything that is not its init
;; state.
;;
;; _initialize writes the marker 0x1501A7ED at 16, so the module has an
;; initializer and the engine starts its instances from a snapshot unless
;; told not to; the rest of the memory starts zero. Bytes [0, 64) are the
;; guest's own scratch (payload, marker, response, iovec); every other
;; byte is what the checks are about.
;;
;; The payload (at most 16 bytes) is an operation byte and an 8-byte
;; pattern:
;;   'f'  fills [64, memory size) with the pattern, without growing
;;   'F'  the same, then traps
;;   'g'  grows the memory as far as its cap allows, then fills [64, size)
;;   'G'  the same, then traps
;;   's'  grows the memory as far as its cap allows, then scans [64, size)
;;   'S'  scans [64, size) without growing
;;   'l'  logs the pattern at INFO and writes it to stdout, unterminated
;;   'L'  the same, then traps
;; and returns 16 bytes, little-endian u32s: the 8-byte words of [64, size)
;; that are not zero, the words equal to the pattern, the memory size in
;; pages, and the marker at 16. After a fill both counts are the words
;; filled; a scan of a fresh instance must find 0 and 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 16)
  (func (export "flint_abi_version_1"))
  (func (export "_initialize") (i32.store (i32.const 16) (i32.const 0x1501A7ED)))

  ;; $grow grows the memory one page at a time until the cap refuses.
  (func $grow
    (block $full
      (loop $more
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more))))

  ;; $fill stores the pattern at 1 in every word of [64, size).
  (func $fill
    (local $p i32) (local $end i32) (local $v i64)
    (local.set $v (i64.load align=1 (i32.const 1)))
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    (local.set $p (i32.const 64))
    (loop $next
      (i64.store (local.get $p) (local.get $v))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))

  ;; $scan counts the nonzero words of [64, size) into 32 and those equal
  ;; to the pattern into 36.
  (func $scan
    (local $p i32) (local $end i32) (local $v i64) (local $w i64)
    (local $nonzero i32) (local $hits i32)
    (local.set $v (i64.load align=1 (i32.const 1)))
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    (local.set $p (i32.const 64))
    (loop $next
      (local.set $w (i64.load (local.get $p)))
      (if (i64.ne (local.get $w) (i64.const 0))
        (then (local.set $nonzero (i32.add (local.get $nonzero) (i32.const 1)))))
      (if (i64.eq (local.get $w) (local.get $v))
        (then (local.set $hits (i32.add (local.get $hits) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end))))
    (i32.store (i32.const 32) (local.get $nonzero))
    (i32.store (i32.const 36) (local.get $hits)))

  ;; $logPattern logs the pattern through the ABI and writes it to stdout
  ;; without a newline.
  (func $logPattern
    (drop (call $log (i32.const 1) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 48) (i32.const 1))
    (i32.store (i32.const 52) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 56))))

  (func (export "handle") (param $len i32) (result i32)
    (local $op i32)
    (if (i32.gt_u (local.get $len) (i32.const 16)) (then (return (i32.const 2))))
    (i64.store (i32.const 0) (i64.const 0))
    (i64.store (i32.const 8) (i64.const 0))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (local.set $op (i32.load8_u (i32.const 0)))
    (i64.store (i32.const 32) (i64.const 0))
    (if (i32.eq (local.get $op) (i32.const 0x66)) (then (call $fill) (call $scan)))          ;; f
    (if (i32.eq (local.get $op) (i32.const 0x46)) (then (call $fill) (unreachable)))         ;; F
    (if (i32.eq (local.get $op) (i32.const 0x67)) (then (call $grow) (call $fill) (call $scan))) ;; g
    (if (i32.eq (local.get $op) (i32.const 0x47)) (then (call $grow) (call $fill) (unreachable))) ;; G
    (if (i32.eq (local.get $op) (i32.const 0x73)) (then (call $grow) (call $scan)))          ;; s
    (if (i32.eq (local.get $op) (i32.const 0x53)) (then (call $scan)))                       ;; S
    (if (i32.eq (local.get $op) (i32.const 0x6c)) (then (call $logPattern)))                 ;; l
    (if (i32.eq (local.get $op) (i32.const 0x4c)) (then (call $logPattern) (unreachable)))   ;; L
    (i32.store (i32.const 40) (memory.size))
    (i32.store (i32.const 44) (i32.load (i32.const 16)))
    (drop (call $output_write (i32.const 32) (i32.const 16)))
    (i32.const 0)))
