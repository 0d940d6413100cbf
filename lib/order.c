/* SPDX-License-Identifier: ISC */
/* order.c - sorting a group's members, by comparison or by radix. */
#include "order.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

/* Below this a comparison sort is as quick as setting up a radix one. */
#define ORDER_RADIX_MIN 256

/* The sort key: raddr, rport, laddr, lport, big-endian; cookie apart. */
#define KEY_LEN (16 + 2 + 16 + 2)

struct key {
	uint8_t k[KEY_LEN];
	uint32_t idx;
};

/* memcmp's order of two addresses, a word at a time. */
static int addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;
	int i;

	for (i = 0; i < 16; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return be64toh(x) < be64toh(y) ? -1 : 1;
	}
	return 0;
}

int order_cmp(const struct sock_rec *x, const struct sock_rec *y)
{
	int c = addr_cmp(x->raddr, y->raddr);

	if (c)
		return c;
	if (x->rport != y->rport)
		return x->rport - y->rport;
	c = addr_cmp(x->laddr, y->laddr);
	if (c)
		return c;
	if (x->lport != y->lport)
		return x->lport - y->lport;
	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

static int order_qcmp(const void *a, const void *b, void *arg)
{
	const struct sock_rec *recs = arg;

	return order_cmp(&recs[*(const uint32_t *)a],
			 &recs[*(const uint32_t *)b]);
}

static void key_make(struct key *k, const struct sock_rec *r, uint32_t idx)
{
	uint16_t rport = htobe16(r->rport), lport = htobe16(r->lport);

	memcpy(k->k, r->raddr, 16);
	memcpy(k->k + 16, &rport, 2);
	memcpy(k->k + 18, r->laddr, 16);
	memcpy(k->k + 34, &lport, 2);
	k->idx = idx;
}

/* Which key bytes differ anywhere: the rest need no pass. */
static void key_varying(const struct key *a, size_t n, uint8_t *vary)
{
	size_t i;
	int d;

	memset(vary, 0, KEY_LEN);
	for (i = 1; i < n; i++)
		for (d = 0; d < KEY_LEN; d++)
			vary[d] |= a[i].k[d] ^ a[0].k[d];
}

/*
 * LSD radix sort, a byte at a time from the last, stable. A byte that is
 * the same in every key (most of them: the local end of a listener's
 * connections, the prefix of v4-mapped addresses) costs no pass.
 */
static struct key *order_radix(struct key *a, struct key *tmp, size_t n)
{
	uint8_t vary[KEY_LEN];
	size_t i;
	int d;

	key_varying(a, n, vary);
	for (d = KEY_LEN - 1; d >= 0; d--) {
		uint32_t pos[256] = { 0 }, sum = 0;
		struct key *swap;
		int v;

		if (!vary[d])
			continue;
		for (i = 0; i < n; i++)
			pos[a[i].k[d]]++;
		for (v = 0; v < 256; v++) {
			uint32_t c = pos[v];

			pos[v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[pos[a[i].k[d]]++] = a[i];
		swap = a;
		a = tmp;
		tmp = swap;
	}
	return a; /* whichever of the two the last pass filled */
}

/* Equal 4-tuples (SO_REUSEPORT listeners) go by cookie: short runs. */
static void order_ties(const struct sock_rec *recs, uint32_t *idx, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		uint32_t v = idx[i];

		for (j = i; j > 0 && order_cmp(&recs[idx[j - 1]], &recs[v]) > 0;
		     j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

int order_sort(const struct sock_rec *recs, uint32_t *idx, size_t n)
{
	struct key *keys, *sorted;
	size_t i;

	if (n < ORDER_RADIX_MIN) {
		qsort_r(idx, n, sizeof(*idx), order_qcmp, (void *)recs);
		return 0;
	}
	keys = malloc(2 * n * sizeof(*keys));
	if (!keys)
		return -1;
	for (i = 0; i < n; i++)
		key_make(&keys[i], &recs[idx[i]], idx[i]);
	sorted = order_radix(keys, keys + n, n);
	for (i = 0; i < n; i++)
		idx[i] = sorted[i].idx;
	free(keys);
	/* Sorted but for ties: insertion sort moves only within them. */
	order_ties(recs, idx, n);
	return 0;
}
