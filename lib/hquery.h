/* SPDX-License-Identifier: ISC */
/*
 * hquery.h - what one reader gets of the history: the closed connections
 * a filter passes since a time, grouped as a listing groups them, newest
 * first, written a bounded step at a time.
 */
#ifndef SOCKWATCH_HQUERY_H
#define SOCKWATCH_HQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "history.h"
#include "jbuf.h"
#include "picture.h"

struct hquery_opts {
	const struct filter *filter; /* NULL: everything; borrowed */
	int all;		     /* sees every process, not only uid's */
	uint32_t uid;
	int64_t since_ms; /* closed since then (CLOCK_REALTIME); 0: all */
	int counts;	  /* groups without their connections */
	const char *host;
	const struct picture *names; /* names devices; may be NULL */
};

struct hquery;

/* An answer from h (borrowed) for one reader. NULL with errno ENOMEM. */
struct hquery *hquery_new(const struct history *h, const struct hquery_opts *o);

/*
 * Appends the next records: the history record first, the end record
 * last. Stops after about QUERY_STEP_WORK units of work or once b holds
 * max bytes. Returns 1 while more is to come, 0 when the end record is
 * in b, -1 when out of memory. Entries the log drops meanwhile are left
 * out of the groups still to come.
 */
int hquery_step(struct hquery *q, struct jbuf *b, size_t max);

/* The memory an answer holds, in bytes (0 for NULL). */
size_t hquery_memory(const struct hquery *q);

/* Frees an answer; NULL is fine. */
void hquery_free(struct hquery *q);

#endif
