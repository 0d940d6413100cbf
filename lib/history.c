/* SPDX-License-Identifier: ISC */
/*
 * history.c - the log of closed connections. Entries are a fixed 112
 * bytes; who held them is a set of processes kept once however many
 * connections it held (a server's ten thousand share one), and the pool
 * of sets is rebuilt from the entries still held when it has grown to
 * twice what they use, so short-lived processes do not pile up.
 */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

_Static_assert(sizeof(struct history_entry) == 112, "history entry size");

#define HISTORY_COMPACT_MIN 1024

int history_init(struct history *h, size_t cap, int64_t start_ms)
{
	memset(h, 0, sizeof(*h));
	h->ring = calloc(cap ? cap : 1, sizeof(*h->ring));
	if (!h->ring)
		return -1;
	h->cap = cap ? cap : 1;
	h->complete_ms = start_ms;
	h->compact_at = HISTORY_COMPACT_MIN;
	return 0;
}

static uint32_t history_hash(const struct history_proc *p, size_t n)
{
	const uint32_t *w = (const uint32_t *)(const void *)p;
	size_t i, words = n * sizeof(*p) / 4;
	uint32_t x = 0x9e3779b9u;

	for (i = 0; i < words; i++) {
		x ^= w[i];
		x *= 0x85ebca6bu;
		x ^= x >> 13;
	}
	return x;
}

static size_t history_set_len(const struct history *h, uint32_t id)
{
	return h->set_at[id + 1] - h->set_at[id];
}

/* The slot of set (p, n) in the table, or the free one it would take. */
static uint32_t *history_slot(const struct history *h,
			      const struct history_proc *p, size_t n)
{
	size_t mask = h->stabcap - 1, i = history_hash(p, n) & mask;

	for (; h->stab[i]; i = (i + 1) & mask) {
		uint32_t id = h->stab[i] - 1;

		if (history_set_len(h, id) == n &&
		    memcmp(&h->procs[h->set_at[id]], p, n * sizeof(*p)) == 0)
			break;
	}
	return &h->stab[i];
}

static int history_rehash(struct history *h)
{
	size_t cap = h->stabcap ? h->stabcap * 2 : 1024, i;
	uint32_t *old = h->stab;

	if (h->stabcap && (h->nsets + 1) * 2 <= h->stabcap)
		return 0;
	h->stab = calloc(cap, sizeof(*h->stab));
	if (!h->stab) {
		h->stab = old;
		return -1;
	}
	h->stabcap = cap;
	for (i = 0; i < h->nsets; i++)
		*history_slot(h, &h->procs[h->set_at[i]],
			      history_set_len(h, (uint32_t)i)) =
			(uint32_t)i + 1;
	free(old);
	return 0;
}

/* The id of the set of n holders (already in the pool's terms). */
static uint32_t history_intern(struct history *h, const struct history_proc *p,
			       size_t n)
{
	uint32_t *slot;
	size_t i;

	if (history_rehash(h) < 0)
		return HISTORY_NOPROCS;
	slot = history_slot(h, p, n);
	if (*slot)
		return *slot - 1;
	if (grow(&h->set_at, &h->scap, h->nsets + 1, sizeof(*h->set_at), 64) <
	    0)
		return HISTORY_NOPROCS;
	for (i = 0; i < n; i++) {
		if (grow(&h->procs, &h->pcap, h->nprocs, sizeof(*h->procs),
			 64) < 0)
			return HISTORY_NOPROCS;
		h->procs[h->nprocs++] = p[i];
	}
	h->set_at[h->nsets + 1] = (uint32_t)h->nprocs;
	*slot = (uint32_t)++h->nsets;
	return (uint32_t)h->nsets - 1;
}

/* A holder in the pool's terms; STRPOOL_NONE on a failed add. */
static struct history_proc history_proc_of(struct strpool *sp,
					   const struct event_proc *e)
{
	struct history_proc p = { .pid = e->pid, .uid = e->uid };

	p.comm = strpool_add(sp, e->comm ? e->comm : "");
	p.user = strpool_add(sp, e->user);
	p.unit = strpool_add(sp, e->unit);
	p.container = strpool_add(sp, e->container);
	return p;
}

static const char *history_str(const struct history *h, uint32_t off)
{
	return off == STRPOOL_NONE ? NULL : h->str.p + off;
}

static uint32_t history_intern_event(struct history *h,
				     const struct event_proc *procs, size_t n)
{
	struct history_proc p[HISTORY_MAX_PROCS];
	size_t i;

	if (!n)
		return HISTORY_NOPROCS;
	if (n > HISTORY_MAX_PROCS)
		n = HISTORY_MAX_PROCS;
	for (i = 0; i < n; i++)
		p[i] = history_proc_of(&h->str, &procs[i]);
	if (strpool_failed(&h->str))
		return HISTORY_NOPROCS;
	return history_intern(h, p, n);
}

/* Drops the set table; the log is empty of sets. */
static void history_sets_free(struct history *h)
{
	strpool_free(&h->str);
	free(h->procs);
	free(h->set_at);
	free(h->stab);
	h->procs = NULL;
	h->set_at = h->stab = NULL;
	h->nprocs = h->pcap = h->nsets = h->scap = h->stabcap = 0;
}

/*
 * Rebuilds the pool from the entries held: each set interned again in a
 * new one, the old one freed. On ENOMEM the entries lose their holders.
 */
static void history_compact(struct history *h)
{
	struct history old = *h;
	struct event_proc procs[HISTORY_MAX_PROCS];
	uint64_t seq;

	memset(&h->str, 0, sizeof(h->str));
	h->procs = NULL;
	h->set_at = h->stab = NULL;
	h->nprocs = h->pcap = h->nsets = h->scap = h->stabcap = 0;
	for (seq = history_oldest(&old); seq < old.added; seq++) {
		struct history_entry *e = &h->ring[seq % h->cap];
		struct event ev;

		if (e->procs == HISTORY_NOPROCS)
			continue;
		history_event(&old, e, &ev, procs);
		e->procs = history_intern_event(h, ev.procs, ev.nprocs);
	}
	history_sets_free(&old);
	h->compact_at = h->nsets * 2 > HISTORY_COMPACT_MIN
				? h->nsets * 2
				: HISTORY_COMPACT_MIN;
}

static void history_fill(struct history_entry *e, const struct event *ev)
{
	const struct sock_rec *r = &ev->rec;

	memset(e, 0, sizeof(*e));
	e->procs = HISTORY_NOPROCS;
	e->cookie = r->cookie;
	e->opened_ms = ev->first_seen_ms;
	e->closed_ms = ev->at_ms;
	memcpy(e->laddr, r->laddr, sizeof(e->laddr));
	memcpy(e->raddr, r->raddr, sizeof(e->raddr));
	e->lport = r->lport;
	e->rport = r->rport;
	e->ifindex = r->ifindex;
	e->gifindex = ev->group.ifindex;
	e->proto = r->proto;
	e->family = r->family;
	if (ev->group.role == GROUP_OUTBOUND)
		e->flags |= HISTORY_F_OUTBOUND;
	if (ev->group_local)
		e->flags |= HISTORY_F_LOCAL;
	else if (memcmp(ev->group.addr, r->laddr, sizeof(r->laddr)) != 0)
		e->flags |= HISTORY_F_WILD;
	if (ev->has_tcp) {
		e->flags |= HISTORY_F_TCP;
		e->bytes_acked = ev->tcp.bytes_acked;
		e->bytes_received = ev->tcp.bytes_received;
		e->segs_out = ev->tcp.segs_out;
		e->segs_in = ev->tcp.segs_in;
		e->total_retrans = ev->tcp.total_retrans;
		e->rtt_us = ev->tcp.rtt_us;
	}
}

int history_add(struct history *h, const struct event *ev)
{
	struct history_entry *e = &h->ring[h->added % h->cap];

	if (h->added >= h->cap)
		h->complete_ms = e->closed_ms; /* from the one it replaces */
	history_fill(e, ev);
	h->added++;
	if (h->nsets >= h->compact_at)
		history_compact(h);
	e->procs = history_intern_event(h, ev->procs, ev->nprocs);
	if (ev->nprocs && e->procs == HISTORY_NOPROCS) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

uint64_t history_oldest(const struct history *h)
{
	return h->added > h->cap ? h->added - h->cap : 0;
}

const struct history_entry *history_get(const struct history *h, uint64_t seq)
{
	if (seq >= h->added || seq < history_oldest(h))
		return NULL;
	return &h->ring[seq % h->cap];
}

/* The group an entry was in, from what the entry says of it. */
static void history_group(const struct history_entry *e, struct endpoint *ep)
{
	int out = (e->flags & HISTORY_F_OUTBOUND) != 0;

	memset(ep, 0, sizeof(*ep));
	ep->role = out ? GROUP_OUTBOUND : GROUP_LISTEN;
	ep->proto = e->proto;
	ep->family = e->family;
	ep->port = out ? e->rport : e->lport;
	ep->ifindex = out ? 0 : e->gifindex;
	if (out)
		memcpy(ep->addr, e->raddr, sizeof(ep->addr));
	else if (!(e->flags & HISTORY_F_WILD))
		memcpy(ep->addr, e->laddr, sizeof(ep->addr));
}

void history_event(const struct history *h, const struct history_entry *e,
		   struct event *ev, struct event_proc *procs)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = EVENT_CLOSE;
	ev->source = EVENT_SRC_KERNEL;
	ev->at_ms = e->closed_ms;
	ev->first_seen_ms = e->opened_ms;
	ev->rec.proto = e->proto;
	ev->rec.family = e->family;
	ev->rec.state = REC_CLOSE;
	ev->rec.lport = e->lport;
	ev->rec.rport = e->rport;
	ev->rec.ifindex = e->ifindex;
	ev->rec.cookie = e->cookie;
	memcpy(ev->rec.laddr, e->laddr, sizeof(e->laddr));
	memcpy(ev->rec.raddr, e->raddr, sizeof(e->raddr));
	history_group(e, &ev->group);
	ev->group_local = (e->flags & HISTORY_F_LOCAL) != 0;
	ev->has_tcp = (e->flags & HISTORY_F_TCP) != 0;
	ev->tcp.bytes_acked = e->bytes_acked;
	ev->tcp.bytes_received = e->bytes_received;
	ev->tcp.segs_out = e->segs_out;
	ev->tcp.segs_in = e->segs_in;
	ev->tcp.total_retrans = e->total_retrans;
	ev->tcp.rtt_us = e->rtt_us;
	ev->procs = procs;
	if (e->procs != HISTORY_NOPROCS && e->procs < h->nsets) {
		size_t i, at = h->set_at[e->procs];

		for (i = 0; i < history_set_len(h, e->procs); i++) {
			const struct history_proc *p = &h->procs[at + i];

			procs[i].pid = p->pid;
			procs[i].uid = p->uid;
			procs[i].comm = history_str(h, p->comm);
			procs[i].user = history_str(h, p->user);
			procs[i].unit = history_str(h, p->unit);
			procs[i].container = history_str(h, p->container);
		}
		ev->nprocs = i;
	}
}

size_t history_memory(const struct history *h)
{
	return h->cap * sizeof(*h->ring) + h->str.cap +
	       h->str.nslots * sizeof(uint32_t) + h->pcap * sizeof(*h->procs) +
	       h->scap * sizeof(*h->set_at) + h->stabcap * sizeof(*h->stab);
}

void history_free(struct history *h)
{
	history_sets_free(h);
	free(h->ring);
	memset(h, 0, sizeof(*h));
}
