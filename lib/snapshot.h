/* SPDX-License-Identifier: ISC */
/* snapshot.h - one immutable, reference-counted picture of the sockets. */
#ifndef SOCKWATCH_SNAPSHOT_H
#define SOCKWATCH_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "group.h"
#include "jbuf.h"
#include "owners.h"

/* A bound device as the picture was taken: its name as a JSON string. */
struct snapshot_ifname {
	uint32_t ifindex;
	char json[16 * 6 + 3]; /* IFNAMSIZ bytes, each escaped at worst */
};

/*
 * Everything here is fixed once snapshot_new returns; only the cache of
 * encoded group records grows, and it grows the same for every reader.
 */
struct snapshot {
	unsigned refs;
	uint64_t generation;
	struct timespec taken_at; /* CLOCK_REALTIME */
	uint64_t taken_mono_ms;	  /* CLOCK_MONOTONIC, for the age */
	uint64_t scan_us;
	unsigned flags; /* DIAG_* */
	const char *host;
	struct sock_rec *recs;
	size_t n;
	size_t cap; /* records recs has room for: the array is reused */
	size_t ntcp;
	size_t nudp;
	struct grouping grouping;
	struct snapshot_ifname *ifnames;
	size_t nifnames;
	struct jbuf cache;   /* group records encoded so far */
	size_t cache_groups; /* how many of them */
	int attributed;	     /* owners says who holds each socket */
	struct owners owners;
};

/* Maps an ifindex to a name (NULL when unknown) for snapshot_new. */
typedef const char *(*snapshot_namer)(void *ctx, uint32_t ifindex);

/*
 * Takes res's records (res is left empty) and groups them. host is
 * copied. Returns NULL with errno on failure, res untouched then.
 */
struct snapshot *snapshot_new(struct diag_result *res, const char *host,
			      snapshot_namer namer, void *ctx);

/*
 * Moves the memory of the encoded cache out into *into (freeing what was
 * there), so the next picture can encode into pages already mapped. The
 * snapshot stays whole: its cache is encoded again if anyone asks. Only
 * for a snapshot no reader is streaming from (refs == 1).
 */
void snapshot_take_cache(struct snapshot *s, struct jbuf *into);

/* Gives the cache the memory of buf (emptied) to encode into. */
void snapshot_give_cache(struct snapshot *s, struct jbuf *buf);

/*
 * Records which processes hold each socket, from p as it is now; before
 * the snapshot is published. Returns 0, or -1 (ENOMEM: then no owners).
 */
int snapshot_attach(struct snapshot *s, const struct procs *p);

/* Takes one more reference. */
struct snapshot *snapshot_ref(struct snapshot *s);

/* Drops a reference, freeing the snapshot with the last one. */
void snapshot_unref(struct snapshot *s);

/*
 * Drops a reference like snapshot_unref, but when it was the last one
 * hands back the records array (with its capacity in *cap) for the next
 * dump to fill, instead of freeing it. NULL when others still hold it.
 */
struct sock_rec *snapshot_release(struct snapshot *s, size_t *cap);

/*
 * A bound device as JSON: its quoted name, "ifN" when it had none by the
 * time the picture was taken, null for 0 (unbound).
 */
const char *snapshot_dev_json(const struct snapshot *s, uint32_t ifindex);

/*
 * The encoded group records from byte offset off on: at least want bytes
 * of them when that many exist, encoding more on demand. Sets *p and
 * *len (0 at the end). Returns 0, or -1 when out of memory.
 */
int snapshot_cache_span(struct snapshot *s, size_t off, size_t want,
			const char **p, size_t *len);

#endif
