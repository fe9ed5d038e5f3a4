//go:build wasip1

package host

import "unsafe"

// InputRead is input_read(ptr, cap) -> len.
//
//go:wasmimport flint input_read
func InputRead(ptr unsafe.Pointer, capacity uint32) int32

// OutputWrite is output_write(ptr, len) -> 0.
//
//go:wasmimport flint output_write
func OutputWrite(ptr unsafe.Pointer, n uint32) int32

// ErrorSet is error_set(type_ptr, type_len, msg_ptr, msg_len) -> 0.
//
//go:wasmimport flint error_set
func ErrorSet(typePtr unsafe.Pointer, typeLen uint32, msgPtr unsafe.Pointer, msgLen uint32) int32

// Log is log(level, ptr, len) -> 0.
//
//go:wasmimport flint log
func Log(level int32, ptr unsafe.Pointer, n uint32) int32

// ContextGet is context_get(field, ptr, cap) -> len.
//
//go:wasmimport flint context_get
func ContextGet(field int32, ptr unsafe.Pointer, capacity uint32) int32

// DeadlineMS is deadline_ms() -> Unix milliseconds.
//
//go:wasmimport flint deadline_ms
func DeadlineMS() int64

// ResultRead is result_read(ptr, cap) -> len.
//
//go:wasmimport flint result_read
func ResultRead(ptr unsafe.Pointer, capacity uint32) int32

// KVGet is kv_get(store_ptr, store_len, key_ptr, key_len) -> len (pending).
//
//go:wasmimport flint kv_get
func KVGet(storePtr unsafe.Pointer, storeLen uint32, keyPtr unsafe.Pointer, keyLen uint32) int32

// KVPut is kv_put(store_ptr, store_len, key_ptr, key_len, val_ptr, val_len) -> 0.
//
//go:wasmimport flint kv_put
func KVPut(storePtr unsafe.Pointer, storeLen uint32, keyPtr unsafe.Pointer, keyLen uint32, valPtr unsafe.Pointer, valLen uint32) int32

// KVDelete is kv_delete(store_ptr, store_len, key_ptr, key_len) -> 0.
//
//go:wasmimport flint kv_delete
func KVDelete(storePtr unsafe.Pointer, storeLen uint32, keyPtr unsafe.Pointer, keyLen uint32) int32

// KVList is kv_list(store_ptr, store_len, prefix_ptr, prefix_len,
// after_ptr, after_len, limit) -> len (pending).
//
//go:wasmimport flint kv_list
func KVList(storePtr unsafe.Pointer, storeLen uint32, prefixPtr unsafe.Pointer, prefixLen uint32, afterPtr unsafe.Pointer, afterLen uint32, limit uint32) int32

// HTTPFetch is http_fetch(req_ptr, req_len) -> len (pending).
//
//go:wasmimport flint http_fetch
func HTTPFetch(reqPtr unsafe.Pointer, reqLen uint32) int32

// FnInvoke is fn_invoke(name_ptr, name_len, payload_ptr, payload_len) -> len (pending).
//
//go:wasmimport flint fn_invoke
func FnInvoke(namePtr unsafe.Pointer, nameLen uint32, payloadPtr unsafe.Pointer, payloadLen uint32) int32

// ConfigGet is config_get(name_ptr, name_len) -> len (pending).
//
//go:wasmimport flint config_get
func ConfigGet(namePtr unsafe.Pointer, nameLen uint32) int32

// AppCall is app_call(name_ptr, name_len, payload_ptr, payload_len) -> len (pending).
//
//go:wasmimport flint app_call
func AppCall(namePtr unsafe.Pointer, nameLen uint32, payloadPtr unsafe.Pointer, payloadLen uint32) int32

// OutputFlush is output_flush() -> 0, an addition to ABI v1: it sends what
// OutputWrite appended since the last flush when the invocation streams.
//
//go:wasmimport flint output_flush
func OutputFlush() int32
