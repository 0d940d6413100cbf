/* SPDX-License-Identifier: ISC */
/* strpool.h - the strings of a picture: one blob, each text once. */
#ifndef SOCKWATCH_STRPOOL_H
#define SOCKWATCH_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

#define STRPOOL_NONE UINT32_MAX /* no string: JSON's null */

/*
 * NUL-terminated strings back to back, found by offset; the same text
 * added twice gets the same offset. Offset 0 is the empty string. A
 * zeroed pool is an empty one.
 */
struct strpool {
	char *p;
	size_t len;
	size_t cap;
	uint32_t *slots; /* open addressing: offset + 1, 0 when free */
	size_t nslots;	 /* a power of two, or 0 */
	size_t n;	 /* strings in slots */
};

/*
 * The offset of s, added when new; STRPOOL_NONE for NULL. Returns
 * STRPOOL_NONE with errno ENOMEM too: check strpool_failed.
 */
uint32_t strpool_add(struct strpool *sp, const char *s);

/* True when an add ran out of memory (or the pool passed 4 GiB). */
int strpool_failed(const struct strpool *sp);

/* Frees the pool (zeroed, reusable). */
void strpool_free(struct strpool *sp);

#endif
