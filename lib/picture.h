/* SPDX-License-Identifier: ISC */
/*
 * picture.h - one poll's picture as a flat blob: a versioned header, then
 * arrays found by offset (records, groups, member order, owners, devices,
 * strings). The poller writes it into a sealed memfd, the server maps it
 * read-only, and the same bytes in a file are a recording
 * (sockwatch-picture(5)).
 */
#ifndef SOCKWATCH_PICTURE_H
#define SOCKWATCH_PICTURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "group.h"
#include "owners.h"
#include "procs.h"
#include "sockrec.h"
#include "strpool.h"

#define PICTURE_MAGIC "SOCKWPIC" /* 8 bytes, no NUL */
#define PICTURE_VERSION 1
#define PICTURE_BYTE_ORDER 0x01020304u /* as the writing host stores it */
#define PICTURE_NOSTR STRPOOL_NONE

#define PICTURE_F_UDP_UNAVAILABLE 0x01 /* the kernel has no UDP sock_diag */
#define PICTURE_F_ATTRIBUTED 0x02      /* owners says who held each socket */

enum picture_section {
	PICTURE_RECS,	   /* struct sock_rec, as the dump gave them */
	PICTURE_GROUPS,	   /* struct sockgroup, in listing order */
	PICTURE_TALLIES,   /* struct group_tally, the large groups' counts */
	PICTURE_ORDER,	   /* uint32_t record indices, grouped and sorted */
	PICTURE_OWNER_AT,  /* uint32_t, records + 1 of them, or none */
	PICTURE_OWNER_IDX, /* uint32_t indices into PICTURE_PROCS */
	PICTURE_PROCS,	   /* struct picture_proc */
	PICTURE_DEVS,	   /* struct picture_dev, by ifindex */
	PICTURE_STRINGS,   /* NUL-terminated strings, from offset 0 = "" */
	PICTURE_NSECTIONS
};

/* Where a section lies: bytes from the start of the blob, and elements. */
struct picture_span {
	uint64_t off;
	uint64_t count;
};

/* The first bytes of every picture; all numbers in the host's order. */
struct picture_header {
	char magic[8];
	uint32_t version;
	uint32_t byte_order;
	uint64_t size; /* of the whole blob */
	uint64_t generation;
	int64_t taken_sec; /* CLOCK_REALTIME */
	uint32_t taken_nsec;
	uint32_t flags;		/* PICTURE_F_* */
	uint64_t taken_mono_ms; /* CLOCK_MONOTONIC of the host that took it */
	uint64_t scan_us;
	uint32_t host;	 /* string */
	uint32_t writer; /* string: "sockwatchd 0.2.0"; "" in older ones */
	struct picture_span sect[PICTURE_NSECTIONS];
};

/* A bound device: its name when the picture was taken (NOSTR: gone). */
struct picture_dev {
	uint32_t ifindex;
	uint32_t name;
};

/* A validated picture: typed pointers into the blob, which it borrows. */
struct picture {
	const struct picture_header *h;
	const struct sock_rec *recs;
	size_t n;
	const struct sockgroup *groups;
	size_t ngroups;
	const struct group_tally *tallies; /* by group, increasing */
	size_t ntallies;
	const uint32_t *order;
	size_t norder;
	const uint32_t *owner_at; /* NULL when not attributed */
	const uint32_t *owner_idx;
	const struct picture_proc *procs;
	size_t nprocs;
	const struct picture_dev *devs;
	size_t ndevs;
	const char *strings;
	size_t strsize;
	size_t ntcp; /* counted when opened */
	size_t nudp;
};

/*
 * Checks that len bytes at blob (8-byte aligned) are a whole picture of
 * this version and byte order, every offset, count and index in bounds
 * and every string terminated, and fills p. Returns 0, or -1 with why in
 * err. A picture passes this before anything reads it.
 */
int picture_open(struct picture *p, const void *blob, size_t len, char *err,
		 size_t errsz);

/* A string of the picture; NULL for PICTURE_NOSTR. */
const char *picture_str(const struct picture *p, uint32_t off);

/* The name of a bound device, NULL when unknown or gone. */
const char *picture_dev_name(const struct picture *p, uint32_t ifindex);

/* The holders of record i: their count, their indices in *idx. */
size_t picture_owners(const struct picture *p, size_t i, const uint32_t **idx);

/* Everything a picture is made of, before it is laid out in a blob. */
struct picture_parts {
	const struct sock_rec *recs; /* borrowed */
	size_t n;
	struct grouping grouping;
	int attributed;
	struct owners owners;
	struct picture_dev *devs;
	size_t ndevs;
	struct strpool strings;
	struct picture_header h; /* meta: generation, times, flags, host */
};

/* Maps an ifindex to a device name (NULL when unknown). */
typedef const char *(*picture_namer)(void *ctx, uint32_t ifindex);

/* What a picture knows of the host its sockets are on. */
struct picture_host {
	const char *name;
	const char *writer;  /* the program and its version; NULL: none */
	picture_namer namer; /* its devices' names (ctx passed) */
	void *ctx;
	const struct group_hosts *addrs; /* NULL: not known */
};

/*
 * Groups n records (borrowed until picture_parts_free), names their
 * devices, and records the host name. Returns 0, or -1 with errno
 * (ENOMEM); pp is then empty.
 */
int picture_parts_build(struct picture_parts *pp, const struct sock_rec *recs,
			size_t n, const struct picture_host *host);

/* Adds who holds each socket, from p as it is now. 0, or -1 (ENOMEM). */
int picture_parts_owners(struct picture_parts *pp, const struct procs *p);

/* The bytes the blob of pp takes. */
size_t picture_size(const struct picture_parts *pp);

/*
 * Where the records lie in every blob: right after the header, so that
 * a dump may put them there at once and picture_write leave them.
 */
size_t picture_recs_offset(void);

/*
 * Writes the blob into dst (picture_size bytes, 8-byte aligned). When
 * pp's records already lie at dst + picture_recs_offset(), they stay.
 */
void picture_write(const struct picture_parts *pp, void *dst);

/* The blob in memory of its own (free it), its size in *len; or NULL. */
void *picture_blob(const struct picture_parts *pp, size_t *len);

/* Frees what the parts hold (not the records). */
void picture_parts_free(struct picture_parts *pp);

#endif
