/* SPDX-License-Identifier: ISC */
/* snap.h - a picture the server mapped, shared by the readers of it. */
#ifndef SOCKWATCHD_SNAP_H
#define SOCKWATCHD_SNAP_H

#include <stddef.h>

#include "picture.h"

struct snap {
	unsigned refs;
	int fd; /* the sealed memfd, for a client that records it */
	void *map;
	size_t len;
	struct picture pic;
};

/*
 * Maps the sealed memfd fd read-only and checks the picture in it, and
 * keeps fd (closed with the last reference). NULL with why in err; the
 * fd is then the caller's still.
 */
struct snap *snap_map(int fd, char *err, size_t errsz);

/* Takes one more reference. */
struct snap *snap_ref(struct snap *s);

/* Drops a reference, unmapping with the last one; NULL is fine. */
void snap_unref(struct snap *s);

#endif
