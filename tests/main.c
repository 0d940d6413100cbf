/* SPDX-License-Identifier: ISC */
/* main.c - runs every suite; check's summary line is the last output. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tests.h"

/*
 * The suite leaves its controlling terminal, for itself and every
 * process it starts: sockwatchctl cuts its table to that terminal's
 * width, and what a test reads must not depend on where make check was
 * typed. ^C still reaches it, which goes by process group. (A session
 * leader would hang up its session instead: it keeps the terminal.)
 */
static void leave_terminal(void)
{
	int fd;

	if (getsid(0) == getpid())
		return;
	fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)ioctl(fd, TIOCNOTTY);
	close(fd);
}

int main(void)
{
	SRunner *sr;
	int failed;

	leave_terminal();
	sr = srunner_create(group_suite());
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
