/* SPDX-License-Identifier: ISC */
/* order.c - sorting a group's members, by comparison or by radix. */
#include "order.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

/*
 * Below this an insertion sort is as quick as setting up a radix one.
 * Above it the radix sort wins: qsort_r took a third of a poll's own
 * work at 201,000 sockets in 2,000 groups of about a hundred.
 */
#define ORDER_RADIX_MIN 16

/* The sort key: raddr, rport, laddr, lport, big-endian; cookie apart. */
#define KEY_LEN (16 + 2 + 16 + 2)

#define KEY_WORDS 5 /* of eight bytes: the key and four of padding */

struct key {
	uint8_t k[KEY_WORDS * 8];
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

static void key_make(struct key *k, const struct sock_rec *r, uint32_t idx)
{
	uint16_t rport = htobe16(r->rport), lport = htobe16(r->lport);

	memcpy(k->k, r->raddr, 16);
	memcpy(k->k + 16, &rport, 2);
	memcpy(k->k + 18, r->laddr, 16);
	memcpy(k->k + 34, &lport, 2);
	memset(k->k + KEY_LEN, 0, sizeof(k->k) - KEY_LEN);
	k->idx = idx;
}

/*
 * Which key bytes differ anywhere: the rest need no pass. A word at a
 * time: byte by byte, this took as long as the passes.
 */
static void key_varying(const struct key *a, size_t n, uint8_t *vary)
{
	uint64_t first[KEY_WORDS], acc[KEY_WORDS] = { 0 };
	size_t i, w;

	memcpy(first, a[0].k, sizeof(first));
	for (i = 1; i < n; i++)
		for (w = 0; w < KEY_WORDS; w++) {
			uint64_t x;

			memcpy(&x, a[i].k + 8 * w, 8);
			acc[w] |= x ^ first[w];
		}
	memcpy(vary, acc, KEY_LEN);
}

/* One pass: a into tmp, stably, by key byte d. */
static void order_pass(const struct key *a, struct key *tmp, size_t n, int d)
{
	uint32_t pos[256] = { 0 }, sum = 0;
	size_t i;
	int v;

	for (i = 0; i < n; i++)
		pos[a[i].k[d]]++;
	for (v = 0; v < 256; v++) {
		uint32_t c = pos[v];

		pos[v] = sum;
		sum += c;
	}
	for (i = 0; i < n; i++)
		tmp[pos[a[i].k[d]]++] = a[i];
}

/*
 * LSD radix sort, a byte at a time from the last, stable. A byte that is
 * the same in every key (most of them: the local end of a listener's
 * connections, the prefix of v4-mapped addresses) costs no pass.
 */
static struct key *order_radix(struct key *a, struct key *tmp, size_t n)
{
	uint8_t vary[KEY_LEN];
	int d;

	key_varying(a, n, vary);
	for (d = KEY_LEN - 1; d >= 0; d--) {
		struct key *swap;

		if (!vary[d])
			continue;
		order_pass(a, tmp, n, d);
		swap = a;
		a = tmp;
		tmp = swap;
	}
	return a; /* whichever of the two the last pass filled */
}

/*
 * Insertion sort: after the radix sort, equal 4-tuples (SO_REUSEPORT
 * listeners) go by cookie, in short runs; alone, a few members.
 */
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
		order_ties(recs, idx, n);
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

/*
 * LSD radix sort of record indices by cookie, a byte a pass, over the
 * bytes that differ somewhere: cookies come from one counter, so their
 * high bytes rarely do.
 */
int order_by_cookie(const struct sock_rec *recs, size_t n, uint32_t *idx)
{
	uint64_t first = n ? recs[0].cookie : 0, vary = 0;
	uint32_t *tmp, *a = idx, *swap;
	size_t i;
	int d;

	for (i = 0; i < n; i++) {
		idx[i] = (uint32_t)i;
		vary |= recs[i].cookie ^ first;
	}
	if (!vary)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -1;
	for (d = 0; d < 8; d++) {
		uint32_t pos[256] = { 0 }, sum = 0;
		int shift = 8 * d, v;

		if (!((vary >> shift) & 0xff))
			continue;
		for (i = 0; i < n; i++)
			pos[(recs[a[i]].cookie >> shift) & 0xff]++;
		for (v = 0; v < 256; v++) {
			uint32_t c = pos[v];

			pos[v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[pos[(recs[a[i]].cookie >> shift) & 0xff]++] = a[i];
		swap = a;
		a = tmp;
		tmp = swap;
	}
	if (a != idx) {
		memcpy(idx, a, n * sizeof(*idx));
		tmp = a;
	}
	free(tmp);
	return 0;
}
