/* SPDX-License-Identifier: ISC */
/* control.h - the control socket's clients: requests in, records out. */
#ifndef SOCKWATCHD_CONTROL_H
#define SOCKWATCHD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "ipc.h"
#include "loop.h"
#include "snap.h"

#define CONTROL_MAX_CLIENTS 1024

struct control_opts {
	unsigned interval_ms;
	unsigned timeout_ms;   /* idle client, or one that stops reading */
	unsigned fresh_min_ms; /* a fresh listing may be this old */
	int has_group;	       /* members of group see every process */
	gid_t group;
	uid_t owner;	       /* the daemon's user, who sees every process */
	size_t client_memory;  /* all clients' buffers together, at most */
	unsigned max_per_user; /* connections of one uid (root: no limit) */
	pid_t server_pid;
};

/* What the server knows that control serves: pictures, the poller's word. */
struct control_feed {
	struct snap *current; /* NULL until the first picture */
	struct ipc_status st; /* from the poller's last message */
	struct events *events;
	/* asks the poller for a picture; full_view: for one who sees all */
	void (*ask_fresh)(void *ctx, int full_view);
	void *ctx;
};

struct control;

/* Serves listen_fd through loop; feed stays the caller's. */
struct control *control_new(struct loop *loop, int listen_fd,
			    const struct control_feed *feed,
			    const struct control_opts *opts);

/* A new picture is feed->current: answers who waited for one. */
void control_picture(struct control *ctl);

/* The poll a fresh listing waited for failed: answers them so. */
void control_poll_failed(struct control *ctl);

/* Closes clients idle or stalled past the timeout; call every second. */
void control_sweep(struct control *ctl);

/* Closes every client and frees the state (not the listening fd). */
void control_free(struct control *ctl);

#endif
