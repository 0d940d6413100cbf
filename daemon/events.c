/* SPDX-License-Identifier: ISC */
/*
 * events.c - what happens to sockets, for subscribers and the history.
 *
 * A close comes from the kernel the moment a socket is freed; who held
 * it, when it was first seen and what group it was in come from the
 * picture that saw it, found by cookie. A socket no picture saw closes
 * with no holders, in the group its ends put it in. Opens and listeners
 * are what a new picture has that the last had not, and listeners that
 * went without a word from the kernel are what it lacks. When the kernel
 * dropped events (ENOBUFS), the next picture tells which connections
 * closed unheard: they are reported from it, and counted as lost.
 *
 * A subscriber's events wait packed in its queue and are encoded into
 * its client's out buffer a chunk ahead of what the socket takes, so
 * that a reader who is behind holds about four times as many events as
 * their JSON would. At most EVENTS_QUEUE_MAX bytes wait, JSON and packed:
 * past it, its events are counted, and it gets a lost record, in order,
 * once it has room again. Nobody waits for anybody.
 */
#include "events.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "encode.h"
#include "grow.h"
#include "log.h"
#include "order.h"

#define EVENTS_READ_BUFS 64	   /* received buffers a turn, at most */
#define EVENTS_UNSEEN_MAX 262144   /* closes remembered for the next diff */
#define EVENTS_RATE_BUCKETS 6	   /* of EVENTS_RATE_WINDOW_S / 6 each */
#define EVENTS_PIC_TIME UINT32_MAX /* not yet given a first-seen time */
#define EVENTS_CHUNK 32768	   /* JSON encoded ahead of a socket */

/* A picture as events know it: its records by cookie, and their ages. */
struct ev_pic {
	struct snap *snap; /* held */
	uint32_t *by_cookie;
	uint32_t *seen;	 /* a record's first sight, an index in times */
	uint8_t *closed; /* a bit a record: its close is out */
	int64_t *times;	 /* CLOCK_REALTIME ms */
	size_t ntimes;
	int64_t taken_ms;
};

/* A close of a socket no picture had: the next one may still have it. */
struct ev_unseen {
	uint64_t cookie;
	int64_t at_ms;
};

/* A listen group's opened and closed connections, in time buckets. */
struct ev_rate {
	struct endpoint ep;
	int64_t bucket0; /* the number of the newest bucket */
	uint32_t opened[EVENTS_RATE_BUCKETS];
	uint32_t closed[EVENTS_RATE_BUCKETS];
};

struct events {
	struct loop *loop;
	struct destroy *d;
	struct events_opts o;
	struct ev_pic cur; /* snap NULL until the first picture */
	struct ev_unseen *unseen;
	size_t nunseen, ucap;
	uint64_t *full; /* listeners whose queue was full at the last look */
	size_t nfull;
	struct events_sub *subs;
	unsigned nsubs;
	struct history hist;
	struct ev_rate *rates; /* sorted by endpoint */
	size_t nrates, rcap;
	uint64_t overruns_seen; /* of the destroy socket, when last looked */
	int resync;		/* a picture will tell what was lost */
	uint64_t emitted;
	uint64_t kernel_lost;
};

static const struct picture *ev_picture(const struct events *ev)
{
	return ev->cur.snap ? &ev->cur.snap->pic : NULL;
}

/* ---- rates ---- */

static int64_t rate_bucket(int64_t ms)
{
	return ms / (EVENTS_RATE_WINDOW_S * 1000 / EVENTS_RATE_BUCKETS);
}

/* Moves r's buckets on to now's, emptying those it passes. */
static void rate_advance(struct ev_rate *r, int64_t now_bucket)
{
	int64_t shift = now_bucket - r->bucket0;
	size_t keep;

	if (shift <= 0)
		return;
	keep = shift >= EVENTS_RATE_BUCKETS
		       ? 0
		       : EVENTS_RATE_BUCKETS - (size_t)shift;
	memmove(r->opened + EVENTS_RATE_BUCKETS - keep, r->opened,
		keep * sizeof(r->opened[0]));
	memmove(r->closed + EVENTS_RATE_BUCKETS - keep, r->closed,
		keep * sizeof(r->closed[0]));
	memset(r->opened, 0,
	       (EVENTS_RATE_BUCKETS - keep) * sizeof(r->opened[0]));
	memset(r->closed, 0,
	       (EVENTS_RATE_BUCKETS - keep) * sizeof(r->closed[0]));
	r->bucket0 = now_bucket;
}

static size_t rate_find(const struct events *ev, const struct endpoint *ep,
			int *found)
{
	size_t lo = 0, hi = ev->nrates;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = group_cmp_endpoints(&ev->rates[mid].ep, ep);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Counts an open or a close of a connection of listen group ep. */
static void rate_count(struct events *ev, const struct endpoint *ep, int open,
		       int64_t at_ms)
{
	int64_t b = rate_bucket(at_ms);
	int found;
	size_t i = rate_find(ev, ep, &found);
	struct ev_rate *r;

	if (ep->role != GROUP_LISTEN)
		return;
	if (!found) {
		if (grow(&ev->rates, &ev->rcap, ev->nrates, sizeof(*ev->rates),
			 16) < 0)
			return;
		memmove(&ev->rates[i + 1], &ev->rates[i],
			(ev->nrates - i) * sizeof(*ev->rates));
		memset(&ev->rates[i], 0, sizeof(ev->rates[i]));
		ev->rates[i].ep = *ep;
		ev->rates[i].bucket0 = b;
		ev->nrates++;
	}
	r = &ev->rates[i];
	rate_advance(r, b);
	if (b <= r->bucket0 - EVENTS_RATE_BUCKETS)
		return;
	if (open)
		r->opened[r->bucket0 - b]++;
	else
		r->closed[r->bucket0 - b]++;
}

/* Drops the groups with nothing in the window. */
static void rate_expire(struct events *ev, int64_t now_ms)
{
	int64_t b = rate_bucket(now_ms);
	size_t i, k = 0;

	for (i = 0; i < ev->nrates; i++) {
		struct ev_rate *r = &ev->rates[i];
		size_t j, any = 0;

		rate_advance(r, b);
		for (j = 0; j < EVENTS_RATE_BUCKETS; j++)
			any += r->opened[j] + r->closed[j];
		if (any)
			ev->rates[k++] = *r;
	}
	ev->nrates = k;
}

int events_rates(const struct events *ev, const struct endpoint *ep,
		 double *opened, double *closed)
{
	int64_t b = rate_bucket(clock_real_ms());
	uint64_t o = 0, c = 0;
	int found;
	size_t i = rate_find(ev, ep, &found), j;
	const struct ev_rate *r;

	*opened = *closed = 0;
	if (!found)
		return 0;
	r = &ev->rates[i];
	for (j = 0; j < EVENTS_RATE_BUCKETS; j++) {
		if (r->bucket0 - (int64_t)j <= b - EVENTS_RATE_BUCKETS)
			break;
		o += r->opened[j];
		c += r->closed[j];
	}
	*opened = (double)o / EVENTS_RATE_WINDOW_S;
	*closed = (double)c / EVENTS_RATE_WINDOW_S;
	return 1;
}

/* ---- subscribers ---- */

static const uint32_t *sub_uid(const struct events_sub *s)
{
	return s->all ? NULL : &s->uid;
}

/* The JSON in out that its socket has not taken yet. */
static size_t sub_unsent(const struct events_sub *s)
{
	return s->out->len - *s->out_off;
}

/* What the packed queue may hold now: the rest of EVENTS_QUEUE_MAX. */
static size_t sub_limit(const struct events_sub *s)
{
	size_t unsent = sub_unsent(s);

	return unsent < EVENTS_QUEUE_MAX ? EVENTS_QUEUE_MAX - unsent : 0;
}

/* Encodes queued records into out, EVENTS_CHUNK ahead of its socket. */
static void sub_fill(struct events_sub *s)
{
	struct evq_item it;
	int any = 0;

	while (sub_unsent(s) < EVENTS_CHUNK && evq_pop(&s->q, &it)) {
		if (it.lost)
			encode_lost(s->out, it.count,
				    it.lost - 1 == EVQ_LOST_KERNEL
					    ? "kernel"
					    : "slow reader");
		else
			encode_event(s->out, &it.e, sub_uid(s));
		any = 1;
	}
	evq_trim(&s->q);
	if (any)
		s->wake(s->ctx);
}

/* The lost record a subscriber is owed, if it has room for it now. */
static void sub_catch_up(struct events_sub *s)
{
	if (s->lost &&
	    !evq_push_lost(&s->q, s->lost, EVQ_LOST_SLOW, sub_limit(s)))
		s->lost = 0;
}

/* To every subscriber whose filter passes it, room permitting. */
static void events_emit(struct events *ev, const struct event *e)
{
	struct events_sub *s;

	ev->emitted++;
	for (s = ev->subs; s; s = s->next) {
		if (!event_match(s->filter, e, sub_uid(s)))
			continue;
		sub_catch_up(s);
		if (s->lost || evq_push(&s->q, e, sub_limit(s)) < 0) {
			s->lost++; /* after its last record, in order */
			continue;
		}
		sub_fill(s);
	}
}

/*
 * Every subscriber learns that the kernel dropped count events, in its
 * queue's order; one record of them at its end takes the next count.
 */
static void events_lost_kernel(struct events *ev, uint64_t count)
{
	struct events_sub *s;

	for (s = ev->subs; s; s = s->next) {
		if (evq_push_lost(&s->q, count, EVQ_LOST_KERNEL, SIZE_MAX) < 0)
			s->lost += count; /* no memory: told as its own loss */
		sub_fill(s);
	}
}

int events_subscribe(struct events *ev, struct events_sub *sub)
{
	if (ev->nsubs >= ev->o.max_subscribers)
		return -1;
	sub->lost = 0;
	memset(&sub->q, 0, sizeof(sub->q));
	sub->next = ev->subs;
	ev->subs = sub;
	ev->nsubs++;
	return 0;
}

void events_unsubscribe(struct events *ev, struct events_sub *sub)
{
	struct events_sub **pp;

	for (pp = &ev->subs; *pp; pp = &(*pp)->next)
		if (*pp == sub) {
			*pp = sub->next;
			evq_free(&sub->q);
			ev->nsubs--;
			return;
		}
}

void events_drained(struct events *ev, struct events_sub *sub)
{
	(void)ev;
	sub_fill(sub);
	sub_catch_up(sub);
	sub_fill(sub);
}

/* ---- events from a picture ---- */

/* What an event carries besides itself: holders, a listener's programs. */
struct ev_buf {
	struct event e;
	struct event_proc procs[HISTORY_MAX_PROCS];
	struct event_proc gprocs[HISTORY_MAX_PROCS];
};

static size_t ev_procs_of(const struct picture *p, uint32_t rec,
			  struct event_proc *out, size_t have)
{
	const uint32_t *idx;
	size_t n = picture_owners(p, rec, &idx), k, j;

	for (k = 0; k < n && have < HISTORY_MAX_PROCS; k++) {
		const struct picture_proc *pr = &p->procs[idx[k]];

		for (j = 0; j < have && out[j].pid != pr->pid; j++)
			;
		if (j < have)
			continue; /* the workers of one server share it */
		out[have].pid = pr->pid;
		out[have].uid = pr->uid;
		out[have].comm = picture_str(p, pr->comm);
		out[have].user = picture_str(p, pr->user);
		out[have].unit = picture_str(p, pr->unit);
		out[have].container = picture_str(p, pr->container);
		have++;
	}
	return have;
}

/* The group of r in p: its key, and a listen group's programs. */
static void ev_group(struct ev_buf *b, const struct picture *p,
		     const struct sock_rec *r)
{
	uint32_t g = p ? group_place(p->groups, p->ngroups, r, &b->e.group)
		       : GROUP_NONE;
	const struct sockgroup *gr;
	size_t k;

	b->e.gprocs = b->gprocs;
	b->e.ngprocs = 0;
	/* a group the picture has not seen: by the rule that marks them */
	if (!p)
		b->e.group_local = 0;
	else if (g != GROUP_NONE)
		b->e.group_local = p->groups[g].local;
	else
		b->e.group_local = b->e.group.role == GROUP_OUTBOUND &&
				   group_reaches_here(p->recs, p->order,
						      p->groups, p->ngroups, r);
	if (!p) {
		memset(&b->e.group, 0, sizeof(b->e.group));
		b->e.group.role =
			rec_remote_unset(r) ? GROUP_LISTEN : GROUP_OUTBOUND;
		b->e.group.proto = r->proto;
		b->e.group.family = r->family;
		return;
	}
	b->e.group_dev = b->e.group.ifindex
				 ? picture_dev_name(p, b->e.group.ifindex)
				 : NULL;
	if (g == GROUP_NONE || !p->owner_at)
		return;
	gr = &p->groups[g];
	if (gr->ep.role != GROUP_LISTEN)
		return;
	for (k = 0; k < gr->nsock; k++)
		b->e.ngprocs = ev_procs_of(p, p->order[gr->first + k],
					   b->gprocs, b->e.ngprocs);
}

/* Record i of picture pp as an event of kind k at at_ms. */
static void ev_from_pic(struct ev_buf *b, const struct ev_pic *pp, uint32_t i,
			unsigned kind, unsigned source, int64_t at_ms)
{
	const struct picture *p = &pp->snap->pic;
	const struct sock_rec *r = &p->recs[i];

	memset(&b->e, 0, sizeof(b->e));
	b->e.kind = (uint8_t)kind;
	b->e.source = (uint8_t)source;
	b->e.at_ms = at_ms;
	b->e.rec = *r;
	b->e.dev = r->ifindex ? picture_dev_name(p, r->ifindex) : NULL;
	b->e.procs = b->procs;
	b->e.nprocs = p->owner_at ? ev_procs_of(p, i, b->procs, 0) : 0;
	if (pp->seen && pp->seen[i] != EVENTS_PIC_TIME)
		b->e.first_seen_ms = pp->times[pp->seen[i]];
	ev_group(b, p, r);
}

/* A connection closed: for the history and the group's rates. */
static void ev_log_close(struct events *ev, const struct event *e)
{
	if (rec_remote_unset(&e->rec) || rec_is_listener(&e->rec))
		return; /* no connection: a socket bound and let go */
	if (history_add(&ev->hist, e) < 0)
		log_debug("history: no memory for the holders of a close");
	rate_count(ev, &e->group, 0, e->at_ms);
	if (!e->first_seen_ms)
		rate_count(ev, &e->group, 1, e->at_ms); /* and opened unseen */
}

/* ---- closes from the kernel ---- */

static int ev_cmp_cookie(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Whether a set sorted by cookie (each element's first member) holds it;
 * an empty set may have no array, which bsearch must not be given.
 */
static int ev_has_cookie(const void *set, size_t n, size_t size,
			 uint64_t cookie)
{
	return n && bsearch(&cookie, set, n, size, ev_cmp_cookie);
}

/* Record of cookie in the current picture, or UINT32_MAX. */
static uint32_t ev_lookup(const struct events *ev, uint64_t cookie)
{
	const struct picture *p = ev_picture(ev);
	size_t lo = 0, hi = p ? p->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t c = p->recs[ev->cur.by_cookie[mid]].cookie;

		if (c == cookie)
			return ev->cur.by_cookie[mid];
		if (c < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

/* A close no picture saw, remembered so the next one's open is not told. */
static void ev_remember_unseen(struct events *ev, uint64_t cookie, int64_t at)
{
	if (ev->nunseen >= EVENTS_UNSEEN_MAX) { /* the older half goes */
		memmove(ev->unseen, ev->unseen + EVENTS_UNSEEN_MAX / 2,
			(ev->nunseen - EVENTS_UNSEEN_MAX / 2) *
				sizeof(*ev->unseen));
		ev->nunseen -= EVENTS_UNSEEN_MAX / 2;
	}
	if (grow(&ev->unseen, &ev->ucap, ev->nunseen, sizeof(*ev->unseen),
		 256) < 0)
		return;
	ev->unseen[ev->nunseen].cookie = cookie;
	ev->unseen[ev->nunseen].at_ms = at;
	ev->nunseen++;
}

static int ev_bit(const uint8_t *bits, uint32_t i)
{
	return (bits[i / 8] >> (i % 8)) & 1;
}

static void ev_kernel_close(void *ctx, const struct destroy_event *d)
{
	struct events *ev = ctx;
	const struct picture *p = ev_picture(ev);
	uint32_t i = ev_lookup(ev, d->rec.cookie);
	int64_t now = clock_real_ms();
	struct ev_buf b;

	/* told already: from a picture, when the kernel's word came late */
	if (i != UINT32_MAX && ev_bit(ev->cur.closed, i))
		return;
	if (i != UINT32_MAX) {
		int listener = rec_is_listener(&p->recs[i]);

		ev_from_pic(&b, &ev->cur, i,
			    listener ? EVENT_UNLISTEN : EVENT_CLOSE,
			    EVENT_SRC_KERNEL, now);
		ev->cur.closed[i / 8] |= (uint8_t)(1u << (i % 8));
	} else {
		memset(&b.e, 0, sizeof(b.e));
		b.e.kind = EVENT_CLOSE;
		b.e.source = EVENT_SRC_KERNEL;
		b.e.at_ms = now;
		b.e.rec = d->rec;
		b.e.dev = d->rec.ifindex && p
				  ? picture_dev_name(p, d->rec.ifindex)
				  : NULL;
		b.e.procs = b.procs;
		ev_group(&b, p, &d->rec);
		ev_remember_unseen(ev, d->rec.cookie, now);
	}
	b.e.rec.state = REC_CLOSE;
	b.e.has_tcp = d->has_tcp;
	b.e.tcp = d->tcp;
	events_emit(ev, &b.e);
	if (b.e.kind == EVENT_CLOSE)
		ev_log_close(ev, &b.e);
}

/* ENOBUFS since the last look: the next picture is to catch up. */
static void ev_check_overruns(struct events *ev)
{
	uint64_t overruns = destroy_overruns(ev->d);

	if (overruns == ev->overruns_seen)
		return;
	if (!ev->resync)
		log_warnx("the kernel dropped socket events (its buffer of %d "
			  "bytes was full): catching up from the next picture",
			  destroy_rcvbuf(ev->d));
	ev->overruns_seen = overruns;
	ev->resync = 1;
	ev->o.ask_fresh(ev->o.ctx);
}

/* The destroy socket has input: a bounded turn of it. */
static void ev_readable(void *ctx, int fd, short revents)
{
	struct events *ev = ctx;

	(void)fd;
	(void)revents;
	if (destroy_read(ev->d, EVENTS_READ_BUFS, ev_kernel_close, ev) < 0 &&
	    errno != EAGAIN)
		log_warnx("destroy events: %s", strerror(errno));
	ev_check_overruns(ev);
}

/*
 * What the kernel has told, before a picture is compared: a close it
 * queued before the dump passed its socket is read before the picture
 * that lacks it. Bounded, as a churn never pauses.
 */
static void ev_drain(struct events *ev)
{
	int k;

	if (!ev->d)
		return;
	for (k = 0; k < 16; k++)
		if (destroy_read(ev->d, EVENTS_READ_BUFS, ev_kernel_close,
				 ev) <= 0)
			break;
	ev_check_overruns(ev);
}

/* ---- the difference of two pictures ---- */

static void ev_pic_free(struct ev_pic *pp)
{
	snap_unref(pp->snap);
	free(pp->by_cookie);
	free(pp->seen);
	free(pp->closed);
	free(pp->times);
	memset(pp, 0, sizeof(*pp));
}

static int ev_pic_build(struct ev_pic *np, struct snap *s, size_t old_times)
{
	const struct picture *p = &s->pic;
	size_t n = p->n ? p->n : 1;

	memset(np, 0, sizeof(*np));
	np->snap = snap_ref(s);
	np->by_cookie = malloc(n * sizeof(*np->by_cookie));
	np->seen = malloc(n * sizeof(*np->seen));
	np->closed = calloc(n / 8 + 1, 1);
	np->times = malloc((old_times + 1) * sizeof(*np->times));
	np->taken_ms = (int64_t)p->h->taken_sec * 1000 +
		       (int64_t)(p->h->taken_nsec / 1000000);
	if (!np->by_cookie || !np->seen || !np->closed || !np->times ||
	    order_by_cookie(p->recs, p->n, np->by_cookie) < 0) {
		ev_pic_free(np);
		return -1;
	}
	memset(np->seen, 0xff, n * sizeof(*np->seen));
	return 0;
}

/* One comparison of two pictures, and what it found. */
struct ev_diff {
	struct events *ev;
	const struct ev_pic *op;
	struct ev_pic *np;
	uint32_t *remap;   /* op's time indices in np's, or EVENTS_PIC_TIME */
	uint32_t now_t;	   /* np's own time, once given */
	uint32_t *unheard; /* op's connections gone without a close */
	size_t nunheard, ucap;
};

static uint32_t diff_time(struct ev_diff *df, uint32_t old)
{
	struct ev_pic *np = df->np;
	uint32_t *slot = old == EVENTS_PIC_TIME ? &df->now_t : &df->remap[old];

	if (*slot == EVENTS_PIC_TIME) {
		np->times[np->ntimes] = old == EVENTS_PIC_TIME
						? np->taken_ms
						: df->op->times[old];
		*slot = (uint32_t)np->ntimes++;
	}
	return *slot;
}

/* Not a full socket: no open, no close of its own (see destroy.h). */
static int ev_not_full(const struct sock_rec *r)
{
	return (r->flags & REC_F_MINI) || r->state == REC_TIME_WAIT;
}

/* Record i of the new picture, which the last had not. */
static void diff_appeared(struct ev_diff *df, uint32_t i)
{
	struct ev_pic *np = df->np;
	const struct sock_rec *r = &np->snap->pic.recs[i];
	struct ev_buf b;

	np->seen[i] = diff_time(df, EVENTS_PIC_TIME);
	if (!df->op->snap || ev_not_full(r))
		return; /* the first picture has no news */
	if (ev_has_cookie(df->ev->unseen, df->ev->nunseen,
			  sizeof(*df->ev->unseen), r->cookie)) {
		np->closed[i / 8] |= (uint8_t)(1u << (i % 8));
		return; /* its close is out already */
	}
	ev_from_pic(&b, np, i, rec_is_listener(r) ? EVENT_LISTEN : EVENT_OPEN,
		    EVENT_SRC_POLL, np->taken_ms);
	events_emit(df->ev, &b.e);
	if (b.e.kind == EVENT_OPEN)
		rate_count(df->ev, &b.e.group, 1, b.e.at_ms);
}

/* Record i of the last picture, which the new one lacks. */
static void diff_vanished(struct ev_diff *df, uint32_t i)
{
	const struct ev_pic *op = df->op;
	const struct sock_rec *r = &op->snap->pic.recs[i];
	struct ev_buf b;

	if (ev_bit(op->closed, i) || ev_not_full(r))
		return;
	if (!rec_is_listener(r)) {
		if (grow(&df->unheard, &df->ucap, df->nunheard,
			 sizeof(*df->unheard), 64) == 0)
			df->unheard[df->nunheard++] = i;
		return;
	}
	ev_from_pic(&b, op, i, EVENT_UNLISTEN, EVENT_SRC_POLL,
		    df->np->taken_ms);
	events_emit(df->ev, &b.e);
}

/*
 * In both: the new record keeps the first sight and the close mark. A
 * TIME-WAIT socket keeps the cookie of the full one it replaced: that
 * one closed, and unheard when no mark says otherwise.
 */
static void diff_kept(struct ev_diff *df, uint32_t i_old, uint32_t i_new)
{
	const struct sock_rec *o = &df->op->snap->pic.recs[i_old];
	const struct sock_rec *n = &df->np->snap->pic.recs[i_new];
	int closed = ev_bit(df->op->closed, i_old);

	df->np->seen[i_new] = diff_time(df, df->op->seen[i_old]);
	if (!closed && !ev_not_full(o) && ev_not_full(n)) {
		diff_vanished(df, i_old);
		closed = 1;
	}
	if (closed)
		df->np->closed[i_new / 8] |= (uint8_t)(1u << (i_new % 8));
}

static void diff_walk(struct ev_diff *df)
{
	const struct ev_pic *op = df->op;
	struct ev_pic *np = df->np;
	size_t no = op->snap ? op->snap->pic.n : 0, nn = np->snap->pic.n;
	size_t i = 0, j = 0;

	while (i < no || j < nn) {
		uint32_t ro = i < no ? op->by_cookie[i] : 0;
		uint32_t rn = j < nn ? np->by_cookie[j] : 0;
		uint64_t co = i < no ? op->snap->pic.recs[ro].cookie : 0;
		uint64_t cn = j < nn ? np->snap->pic.recs[rn].cookie : 0;

		if (j < nn && (i == no || cn < co)) {
			diff_appeared(df, rn);
			j++;
		} else if (i < no && (j == nn || co < cn)) {
			diff_vanished(df, ro);
			i++;
		} else {
			diff_kept(df, ro, rn);
			i++;
			j++;
		}
	}
}

/*
 * Connections the last picture had that closed without a word from the
 * kernel, which dropped it: told now, from the picture, and counted.
 */
static void diff_unheard(struct ev_diff *df)
{
	struct events *ev = df->ev;
	size_t k;

	if (!df->nunheard && !ev->resync)
		return;
	if (ev->d) { /* else closes are known from pictures alone */
		ev->resync = 0;
		ev->kernel_lost += df->nunheard;
		events_lost_kernel(ev, df->nunheard);
	}
	for (k = 0; k < df->nunheard; k++) {
		struct ev_buf b;

		ev_from_pic(&b, df->op, df->unheard[k], EVENT_CLOSE,
			    EVENT_SRC_POLL, df->np->taken_ms);
		b.e.rec.state = REC_CLOSE;
		events_emit(ev, &b.e);
		ev_log_close(ev, &b.e);
	}
}

/* Closes no picture will have any more are forgotten. */
static void ev_prune_unseen(struct events *ev, int64_t taken_ms)
{
	size_t i, k = 0;

	for (i = 0; i < ev->nunseen; i++)
		if (ev->unseen[i].at_ms >= taken_ms)
			ev->unseen[k++] = ev->unseen[i];
	ev->nunseen = k;
}

/* ---- accept queues ---- */

/*
 * The TCP listeners of the picture as o (may be NULL) has them now: one
 * whose queue has reached its limit since the last look is told.
 */
static void ev_queues(struct events *ev, const struct picture *p,
		      const struct overlay *o)
{
	uint64_t *full = NULL;
	size_t nfull = 0, cap = 0, g, k;

	for (g = 0; g < p->ngroups; g++) {
		const struct sockgroup *gr = &p->groups[g];

		if (gr->ep.role != GROUP_LISTEN || gr->ep.proto != IPPROTO_TCP)
			continue;
		for (k = 0; k < gr->nsock; k++) {
			uint32_t i = p->order[gr->first + k];
			struct sock_rec now;
			const struct sock_rec *r =
				o ? overlay_apply(o, i, &p->recs[i], &now)
				  : &p->recs[i];
			struct ev_buf b;

			if (!r || !r->wqueue || r->rqueue < r->wqueue)
				continue;
			if (grow(&full, &cap, nfull, sizeof(*full), 16) == 0)
				full[nfull++] = r->cookie;
			if (ev_has_cookie(ev->full, ev->nfull,
					  sizeof(*ev->full), r->cookie))
				continue;
			ev_from_pic(&b, &ev->cur, i, EVENT_OVERFLOW,
				    EVENT_SRC_POLL, clock_real_ms());
			b.e.rec = *r;
			events_emit(ev, &b.e);
		}
	}
	if (nfull)
		qsort(full, nfull, sizeof(*full), ev_cmp_cookie);
	free(ev->full);
	ev->full = full;
	ev->nfull = nfull;
}

void events_picture(struct events *ev, struct snap *s)
{
	struct ev_diff df = { .ev = ev,
			      .op = &ev->cur,
			      .now_t = EVENTS_PIC_TIME };
	struct ev_pic np;
	size_t i;

	ev_drain(ev);
	if (ev_pic_build(&np, s, ev->cur.ntimes) < 0) {
		log_warnx("events: no memory to compare pictures; this one "
			  "is not compared");
		return;
	}
	df.np = &np;
	df.remap = malloc((ev->cur.ntimes + 1) * sizeof(*df.remap));
	if (!df.remap) {
		ev_pic_free(&np);
		log_warnx("events: no memory to compare pictures");
		return;
	}
	for (i = 0; i < ev->cur.ntimes; i++)
		df.remap[i] = EVENTS_PIC_TIME;
	if (ev->nunseen)
		qsort(ev->unseen, ev->nunseen, sizeof(*ev->unseen),
		      ev_cmp_cookie);
	diff_walk(&df);
	diff_unheard(&df);
	free(df.remap);
	free(df.unheard);
	ev_prune_unseen(ev, np.taken_ms);
	ev_pic_free(&ev->cur);
	ev->cur = np;
	ev_queues(ev, &s->pic, NULL);
	rate_expire(ev, clock_real_ms());
}

void events_overlay(struct events *ev, const struct snap *s)
{
	if (!ev->cur.snap || ev->cur.snap != s->base)
		return; /* not over the picture compared last */
	ev_drain(ev);
	ev_queues(ev, &s->pic, snap_overlay_of(s));
}

/* ---- the rest ---- */

struct events *events_new(struct loop *loop, struct destroy *d,
			  const struct events_opts *o)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->loop = loop;
	ev->o = *o;
	if (history_init(&ev->hist, o->history_size, clock_real_ms()) < 0) {
		free(ev);
		return NULL;
	}
	if (d && loop_add(loop, destroy_fd(d), POLLIN, ev_readable, ev) < 0) {
		history_free(&ev->hist);
		free(ev);
		return NULL;
	}
	ev->d = d;
	return ev;
}

const struct history *events_history(const struct events *ev)
{
	return &ev->hist;
}

void events_stats(const struct events *ev, struct events_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->subscribers = ev->nsubs;
	st->events = ev->emitted;
	st->kernel_overruns = ev->d ? destroy_overruns(ev->d) : 0;
	st->kernel_lost = ev->kernel_lost;
	st->history_entries = ev->hist.added - history_oldest(&ev->hist);
	st->history_capacity = ev->hist.cap;
	st->history_bytes = history_memory(&ev->hist);
	st->destroy_events = ev->d != NULL;
}

int events_kernel(const struct events *ev)
{
	return ev->d != NULL;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	if (ev->d) {
		loop_del(ev->loop, destroy_fd(ev->d));
		destroy_close(ev->d);
	}
	ev_pic_free(&ev->cur);
	history_free(&ev->hist);
	free(ev->unseen);
	free(ev->full);
	free(ev->rates);
	free(ev);
}
