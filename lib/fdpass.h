/* SPDX-License-Identifier: ISC */
/* fdpass.h - one file descriptor passed along with bytes (SCM_RIGHTS). */
#ifndef SOCKWATCH_FDPASS_H
#define SOCKWATCH_FDPASS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * sendmsg() of len bytes of buf on sock with send()'s flags, fd (-1 for
 * none) riding on the first of them. Returns what sendmsg returns.
 */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd, int flags);

/*
 * The first descriptor passed in mh's control data, -1 for none; every
 * other one is closed, as nobody asked for it.
 */
int fdpass_take(struct msghdr *mh);

#endif
