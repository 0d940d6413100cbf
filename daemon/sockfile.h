/* SPDX-License-Identifier: ISC */
/* sockfile.h - the control socket's file: create, guard, remove. */
#ifndef SOCKWATCHD_SOCKFILE_H
#define SOCKWATCHD_SOCKFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

/* A bound control socket and where its node is. */
struct sockfile {
	int fd;	    /* listening, non-blocking */
	int dir_fd; /* the verified directory the node is in */
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* the node bound, so that only it is ever removed */
	ino_t ino;
};

/*
 * Binds and listens on the absolute path with mode and group gid
 * ((gid_t)-1 keeps the daemon's). No component of path may be a symbolic
 * link; every directory on it must belong to root or to the daemon's
 * user (in a user namespace, the host's too), and those above the
 * socket's be writable by others only if sticky. The socket's own
 * directory must be writable by nobody else; when missing it is made 0750
 * and given to gid. A stale socket file is replaced, a live daemon's
 * refused. Returns 0, or -1 with a message in err that says what to fix.
 */
int sockfile_open(struct sockfile *sf, const char *path, mode_t mode, gid_t gid,
		  char *err, size_t errsz);

/* Closes the socket and removes its node, if it is still the one bound. */
void sockfile_close(struct sockfile *sf);

#endif
