/* SPDX-License-Identifier: ISC */
/* procs.h - which processes hold which sockets, kept current across polls. */
#ifndef SOCKWATCH_PROCS_H
#define SOCKWATCH_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

/* What a listing says of one process; strings live as long as procs. */
struct procs_view {
	int32_t pid;
	uint32_t uid;
	const char *comm;
	const char *user;      /* NULL when the uid has no name */
	const char *unit;      /* the systemd unit, NULL when none */
	const char *container; /* a container id, NULL when none */
};

struct procs_stats {
	uint64_t procs;	     /* processes known */
	uint64_t scanned;    /* fd directories read by the last update */
	uint64_t links;	     /* fd links read by the last update */
	uint64_t denied;     /* processes whose fds may not be read */
	uint64_t unresolved; /* sockets with an inode and no owner found */
	uint64_t names;	     /* unit, container and user names in use */
};

struct procs;

/* Starts an empty map over the proc file system at root ("/proc"). */
struct procs *procs_open(const char *root);

/*
 * Writes the user name of uid into buf: 1, or 0 when it is not known yet
 * (to be asked again at the next update). It must not wait: a daemon
 * answers from a cache that another thread fills.
 */
typedef int (*procs_namer)(void *ctx, uint32_t uid, char *buf, size_t size);

/* Names users with namer from now on, instead of getpwuid_r here. */
void procs_set_namer(struct procs *p, procs_namer namer, void *ctx);

/*
 * Brings the map up to date for the sockets of a new dump, reading only
 * what changed: new processes, processes whose number of open files
 * changed, and, when sockets turned up that nobody is known to hold,
 * other processes until they are found. Returns 0, or -1 with errno.
 */
int procs_update(struct procs *p, const struct sock_rec *recs, size_t n);

/*
 * Fills out with up to max holders of a socket inode, the service before
 * pid 1 (socket activation), and returns how many it filled.
 */
size_t procs_owners(const struct procs *p, uint32_t inode,
		    struct procs_view *out, size_t max);

/*
 * The answers are taken: the index of who holds what goes until the next
 * update (procs_owners then answers none), so that it does not stay
 * beside the picture while that is written.
 */
void procs_answered(struct procs *p);

/*
 * Caps the fd links one update reads (250,000 unless set): what is left
 * waits for the next update, and no socket is given up meanwhile.
 */
void procs_set_max_links(struct procs *p, uint64_t max);

/* The counters of the last update. */
void procs_stats(const struct procs *p, struct procs_stats *st);

/* Frees everything. */
void procs_close(struct procs *p);

/*
 * Reads a /proc/PID/cgroup text: the systemd unit (the deepest .service
 * or .scope) and a container id (docker, containerd, cri-o, podman: the
 * first 12 hex digits; lxc: its name). Empty strings when none.
 */
void procs_parse_cgroup(const char *text, char *unit, size_t unitsz,
			char *container, size_t contsz);

#endif
