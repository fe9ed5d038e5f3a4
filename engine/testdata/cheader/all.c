// all.c imports every host function abi/guest/c/flint.h declares, so that
// deploying it checks each name and signature against the host's
// (TestCHeader). Its handler answers with the invoked ARN.
#include "flint.h"

FLINT_ABI_VERSION_1

FLINT_HANDLER int32_t handle(int32_t len) {
	char *event = flint_read_event(len);
	char arn[256];
	if (event == NULL || flint_context(FLINT_FIELD_INVOKED_ARN, arn, sizeof arn) < 0) {
		return flint_error("NoContext", "could not read the context");
	}
	if (len > 1000000) { // never: references every import without calling it
		int32_t err;
		flint_log_string(FLINT_LOG_INFO, event);
		free(flint_result(flint_kv_get("s", 1, "k", 1), &err));
		flint_kv_put("s", 1, "k", 1, "v", 1);
		flint_kv_delete("s", 1, "k", 1);
		flint_kv_list("s", 1, "", 0, "", 0, 10);
		flint_http_fetch("", 0);
		flint_fn_invoke("f", 1, "", 0);
		flint_config_get("c", 1);
		flint_deadline_ms();
		flint_output_flush();
		flint_app_call("a", 1, "", 0);
	}
	free(event);
	flint_write_string(arn);
	return FLINT_STATUS_OK;
}

FLINT_INIT int32_t init(void) { return 0; }

FLINT_SHUTDOWN void shutdown(void) {}
