// c-hello: a Flint function in C, built as a WASI reactor with clang and
// wasi-libc (`make c-guests`; hello.wasm beside this file is its output,
// committed so that tests need no C toolchain).
//
// The payload is a name; the response is "<greeting>, <name>! (crc32
// <hex>)", where the greeting comes from the GREETING environment variable
// (default "Hello") and the checksum is the name's CRC-32. Both the
// greeting and the CRC table are computed by a constructor, which the
// reactor's _initialize runs: that is the state a snapshot captures, so an
// instance started from one does not compute them again. A name over
// MAX_INPUT bytes is a handled error of type "PayloadTooLarge".
//
// The module talks to the host only through the Flint ABI (abi/SPEC.md),
// declared by the C guest SDK's header, abi/guest/c/flint.h (built with
// -I abi/guest/c): it exports flint_abi_version_1 and handle, and imports
// input_read, output_write and error_set from module "flint".
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flint.h"

#define MAX_INPUT 4096
#define MAX_GREETING 256

static char greeting[MAX_GREETING];
static uint32_t crc_table[256];
static char input[MAX_INPUT];
static char output[MAX_GREETING + MAX_INPUT + 64];

__attribute__((constructor)) static void setup(void) {
	const char *g = getenv("GREETING");
	if (g == NULL || *g == '\0') {
		g = "Hello";
	}
	strncpy(greeting, g, MAX_GREETING - 1);
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++) {
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		}
		crc_table[n] = c;
	}
}

static uint32_t crc32(const char *p, size_t n) {
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c = crc_table[(c ^ (uint8_t)p[i]) & 0xFF] ^ (c >> 8);
	}
	return c ^ 0xFFFFFFFFu;
}

static char *append(char *dst, const char *src, size_t n) {
	memcpy(dst, src, n);
	return dst + n;
}

FLINT_ABI_VERSION_1

FLINT_HANDLER int32_t handle(int32_t len) {
	if (len < 0 || len > MAX_INPUT) {
		return flint_error("PayloadTooLarge", "the name is over 4096 bytes");
	}
	flint_input_read(input, len);
	const char *name = input;
	size_t n = (size_t)len;
	if (n == 0) {
		name = "world";
		n = 5;
	}
	static const char hex[] = "0123456789abcdef";
	uint32_t sum = crc32(input, (size_t)len);
	char *p = output;
	p = append(p, greeting, strlen(greeting));
	p = append(p, ", ", 2);
	p = append(p, name, n);
	p = append(p, "! (crc32 ", 9);
	for (int shift = 28; shift >= 0; shift -= 4) {
		*p++ = hex[(sum >> shift) & 0xF];
	}
	*p++ = ')';
	flint_write(output, (size_t)(p - output));
	return FLINT_STATUS_OK;
}
