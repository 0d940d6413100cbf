/* SPDX-License-Identifier: ISC */
/* listing.h - turning a streamed listing into a document or a table. */
#ifndef SOCKWATCHCTL_LISTING_H
#define SOCKWATCHCTL_LISTING_H

#include <stdio.h>

#include "conn.h"

/*
 * Reads one listing (header, groups, end) from c and writes it to out as
 * the single sockwatch/1 JSON document. Returns 0, or the exit status.
 */
int listing_json(struct conn *c, FILE *out);

/* The same document, indented for a person (--pretty). */
int listing_json_pretty(struct conn *c, FILE *out);

/* How the table is to look. */
struct table_opts {
	int header;  /* the lines about the picture and the totals */
	int members; /* a line per socket under its group's line */
	const char
		*sort; /* NULL, "conns", "live", "queue", "sockets", "port" */
	size_t top;    /* at most this many groups, 0 for all */
	int summary;   /* -s: listeners' lines, then counts by state */
	int extended;  /* -e: uid, inode and cookie of each socket */
};

/* Whether sort names a field the table can be sorted by. */
int listing_sort_ok(const char *sort);

/* Reads one listing from c and writes the grouped table to out. */
int listing_table(struct conn *c, FILE *out, const struct table_opts *t);

/* Reads one listing from c and copies its records to out, one a line. */
int listing_jsonl(struct conn *c, FILE *out);

#endif
