/* SPDX-License-Identifier: ISC */
/* scan.h - one poll of the kernel: dump, group, attribute, seal a picture. */
#ifndef SOCKWATCHD_SCAN_H
#define SOCKWATCHD_SCAN_H

#include <stdint.h>

#include "diag.h"
#include "ipc.h"
#include "links.h"
#include "procs.h"

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
	struct diag_result res; /* the records of the last dump, reused */
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

/* What the poller tells the server of itself and its last poll. */
void scan_status(const struct scanner *sc, struct ipc_status *st);

/* Closes the socket and frees everything. */
void scan_fini(struct scanner *sc);

#endif
