/* SPDX-License-Identifier: ISC */
/* jbuf.c - JSON text into a growable buffer, without a document tree. */
#include "jbuf.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void jbuf_put(struct jbuf *b, const char *s, size_t n)
{
	if (jbuf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

static void jbuf_escape(struct jbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"':
		jbuf_put(b, "\\\"", 2);
		break;
	case '\\':
		jbuf_put(b, "\\\\", 2);
		break;
	case '\n':
		jbuf_put(b, "\\n", 2);
		break;
	case '\t':
		jbuf_put(b, "\\t", 2);
		break;
	default:
		jbuf_put(b, e, sizeof(e));
	}
}

/*
 * Well-formed UTF-8 goes through as it is, so a name is exact in JSON.
 * Control characters (C0, DEL and C1) are escaped, so that JSON printed
 * to a terminal cannot command it. The kernel keeps command,
 * host and interface names as bytes that need not be UTF-8: a byte that
 * starts no well-formed sequence becomes U+FFFD, so that the output is
 * always valid JSON.
 */
void jbuf_str(struct jbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	jbuf_put(b, "\"", 1);
	while (left > 0) {
		size_t n = utf8_seq(p, left);

		if (n == 1 &&
		    (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\'))
			jbuf_escape(b, *p);
		else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			jbuf_escape(b, p[1]); /* U+0080..U+009F */
		else if (n > 0)
			jbuf_put(b, (const char *)p, n);
		else
			jbuf_put(b, "\\ufffd", 6);
		n = n ? n : 1;
		p += n;
		left -= n;
	}
	jbuf_put(b, "\"", 1);
}

void jbuf_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	if (v > INT64_MAX)
		v = INT64_MAX;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jbuf_put(b, tmp + i, sizeof(tmp) - i);
}

void jbuf_key(struct jbuf *b, const char *key)
{
	jbuf_put(b, "\"", 1);
	jbuf_puts(b, key);
	jbuf_put(b, "\":", 2);
}

void jbuf_reset(struct jbuf *b)
{
	b->len = 0;
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
