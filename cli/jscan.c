/* SPDX-License-Identifier: ISC */
/*
 * jscan.c - RFC 8259 read strictly, a token at a time. jansson builds a
 * tree of every value with a hash table for every object: at tens of
 * thousands of records a second that was the table's whole cost.
 */
#include "jscan.h"

#include <limits.h>
#include <string.h>

#define JS_MAX_DEPTH 64 /* nesting js_skip follows; the daemon uses 4 */

static int js_fail(struct jscan *s, const char *why)
{
	s->err = why;
	return -1;
}

static void js_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The next character after white space, 0 at the end. */
static int js_peek(struct jscan *s)
{
	js_ws(s);
	return s->p < s->end ? (unsigned char)*s->p : 0;
}

static int js_word(struct jscan *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return 0;
	s->p += n;
	s->first = 0;
	return 1;
}

void js_init(struct jscan *s, char *text, size_t len)
{
	s->p = text;
	s->end = text + len;
	s->err = NULL;
	s->first = 0;
}

static int js_open(struct jscan *s, char c, const char *why)
{
	if (js_peek(s) != c)
		return js_fail(s, why);
	s->p++;
	s->first = 1;
	return 0;
}

int js_object(struct jscan *s)
{
	return js_open(s, '{', "an object was expected");
}

int js_array(struct jscan *s)
{
	return js_open(s, '[', "an array was expected");
}

/* Past a comma between items, or the closing c (0); -1 when neither. */
static int js_next(struct jscan *s, char c)
{
	int first = s->first, ch = js_peek(s);

	s->first = 0;
	if (ch == c) {
		s->p++;
		return 0;
	}
	if (first)
		return 1;
	if (ch != ',')
		return js_fail(s, "a comma or the end was expected");
	s->p++;
	return 1;
}

int js_member(struct jscan *s, const char **key)
{
	int ret = js_next(s, '}');

	if (ret <= 0)
		return ret;
	if (js_peek(s) != '"' || js_string(s, key, 0) < 0)
		return js_fail(s, "a member's name was expected");
	if (js_peek(s) != ':')
		return js_fail(s, "a colon was expected");
	s->p++;
	return 1;
}

int js_element(struct jscan *s)
{
	int first = s->first, ret = js_next(s, ']');

	/* "[]" ends at once; "[1,]" does not */
	if (ret == 1 && !first && js_peek(s) == ']')
		return js_fail(s, "a value was expected after the comma");
	return ret;
}

static int js_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *js_put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | cp >> 18);
		*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* \uXXXX at s->p (past the backslash and u), a surrogate pair whole. */
static int js_unicode(struct jscan *s, unsigned *cp)
{
	unsigned lo;

	if (s->end - s->p < 4 || js_hex4(s->p, cp) < 0)
		return js_fail(s, "a bad \\u escape");
	s->p += 4;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return js_fail(s, "a lone low surrogate");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
		    js_hex4(s->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return js_fail(s, "a lone high surrogate");
		s->p += 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*cp == 0)
		return js_fail(s, "a NUL in a string");
	return 0;
}

static int js_escape(struct jscan *s, char **w)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned cp;

	if (s->p == s->end)
		return js_fail(s, "an unterminated string");
	if (*s->p == 'u') {
		s->p++;
		if (js_unicode(s, &cp) < 0)
			return -1;
		*w = js_put_utf8(*w, cp);
		return 0;
	}
	k = memchr(from, *s->p, sizeof(from) - 1);
	if (!k)
		return js_fail(s, "a bad escape in a string");
	*(*w)++ = to[k - from];
	s->p++;
	return 0;
}

int js_string(struct jscan *s, const char **out, int nullable)
{
	char *w;

	js_ws(s);
	if (nullable && js_word(s, "null")) {
		*out = NULL;
		return 0;
	}
	if (js_peek(s) != '"')
		return js_fail(s, "a string was expected");
	w = ++s->p;
	*out = w;
	for (;;) {
		char c;

		if (s->p == s->end)
			return js_fail(s, "an unterminated string");
		c = *s->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20)
			return js_fail(s, "a control character in a string");
		if (c != '\\')
			*w++ = c;
		else if (js_escape(s, &w) < 0)
			return -1;
	}
	*w = '\0'; /* at most where the closing quote was */
	s->first = 0;
	return 0;
}

int js_int(struct jscan *s, long long *out)
{
	int neg = js_peek(s) == '-';
	unsigned long long v = 0, lim;
	const char *start;

	s->p += neg;
	start = s->p;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		unsigned d = (unsigned)(*s->p++ - '0');

		if (v > (lim - d) / 10)
			return js_fail(s, "a number out of range");
		v = v * 10 + d;
	}
	if (s->p == start || (*start == '0' && s->p - start > 1))
		return js_fail(s, "a number was expected");
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return js_fail(s, "an integer was expected");
	*out = neg ? (long long)(0 - v) : (long long)v;
	s->first = 0;
	return 0;
}

int js_bool(struct jscan *s, int *out)
{
	js_ws(s);
	if (js_word(s, "true"))
		*out = 1;
	else if (js_word(s, "false"))
		*out = 0;
	else
		return js_fail(s, "true or false was expected");
	return 0;
}

/* A number of any form JSON allows, passed over. */
static int js_skip_number(struct jscan *s)
{
	const char *p = s->p;

	if (p < s->end && *p == '-')
		p++;
	if (p == s->end || *p < '0' || *p > '9')
		return js_fail(s, "a value was expected");
	if (*p == '0')
		p++;
	while (p < s->end && *p >= '0' && *p <= '9')
		p++;
	if (p < s->end && *p == '.') {
		if (++p == s->end || *p < '0' || *p > '9')
			return js_fail(s, "a bad number");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p == s->end || *p < '0' || *p > '9')
			return js_fail(s, "a bad number");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = (char *)p;
	s->first = 0;
	return 0;
}

static int js_skip_at(struct jscan *s, int depth)
{
	const char *key;
	int ch = js_peek(s), ret;

	if (depth > JS_MAX_DEPTH)
		return js_fail(s, "nested too deeply");
	if (ch == '"')
		return js_string(s, &key, 0);
	if (ch == '{') {
		js_object(s);
		while ((ret = js_member(s, &key)) == 1)
			if (js_skip_at(s, depth + 1) < 0)
				return -1;
		return ret;
	}
	if (ch == '[') {
		js_array(s);
		while ((ret = js_element(s)) == 1)
			if (js_skip_at(s, depth + 1) < 0)
				return -1;
		return ret;
	}
	if (js_word(s, "true") || js_word(s, "false") || js_word(s, "null"))
		return 0;
	return js_skip_number(s);
}

int js_skip(struct jscan *s)
{
	return js_skip_at(s, 0);
}

int js_end(struct jscan *s)
{
	return js_peek(s) ? js_fail(s, "text after the record") : 0;
}
