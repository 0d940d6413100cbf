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

/* True when record r passes. */
int filter_match(const struct filter *f, const struct sock_rec *r);

/* Frees a parsed filter; NULL is fine. */
void filter_free(struct filter *f);

#endif
