/* SPDX-License-Identifier: ISC */
/*
 * evqueue.c - events packed for a subscriber that is behind.
 *
 * A record is a header (its length, what it is, its counts of holders)
 * and then the event's fields, its addresses only as long as their
 * family's, its strings with their lengths. One writer does both the
 * sizing and the writing, so that the two cannot disagree; everything
 * is copied byte-wise, so nothing needs aligning.
 */
#include "evqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EVQ_LOST_BIT 0x80   /* type: a lost record, the reason below it */
#define EVQ_SAME_PROCS 0xff /* ngprocs: the listener's are the holders' */
#define EVQ_STR_MAX 65534   /* longer strings are cut (none is, here) */
#define EVQ_KEEP 65536	    /* an empty queue keeps this much memory */

struct evq_hdr {
	uint32_t len;
	uint8_t type; /* enum event_kind, or EVQ_LOST_BIT | enum evq_lost */
	uint8_t source;
	uint8_t nprocs;
	uint8_t ngprocs;
};

/* Writes at p + n, or only counts when p is NULL. */
struct evq_w {
	uint8_t *p;
	size_t n;
};

static void w_put(struct evq_w *w, const void *src, size_t len)
{
	if (w->p)
		memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void w_str(struct evq_w *w, const char *s)
{
	size_t len = s ? strnlen(s, EVQ_STR_MAX) : 0;
	uint16_t n = s ? (uint16_t)(len + 1) : 0;
	static const char nul;

	w_put(w, &n, sizeof(n));
	if (s) {
		w_put(w, s, len);
		w_put(w, &nul, 1);
	}
}

static void w_procs(struct evq_w *w, const struct event_proc *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		w_put(w, &p[i].pid, sizeof(p[i].pid));
		w_put(w, &p[i].uid, sizeof(p[i].uid));
		w_str(w, p[i].comm);
		w_str(w, p[i].user);
		w_str(w, p[i].unit);
		w_str(w, p[i].container);
	}
}

static size_t evq_nprocs(size_t n)
{
	return n < HISTORY_MAX_PROCS ? n : HISTORY_MAX_PROCS;
}

static int evq_same_procs(const struct event *e)
{
	return e->ngprocs == e->nprocs &&
	       (!e->nprocs || e->gprocs == e->procs ||
		!memcmp(e->gprocs, e->procs, e->nprocs * sizeof(*e->procs)));
}

/* The record of e, at w (sized only when w->p is NULL). */
static void evq_write(struct evq_w *w, const struct event *e)
{
	const struct sock_rec *r = &e->rec;
	size_t alen = rec_addr_len(r->family);
	size_t galen = rec_addr_len(e->group.family);
	size_t np = evq_nprocs(e->nprocs), ng = evq_nprocs(e->ngprocs);
	int same = evq_same_procs(e);
	struct evq_hdr h = { .type = e->kind,
			     .source = e->source,
			     .nprocs = (uint8_t)np,
			     .ngprocs = same ? EVQ_SAME_PROCS : (uint8_t)ng };
	uint8_t has_tcp = e->has_tcp != 0;
	size_t start = w->n;

	w_put(w, &h, sizeof(h));
	w_put(w, &e->at_ms, sizeof(e->at_ms));
	w_put(w, &e->first_seen_ms, sizeof(e->first_seen_ms));
	w_put(w, r, offsetof(struct sock_rec, laddr));
	w_put(w, r->laddr, alen);
	w_put(w, r->raddr, alen);
	w_put(w, &e->group, offsetof(struct endpoint, addr));
	w_put(w, e->group.addr, galen);
	w_put(w, &has_tcp, 1);
	if (has_tcp)
		w_put(w, &e->tcp, sizeof(e->tcp));
	w_str(w, e->dev);
	w_str(w, e->group_dev);
	w_procs(w, e->procs, np);
	if (!same)
		w_procs(w, e->gprocs, ng);
	if (w->p) {
		h.len = (uint32_t)(w->n - start);
		memcpy(w->p + start, &h, sizeof(h));
	}
}

/* Room for need bytes more at the end, within limit. */
static int evq_room(struct evqueue *q, size_t need, size_t limit)
{
	size_t cap;
	uint8_t *p;

	if (evq_bytes(q) + need > limit) {
		errno = ENOSPC;
		return -1;
	}
	if (q->len + need <= q->cap)
		return 0;
	if (q->off) {
		memmove(q->p, q->p + q->off, q->len - q->off);
		q->len -= q->off;
		q->last -= q->off;
		q->off = 0;
		if (q->len + need <= q->cap)
			return 0;
	}
	cap = q->cap ? q->cap * 2 : 4096;
	while (cap < q->len + need)
		cap *= 2;
	p = realloc(q->p, cap);
	if (!p)
		return -1;
	q->p = p;
	q->cap = cap;
	return 0;
}

int evq_push(struct evqueue *q, const struct event *e, size_t limit)
{
	struct evq_w w = { 0 };

	evq_write(&w, e);
	if (evq_room(q, w.n, limit) < 0)
		return -1;
	q->last = q->len;
	w = (struct evq_w){ .p = q->p, .n = q->len };
	evq_write(&w, e);
	q->len = w.n;
	return 0;
}

int evq_push_lost(struct evqueue *q, uint64_t count, enum evq_lost why,
		  size_t limit)
{
	struct evq_hdr h = { .len = sizeof(h) + sizeof(count),
			     .type = (uint8_t)(EVQ_LOST_BIT | why) };
	struct evq_hdr t;
	uint64_t had;

	if (q->len > q->off) {
		memcpy(&t, q->p + q->last, sizeof(t));
		if (t.type == h.type) {
			memcpy(&had, q->p + q->last + sizeof(t), sizeof(had));
			had += count;
			memcpy(q->p + q->last + sizeof(t), &had, sizeof(had));
			return 0;
		}
	}
	if (evq_room(q, h.len, limit) < 0)
		return -1;
	q->last = q->len;
	memcpy(q->p + q->len, &h, sizeof(h));
	memcpy(q->p + q->len + sizeof(h), &count, sizeof(count));
	q->len += h.len;
	return 0;
}

/* Reads from p + n. */
struct evq_r {
	const uint8_t *p;
	size_t n;
};

static void r_get(struct evq_r *r, void *dst, size_t len)
{
	memcpy(dst, r->p + r->n, len);
	r->n += len;
}

static const char *r_str(struct evq_r *r)
{
	uint16_t n;
	const char *s;

	r_get(r, &n, sizeof(n));
	if (!n)
		return NULL;
	s = (const char *)r->p + r->n;
	r->n += n;
	return s;
}

static void r_procs(struct evq_r *r, struct event_proc *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r_get(r, &p[i].pid, sizeof(p[i].pid));
		r_get(r, &p[i].uid, sizeof(p[i].uid));
		p[i].comm = r_str(r);
		p[i].user = r_str(r);
		p[i].unit = r_str(r);
		p[i].container = r_str(r);
	}
}

static void evq_read(struct evq_r *r, const struct evq_hdr *h,
		     struct evq_item *it)
{
	struct event *e = &it->e;
	struct sock_rec *rec = &e->rec;
	uint8_t has_tcp;

	memset(e, 0, sizeof(*e));
	e->kind = h->type;
	e->source = h->source;
	r_get(r, &e->at_ms, sizeof(e->at_ms));
	r_get(r, &e->first_seen_ms, sizeof(e->first_seen_ms));
	r_get(r, rec, offsetof(struct sock_rec, laddr));
	r_get(r, rec->laddr, rec_addr_len(rec->family));
	r_get(r, rec->raddr, rec_addr_len(rec->family));
	r_get(r, &e->group, offsetof(struct endpoint, addr));
	r_get(r, e->group.addr, rec_addr_len(e->group.family));
	r_get(r, &has_tcp, 1);
	e->has_tcp = has_tcp;
	if (has_tcp)
		r_get(r, &e->tcp, sizeof(e->tcp));
	e->dev = r_str(r);
	e->group_dev = r_str(r);
	e->nprocs = h->nprocs;
	r_procs(r, it->procs, e->nprocs);
	e->procs = it->procs;
	if (h->ngprocs == EVQ_SAME_PROCS) {
		e->gprocs = it->procs;
		e->ngprocs = e->nprocs;
	} else {
		e->ngprocs = h->ngprocs;
		r_procs(r, it->gprocs, e->ngprocs);
		e->gprocs = it->gprocs;
	}
}

int evq_pop(struct evqueue *q, struct evq_item *it)
{
	struct evq_hdr h;
	struct evq_r r;

	if (q->off >= q->len)
		return 0;
	memcpy(&h, q->p + q->off, sizeof(h));
	r = (struct evq_r){ .p = q->p + q->off, .n = sizeof(h) };
	it->lost = 0;
	if (h.type & EVQ_LOST_BIT) {
		it->lost = 1 + (h.type & ~EVQ_LOST_BIT);
		r_get(&r, &it->count, sizeof(it->count));
	} else {
		evq_read(&r, &h, it);
	}
	q->off += h.len;
	if (q->off >= q->len)
		q->off = q->len = q->last = 0;
	return 1;
}

size_t evq_bytes(const struct evqueue *q)
{
	return q->len - q->off;
}

/* An emptied queue gives back what a burst made it take. */
void evq_trim(struct evqueue *q)
{
	if (q->len || q->cap <= EVQ_KEEP)
		return;
	free(q->p);
	q->p = NULL;
	q->cap = 0;
}

void evq_free(struct evqueue *q)
{
	free(q->p);
	memset(q, 0, sizeof(*q));
}
