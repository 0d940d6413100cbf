/* SPDX-License-Identifier: ISC */
/* poller.h - the privileged process: polls, attributes, sends pictures. */
#ifndef SOCKWATCHD_POLLER_H
#define SOCKWATCHD_POLLER_H

#include <sys/types.h>

struct poller_opts {
	int ipc; /* to the server */
	pid_t server;
	unsigned interval_ms;
	unsigned fresh_min_ms; /* fresh polls at most once per this */
	unsigned cpu_budget;   /* percent of one core full dumps may use */
	int attribute;	       /* who holds each socket, from /proc */
};

/*
 * Keeps only the capabilities attribution needs, then polls on its
 * timer and when the server asks, sending each picture as a sealed
 * memfd, until a signal or the server's end: a full dump as often as
 * the CPU budget allows, the listeners alone every interval between.
 * Returns the exit status.
 */
int poller_main(const struct poller_opts *o);

#endif
