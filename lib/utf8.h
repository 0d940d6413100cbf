/* SPDX-License-Identifier: ISC */
/* utf8.h - telling well-formed UTF-8 from bytes that only look like it. */
#ifndef SOCKWATCH_UTF8_H
#define SOCKWATCH_UTF8_H

#include <stddef.h>

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence that p starts,
 * of at most left bytes; 0 when it starts none (a stray continuation
 * byte, a cut sequence, an overlong form, a surrogate, past U+10FFFF).
 */
size_t utf8_seq(const unsigned char *p, size_t left);

/* The offset of the first byte of s that is not well-formed UTF-8, or -1. */
long utf8_bad_at(const char *s);

#endif
