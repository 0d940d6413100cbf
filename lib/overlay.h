/* SPDX-License-Identifier: ISC */
/*
 * overlay.h - the listeners of a picture as a later, cheap dump saw
 * them: each one's accept queue now, or that it has closed. Between two
 * full dumps, which the CPU budget spaces out, the poller sends one of
 * these every --interval; the server lays it over the picture it
 * applies to, so listeners and their queues are never older than that.
 */
#ifndef SOCKWATCH_OVERLAY_H
#define SOCKWATCH_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "picture.h"

#define OVERLAY_MAGIC "SOCKWLIS" /* 8 bytes, no NUL */
#define OVERLAY_VERSION 1

#define OVERLAY_F_GONE 0x01 /* the listener has closed since the picture */

struct overlay_header {
	char magic[8];
	uint32_t version;
	uint32_t count;	     /* entries that follow */
	uint64_t generation; /* of the picture it lies over */
	int64_t taken_sec;   /* CLOCK_REALTIME */
	uint32_t taken_nsec;
	uint32_t added;		/* listeners the picture has not got yet */
	uint64_t taken_mono_ms; /* CLOCK_MONOTONIC */
	uint64_t scan_us;
};

/* One listener of the picture: record rec as it is now. */
struct overlay_entry {
	uint32_t rec; /* index in the picture's records */
	uint32_t flags;
	uint32_t rqueue;
	uint32_t wqueue;
};

/* A validated overlay: typed pointers into its blob. */
struct overlay {
	const struct overlay_header *h;
	const struct overlay_entry *e; /* by rec, ascending */
	size_t n;
};

/* The bytes an overlay of n entries takes. */
size_t overlay_size(size_t n);

/*
 * Checks that len bytes at blob are an overlay of picture p: its
 * generation, entries in ascending order, each naming a listener of p.
 * Returns 0, or -1 with why in err.
 */
int overlay_open(struct overlay *o, const void *blob, size_t len,
		 const struct picture *p, char *err, size_t errsz);

/* The entry of record rec, NULL when o (may be NULL) has none. */
const struct overlay_entry *overlay_find(const struct overlay *o, uint32_t rec);

/*
 * Record r as the overlay says it is now, in *out: a pointer to r
 * itself when nothing changed, to out when its queues did, or NULL when
 * it has closed.
 */
const struct sock_rec *overlay_apply(const struct overlay *o, uint32_t rec,
				     const struct sock_rec *r,
				     struct sock_rec *out);

#endif
