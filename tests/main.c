/* SPDX-License-Identifier: ISC */
/* main.c - runs every suite; check's summary line is the last output. */
#include <stdlib.h>

#include "tests.h"

int main(void)
{
	SRunner *sr = srunner_create(group_suite());
	int failed;

	srunner_add_suite(sr, budget_suite());
	srunner_add_suite(sr, diag_suite());
	srunner_add_suite(sr, destroy_suite());
	srunner_add_suite(sr, events_suite());
	srunner_add_suite(sr, evqueue_suite());
	srunner_add_suite(sr, encode_suite());
	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, procs_suite());
	srunner_add_suite(sr, filter_suite());
	srunner_add_suite(sr, daemon_suite());
	srunner_add_suite(sr, cli_suite());
	srunner_add_suite(sr, fuzz_suite());
	srunner_add_suite(sr, live_suite());
	srunner_add_suite(sr, offline_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
