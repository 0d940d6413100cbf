/* SPDX-License-Identifier: ISC */
/* filter.h - ss's filter expressions, parsed once, run over records. */
#ifndef SOCKWATCH_FILTER_H
#define SOCKWATCH_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

struct filter;

/* Where and why a filter was refused. */
struct filter_error {
	size_t column; /* 1-based, in the filter text */
	char token[64];
	char message[160];
};

/*
 * Parses ss's grammar: leading "state S" / "exclude S" clauses, then an
 * expression of src, dst, sport, dport and dev terms joined by and, or,
 * not (&&, ||, !) and parentheses, and-ing when no word is given, left
 * to right as ss does. Tokens are separated by white space. Returns NULL
 * with *err filled on a mistake, or with errno ENOMEM.
 */
struct filter *filter_parse(const char *text, struct filter_error *err);

/* A process holding a socket, as sockwatch's own terms see it. */
struct filter_proc {
	int32_t pid;
	uint32_t uid;
	const char *comm;
	const char *user; /* "" when unknown */
	const char *unit; /* "" when none */
};

#define FILTER_G_OUTBOUND 0x1 /* in an outbound group, not a listen one */
#define FILTER_G_LOCAL 0x2    /* an outbound group a listener here serves */

/* What a record's snapshot knows beyond the record: group and holders. */
struct filter_env {
	const void *ctx;
	/* FILTER_G_* of the group record i sits in */
	unsigned (*group)(const void *ctx, size_t i);
	/* the holders of record i, up to max; how many it filled */
	size_t (*procs)(const void *ctx, size_t i, struct filter_proc *out,
			size_t max);
};

/*
 * True when record i (r) passes. env may be NULL: then sockwatch's own
 * terms (role, local, proc, pid, user, unit) match nothing.
 */
int filter_match(const struct filter *f, const struct sock_rec *r, size_t i,
		 const struct filter_env *env);

/* The work of one filter_match, at most, in nodes visited (1 for NULL). */
size_t filter_cost(const struct filter *f);

/* Whether unit is the one a unit term names: "nginx" names nginx.service. */
int filter_unit_is(const char *unit, const char *want);

/* Frees a parsed filter; NULL is fine. */
void filter_free(struct filter *f);

#endif
