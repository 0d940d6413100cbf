/* SPDX-License-Identifier: ISC */
/* jbuf.h - a growable byte buffer that writes JSON text fast. */
#ifndef SOCKWATCH_JBUF_H
#define SOCKWATCH_JBUF_H

#include <stddef.h>
#include <stdint.h>

/* On allocation failure the buffer sets oom and ignores later writes. */
struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

/* Makes room for n more bytes; 0, or -1 when out of memory. */
int jbuf_reserve(struct jbuf *b, size_t n);

/* Appends n raw bytes. */
void jbuf_put(struct jbuf *b, const char *s, size_t n);

/* Appends a C string as raw bytes. */
void jbuf_puts(struct jbuf *b, const char *s);

/* Appends a JSON string literal, quoted and escaped. */
void jbuf_str(struct jbuf *b, const char *s);

/*
 * Appends an unsigned decimal number, at most INT64_MAX: JSON readers
 * (jansson, sockwatchctl's) hold integers in 64 signed bits, and a
 * counter the kernel hands over may, read from a bad message, be larger.
 */
void jbuf_u64(struct jbuf *b, uint64_t v);

/* Appends "key": with the key written as is (keys are literals). */
void jbuf_key(struct jbuf *b, const char *key);

/* Drops the contents, keeps the memory. */
void jbuf_reset(struct jbuf *b);

/* Frees the memory. */
void jbuf_free(struct jbuf *b);

#endif
