/* SPDX-License-Identifier: ISC */
/* order.h - the order of a group's members: by remote end, local end, cookie.
 */
#ifndef SOCKWATCH_ORDER_H
#define SOCKWATCH_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

/* Compares two records in member order (memcmp-like result). */
int order_cmp(const struct sock_rec *x, const struct sock_rec *y);

/* Sorts n record indices in member order. Returns 0, or -1 on ENOMEM. */
int order_sort(const struct sock_rec *recs, uint32_t *idx, size_t n);

/*
 * Fills idx with 0 .. n - 1 sorted by the records' cookies. Returns 0,
 * or -1 on ENOMEM.
 */
int order_by_cookie(const struct sock_rec *recs, size_t n, uint32_t *idx);

#endif
