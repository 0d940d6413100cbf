/* SPDX-License-Identifier: ISC */
/* strtab.h - interned strings that live as long as someone uses them. */
#ifndef SOCKWATCH_STRTAB_H
#define SOCKWATCH_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#define STRTAB_NONE UINT32_MAX

/*
 * Strings by id, found by hash, each counted and freed with its last
 * use. A zeroed table is an empty one.
 */
struct strtab {
	struct strtab_ent *ents;
	uint32_t nents;
	size_t capents;
	uint32_t freeent;  /* the first unused entry + 1, or 0 */
	uint32_t *buckets; /* heads of hash chains; nbuckets a power of 2 */
	uint32_t nbuckets;
	uint32_t live; /* strings in use */
};

/*
 * The id of s, with one more reference: the same id for the same text
 * while it is in use. STRTAB_NONE for NULL or "", or out of memory.
 */
uint32_t strtab_get(struct strtab *t, const char *s);

/* Drops one reference to id (STRTAB_NONE is ignored); frees at zero. */
void strtab_put(struct strtab *t, uint32_t id);

/* The text of id, NULL for STRTAB_NONE. */
const char *strtab_str(const struct strtab *t, uint32_t id);

/* Frees every string and the table (zeroed, reusable). */
void strtab_free(struct strtab *t);

#endif
