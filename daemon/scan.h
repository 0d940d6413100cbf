/* SPDX-License-Identifier: ISC */
/* scan.h - one poll of the kernel: dump, group, publish a snapshot. */
#ifndef SOCKWATCHD_SCAN_H
#define SOCKWATCHD_SCAN_H

#include <stdint.h>

#include "links.h"
#include "procs.h"
#include "snapshot.h"

struct scanner {
	struct diag *diag;
	struct procs *procs;	  /* NULL: no attribution (off, or no /proc) */
	char hidepid[16];	  /* /proc's hidepid= when it hides from us */
	struct users *users;	  /* names procs' users beside the poll */
	uint64_t attr_us;	  /* of the last poll, attribution alone */
	int attr_failed;	  /* the last attribution ran out of memory */
	struct links *links;	  /* may be NULL: devices shown by index */
	struct snapshot *current; /* NULL until a poll succeeds */
	char host[256];
	uint64_t generation;
	uint64_t polls;
	uint64_t errors;
	uint64_t last_scan_us;
	int last_errno; /* of the last failed poll, 0 after a good one */
	size_t hint;	/* records in the last picture, to size the next */
	struct sock_rec *spare; /* a released picture's array, to refill */
	size_t spare_cap;
	struct jbuf spare_cache; /* a cache's memory, to encode into again */
};

/*
 * Opens the netlink socket, and /proc when processes are attributed.
 * Returns 0, or -1 with errno.
 */
int scan_init(struct scanner *sc, struct links *links, int attribute);

/* Takes a new picture and makes it current. Returns 0, or -1 (logged). */
int scan_run(struct scanner *sc);

/*
 * Says how complete attribution is ("complete", "partial", "off") and,
 * when not complete, why, into note (NULL when complete); with counts,
 * how many processes of other users could not be read, which only a
 * client who sees every process is told.
 */
const char *scan_attribution(const struct scanner *sc, int counts, char *note,
			     size_t notesz, const char **why);

/* Drops the current snapshot and closes the socket. */
void scan_fini(struct scanner *sc);

#endif
