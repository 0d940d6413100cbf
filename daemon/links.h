/* SPDX-License-Identifier: ISC */
/* links.h - interface names from libnl-route's link cache, kept current. */
#ifndef SOCKWATCHD_LINKS_H
#define SOCKWATCHD_LINKS_H

#include <stdint.h>

#include "group.h"

struct links;

/* Fills the cache and subscribes to link changes; NULL on failure. */
struct links *links_open(void);

/* The fd to poll for link change notifications. */
int links_fd(const struct links *l);

/* Applies pending notifications to the cache. */
void links_process(struct links *l);

/* The name of ifindex, NULL if unknown; a snapshot_namer (ctx = links). */
const char *links_name(void *ctx, uint32_t ifindex);

/*
 * The host's addresses as the grouping takes them, valid until the next
 * call; none (not known) when l is NULL or the address cache is missing.
 */
void links_addrs(struct links *l, struct group_hosts *h);

/* Frees the cache and its manager; NULL is fine. */
void links_close(struct links *l);

#endif
