/* SPDX-License-Identifier: ISC */
/* sockfile.h - the control socket's file: create, guard, remove. */
#ifndef SOCKWATCHD_SOCKFILE_H
#define SOCKWATCHD_SOCKFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Binds and listens on path with mode and group gid ((gid_t)-1 keeps the
 * daemon's), its parent directory made 0750 and given to gid when
 * missing; a stale socket file is replaced, a live daemon's refused.
 * Returns a non-blocking listening fd, or -1 with a message in err.
 */
int sockfile_open(const char *path, mode_t mode, gid_t gid, char *err,
		  size_t errsz);

#endif
