;; http_raw: a function that takes HTTP requests as messages
;; (flint_http_handle, abi/SPEC.md "HTTP requests as messages") and answers
;; with the request's body as its response message, byte for byte: the
;; tests send any response message, valid or hostile, through the gateway.
;; A DELETE request is declined (status 2): the host then calls handle with
;; the payload format 2.0 event, which handle echoes. A SPIN request never
;; ends (for the timeout). Regenerate
;; http_raw.wasm with `make wat`.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "flint_abi_version_1"))

  ;; $fit grows memory until $len bytes fit at offset 0; 0 when it cannot.
  (func $fit (param $len i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (local.get $len) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1))

  (func (export "handle") (param $len i32) (result i32)
    (if (i32.eqz (call $fit (local.get $len))) (then (return (i32.const 3))))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (drop (call $output_write (i32.const 0) (local.get $len)))
    (i32.const 0))

  (func (export "flint_http_handle") (param $len i32) (result i32)
    (local $i i32)
    (if (i32.eqz (call $fit (local.get $len))) (then (return (i32.const 3))))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    ;; "DELE": decline.
    (if (i32.and (i32.ge_u (local.get $len) (i32.const 4))
                 (i32.eq (i32.load (i32.const 0)) (i32.const 0x454c4544)))
      (then (return (i32.const 2))))
    ;; "SPIN": loop until the host stops it.
    (if (i32.and (i32.ge_u (local.get $len) (i32.const 4))
                 (i32.eq (i32.load (i32.const 0)) (i32.const 0x4e495053)))
      (then (loop $forever (br $forever))))
    ;; Find CR LF CR LF; the body follows it.
    (block $found
      (loop $scan
        (br_if $found (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $len)))
        (br_if $found (i32.eq (i32.load (local.get $i)) (i32.const 0x0a0d0a0d)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (if (i32.gt_u (local.get $i) (local.get $len)) (then (return (i32.const 0))))
    (drop (call $output_write (local.get $i) (i32.sub (local.get $len) (local.get $i))))
    (i32.const 0)))
