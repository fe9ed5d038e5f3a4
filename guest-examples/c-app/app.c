// c-app: a Flint function in C that calls a capability of the application
// that embeds Flint, with abi/guest/c/flint_app.h (`make c-guests`; app.wasm
// beside this file is its output, committed so that tests need no C
// toolchain).
//
// It calls the host capability "orders.Get" with its payload and answers
// "<tenant>: <result>", the tenant being the invocation's (context_get
// field 4). A failed call is a handled error: type "Denied" with the
// refused resource as the message when the policy refused it, the
// capability's own error document (type "CapabilityError") when it failed
// with one, else type "AppCallFailed" with the negated error code.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/guest/c/flint_app.h"

// The rest of the ABI this function uses (flint.h declares them too).
FLINT_IMPORT("input_read") int32_t flint_input_read(void *ptr, int32_t cap);
FLINT_IMPORT("output_write") int32_t flint_output_write(const void *ptr, int32_t len);
FLINT_IMPORT("error_set") int32_t flint_error_set(const char *type, int32_t type_len, const char *msg, int32_t msg_len);
FLINT_IMPORT("result_read") int32_t flint_result_read(void *ptr, int32_t cap);
FLINT_IMPORT("context_get") int32_t flint_context_get(int32_t field, void *ptr, int32_t cap);

#define MAX_INPUT 4096
#define MAX_RESULT 65536

static char input[MAX_INPUT];
static char output[256 + MAX_RESULT];
static char result[MAX_RESULT];

static int32_t fail(const char *type, const char *msg, int32_t msg_len) {
	flint_error_set(type, (int32_t)strlen(type), msg, msg_len);
	return 1;
}

__attribute__((export_name("flint_abi_version_1"))) void flint_abi_version_1(void) {}

__attribute__((export_name("handle"))) int32_t handle(int32_t len) {
	if (len < 0 || len > MAX_INPUT) {
		static const char msg[] = "the payload is over 4096 bytes";
		return fail("PayloadTooLarge", msg, sizeof msg - 1);
	}
	flint_input_read(input, len);
	static const char name[] = "orders.Get";
	int32_t n = flint_app_call(name, sizeof name - 1, input, len);
	if (n < 0) {
		int32_t m = flint_result_read(result, MAX_RESULT);
		if (m < 0 || m > MAX_RESULT) {
			m = 0;
		}
		if (n == -FLINT_APP_DENIED) {
			return fail("Denied", result, m);
		}
		if (n == -FLINT_APP_FUNCTION) {
			return fail("CapabilityError", result, m);
		}
		char code[16];
		int32_t k = 0;
		for (int32_t v = -n; v > 0 && k < 15; v /= 10) {
			code[k++] = (char)('0' + v % 10);
		}
		for (int32_t i = 0; i < k / 2; i++) {
			char c = code[i];
			code[i] = code[k - 1 - i];
			code[k - 1 - i] = c;
		}
		return fail("AppCallFailed", code, k);
	}
	if (n > MAX_RESULT) {
		static const char msg[] = "the capability's result is over 64 KiB";
		return fail("ResultTooLarge", msg, sizeof msg - 1);
	}
	flint_result_read(result, n);
	int32_t t = flint_context_get(FLINT_FIELD_TENANT, output, 200);
	if (t < 0 || t > 200) {
		t = 0;
	}
	memcpy(output + t, ": ", 2);
	memcpy(output + t + 2, result, (size_t)n);
	flint_output_write(output, t + 2 + n);
	return 0;
}
