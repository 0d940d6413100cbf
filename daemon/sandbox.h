/* SPDX-License-Identifier: ISC */
/* sandbox.h - the server's system calls, an allow-list (libseccomp). */
#ifndef SOCKWATCHD_SANDBOX_H
#define SOCKWATCHD_SANDBOX_H

#include <stddef.h>

/*
 * Lets the server make only the system calls serving clients takes; any
 * other kills it. After privs_server, before the first client byte.
 * Returns 0, or -1 with a message in err.
 */
int sandbox_server(char *err, size_t errsz);

#endif
