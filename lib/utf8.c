/* SPDX-License-Identifier: ISC */
/* utf8.c - well-formed UTF-8, as RFC 3629 defines it. */
#include "utf8.h"

#include <string.h>

static int utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];

	if (left == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && utf8_cont(p[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* no overlong (E0 A0..) and no surrogates (ED ..9F) */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		return left >= 3 && p[1] >= lo && p[1] <= hi && utf8_cont(p[2])
			       ? 3
			       : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* no overlong (F0 90..) and nothing past U+10FFFF (F4 ..8F) */
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		return left >= 4 && p[1] >= lo && p[1] <= hi &&
				       utf8_cont(p[2]) && utf8_cont(p[3])
			       ? 4
			       : 0;
	}
	return 0;
}

long utf8_bad_at(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), i = 0;

	while (i < left) {
		size_t n = utf8_seq(p + i, left - i);

		if (n == 0)
			return (long)i;
		i += n;
	}
	return -1;
}
