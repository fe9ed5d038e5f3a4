//go:build !wasip1

package host

import "unsafe"

// Off WebAssembly there is no host: every call reports State, as a call
// outside an invocation would.

// InputRead is input_read(ptr, cap) -> len.
func InputRead(unsafe.Pointer, uint32) int32 { return -State }

// OutputWrite is output_write(ptr, len) -> 0.
func OutputWrite(unsafe.Pointer, uint32) int32 { return -State }

// ErrorSet is error_set(type_ptr, type_len, msg_ptr, msg_len) -> 0.
func ErrorSet(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -State }

// Log is log(level, ptr, len) -> 0.
func Log(int32, unsafe.Pointer, uint32) int32 { return -State }

// ContextGet is context_get(field, ptr, cap) -> len.
func ContextGet(int32, unsafe.Pointer, uint32) int32 { return -State }

// DeadlineMS is deadline_ms() -> Unix milliseconds.
func DeadlineMS() int64 { return -State }

// ResultRead is result_read(ptr, cap) -> len.
func ResultRead(unsafe.Pointer, uint32) int32 { return -State }

// KVGet is kv_get(store_ptr, store_len, key_ptr, key_len) -> len (pending).
func KVGet(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -State }

// KVPut is kv_put(store_ptr, store_len, key_ptr, key_len, val_ptr, val_len) -> 0.
func KVPut(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 {
	return -State
}

// KVDelete is kv_delete(store_ptr, store_len, key_ptr, key_len) -> 0.
func KVDelete(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -State }

// KVList is kv_list(store_ptr, store_len, prefix_ptr, prefix_len,
// after_ptr, after_len, limit) -> len (pending).
func KVList(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32) int32 {
	return -State
}

// HTTPFetch is http_fetch(req_ptr, req_len) -> len (pending).
func HTTPFetch(unsafe.Pointer, uint32) int32 { return -State }

// FnInvoke is fn_invoke(name_ptr, name_len, payload_ptr, payload_len) -> len (pending).
func FnInvoke(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -State }

// ConfigGet is config_get(name_ptr, name_len) -> len (pending).
func ConfigGet(unsafe.Pointer, uint32) int32 { return -State }

// AppCall is app_call(name_ptr, name_len, payload_ptr, payload_len) -> len (pending).
func AppCall(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return -State }

// OutputFlush is output_flush() -> 0.
func OutputFlush() int32 { return -State }
