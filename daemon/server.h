/* SPDX-License-Identifier: ISC */
/* server.h - the unprivileged process that serves the control socket. */
#ifndef SOCKWATCHD_SERVER_H
#define SOCKWATCHD_SERVER_H

#include "control.h"
#include "privs.h"

struct server_opts {
	int listen_fd;
	int ipc; /* to the poller */
	struct privs_user user;
	struct control_opts control;
};

/*
 * Drops every privilege, loads the seccomp filter, then serves clients
 * from the pictures the poller sends until it is told to stop or the
 * poller goes. Returns the exit status.
 */
int server_main(struct server_opts *o);

#endif
