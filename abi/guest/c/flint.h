/*
 * flint.h: the Flint host ABI, version 1, for C (and C++ and Zig), as
 * abi/SPEC.md defines it. It declares every host function of the module
 * "flint" with its raw signature, and small inline helpers that do what
 * the Go SDK (abi/guest) does for Go: read the event, write the response,
 * report an error, log, read the invocation's context and a capability
 * call's pending result.
 *
 * A function is a WASI reactor. Build it with clang and wasi-libc:
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
 *         -I abi/guest/c -o fn.wasm fn.c
 *
 * (or `flint build DIR`), and give it the two exports the host needs:
 *
 *     #include "flint.h"
 *
 *     FLINT_ABI_VERSION_1
 *
 *     FLINT_HANDLER int32_t handle(int32_t len) {
 *         char *event = flint_read_event(len);
 *         ...
 *         flint_write_string("hello");
 *         return FLINT_STATUS_OK;
 *     }
 *
 * The file is in sections, one per part of SPEC.md; an addition to the ABI
 * is one more section at the end ("Additions to v1").
 */
#ifndef FLINT_H
#define FLINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The module a function is ------------------------------------------ */

/* FLINT_IMPORT declares a function of the host module "flint". */
#define FLINT_IMPORT(name) __attribute__((import_module("flint"), import_name(name)))

/* FLINT_EXPORT exports a function under name. */
#define FLINT_EXPORT(name) __attribute__((export_name(name)))

/* FLINT_ABI_VERSION_1 defines the marker export that says which ABI the
 * module was built for. Write it once, at file scope. */
#define FLINT_ABI_VERSION_1 \
	FLINT_EXPORT("flint_abi_version_1") void flint_abi_version_1(void) {}

/* FLINT_HANDLER exports the default handler, "handle":
 * int32_t handle(int32_t input_len). */
#define FLINT_HANDLER FLINT_EXPORT("handle")

/* FLINT_INIT exports the optional init hook, "flint_init": int32_t
 * flint_init(void), 0 for success. FLINT_SHUTDOWN exports the optional
 * shutdown hook, "flint_shutdown": void flint_shutdown(void). */
#define FLINT_INIT FLINT_EXPORT("flint_init")
#define FLINT_SHUTDOWN FLINT_EXPORT("flint_shutdown")

/* FLINT_HTTP_HANDLER exports the optional HTTP handler,
 * "flint_http_handle": int32_t flint_http_handle(int32_t input_len). A
 * buffered function URL's request then arrives as an HTTP/1.1 request
 * message and the output is an HTTP/1.1 response message (abi/SPEC.md,
 * "HTTP requests as messages"); it may return FLINT_STATUS_DECLINE. */
#define FLINT_HTTP_HANDLER FLINT_EXPORT("flint_http_handle")

/* What a handler returns. Anything else is an unhandled error. */
#define FLINT_STATUS_OK 0    /* success: what output_write wrote is the response */
#define FLINT_STATUS_ERROR 1 /* a handled error: error_set gave its type and message */
#define FLINT_STATUS_DECLINE 2 /* flint_http_handle only: send the payload 2.0 event to the handler instead */

/* ---- Calling convention and error codes -------------------------------- */

/* Host functions return >= 0 on success, the negated code on failure. */
#define FLINT_E_BOUNDS 1       /* a pointer or length lies outside memory */
#define FLINT_E_TOO_LARGE 2    /* a size limit was exceeded */
#define FLINT_E_INVALID 3      /* an argument is not valid */
#define FLINT_E_NOT_FOUND 4    /* the thing asked for does not exist */
#define FLINT_E_STATE 5        /* the call makes no sense now */
#define FLINT_E_DENIED 6       /* the execution policy (or the private-address guard) refused */
#define FLINT_E_INTERNAL 7     /* the host failed; the log says why */
#define FLINT_E_FUNCTION 8     /* the invoked function failed; the pending result says how */
#define FLINT_E_LIMIT 9        /* a limit was reached (invocation depth, concurrency) */
#define FLINT_E_UNAVAILABLE 10 /* the target could not be reached; later may work */

/* ---- Invocation -------------------------------------------------------- */

/* input_read copies the payload to [ptr, ptr+cap) when it fits and returns
 * its length. */
FLINT_IMPORT("input_read") int32_t flint_input_read(void *ptr, int32_t cap);

/* output_write appends [ptr, ptr+len) to the response. */
FLINT_IMPORT("output_write") int32_t flint_output_write(const void *ptr, int32_t len);

/* error_set sets the type (at most 256 bytes) and message (at most 64 KiB)
 * of the error a handler returning FLINT_STATUS_ERROR reports. */
FLINT_IMPORT("error_set")
int32_t flint_error_set(const char *type, int32_t type_len, const char *msg, int32_t msg_len);

/* flint_read_event reads the payload of length len (the handler's
 * argument) into a new NUL-terminated buffer, which the caller frees.
 * NULL when memory runs out. */
static inline char *flint_read_event(int32_t len) {
	char *buf = (char *)malloc((size_t)len + 1);
	if (buf == NULL) {
		return NULL;
	}
	if (len > 0 && flint_input_read(buf, len) != len) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* flint_write appends n bytes to the response; 0 or a negated code. */
static inline int32_t flint_write(const void *p, size_t n) { return flint_output_write(p, (int32_t)n); }

/* flint_write_string appends a NUL-terminated string to the response. */
static inline int32_t flint_write_string(const char *s) { return flint_write(s, strlen(s)); }

/* flint_error sets a handled error and returns FLINT_STATUS_ERROR, for
 * `return flint_error("ValidationError", "the name is empty");`. */
static inline int32_t flint_error(const char *type, const char *msg) {
	flint_error_set(type, (int32_t)strlen(type), msg, (int32_t)strlen(msg));
	return FLINT_STATUS_ERROR;
}

/* ---- Log --------------------------------------------------------------- */

#define FLINT_LOG_DEBUG 0
#define FLINT_LOG_INFO 1
#define FLINT_LOG_WARN 2
#define FLINT_LOG_ERROR 3

/* log writes one line to the invocation's log. stdout and stderr (printf,
 * fprintf) are captured too, a line per newline. */
FLINT_IMPORT("log") int32_t flint_log(int32_t level, const char *ptr, int32_t len);

/* flint_log_string logs a NUL-terminated string at level. */
static inline int32_t flint_log_string(int32_t level, const char *s) { return flint_log(level, s, (int32_t)strlen(s)); }

/* ---- Context ----------------------------------------------------------- */

#define FLINT_FIELD_REQUEST_ID 0
#define FLINT_FIELD_FUNCTION_NAME 1
#define FLINT_FIELD_FUNCTION_VERSION 2
#define FLINT_FIELD_INVOKED_ARN 3

/* context_get reads a field of the invocation's context into [ptr,
 * ptr+cap) when it fits, and returns its length. */
FLINT_IMPORT("context_get") int32_t flint_context_get(int32_t field, char *ptr, int32_t cap);

/* deadline_ms is the invocation's deadline, in Unix milliseconds. */
FLINT_IMPORT("deadline_ms") int64_t flint_deadline_ms(void);

/* flint_context reads a context field into buf (NUL-terminated) and
 * returns its length, or a negated code (FLINT_E_TOO_LARGE when it does
 * not fit). */
static inline int32_t flint_context(int32_t field, char *buf, size_t cap) {
	if (cap == 0) {
		return -FLINT_E_TOO_LARGE;
	}
	int32_t n = flint_context_get(field, buf, (int32_t)(cap - 1));
	if (n < 0) {
		return n;
	}
	if ((size_t)n >= cap) {
		return -FLINT_E_TOO_LARGE;
	}
	buf[n] = '\0';
	return n;
}

/* ---- Capabilities (checked against the execution policy) --------------- */

/* result_read copies the pending result of the last capability call. */
FLINT_IMPORT("result_read") int32_t flint_result_read(void *ptr, int32_t cap);

FLINT_IMPORT("kv_get")
int32_t flint_kv_get(const char *store, int32_t store_len, const char *key, int32_t key_len);
FLINT_IMPORT("kv_put")
int32_t flint_kv_put(const char *store, int32_t store_len, const char *key, int32_t key_len, const void *val, int32_t val_len);
FLINT_IMPORT("kv_delete")
int32_t flint_kv_delete(const char *store, int32_t store_len, const char *key, int32_t key_len);
FLINT_IMPORT("kv_list")
int32_t flint_kv_list(const char *store, int32_t store_len, const char *prefix, int32_t prefix_len, const char *after, int32_t after_len, int32_t limit);
FLINT_IMPORT("http_fetch") int32_t flint_http_fetch(const char *req, int32_t req_len);
FLINT_IMPORT("fn_invoke")
int32_t flint_fn_invoke(const char *name, int32_t name_len, const void *payload, int32_t payload_len);
FLINT_IMPORT("config_get") int32_t flint_config_get(const char *name, int32_t name_len);

/* flint_result completes a capability call that returned r: on success
 * (r >= 0) it returns the pending result in a new NUL-terminated buffer of
 * r bytes (the caller frees it) and sets *err to 0; on failure it returns
 * NULL and sets *err to the positive code. */
static inline char *flint_result(int32_t r, int32_t *err) {
	if (r < 0) {
		*err = -r;
		return NULL;
	}
	char *buf = (char *)malloc((size_t)r + 1);
	if (buf == NULL) {
		*err = FLINT_E_INTERNAL;
		return NULL;
	}
	if (r > 0 && flint_result_read(buf, r) != r) {
		free(buf);
		*err = FLINT_E_INTERNAL;
		return NULL;
	}
	buf[r] = '\0';
	*err = 0;
	return buf;
}

/* ---- Additions to v1 (older hosts lack them; see SPEC.md) -------------- */

/* output_flush sends what output_write appended since the last flush, when
 * the invocation streams its response; otherwise it does nothing.
 * FLINT_E_UNAVAILABLE once the caller has gone away. */
FLINT_IMPORT("output_flush") int32_t flint_output_flush(void);

/* The invocation's context from the application that invoked it: the
 * tenant (context_get field 4, a string) and the metadata (field 5: a
 * little-endian u32 count of pairs, then per pair a u32 length and the
 * key, a u32 length and the value). Empty when the caller gave none. */
#define FLINT_FIELD_TENANT 4
#define FLINT_FIELD_METADATA 5

/* app_call calls the host application's capability name (1-128 of
 * [A-Za-z0-9_.-]) with payload, checked as the action app:NAME on the
 * resource the capability names; on success the pending result is its
 * answer (flint_result reads it). FLINT_E_DENIED, FLINT_E_NOT_FOUND,
 * FLINT_E_FUNCTION (pending: {"errorType","errorMessage"}), ... as in
 * SPEC.md. */
FLINT_IMPORT("app_call")
int32_t flint_app_call(const void *name, int32_t name_len, const void *payload, int32_t payload_len);

#ifdef __cplusplus
}
#endif

#endif /* FLINT_H */
