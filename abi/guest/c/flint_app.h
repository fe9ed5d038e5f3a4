/*
 * flint_app.h: the host application's capabilities, for Flint functions
 * written in C (and C++ and Zig), as abi/SPEC.md describes them: app_call
 * and the invocation's context fields 4 (tenant) and 5 (metadata).
 *
 * This header stands alone; flint.h, the C SDK's header for the rest of
 * the ABI, includes it. It declares the host function with the same
 * FLINT_IMPORT convention as flint.h, and only what app_call adds: read
 * the pending result with result_read (flint.h declares flint_result_read;
 * without it, declare it as below).
 *
 * Build as a WASI reactor:
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -o fn.wasm fn.c
 *
 * Example, reading an order from the application that embeds Flint:
 *
 *   static const char name[] = "orders.Get", req[] = "{\"id\":\"o-1\"}";
 *   int32_t n = flint_app_call(name, sizeof name - 1, req, sizeof req - 1);
 *   if (n >= 0) {
 *       char *order = malloc(n);
 *       flint_result_read(order, n);      // the capability's result
 *   } else if (n == -FLINT_APP_DENIED) {
 *       // the policy refused it; the pending result is the resource
 *   } else if (n == -FLINT_APP_FUNCTION) {
 *       // the pending result is {"errorType": "...", "errorMessage": "..."}
 *   }
 */
#ifndef FLINT_APP_H
#define FLINT_APP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FLINT_IMPORT
#define FLINT_IMPORT(name) __attribute__((import_module("flint"), import_name(name)))
#endif

/*
 * app_call(name_ptr, name_len, payload_ptr, payload_len) -> i32
 *
 * Calls the host application's capability `name` (1-128 characters of
 * [A-Za-z0-9_.-], starting with a letter) with `payload`. Returns the
 * length of the pending result (read it with result_read), or a negated
 * error code: BOUNDS, TOO_LARGE, INVALID, NOT_FOUND (no such capability),
 * DENIED (the pending result is the refused resource), FUNCTION (the
 * pending result is the capability's typed error), LIMIT, UNAVAILABLE,
 * INTERNAL.
 */
FLINT_IMPORT("app_call")
int32_t flint_app_call(const void *name, int32_t name_len, const void *payload, int32_t payload_len);

/* context_get fields of the invocation's context (abi/SPEC.md). */
#define FLINT_FIELD_TENANT 4   /* the tenant on whose behalf it runs */
#define FLINT_FIELD_METADATA 5 /* u32 count, then (u32 len, key, u32 len, value) pairs */

/* The error codes app_call returns, negated (abi/SPEC.md). */
#define FLINT_APP_BOUNDS 1
#define FLINT_APP_TOO_LARGE 2
#define FLINT_APP_INVALID 3
#define FLINT_APP_NOT_FOUND 4
#define FLINT_APP_DENIED 6
#define FLINT_APP_INTERNAL 7
#define FLINT_APP_FUNCTION 8
#define FLINT_APP_LIMIT 9
#define FLINT_APP_UNAVAILABLE 10

#ifdef __cplusplus
}
#endif

#endif /* FLINT_APP_H */
