/* SPDX-License-Identifier: ISC */
/*
 * hquery.c - a history answer as a state machine: the log walked from
 * the newest entry back (a step at a time; entries added meanwhile are
 * for the next answer), the matches sorted by group and then newest
 * first, each group summed, then written.
 */
#include "hquery.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "grow.h"
#include "query.h"

enum hq_phase {
	HQ_HEADER,
	HQ_MATCH,
	HQ_SORT,
	HQ_HEAD,
	HQ_MEMBERS,
	HQ_END,
	HQ_DONE,
};

/* A match: its entry number, the group it is in, how long it lived. */
struct hq_sel {
	struct endpoint ep;
	uint64_t seq;
	int64_t dur_ms; /* -1: opened before anyone looked */
};

/* A run of matches in one group. */
struct hq_group {
	size_t first, n;
	struct encode_closed_sum sum;
};

struct hquery {
	const struct history *h;
	struct hquery_opts o;
	enum hq_phase phase;
	uint64_t next; /* the entry number the walk looks at next, + 1 */
	uint64_t stop; /* the walk's end: the oldest held at the start */
	struct hq_sel *sel;
	size_t nsel, selcap;
	struct hq_group *groups;
	size_t ngroups, gcap;
	size_t g, k; /* the group and member under way */
	int first;
	struct encode_totals totals;
};

struct hquery *hquery_new(const struct history *h, const struct hquery_opts *o)
{
	struct hquery *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->h = h;
	q->o = *o;
	q->next = h->added;
	q->stop = history_oldest(h);
	return q;
}

size_t hquery_memory(const struct hquery *q)
{
	if (!q)
		return 0;
	return sizeof(*q) + q->selcap * sizeof(*q->sel) +
	       q->gcap * sizeof(*q->groups);
}

void hquery_free(struct hquery *q)
{
	if (!q)
		return;
	free(q->sel);
	free(q->groups);
	free(q);
}

static const uint32_t *hq_uid(const struct hquery *q)
{
	return q->o.all ? NULL : &q->o.uid;
}

/* One entry: tested, and kept when it passes. 1 when the walk is over. */
static int hq_match_one(struct hquery *q, uint64_t seq)
{
	struct event_proc procs[HISTORY_MAX_PROCS];
	const struct history_entry *e = history_get(q->h, seq);
	struct event ev;

	if (!e)
		return 1; /* dropped since: all older ones too */
	if (q->o.since_ms && e->closed_ms < q->o.since_ms)
		return 1;
	history_event(q->h, e, &ev, procs);
	if (!event_match(q->o.filter, &ev, hq_uid(q)))
		return 0;
	if (grow(&q->sel, &q->selcap, q->nsel, sizeof(*q->sel), 256) < 0)
		return -1;
	q->sel[q->nsel].ep = ev.group;
	q->sel[q->nsel].seq = seq;
	q->sel[q->nsel].dur_ms =
		e->opened_ms > 0 && e->closed_ms >= e->opened_ms
			? e->closed_ms - e->opened_ms
			: -1;
	q->nsel++;
	return 0;
}

static size_t hq_match(struct hquery *q, size_t work)
{
	size_t cost = filter_cost(q->o.filter), done = 0;

	while (q->next > q->stop && done < work) {
		int end = hq_match_one(q, q->next - 1);

		if (end < 0)
			return (size_t)-1;
		if (end) {
			q->next = q->stop;
			break;
		}
		q->next--;
		done += cost;
	}
	if (q->next <= q->stop)
		q->phase = HQ_SORT;
	return done + 1;
}

/* By group as a listing orders them, then newest first. */
static int hq_cmp(const void *a, const void *b)
{
	const struct hq_sel *x = a, *y = b;
	int c = group_cmp_endpoints(&x->ep, &y->ep);

	if (c)
		return c;
	return (x->seq < y->seq) - (x->seq > y->seq);
}

static int hq_cmp_ms(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Median and 99th percentile of a group's known durations. */
static int hq_durations(struct hquery *q, struct hq_group *g)
{
	int64_t *d = malloc((g->n ? g->n : 1) * sizeof(*d));
	size_t i, n = 0;

	if (!d)
		return -1;
	for (i = 0; i < g->n; i++)
		if (q->sel[g->first + i].dur_ms >= 0)
			d[n++] = q->sel[g->first + i].dur_ms;
	g->sum.median_ms = g->sum.p99_ms = -1;
	if (n) {
		qsort(d, n, sizeof(*d), hq_cmp_ms);
		g->sum.median_ms = d[(n - 1) / 2];
		g->sum.p99_ms = d[(n * 99 + 99) / 100 - 1];
	}
	free(d);
	return 0;
}

/* A group's sums, from the entries while they are all still held. */
static int hq_sum(struct hquery *q, struct hq_group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct history_entry *e =
			history_get(q->h, q->sel[g->first + i].seq);

		g->sum.closed++;
		q->totals.sockets++;
		if (g->sum.closed == 1)
			q->totals.groups++;
		if (q->sel[g->first].ep.proto == IPPROTO_TCP)
			q->totals.tcp++;
		else
			q->totals.udp++;
		if (!e)
			continue;
		g->sum.bytes_acked += e->bytes_acked;
		g->sum.bytes_received += e->bytes_received;
	}
	return hq_durations(q, g);
}

/* Sorted and summed in one go: nothing is dropped in between. */
static int hq_sort(struct hquery *q)
{
	size_t i;

	if (q->nsel)
		qsort(q->sel, q->nsel, sizeof(*q->sel), hq_cmp);
	for (i = 0; i < q->nsel; i++) {
		struct hq_group *g;

		if (i && group_cmp_endpoints(&q->sel[i].ep,
					     &q->sel[i - 1].ep) == 0) {
			q->groups[q->ngroups - 1].n++;
			continue;
		}
		if (grow(&q->groups, &q->gcap, q->ngroups, sizeof(*q->groups),
			 16) < 0)
			return -1;
		g = &q->groups[q->ngroups++];
		g->first = i;
		g->n = 1;
	}
	for (i = 0; i < q->ngroups; i++)
		if (hq_sum(q, &q->groups[i]) < 0)
			return -1;
	q->phase = HQ_HEAD;
	return 0;
}

static const char *hq_dev(const struct hquery *q, uint32_t ifindex)
{
	return ifindex && q->o.names ? picture_dev_name(q->o.names, ifindex)
				     : NULL;
}

static void hq_head(struct hquery *q, struct jbuf *b)
{
	const struct hq_group *g;
	const struct endpoint *ep;

	if (q->g == q->ngroups) {
		q->phase = HQ_END;
		return;
	}
	g = &q->groups[q->g];
	ep = &q->sel[g->first].ep;
	encode_closed_head(b, ep, hq_dev(q, ep->ifindex), &g->sum,
			   !q->o.counts);
	if (q->o.counts) {
		q->g++;
		return;
	}
	q->k = 0;
	q->first = 1;
	q->phase = HQ_MEMBERS;
}

static size_t hq_members(struct hquery *q, struct jbuf *b, size_t work,
			 size_t max)
{
	const struct hq_group *g = &q->groups[q->g];
	size_t done = 0;

	while (q->k < g->n && done < work && b->len < max) {
		struct event_proc procs[HISTORY_MAX_PROCS];
		const struct history_entry *e =
			history_get(q->h, q->sel[g->first + q->k].seq);
		struct event ev;

		q->k++;
		done++;
		if (!e)
			continue;
		history_event(q->h, e, &ev, procs);
		ev.dev = hq_dev(q, ev.rec.ifindex);
		encode_closed(b, &ev, hq_uid(q), q->first);
		q->first = 0;
	}
	if (q->k == g->n) {
		encode_closed_tail(b);
		q->g++;
		q->phase = HQ_HEAD;
	}
	return done + 1;
}

static void hq_header(struct hquery *q, struct jbuf *b)
{
	struct encode_history eh = {
		.host = q->o.host,
		.since_ms = q->o.since_ms,
		.complete_ms = q->h->complete_ms,
		.entries = q->h->added - history_oldest(q->h),
		.capacity = q->h->cap,
		.all = q->o.all,
	};

	encode_history_header(b, &eh);
	q->phase = HQ_MATCH;
}

int hquery_step(struct hquery *q, struct jbuf *b, size_t max)
{
	size_t work = 0, done = 1;

	while (work < QUERY_STEP_WORK && b->len < max && !b->oom) {
		switch (q->phase) {
		case HQ_HEADER:
			hq_header(q, b);
			break;
		case HQ_MATCH:
			done = hq_match(q, QUERY_STEP_WORK - work);
			break;
		case HQ_SORT:
			if (hq_sort(q) < 0)
				done = (size_t)-1;
			else
				done = q->nsel + 1;
			break;
		case HQ_HEAD:
			hq_head(q, b);
			done = 1;
			break;
		case HQ_MEMBERS:
			done = hq_members(q, b, QUERY_STEP_WORK - work, max);
			break;
		case HQ_END:
			encode_end(b, q->ngroups, &q->totals);
			q->phase = HQ_DONE;
			return b->oom ? -1 : 0;
		case HQ_DONE:
			return 0;
		}
		if (done == (size_t)-1) {
			errno = ENOMEM;
			return -1;
		}
		work += done;
	}
	return b->oom ? -1 : 1;
}
