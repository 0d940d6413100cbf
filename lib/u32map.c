/* SPDX-License-Identifier: ISC */
/* u32map.c - linear probing with backward-shift deletion (no tombstones). */
#include "u32map.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct u32map *m, uint32_t key)
{
	return (size_t)(key * 2654435761u) & (m->cap - 1);
}

uint32_t u32map_get(const struct u32map *m, uint32_t key)
{
	size_t i;

	if (!m->cap || !key)
		return U32MAP_NONE;
	for (i = slot_of(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return m->vals[i];
	return U32MAP_NONE;
}

static void u32map_insert(struct u32map *m, uint32_t key, uint32_t val)
{
	size_t i = slot_of(m, key);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

static int u32map_grow(struct u32map *m)
{
	struct u32map old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = malloc(m->cap * sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		*m = old;
		return -1;
	}
	m->n = 0;
	for (i = 0; i < old.cap; i++)
		if (old.keys[i])
			u32map_insert(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	return 0;
}

int u32map_put(struct u32map *m, uint32_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap && u32map_grow(m) < 0)
		return -1;
	u32map_insert(m, key, val);
	return 0;
}

/* Moves later members of the probe run back into the hole. */
void u32map_del(struct u32map *m, uint32_t key)
{
	size_t mask = m->cap - 1, i, j;

	if (!m->cap || !key)
		return;
	for (i = slot_of(m, key); m->keys[i] != key; i = (i + 1) & mask)
		if (!m->keys[i])
			return;
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->keys[j]);

		/* j may fill the hole at i only if its home is not in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->n--;
}

void u32map_free(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
