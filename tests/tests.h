/* SPDX-License-Identifier: ISC */
/* tests.h - the suites of the sockwatch test binary. */
#ifndef SOCKWATCH_TESTS_H
#define SOCKWATCH_TESTS_H

#include <check.h>

Suite *group_suite(void);
Suite *budget_suite(void);
Suite *diag_suite(void);
Suite *destroy_suite(void);
Suite *events_suite(void);
Suite *evqueue_suite(void);
Suite *encode_suite(void);
Suite *proto_suite(void);
Suite *procs_suite(void);
Suite *filter_suite(void);
Suite *daemon_suite(void);
Suite *cli_suite(void);
Suite *live_suite(void);
Suite *offline_suite(void);
Suite *fuzz_suite(void);

#endif
