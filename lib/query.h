/* SPDX-License-Identifier: ISC */
/*
 * query.h - what one reader gets of a picture: the groups and members a
 * filter passes, the processes the reader may see, the totals, written a
 * bounded step at a time so that no reader holds the server for long.
 */
#ifndef SOCKWATCH_QUERY_H
#define SOCKWATCH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "encode.h"
#include "filter.h"
#include "jbuf.h"
#include "overlay.h"
#include "picture.h"
#include "proto.h"

/* Work a step may do: filter nodes visited plus members written. */
#define QUERY_STEP_WORK 16384

/* Where a listing's listen groups get their rates from. */
struct query_rates {
	/* 1 and the rates of the group keyed on ep, or 0 for none */
	int (*get)(const void *ctx, const struct endpoint *ep, double *opened,
		   double *closed);
	const void *ctx;
	unsigned window_s;
};

struct query_opts {
	const struct filter *filter; /* NULL: everything; borrowed */
	int all;		     /* sees every process, not only uid's */
	uint32_t uid;
	uint64_t now_mono_ms; /* for the header's age */
	unsigned interval_ms;
	enum proto_view view;		    /* FULL, COUNTS or SUMMARY */
	const struct overlay *overlay;	    /* the listeners now; NULL: none */
	const struct query_rates *rates;    /* NULL: none */
	const struct encode_source *source; /* NULL: the daemon's picture */
};

struct query;

/* A listing of p (borrowed) for one reader. NULL with errno ENOMEM. */
struct query *query_new(const struct picture *p, const struct query_opts *o);

/*
 * Appends the next records of the listing to b: the header first, the
 * end record last. Stops after about QUERY_STEP_WORK units of work or
 * once b holds max bytes. Returns 1 while more is to come, 0 when the
 * end record is in b, -1 when out of memory.
 */
int query_step(struct query *q, struct jbuf *b, size_t max);

/* The memory a query holds, in bytes (0 for NULL). */
size_t query_memory(const struct query *q);

/* Frees a query; NULL is fine. */
void query_free(struct query *q);

#endif
