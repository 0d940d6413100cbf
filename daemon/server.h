/* SPDX-License-Identifier: ISC */
/* server.h - the unprivileged process that serves the control socket. */
#ifndef SOCKWATCHD_SERVER_H
#define SOCKWATCHD_SERVER_H

#include "control.h"
#include "destroy.h"
#include "events.h"
#include "privs.h"

struct server_opts {
	int listen_fd;
	int ipc; /* to the poller */
	struct privs_user user;
	struct control_opts control;
	struct destroy *destroy; /* the kernel's closes, or NULL */
	struct events_opts events;
};

/*
 * Drops every privilege, loads the seccomp filter, then serves clients
 * from the pictures the poller sends until it is told to stop or the
 * poller goes. Returns the exit status.
 */
int server_main(struct server_opts *o);

#endif
