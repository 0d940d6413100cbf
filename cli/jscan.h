/* SPDX-License-Identifier: ISC */
/*
 * jscan.h - a strict JSON pull reader over one record's text, for the
 * records a table reads by the thousand: no tree, no allocation. Strings
 * are unescaped in place and NUL-terminated there, so they live as long
 * as the text. Every call returns -1 on malformed input, with why in
 * err; a reader that meets a key it does not know skips its value.
 */
#ifndef SOCKWATCHCTL_JSCAN_H
#define SOCKWATCHCTL_JSCAN_H

#include <stddef.h>

struct jscan {
	char *p, *end;
	const char *err; /* what was wrong, after a -1 */
	int first;	 /* the next item is the first of its container */
};

/* Reads text[0 .. len), which it changes in place. */
void js_init(struct jscan *s, char *text, size_t len);

/* The opening brace of an object: 0, or -1. */
int js_object(struct jscan *s);

/*
 * The next member of the object begun: 1 with its key in *key and the
 * reader at its value; 0 when the object has ended; -1.
 */
int js_member(struct jscan *s, const char **key);

/* The opening bracket of an array: 0, or -1. */
int js_array(struct jscan *s);

/* 1 when another element follows, the reader at it; 0 at the end; -1. */
int js_element(struct jscan *s);

/* A string, NUL-terminated in place; with nullable, null gives NULL. */
int js_string(struct jscan *s, const char **out, int nullable);

/* An integer that fits a long long. */
int js_int(struct jscan *s, long long *out);

/* true or false, as 1 or 0. */
int js_bool(struct jscan *s, int *out);

/* Any value, passed over. */
int js_skip(struct jscan *s);

/* 0 when nothing but white space is left, else -1. */
int js_end(struct jscan *s);

#endif
