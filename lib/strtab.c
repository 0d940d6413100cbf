/* SPDX-License-Identifier: ISC */
/*
 * strtab.c - units, containers and user names of processes, interned.
 * Transient units and containers come and go by the thousand on a busy
 * host: each string is counted, freed with its last user, and found by
 * hash, so memory follows what is alive and lookups stay flat.
 */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct strtab_ent {
	char *s; /* NULL when unused */
	uint32_t refs;
	uint32_t hash;
	uint32_t next; /* in its hash chain; in the free chain, id + 1 */
};

/* FNV-1a: short names, no adversary who gains by collisions here. */
static uint32_t strtab_hash(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return h;
}

/* Twice as many buckets once there are as many strings as buckets. */
static int strtab_grow(struct strtab *t)
{
	uint32_t n = t->nbuckets ? t->nbuckets * 2 : 64, i;
	uint32_t *b;

	if (t->nbuckets && t->live < t->nbuckets)
		return 0;
	b = malloc(n * sizeof(*b));
	if (!b)
		return -1;
	for (i = 0; i < n; i++)
		b[i] = STRTAB_NONE;
	for (i = 0; i < t->nents; i++) {
		struct strtab_ent *e = &t->ents[i];

		if (!e->s)
			continue;
		e->next = b[e->hash & (n - 1)];
		b[e->hash & (n - 1)] = i;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

static uint32_t strtab_slot(struct strtab *t)
{
	if (t->freeent) {
		uint32_t id = t->freeent - 1;

		t->freeent = t->ents[id].next;
		return id;
	}
	if (grow(&t->ents, &t->capents, t->nents, sizeof(*t->ents), 64) < 0)
		return STRTAB_NONE;
	return t->nents++;
}

uint32_t strtab_get(struct strtab *t, const char *s)
{
	uint32_t h, id;
	struct strtab_ent *e;

	if (!s || !*s || strtab_grow(t) < 0)
		return STRTAB_NONE;
	h = strtab_hash(s);
	for (id = t->buckets[h & (t->nbuckets - 1)]; id != STRTAB_NONE;
	     id = t->ents[id].next)
		if (t->ents[id].hash == h && !strcmp(t->ents[id].s, s)) {
			t->ents[id].refs++;
			return id;
		}
	id = strtab_slot(t);
	if (id == STRTAB_NONE)
		return STRTAB_NONE;
	e = &t->ents[id];
	e->s = strdup(s);
	if (!e->s) {
		e->next = t->freeent;
		t->freeent = id + 1;
		return STRTAB_NONE;
	}
	e->refs = 1;
	e->hash = h;
	e->next = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = id;
	t->live++;
	return id;
}

void strtab_put(struct strtab *t, uint32_t id)
{
	struct strtab_ent *e;
	uint32_t *link;

	if (id == STRTAB_NONE || id >= t->nents || !t->ents[id].s)
		return;
	e = &t->ents[id];
	if (--e->refs > 0)
		return;
	for (link = &t->buckets[e->hash & (t->nbuckets - 1)]; *link != id;
	     link = &t->ents[*link].next)
		;
	*link = e->next;
	free(e->s);
	e->s = NULL;
	e->next = t->freeent;
	t->freeent = id + 1;
	t->live--;
}

const char *strtab_str(const struct strtab *t, uint32_t id)
{
	return id == STRTAB_NONE || id >= t->nents ? NULL : t->ents[id].s;
}

void strtab_free(struct strtab *t)
{
	uint32_t i;

	for (i = 0; i < t->nents; i++)
		free(t->ents[i].s);
	free(t->ents);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
