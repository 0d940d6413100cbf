/* SPDX-License-Identifier: ISC */
/* snap.h - a picture the server mapped, shared by the readers of it. */
#ifndef SOCKWATCHD_SNAP_H
#define SOCKWATCHD_SNAP_H

#include <stddef.h>

#include "overlay.h"
#include "picture.h"

/*
 * A picture, or a picture with a listener overlay over it: then pic is
 * base's, and map, len and fd the overlay's.
 */
struct snap {
	unsigned refs;
	int fd; /* the sealed memfd */
	void *map;
	size_t len;
	struct picture pic;
	struct snap *base; /* the picture an overlay lies over, or NULL */
	struct overlay ov; /* with base */
};

/*
 * Maps the sealed memfd fd read-only and checks the picture in it, and
 * keeps fd (closed with the last reference). NULL with why in err; the
 * fd is then the caller's still.
 */
struct snap *snap_map(int fd, char *err, size_t errsz);

/*
 * The picture of base with the overlay in the sealed memfd fd over it
 * (base's overlay, if any, left out). NULL with why in err; the fd is
 * then the caller's still.
 */
struct snap *snap_overlay(struct snap *base, int fd, char *err, size_t errsz);

/* The overlay of s, NULL when it has none. */
const struct overlay *snap_overlay_of(const struct snap *s);

/* The memfd of the picture itself, for a client that records it. */
int snap_picture_fd(const struct snap *s);

/* Takes one more reference. */
struct snap *snap_ref(struct snap *s);

/* Drops a reference, unmapping with the last one; NULL is fine. */
void snap_unref(struct snap *s);

#endif
