;; cap_call: makes exactly one capability call, chosen by the payload, and
;; reports what the host returned (caps_test.go, bench/caps_test.go).
;;
;; The payload is an operation byte followed by up to four fields, each a
;; little-endian u32 length and that many bytes (missing fields are empty):
;;
;;   'n'                      no call (a baseline)
;;   'g' store key            kv_get
;;   'p' store key value      kv_put
;;   'd' store key            kv_delete
;;   'l' store prefix after limit   kv_list (limit: a 4-byte little-endian
;;                            field; without it 1000)
;;   'f' request              http_fetch of the HTTP/1.1 request message
;;   'i' target payload       fn_invoke
;;   'r' target               fn_invoke of target with this whole payload
;;                            (invoking itself, a chain that only the depth
;;                            limit stops)
;;   'c' name                 config_get
;;   'a' name payload         app_call
;;   'A' name                 app_call of name with this whole payload (a
;;                            host capability that invokes this function
;;                            again with it makes a chain through the host)
;;   'x' field                context_get of the field named by the first
;;                            byte of field 0 (no pending result: the
;;                            response's second i32 is the value's length
;;                            and the value follows, as for a pending one)
;;
;; The response is the call's result as a little-endian i32, then what
;; result_read returned (the pending result's length) as an i32, then the
;; pending result itself when it fits (up to 0x1fff8 bytes). An unknown
;; operation is reported as result -3. A payload over 64 KiB is an
;; unhandled error (status 2). The handler always returns status 0
;; otherwise.
;;
;; Memory (4 pages): the payload at 0, the response at 0x10000, the field
;; table (pointer, length pairs) at 0x30000.
(module
  (import "flint" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "flint" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "flint" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "flint" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_delete" (func $kv_delete (param i32 i32 i32 i32) (result i32)))
  (import "flint" "kv_list" (func $kv_list (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flint" "http_fetch" (func $http_fetch (param i32 i32) (result i32)))
  (import "flint" "fn_invoke" (func $fn_invoke (param i32 i32 i32 i32) (result i32)))
  (import "flint" "config_get" (func $config_get (param i32 i32) (result i32)))
  (import "flint" "app_call" (func $app_call (param i32 i32 i32 i32) (result i32)))
  (import "flint" "context_get" (func $context_get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (func (export "flint_abi_version_1"))

  ;; $p and $l: field i's pointer and length.
  (func $p (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 0x30000) (i32.shl (local.get $i) (i32.const 3)))))
  (func $l (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 0x30004) (i32.shl (local.get $i) (i32.const 3)))))

  ;; $parse fills the field table from a payload of $len bytes at 0.
  (func $parse (param $len i32)
    (local $off i32) (local $i i32) (local $n i32)
    (i64.store (i32.const 0x30000) (i64.const 0))
    (i64.store (i32.const 0x30008) (i64.const 0))
    (i64.store (i32.const 0x30010) (i64.const 0))
    (i64.store (i32.const 0x30018) (i64.const 0))
    (local.set $off (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 4)))
        (br_if $done (i32.gt_u (i32.add (local.get $off) (i32.const 4)) (local.get $len)))
        (local.set $n (i32.load (local.get $off)))
        (i32.store (i32.add (i32.const 0x30000) (i32.shl (local.get $i) (i32.const 3)))
          (i32.add (local.get $off) (i32.const 4)))
        (i32.store (i32.add (i32.const 0x30004) (i32.shl (local.get $i) (i32.const 3)))
          (local.get $n))
        (local.set $off (i32.add (local.get $off) (i32.add (i32.const 4) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func $limit (result i32)
    (if (result i32) (i32.eq (call $l (i32.const 3)) (i32.const 4))
      (then (i32.load (call $p (i32.const 3))))
      (else (i32.const 1000))))

  (func (export "handle") (param $len i32) (result i32)
    (local $op i32) (local $res i32) (local $pending i32) (local $out i32)
    (if (i32.gt_u (local.get $len) (i32.const 0x10000)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (call $parse (local.get $len))
    (if (local.get $len) (then (local.set $op (i32.load8_u (i32.const 0)))))
    (local.set $res (i32.const -3))
    (if (i32.eq (local.get $op) (i32.const 0x6e)) ;; 'n'
      (then (local.set $res (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 0x67)) ;; 'g'
      (then (local.set $res (call $kv_get
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))))))
    (if (i32.eq (local.get $op) (i32.const 0x70)) ;; 'p'
      (then (local.set $res (call $kv_put
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))
        (call $p (i32.const 2)) (call $l (i32.const 2))))))
    (if (i32.eq (local.get $op) (i32.const 0x64)) ;; 'd'
      (then (local.set $res (call $kv_delete
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))))))
    (if (i32.eq (local.get $op) (i32.const 0x6c)) ;; 'l'
      (then (local.set $res (call $kv_list
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))
        (call $p (i32.const 2)) (call $l (i32.const 2))
        (call $limit)))))
    (if (i32.eq (local.get $op) (i32.const 0x66)) ;; 'f'
      (then (local.set $res (call $http_fetch
        (call $p (i32.const 0)) (call $l (i32.const 0))))))
    (if (i32.eq (local.get $op) (i32.const 0x69)) ;; 'i'
      (then (local.set $res (call $fn_invoke
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))))))
    (if (i32.eq (local.get $op) (i32.const 0x72)) ;; 'r'
      (then (local.set $res (call $fn_invoke
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (i32.const 0) (local.get $len)))))
    (if (i32.eq (local.get $op) (i32.const 0x63)) ;; 'c'
      (then (local.set $res (call $config_get
        (call $p (i32.const 0)) (call $l (i32.const 0))))))
    (if (i32.eq (local.get $op) (i32.const 0x61)) ;; 'a'
      (then (local.set $res (call $app_call
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (call $p (i32.const 1)) (call $l (i32.const 1))))))
    (if (i32.eq (local.get $op) (i32.const 0x41)) ;; 'A'
      (then (local.set $res (call $app_call
        (call $p (i32.const 0)) (call $l (i32.const 0))
        (i32.const 0) (local.get $len)))))

    (if (i32.eq (local.get $op) (i32.const 0x78)) ;; 'x'
      (then
        (local.set $res (call $context_get
          (i32.load8_u (call $p (i32.const 0))) (i32.const 0x10008) (i32.const 0x1fff8)))
        (local.set $pending (local.get $res)))
      (else
        (local.set $pending (call $result_read (i32.const 0x10008) (i32.const 0x1fff8)))))
    (i32.store (i32.const 0x10000) (local.get $res))
    (i32.store (i32.const 0x10004) (local.get $pending))
    (local.set $out (i32.const 8))
    (if (i32.and (i32.ge_s (local.get $pending) (i32.const 0))
                 (i32.le_s (local.get $pending) (i32.const 0x1fff8)))
      (then (local.set $out (i32.add (local.get $out) (local.get $pending)))))
    (drop (call $output_write (i32.const 0x10000) (local.get $out)))
    (i32.const 0)))
