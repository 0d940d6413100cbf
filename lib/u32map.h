/* SPDX-License-Identifier: ISC */
/* u32map.h - a hash map from nonzero 32-bit keys to 32-bit values. */
#ifndef SOCKWATCH_U32MAP_H
#define SOCKWATCH_U32MAP_H

#include <stddef.h>
#include <stdint.h>

#define U32MAP_NONE UINT32_MAX

/* Open addressing, linear probing; key 0 marks an empty slot. */
struct u32map {
	uint32_t *keys;
	uint32_t *vals;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

/* The value of key, or U32MAP_NONE. */
uint32_t u32map_get(const struct u32map *m, uint32_t key);

/* Sets key (nonzero) to val. Returns 0, or -1 when out of memory. */
int u32map_put(struct u32map *m, uint32_t key, uint32_t val);

/* Removes key if present. */
void u32map_del(struct u32map *m, uint32_t key);

/* Frees the map. */
void u32map_free(struct u32map *m);

#endif
