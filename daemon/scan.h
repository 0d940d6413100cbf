/* SPDX-License-Identifier: ISC */
/* scan.h - one poll of the kernel: dump, group, attribute, seal a picture. */
#ifndef SOCKWATCHD_SCAN_H
#define SOCKWATCHD_SCAN_H

#include <stdint.h>

#include "diag.h"
#include "ipc.h"
#include "links.h"
#include "overlay.h"
#include "procs.h"

/*
 * A full poll may run in a thread of its own (scan_run: the fields up
 * to res), while the poller's loop keeps taking listeners-only dumps
 * (scan_listeners: the fields from ldiag on, on a socket of their own)
 * over the picture last published.
 */
/* The listeners of a picture, for the overlays over it. */
struct scan_index {
	struct scan_listener *lis;  /* by cookie */
	struct overlay_entry *lent; /* by record: what an overlay says */
	size_t n;
	uint64_t generation; /* of the picture */
	int ok;		     /* made for a picture (not out of memory) */
};

struct scanner {
	struct diag *diag;
	struct procs *procs; /* NULL: no attribution (off, or no /proc) */
	char hidepid[16];    /* /proc's hidepid= when it hides from us */
	struct users *users; /* names procs' users beside the poll */
	uint64_t attr_us;    /* of the last poll, attribution alone */
	int attr_failed;     /* the last attribution ran out of memory */
	struct links *links; /* may be NULL: devices shown by index */
	char host[256];
	uint64_t generation;
	uint64_t polls;
	uint64_t errors;
	uint64_t last_scan_us;
	uint64_t last_start_ms; /* CLOCK_MONOTONIC: the last poll began */
	int last_errno; /* of the last failed poll, 0 after a good one */
	int udp_warned;
	struct diag_result res; /* the dump under way, into its memfd */
	size_t last_n;		/* records of the last dump: room to start */
	struct scan_index next; /* the listeners of the last picture taken */
	/* the listeners of the picture published, for the overlays over it */
	struct diag *ldiag;
	struct scan_index cur;
	struct diag_result lres; /* the last listeners-only dump, reused */
	uint64_t listener_polls;
	uint64_t listener_scan_us;
	uint64_t listener_errors;
	int listener_errno;
	uint32_t added; /* listeners the last overlay saw, the picture lacks */
};

/*
 * Opens the netlink socket, and /proc when processes are attributed.
 * Returns 0, or -1 with errno.
 */
int scan_init(struct scanner *sc, struct links *links, int attribute);

/*
 * Takes a new picture into a sealed memfd and returns its fd, or -1
 * (counted and logged; the previous picture stays in service).
 */
int scan_run(struct scanner *sc);

/*
 * Makes the picture of the last scan_run the one overlays lie over:
 * call it when that picture is sent, with no scan_run under way.
 */
void scan_publish(struct scanner *sc);

/*
 * A listeners-only dump, laid out as an overlay of the last picture in
 * a sealed memfd; returns its fd, or -1 (logged; no picture yet, or the
 * dump failed). sc->added then says how many listeners the picture
 * lacks, which only a full dump can add.
 */
int scan_listeners(struct scanner *sc);

/* What the poller tells the server of itself and its last poll. */
void scan_status(const struct scanner *sc, struct ipc_status *st);

/* Only what the listeners-only dumps account for, into st. */
void scan_status_listeners(const struct scanner *sc, struct ipc_status *st);

/* Closes the socket and frees everything. */
void scan_fini(struct scanner *sc);

#endif
