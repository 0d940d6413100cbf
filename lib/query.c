/* SPDX-License-Identifier: ISC */
/*
 * query.c - a listing for one reader, as a state machine over a picture.
 * Each group is read twice: once to find which members pass (the head
 * carries their counts, queues and processes), then to write them. A
 * step stops when its work or its bytes run out, wherever it is, even
 * in the middle of a group of a million connections.
 */
#include "query.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "grow.h"

enum query_phase {
	Q_HEADER,
	Q_MATCH,   /* finding the members of group g that pass */
	Q_SOCKETS, /* writing its listening sockets */
	Q_CONNS,   /* writing its connections */
	Q_END,
	Q_DONE,
};

struct query {
	const struct picture *p;
	struct query_opts o;
	enum query_phase phase;
	size_t g;	/* the group under way */
	size_t k;	/* its member under way */
	size_t tally;	/* the first of p->tallies not behind group g */
	uint64_t *pass; /* a bit a member of group g: passed the filter */
	size_t passcap; /* words */
	uint32_t *lis;	/* the listeners that passed, for the head */
	size_t nlis, liscap;
	struct encode_sum sum;
	size_t matched;		       /* members of group g that passed */
	int first;		       /* no member written yet in this array */
	size_t sent;		       /* group records written */
	size_t groups;		       /* groups something passed in */
	struct encode_sum by_proto[2]; /* the summary's: TCP, UDP */
	struct encode_totals totals;
	/* the TCP ports local outbound groups reach, sorted: the server */
	uint16_t *lports; /* sides of only those may have a peer here */
	size_t nlports;
};

static unsigned env_group(const void *ctx, size_t i)
{
	const struct query *q = ctx;
	const struct sockgroup *g = &q->p->groups[q->g];

	(void)i; /* every member of the group under way is in it */
	return (g->ep.role == GROUP_OUTBOUND ? FILTER_G_OUTBOUND : 0) |
	       (g->local ? FILTER_G_LOCAL : 0);
}

/* A reader who may not see others' processes may not filter on them. */
static size_t env_procs(const void *ctx, size_t i, struct filter_proc *out,
			size_t max)
{
	const struct query *q = ctx;
	const struct picture *p = q->p;
	const uint32_t *idx;
	size_t n = picture_owners(p, i, &idx), k, got = 0;

	for (k = 0; k < n && got < max; k++) {
		const struct picture_proc *pr = &p->procs[idx[k]];
		const char *user = picture_str(p, pr->user);
		const char *unit = picture_str(p, pr->unit);

		if (!q->o.all && pr->uid != q->o.uid)
			continue;
		out[got].pid = pr->pid;
		out[got].uid = pr->uid;
		out[got].comm = picture_str(p, pr->comm);
		out[got].user = user ? user : "";
		out[got].unit = unit ? unit : "";
		got++;
	}
	return got;
}

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* q->lports: a few ports on most hosts; -1 when out of memory. */
static int query_local_ports(struct query *q)
{
	size_t i, cap = 0, k;

	for (i = 0; i < q->p->ngroups; i++) {
		const struct sockgroup *g = &q->p->groups[i];

		if (g->ep.role != GROUP_OUTBOUND || !g->local ||
		    g->ep.proto != IPPROTO_TCP)
			continue;
		if (grow(&q->lports, &cap, q->nlports, sizeof(*q->lports), 8) <
		    0)
			return -1;
		q->lports[q->nlports++] = g->ep.port;
	}
	if (!q->nlports)
		return 0;
	qsort(q->lports, q->nlports, sizeof(*q->lports), port_cmp);
	for (i = k = 1; i < q->nlports; i++)
		if (q->lports[i] != q->lports[k - 1])
			q->lports[k++] = q->lports[i];
	q->nlports = k;
	return 0;
}

/*
 * The other end of member rec (r) of group gr when it is a socket here: for
 * a local outbound group's client, and for a connection of a listener
 * whose port a local outbound group reaches (most have none to look for).
 */
static uint32_t query_peer(const struct query *q, const struct sockgroup *gr,
			   uint32_t rec, const struct sock_rec *r)
{
	const struct picture *p = q->p;
	int reached =
		gr->ep.role == GROUP_OUTBOUND
			? gr->local
			: q->nlports &&
				  bsearch(&r->lport, q->lports, q->nlports,
					  sizeof(*q->lports), port_cmp) != NULL;

	if (!reached)
		return GROUP_NONE;
	return group_peer(p->recs, p->order, p->groups, p->ngroups, rec);
}

struct query *query_new(const struct picture *p, const struct query_opts *o)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->p = p;
	q->o = *o;
	if (query_local_ports(q) < 0) {
		query_free(q);
		return NULL;
	}
	return q;
}

size_t query_memory(const struct query *q)
{
	if (!q)
		return 0;
	return sizeof(*q) + q->passcap * sizeof(*q->pass) +
	       q->liscap * sizeof(*q->lis) + q->nlports * sizeof(*q->lports);
}

void query_free(struct query *q)
{
	if (!q)
		return;
	free(q->pass);
	free(q->lis);
	free(q->lports);
	free(q);
}

static const uint32_t *query_uid(const struct query *q)
{
	return q->o.all ? NULL : &q->o.uid;
}

/* Makes group g the one under way, its pass bits cleared. */
static int query_begin_group(struct query *q)
{
	const struct sockgroup *gr = &q->p->groups[q->g];
	size_t words = ((size_t)gr->nsock + gr->nconn + 63) / 64;

	memset(&q->sum, 0, sizeof(q->sum));
	q->matched = q->nlis = q->k = 0;
	if (!q->o.filter || !words)
		return 0;
	if (words > q->passcap) {
		free(q->pass);
		q->pass = malloc(words * sizeof(*q->pass));
		if (!q->pass) {
			q->passcap = 0;
			return -1;
		}
		q->passcap = words;
	}
	memset(q->pass, 0, words * sizeof(*q->pass));
	return 0;
}

static int query_passed(const struct query *q, size_t k)
{
	return !q->o.filter || (q->pass[k / 64] >> (k % 64) & 1);
}

/*
 * Member k of group g as it is now: a listener as the overlay has it,
 * NULL when it has closed since the picture.
 */
static const struct sock_rec *query_rec(const struct query *q,
					const struct sockgroup *gr, size_t k,
					struct sock_rec *now)
{
	uint32_t rec = q->p->order[gr->first + k];
	const struct sock_rec *r = &q->p->recs[rec];

	if (k >= gr->nsock || !q->o.overlay)
		return r;
	return overlay_apply(q->o.overlay, rec, r, now);
}

/* Member k of group g: tested, and counted when it passes. */
static int query_match_one(struct query *q, const struct sockgroup *gr)
{
	uint32_t rec = q->p->order[gr->first + q->k];
	struct sock_rec now;
	const struct sock_rec *r = query_rec(q, gr, q->k, &now);
	int listener = q->k < gr->nsock;
	struct filter_env env = { q, env_group,
				  q->p->owner_at ? env_procs : NULL };

	if (!r || (q->o.filter && !filter_match(q->o.filter, r, rec, &env)))
		return 0;
	if (q->o.filter)
		q->pass[q->k / 64] |= 1ull << (q->k % 64);
	q->matched++;
	encode_sum_add(&q->sum, r, listener);
	if (listener) {
		if (grow(&q->lis, &q->liscap, q->nlis, sizeof(*q->lis), 8) < 0)
			return -1;
		q->lis[q->nlis++] = rec;
	}
	q->totals.sockets++;
	if (r->proto == IPPROTO_TCP)
		q->totals.tcp++;
	else
		q->totals.udp++;
	return 0;
}

static void sum_merge(struct encode_sum *into, const struct encode_sum *s)
{
	size_t i;

	for (i = 0; i < REC_NTALLY; i++)
		into->counts[i] += s->counts[i];
}

/*
 * The group once its match is done: skipped when nothing passed, its
 * head when its members follow, or the whole record without them.
 */
/* The rates of listen group gr into rt, or NULL when it has none. */
static const struct encode_rates *query_rates(const struct query *q,
					      const struct sockgroup *gr,
					      struct encode_rates *rt)
{
	const struct query_rates *qr = q->o.rates;

	if (!qr || gr->ep.role != GROUP_LISTEN)
		return NULL;
	qr->get(qr->ctx, &gr->ep, &rt->opened_per_s, &rt->closed_per_s);
	rt->window_s = qr->window_s;
	return rt;
}

static void query_matched(struct query *q, struct jbuf *b,
			  const struct sockgroup *gr)
{
	const uint32_t *uid = query_uid(q);
	struct encode_rates rt;

	q->k = 0;
	if (!q->matched) {
		q->g++;
		return;
	}
	q->groups++;
	sum_merge(&q->by_proto[gr->ep.proto == IPPROTO_UDP], &q->sum);
	if (q->o.view == PROTO_VIEW_FULL) {
		encode_group_head(b, q->p, gr, &q->sum, q->lis, q->nlis, uid,
				  query_rates(q, gr, &rt));
		q->first = 1;
		q->phase = Q_SOCKETS;
		return;
	}
	if (q->o.view == PROTO_VIEW_COUNTS || gr->ep.role == GROUP_LISTEN) {
		encode_group_sizes(b, q->p, gr, &q->sum, q->lis, q->nlis, uid,
				   query_rates(q, gr, &rt),
				   q->matched - q->nlis);
		q->sent++;
	}
	q->g++;
}

/*
 * Counts group g's connections at once when nothing is filtered, none
 * is written and the picture carries their counts: -c and --summary of
 * a million connections cost a group, not a million. 1 when it did.
 */
static int query_tally(struct query *q, const struct sockgroup *gr)
{
	const struct picture *p = q->p;
	const struct group_tally *t;
	size_t i;

	if (q->o.filter || q->o.view == PROTO_VIEW_FULL || q->k != gr->nsock)
		return 0;
	while (q->tally < p->ntallies && p->tallies[q->tally].group < q->g)
		q->tally++;
	if (q->tally == p->ntallies || p->tallies[q->tally].group != q->g)
		return 0;
	t = &p->tallies[q->tally];
	for (i = 0; i < REC_NTALLY; i++)
		q->sum.counts[i] += t->count[i];
	q->matched += gr->nconn;
	q->totals.sockets += gr->nconn;
	if (gr->ep.proto == IPPROTO_TCP)
		q->totals.tcp += gr->nconn;
	else
		q->totals.udp += gr->nconn;
	q->k += gr->nconn;
	return 1;
}

static size_t query_match(struct query *q, struct jbuf *b, size_t work)
{
	const struct sockgroup *gr;
	size_t cost = filter_cost(q->o.filter), done = 0;

	if (q->g == q->p->ngroups) {
		q->phase = Q_END;
		return 1;
	}
	gr = &q->p->groups[q->g];
	if (q->k == 0 && query_begin_group(q) < 0)
		return (size_t)-1;
	while (q->k < (size_t)gr->nsock + gr->nconn && done < work) {
		if (query_tally(q, gr)) {
			done++;
			break;
		}
		if (query_match_one(q, gr) < 0)
			return (size_t)-1;
		q->k++;
		done += cost;
	}
	if (q->k == (size_t)gr->nsock + gr->nconn)
		query_matched(q, b, gr);
	return done + 1;
}

/* Writes passing members of one array of group g, up to the limits. */
static size_t query_members(struct query *q, struct jbuf *b, size_t work,
			    size_t max)
{
	const struct sockgroup *gr = &q->p->groups[q->g];
	size_t base = q->phase == Q_SOCKETS ? 0 : gr->nsock;
	size_t end = q->phase == Q_SOCKETS ? gr->nsock : gr->nconn, done = 0;

	while (q->k < end && done < work && b->len < max) {
		struct sock_rec now;
		const struct sock_rec *r = query_rec(q, gr, base + q->k, &now);

		if (r && query_passed(q, base + q->k)) {
			uint32_t rec = q->p->order[gr->first + base + q->k];

			encode_member(b, q->p, rec, r,
				      query_peer(q, gr, rec, r), query_uid(q),
				      q->first);
			q->first = 0;
		}
		q->k++;
		done++;
	}
	if (q->k < end)
		return done + 1;
	q->k = 0;
	q->first = 1;
	if (q->phase == Q_SOCKETS) {
		encode_group_middle(b);
		q->phase = Q_CONNS;
		return done + 1;
	}
	encode_group_tail(b);
	q->sent++;
	q->g++;
	q->phase = Q_MATCH;
	return done + 1;
}

int query_step(struct query *q, struct jbuf *b, size_t max)
{
	size_t work = 0, done = 0;

	while (work < QUERY_STEP_WORK && b->len < max && !b->oom) {
		switch (q->phase) {
		case Q_HEADER:
			encode_header(b, q->p, q->o.overlay, q->o.now_mono_ms,
				      q->o.interval_ms, q->o.all, q->o.source);
			q->phase = Q_MATCH;
			done = 1;
			break;
		case Q_MATCH:
			done = query_match(q, b, QUERY_STEP_WORK - work);
			break;
		case Q_SOCKETS:
		case Q_CONNS:
			done = query_members(q, b, QUERY_STEP_WORK - work, max);
			break;
		case Q_END:
			q->totals.groups = q->groups;
			if (q->o.view == PROTO_VIEW_SUMMARY)
				encode_summary(b, &q->by_proto[0],
					       &q->by_proto[1]);
			encode_end(b, q->sent, &q->totals);
			q->phase = Q_DONE;
			return b->oom ? -1 : 0;
		case Q_DONE:
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
