/* SPDX-License-Identifier: ISC */
/* control.h - the control socket's clients: requests in, records out. */
#ifndef SOCKWATCHD_CONTROL_H
#define SOCKWATCHD_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scan.h"

#define CONTROL_MAX_CLIENTS 1024

struct control_opts {
	unsigned interval_ms;
	unsigned timeout_ms; /* idle client, or one that stops reading */
	int has_group;	     /* members of group see every process */
	gid_t group;
};

struct control;

/* Serves listen_fd; the scanner provides snapshots and status figures. */
struct control *control_new(int listen_fd, struct scanner *sc,
			    const struct control_opts *opts);

/* Fills fds (room for CONTROL_MAX_CLIENTS + 1); returns how many. */
size_t control_pollfds(struct control *ctl, struct pollfd *fds);

/* Handles what poll reported for the fds control_pollfds filled. */
void control_events(struct control *ctl, const struct pollfd *fds, size_t n);

/* True when a client waits for a picture taken after its request. */
int control_fresh_wanted(const struct control *ctl);

/* Answers the waiting clients; ok says whether the new poll worked. */
void control_fresh_done(struct control *ctl, int ok);

/* Closes clients idle or stalled past the timeout. */
void control_sweep(struct control *ctl);

/* Closes every client and frees the state (not the listening fd). */
void control_free(struct control *ctl);

#endif
