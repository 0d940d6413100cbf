/* SPDX-License-Identifier: ISC */
/*
 * strpool.c - a picture's strings, interned while it is built: thousands
 * of sockets share a handful of commands, users and units.
 */
#include "strpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STRPOOL_FAILED ((size_t)-1) /* len once an add failed */

/* FNV-1a, as strtab uses: the pool lives for one build. */
static uint32_t strpool_hash(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return h;
}

/* The slot of slots holding s, or the free slot where it would go. */
static uint32_t *strpool_slot(uint32_t *slots, size_t nslots, const char *p,
			      const char *s)
{
	size_t mask = nslots - 1, i = strpool_hash(s) & mask;

	while (slots[i] && strcmp(p + slots[i] - 1, s) != 0)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Keeps the table at most half full. */
static int strpool_rehash(struct strpool *sp)
{
	size_t n = sp->nslots ? sp->nslots * 2 : 256, i;
	uint32_t *slots;

	if (sp->nslots && sp->n * 2 < sp->nslots)
		return 0;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	for (i = 0; i < sp->nslots; i++)
		if (sp->slots[i])
			*strpool_slot(slots, n, sp->p,
				      sp->p + sp->slots[i] - 1) = sp->slots[i];
	free(sp->slots);
	sp->slots = slots;
	sp->nslots = n;
	return 0;
}

static int strpool_room(struct strpool *sp, size_t need)
{
	size_t cap = sp->cap ? sp->cap : 4096;
	char *p;

	if (sp->len + need <= sp->cap)
		return 0;
	while (cap < sp->len + need)
		cap *= 2;
	if (cap > UINT32_MAX)
		return -1; /* offsets are 32 bits */
	p = realloc(sp->p, cap);
	if (!p)
		return -1;
	sp->p = p;
	sp->cap = cap;
	return 0;
}

/* The pool starts with "", so that offset 0 is the empty string. */
static int strpool_start(struct strpool *sp)
{
	if (sp->len)
		return 0;
	if (strpool_room(sp, 1) < 0)
		return -1;
	sp->p[sp->len++] = '\0';
	return 0;
}

uint32_t strpool_add(struct strpool *sp, const char *s)
{
	size_t n;
	uint32_t *slot;

	if (!s || sp->len == STRPOOL_FAILED)
		return STRPOOL_NONE;
	if (strpool_start(sp) < 0 || strpool_rehash(sp) < 0)
		goto fail;
	if (!*s)
		return 0;
	slot = strpool_slot(sp->slots, sp->nslots, sp->p, s);
	if (*slot)
		return *slot - 1;
	n = strlen(s) + 1;
	if (strpool_room(sp, n) < 0)
		goto fail;
	memcpy(sp->p + sp->len, s, n);
	*slot = (uint32_t)sp->len + 1;
	sp->len += n;
	sp->n++;
	return *slot - 1;
fail:
	sp->len = STRPOOL_FAILED;
	errno = ENOMEM;
	return STRPOOL_NONE;
}

int strpool_failed(const struct strpool *sp)
{
	return sp->len == STRPOOL_FAILED;
}

void strpool_free(struct strpool *sp)
{
	free(sp->p);
	free(sp->slots);
	memset(sp, 0, sizeof(*sp));
}
