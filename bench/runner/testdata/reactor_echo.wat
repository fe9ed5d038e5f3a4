;; reactor_echo: wat-echo with an initializer, so that the engine takes a
;; snapshot of it and the snapshot-cold, recycled and pre-initialized
;; scenarios apply. _initialize writes a marker and sets a global; the
;; handler refuses to run without them (status 2), then echoes its payload
;; from the second page on. Regenerate reactor_echo.wasm with
;; `go generate ./internal/benchrun` (or `make bench`).
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $ready (mut i32) (i32.const 0))
  (func (export "flint_abi_version_1"))
  (func (export "_initialize")
    (i32.store (i32.const 0) (i32.const 0x2a2a2a2a))
    (global.set $ready (i32.const 1)))
  (func (export "handle") (param $len i32) (result i32)
    (local $need i32)
    (if (i32.or (i32.eqz (global.get $ready))
                (i32.ne (i32.load (i32.const 0)) (i32.const 0x2a2a2a2a)))
      (then (return (i32.const 2))))
    ;; Grow (64 KiB pages) until the payload fits at offset 65536.
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (local.get $len) (i32.const 131071)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then (return (i32.const 2))))))
    (drop (call $input_read (i32.const 65536) (local.get $len)))
    (drop (call $output_write (i32.const 65536) (local.get $len)))
    (i32.const 0)))
