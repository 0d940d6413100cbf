/* SPDX-License-Identifier: ISC */
/* timeline.h - sockwatchctl events and history: what happened, and when. */
#ifndef SOCKWATCHCTL_TIMELINE_H
#define SOCKWATCHCTL_TIMELINE_H

#include <stdint.h>

#include "conn.h"

/* How an events or history answer is shown. */
struct timeline_opts {
	const char *filter; /* NULL: everything */
	int json;	    /* one JSON document (history), records (events) */
	int jsonl;	    /* the records as they came */
	int pretty;
	int counts;	   /* history -c: a line a group */
	int header;	   /* the line about the log, and the totals */
	uint64_t since_ms; /* history: the last since_ms; 0: all */
};

/*
 * Parses "90s", "30m", "1h", "2d", "500ms" (a bare number: seconds) into
 * milliseconds; -1 when it is none of those.
 */
long long timeline_duration(const char *s);

/*
 * Streams events until the daemon or the reader ends it; SIGINT and a
 * reader that goes (SIGPIPE) end it with 0. Returns the exit status.
 */
int timeline_events(struct conn *c, const struct timeline_opts *o);

/* Asks for the history and shows it. Returns the exit status. */
int timeline_history(struct conn *c, const struct timeline_opts *o);

#endif
