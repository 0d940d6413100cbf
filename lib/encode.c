/* SPDX-License-Identifier: ISC */
/* encode.c - group, header and end records written straight to text. */
#include "encode.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "u32map.h"

/* Keys of "counts", in output order; syn-recv covers request sockets. */
static const char *const count_words[] = {
	"listen",      "unconnected", "syn-sent",   "syn-recv",
	"established", "fin-wait-1",  "fin-wait-2", "close-wait",
	"closing",     "last-ack",    "time-wait",  "close",
};
#define NCOUNT (sizeof(count_words) / sizeof(count_words[0]))
_Static_assert(NCOUNT == REC_NTALLY, "counts");

static const char *family_word(uint8_t family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static const char *proto_word(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/*
 * A socket record is written with a cursor into room reserved once: this
 * is the loop that runs for every socket of every listing, so it avoids
 * stdio, strlen and a bounds check per field.
 */
#define SOCKET_JSON_MAX 640 /* two IPv6 ends, numbers, an escaped dev */

static char *cat(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define CAT(p, lit) cat(p, lit, sizeof(lit) - 1)

static char *put_u32(char *p, uint32_t v)
{
	char tmp[10];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return cat(p, tmp + i, sizeof(tmp) - (size_t)i);
}

static char *put_hex(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	int i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	return cat(p, tmp + i, sizeof(tmp) - (size_t)i);
}

static char *put_addr(char *p, uint8_t family, const uint8_t *addr)
{
	int i;

	if (family == AF_INET6)
		return p + strlen(rec_addr_text(family, addr, p));
	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_u32(p, addr[i]);
	}
	return p;
}

static char *put_endpoint(char *p, uint8_t family, const uint8_t *addr,
			  uint16_t port)
{
	p = CAT(p, "{\"addr\":\"");
	p = put_addr(p, family, addr);
	p = CAT(p, "\",\"port\":");
	p = put_u32(p, port);
	*p++ = '}';
	return p;
}

static char *put_word(char *p, const char *w)
{
	*p++ = '"';
	p = cat(p, w, strlen(w));
	*p++ = '"';
	return p;
}

/* A device as JSON: its name, "ifN" once gone, null when unbound. */
static void put_dev_named(struct jbuf *b, uint32_t ifindex, const char *name)
{
	char num[16];

	if (!ifindex) {
		jbuf_puts(b, "null");
		return;
	}
	if (!name) {
		snprintf(num, sizeof(num), "if%u", (unsigned)ifindex);
		name = num;
	}
	jbuf_str(b, name);
}

static void put_dev(struct jbuf *b, const struct picture *p, uint32_t ifindex)
{
	put_dev_named(b, ifindex,
		      ifindex ? picture_dev_name(p, ifindex) : NULL);
}

static void put_optional(struct jbuf *b, const char *key, const char *s)
{
	jbuf_put(b, ",", 1);
	jbuf_key(b, key);
	if (s)
		jbuf_str(b, s);
	else
		jbuf_puts(b, "null");
}

/* {"pid":N,"comm":..,"user":..,"unit":..,"container":..} */
static void put_proc(struct jbuf *b, const struct picture *p,
		     const struct picture_proc *pr)
{
	jbuf_puts(b, "{\"pid\":");
	jbuf_u64(b, (uint64_t)(uint32_t)pr->pid);
	jbuf_puts(b, ",\"comm\":");
	jbuf_str(b, picture_str(p, pr->comm));
	put_optional(b, "user", picture_str(p, pr->user));
	put_optional(b, "unit", picture_str(p, pr->unit));
	put_optional(b, "container", picture_str(p, pr->container));
	jbuf_put(b, "}", 1);
}

/*
 * ,"processes":[...]: the holders of the records recs[0 .. n), each
 * process once (the workers of a pre-forked server share its listeners).
 */
static void put_procs(struct jbuf *b, const struct picture *p,
		      const uint32_t *recs, size_t n, const uint32_t *uid)
{
	struct u32map seen = { 0 };
	size_t i, k, listed = 0;

	jbuf_puts(b, ",\"processes\":[");
	for (i = 0; i < n; i++) {
		const uint32_t *idx;
		size_t m = picture_owners(p, recs[i], &idx);

		for (k = 0; k < m; k++) {
			const struct picture_proc *pr = &p->procs[idx[k]];

			if (uid && pr->uid != *uid)
				continue; /* not the reader's to see */
			if (n > 1 &&
			    u32map_get(&seen, idx[k] + 1) != U32MAP_NONE)
				continue;
			if (n > 1 && u32map_put(&seen, idx[k] + 1, 1) < 0)
				b->oom = 1;
			if (listed++)
				jbuf_put(b, ",", 1);
			put_proc(b, p, pr);
		}
	}
	jbuf_put(b, "]", 1);
	u32map_free(&seen);
}

/* ,"peer":{"cookie":...,"processes":[...]}: the other end, here. */
static void put_peer(struct jbuf *b, const struct picture *p, uint32_t peer,
		     const uint32_t *uid)
{
	char *c;

	if (jbuf_reserve(b, 64) < 0)
		return;
	c = b->p + b->len;
	c = CAT(c, ",\"peer\":{\"cookie\":\"");
	c = put_hex(c, p->recs[peer].cookie);
	*c++ = '"';
	b->len = (size_t)(c - b->p);
	if (p->owner_at)
		put_procs(b, p, &peer, 1, uid);
	jbuf_put(b, "}", 1);
}

void encode_member(struct jbuf *b, const struct picture *p, uint32_t rec,
		   const struct sock_rec *r, uint32_t peer, const uint32_t *uid,
		   int first)
{
	char *c;

	if (jbuf_reserve(b, SOCKET_JSON_MAX) < 0)
		return;
	c = b->p + b->len;
	if (!first)
		*c++ = ',';
	c = CAT(c, "{\"family\":");
	c = put_word(c, family_word(r->family));
	c = CAT(c, ",\"state\":");
	c = put_word(c, count_words[rec_tally(r)]);
	c = CAT(c, ",\"local\":");
	c = put_endpoint(c, r->family, r->laddr, r->lport);
	c = CAT(c, ",\"remote\":");
	c = put_endpoint(c, r->family, r->raddr, r->rport);
	c = CAT(c, ",\"inode\":");
	c = put_u32(c, r->inode);
	c = CAT(c, ",\"uid\":");
	c = put_u32(c, r->uid);
	c = CAT(c, ",\"cookie\":\"");
	c = put_hex(c, r->cookie);
	c = CAT(c, "\",\"rqueue\":");
	c = put_u32(c, r->rqueue);
	c = CAT(c, ",\"wqueue\":");
	c = put_u32(c, r->wqueue);
	c = CAT(c, ",\"dev\":");
	if (!r->ifindex)
		c = CAT(c, "null");
	b->len = (size_t)(c - b->p);
	if (r->ifindex)
		put_dev(b, p, r->ifindex);
	if (r->family == AF_INET6)
		jbuf_puts(b, r->flags & REC_F_V6ONLY ? ",\"v6only\":true"
						     : ",\"v6only\":false");
	if (p->owner_at)
		put_procs(b, p, &rec, 1, uid);
	if (peer != GROUP_NONE)
		put_peer(b, p, peer, uid);
	jbuf_put(b, "}", 1);
}

void encode_sum_add(struct encode_sum *s, const struct sock_rec *r,
		    int listener)
{
	s->counts[rec_tally(r)]++;
	if (!listener)
		return;
	s->qlen += r->rqueue;
	s->qmax += r->wqueue;
}

/* {"state":N,...}, the states with none left out. */
static void put_state_counts(struct jbuf *b, const struct encode_sum *s)
{
	size_t i, sep = 0;

	jbuf_put(b, "{", 1);
	for (i = 0; i < NCOUNT; i++) {
		if (!s->counts[i])
			continue;
		if (sep++)
			jbuf_put(b, ",", 1);
		jbuf_key(b, count_words[i]);
		jbuf_u64(b, s->counts[i]);
	}
	jbuf_put(b, "}", 1);
}

static void put_counts(struct jbuf *b, const struct encode_sum *s)
{
	jbuf_puts(b, ",\"counts\":");
	put_state_counts(b, s);
}

/* For TCP: connections waiting in accept(), and the backlog they may fill. */
static void put_queue(struct jbuf *b, const struct encode_sum *s)
{
	jbuf_puts(b, ",\"accept_queue\":{\"len\":");
	jbuf_u64(b, s->qlen);
	jbuf_puts(b, ",\"max\":");
	jbuf_u64(b, s->qmax);
	jbuf_put(b, "}", 1);
}

static void put_endpoint_named(struct jbuf *b, const struct endpoint *ep,
			       const char *dev)
{
	jbuf_puts(b, ",\"endpoint\":{\"family\":\"");
	jbuf_puts(b, family_word(ep->family));
	jbuf_puts(b, "\",\"addr\":\"");
	if (jbuf_reserve(b, INET6_ADDRSTRLEN) == 0)
		b->len =
			(size_t)(put_addr(b->p + b->len, ep->family, ep->addr) -
				 b->p);
	jbuf_puts(b, "\",\"port\":");
	jbuf_u64(b, ep->port);
	jbuf_puts(b, ",\"dev\":");
	put_dev_named(b, ep->ifindex, dev);
	jbuf_put(b, "}", 1);
}

static void put_group_endpoint(struct jbuf *b, const struct picture *p,
			       const struct endpoint *ep)
{
	put_endpoint_named(
		b, ep, ep->ifindex ? picture_dev_name(p, ep->ifindex) : NULL);
}

static void put_rates(struct jbuf *b, const struct encode_rates *rt)
{
	char num[128];

	snprintf(num, sizeof(num),
		 ",\"rates\":{\"opened_per_s\":%.3f,\"closed_per_s\":%.3f,"
		 "\"window_s\":%u}",
		 rt->opened_per_s, rt->closed_per_s, rt->window_s);
	jbuf_puts(b, num);
}

static void put_group(struct jbuf *b, const struct picture *p,
		      const struct sockgroup *g, const struct encode_sum *s,
		      const uint32_t *recs, size_t n, const uint32_t *uid,
		      const struct encode_rates *rt)
{
	int listen = g->ep.role == GROUP_LISTEN;

	jbuf_puts(b, "{\"type\":\"group\",\"role\":\"");
	jbuf_puts(b, listen ? "listen" : "outbound");
	jbuf_puts(b, "\",\"proto\":\"");
	jbuf_puts(b, proto_word(g->ep.proto));
	jbuf_put(b, "\"", 1);
	put_group_endpoint(b, p, &g->ep);
	if (!listen)
		jbuf_puts(b, g->local ? ",\"local\":true" : ",\"local\":false");
	if (listen && g->ep.family == AF_INET6)
		jbuf_puts(b,
			  g->v6only ? ",\"v6only\":true" : ",\"v6only\":false");
	if (listen && g->ep.proto == IPPROTO_TCP)
		put_queue(b, s);
	if (listen && p->owner_at)
		put_procs(b, p, recs, n, uid);
	put_counts(b, s);
	if (listen && rt)
		put_rates(b, rt);
}

void encode_group_head(struct jbuf *b, const struct picture *p,
		       const struct sockgroup *g, const struct encode_sum *s,
		       const uint32_t *recs, size_t n, const uint32_t *uid,
		       const struct encode_rates *rt)
{
	put_group(b, p, g, s, recs, n, uid, rt);
	jbuf_puts(b, ",\"sockets\":[");
}

void encode_group_sizes(struct jbuf *b, const struct picture *p,
			const struct sockgroup *g, const struct encode_sum *s,
			const uint32_t *recs, size_t n, const uint32_t *uid,
			const struct encode_rates *rt, uint64_t nconn)
{
	put_group(b, p, g, s, recs, n, uid, rt);
	jbuf_puts(b, ",\"nsockets\":");
	jbuf_u64(b, n);
	jbuf_puts(b, ",\"nconnections\":");
	jbuf_u64(b, nconn);
	jbuf_puts(b, "}\n");
}

void encode_summary(struct jbuf *b, const struct encode_sum *tcp,
		    const struct encode_sum *udp)
{
	jbuf_puts(b, "{\"type\":\"summary\",\"tcp\":");
	put_state_counts(b, tcp);
	jbuf_puts(b, ",\"udp\":");
	put_state_counts(b, udp);
	jbuf_puts(b, "}\n");
}

void encode_group_middle(struct jbuf *b)
{
	jbuf_puts(b, "],\"connections\":[");
}

void encode_group_tail(struct jbuf *b)
{
	jbuf_puts(b, "]}\n");
}

/* An RFC 3339 UTC time with milliseconds, as a JSON string. */
static void encode_time(struct jbuf *b, const struct timespec *ts)
{
	struct tm tm;
	char text[96];

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(text, sizeof(text), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
	jbuf_puts(b, text);
}

static uint64_t encode_age(uint64_t now_mono_ms, uint64_t taken_mono_ms)
{
	return now_mono_ms > taken_mono_ms ? now_mono_ms - taken_mono_ms : 0;
}

/* When the listeners were last looked at, if later than the rest. */
static void encode_overlay(struct jbuf *b, const struct overlay *o,
			   uint64_t now_mono_ms)
{
	struct timespec taken;

	if (!o)
		return;
	taken.tv_sec = (time_t)o->h->taken_sec;
	taken.tv_nsec = (long)o->h->taken_nsec;
	jbuf_puts(b, ",\"listeners_taken_at\":");
	encode_time(b, &taken);
	jbuf_puts(b, ",\"listeners_age_ms\":");
	jbuf_u64(b, encode_age(now_mono_ms, o->h->taken_mono_ms));
}

/* The file a picture was read from, its format and who wrote it. */
static void encode_from(struct jbuf *b, const struct picture *p,
			const struct encode_source *src)
{
	jbuf_puts(b, ",\"source\":{\"file\":");
	jbuf_str(b, src->file);
	if (src->ss_dump) {
		jbuf_puts(b, ",\"format\":\"ss-dump\"}");
		return;
	}
	jbuf_puts(b, ",\"format\":\"recording\",\"version\":");
	jbuf_u64(b, p->h->version);
	jbuf_puts(b, ",\"writer\":");
	jbuf_str(b, picture_str(p, p->h->writer));
	jbuf_puts(b, "}");
}

void encode_header(struct jbuf *b, const struct picture *p,
		   const struct overlay *o, uint64_t now_mono_ms,
		   unsigned interval_ms, int all,
		   const struct encode_source *src)
{
	const struct picture_header *h = p->h;
	uint64_t age = encode_age(now_mono_ms, h->taken_mono_ms);
	struct timespec taken = { (time_t)h->taken_sec, (long)h->taken_nsec };

	jbuf_puts(b, "{\"type\":\"header\",\"schema\":\"" ENCODE_SCHEMA "\"");
	jbuf_puts(b, ",\"host\":");
	jbuf_str(b, picture_str(p, h->host));
	jbuf_puts(b, ",\"generation\":");
	jbuf_u64(b, h->generation);
	jbuf_puts(b, ",\"taken_at\":");
	encode_time(b, &taken);
	jbuf_puts(b, ",\"scan_us\":");
	jbuf_u64(b, h->scan_us);
	jbuf_puts(b, ",\"age_ms\":");
	jbuf_u64(b, age);
	jbuf_puts(b, ",\"interval_ms\":");
	jbuf_u64(b, interval_ms);
	encode_overlay(b, o, now_mono_ms);
	jbuf_puts(b, h->flags & PICTURE_F_UDP_UNAVAILABLE
			     ? ",\"udp_available\":false"
			     : ",\"udp_available\":true");
	if (p->owner_at)
		jbuf_puts(b, all ? ",\"processes\":\"all\""
				 : ",\"processes\":\"own\"");
	if (src)
		encode_from(b, p, src);
	jbuf_puts(b, "}\n");
}

void encode_end(struct jbuf *b, size_t count, const struct encode_totals *t)
{
	jbuf_puts(b, "{\"type\":\"end\",\"count\":");
	jbuf_u64(b, count);
	jbuf_puts(b, ",\"totals\":{\"sockets\":");
	jbuf_u64(b, t->sockets);
	jbuf_puts(b, ",\"groups\":");
	jbuf_u64(b, t->groups);
	jbuf_puts(b, ",\"tcp\":");
	jbuf_u64(b, t->tcp);
	jbuf_puts(b, ",\"udp\":");
	jbuf_u64(b, t->udp);
	jbuf_puts(b, "}}\n");
}

/* A CLOCK_REALTIME time in milliseconds as RFC 3339, or null for 0. */
static void encode_time_ms(struct jbuf *b, int64_t ms)
{
	struct timespec ts;

	if (ms <= 0) {
		jbuf_puts(b, "null");
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	encode_time(b, &ts);
}

static void put_eproc(struct jbuf *b, const struct event_proc *pr)
{
	jbuf_puts(b, "{\"pid\":");
	jbuf_u64(b, (uint64_t)(uint32_t)pr->pid);
	jbuf_puts(b, ",\"comm\":");
	jbuf_str(b, pr->comm ? pr->comm : "");
	put_optional(b, "user", pr->user);
	put_optional(b, "unit", pr->unit);
	put_optional(b, "container", pr->container);
	jbuf_put(b, "}", 1);
}

/* ,"processes":[...], those of uid only when uid is given. */
static void put_eprocs(struct jbuf *b, const struct event_proc *procs, size_t n,
		       const uint32_t *uid)
{
	size_t i, listed = 0;

	jbuf_puts(b, ",\"processes\":[");
	for (i = 0; i < n; i++) {
		if (uid && procs[i].uid != *uid)
			continue;
		if (listed++)
			jbuf_put(b, ",", 1);
		put_eproc(b, &procs[i]);
	}
	jbuf_put(b, "]", 1);
}

static void put_ends(struct jbuf *b, const struct sock_rec *r, const char *dev)
{
	char *c;

	if (jbuf_reserve(b, SOCKET_JSON_MAX) < 0)
		return;
	c = b->p + b->len;
	c = CAT(c, "\"proto\":");
	c = put_word(c, proto_word(r->proto));
	c = CAT(c, ",\"family\":");
	c = put_word(c, family_word(r->family));
	c = CAT(c, ",\"local\":");
	c = put_endpoint(c, r->family, r->laddr, r->lport);
	c = CAT(c, ",\"remote\":");
	c = put_endpoint(c, r->family, r->raddr, r->rport);
	c = CAT(c, ",\"cookie\":\"");
	c = put_hex(c, r->cookie);
	c = CAT(c, "\",\"dev\":");
	b->len = (size_t)(c - b->p);
	put_dev_named(b, r->ifindex, dev);
}

static void put_tcp(struct jbuf *b, const struct destroy_tcp *t)
{
	jbuf_puts(b, ",\"tcp\":{\"bytes_acked\":");
	jbuf_u64(b, t->bytes_acked);
	jbuf_puts(b, ",\"bytes_received\":");
	jbuf_u64(b, t->bytes_received);
	jbuf_puts(b, ",\"segs_out\":");
	jbuf_u64(b, t->segs_out);
	jbuf_puts(b, ",\"segs_in\":");
	jbuf_u64(b, t->segs_in);
	jbuf_puts(b, ",\"total_retrans\":");
	jbuf_u64(b, t->total_retrans);
	jbuf_puts(b, ",\"rtt_us\":");
	jbuf_u64(b, t->rtt_us);
	jbuf_put(b, "}", 1);
}

/* ,"duration_ms":N, null when the start is unknown. */
static void put_duration(struct jbuf *b, int64_t from_ms, int64_t to_ms)
{
	jbuf_puts(b, ",\"duration_ms\":");
	if (from_ms <= 0)
		jbuf_puts(b, "null");
	else
		jbuf_u64(b, to_ms > from_ms ? (uint64_t)(to_ms - from_ms) : 0);
}

static void put_event_group(struct jbuf *b, const struct event *ev,
			    const uint32_t *uid)
{
	int listen = ev->group.role == GROUP_LISTEN;

	jbuf_puts(b, ",\"group\":{\"role\":\"");
	jbuf_puts(b, listen ? "listen" : "outbound");
	jbuf_puts(b, "\",\"proto\":\"");
	jbuf_puts(b, proto_word(ev->group.proto));
	jbuf_put(b, "\"", 1);
	put_endpoint_named(b, &ev->group, ev->group_dev);
	if (listen)
		put_eprocs(b, ev->gprocs, ev->ngprocs, uid);
	jbuf_put(b, "}", 1);
}

void encode_event(struct jbuf *b, const struct event *ev, const uint32_t *uid)
{
	int closed = ev->kind == EVENT_CLOSE || ev->kind == EVENT_UNLISTEN;

	jbuf_puts(b, "{\"type\":\"event\",\"event\":\"");
	jbuf_puts(b, event_kind_word(ev->kind));
	jbuf_puts(b, "\",\"at\":");
	encode_time_ms(b, ev->at_ms);
	jbuf_puts(b, ev->source == EVENT_SRC_KERNEL ? ",\"source\":\"kernel\","
						    : ",\"source\":\"poll\",");
	put_ends(b, &ev->rec, ev->dev);
	jbuf_puts(b, ",\"state\":\"");
	jbuf_puts(b, closed ? "close" : count_words[rec_tally(&ev->rec)]);
	jbuf_put(b, "\"", 1);
	if (ev->kind == EVENT_OVERFLOW) {
		struct encode_sum s = { .qlen = ev->rec.rqueue,
					.qmax = ev->rec.wqueue };

		put_queue(b, &s);
	}
	put_event_group(b, ev, uid);
	put_eprocs(b, ev->procs, ev->nprocs, uid);
	jbuf_puts(b, ",\"first_seen\":");
	encode_time_ms(b, ev->first_seen_ms);
	put_duration(b, closed ? ev->first_seen_ms : 0, ev->at_ms);
	if (ev->has_tcp)
		put_tcp(b, &ev->tcp);
	jbuf_puts(b, "}\n");
}

void encode_lost(struct jbuf *b, uint64_t count, const char *reason)
{
	jbuf_puts(b, "{\"type\":\"lost\",\"count\":");
	jbuf_u64(b, count);
	jbuf_puts(b, ",\"reason\":");
	jbuf_str(b, reason);
	jbuf_puts(b, "}\n");
}

void encode_history_header(struct jbuf *b, const struct encode_history *h)
{
	jbuf_puts(b, "{\"type\":\"history\",\"schema\":\"" ENCODE_SCHEMA "\"");
	jbuf_puts(b, ",\"host\":");
	jbuf_str(b, h->host ? h->host : "");
	jbuf_puts(b, ",\"since\":");
	encode_time_ms(b, h->since_ms);
	jbuf_puts(b, ",\"complete_since\":");
	encode_time_ms(b, h->complete_ms);
	jbuf_puts(b, ",\"entries\":");
	jbuf_u64(b, h->entries);
	jbuf_puts(b, ",\"capacity\":");
	jbuf_u64(b, h->capacity);
	jbuf_puts(b, h->all ? ",\"processes\":\"all\"}\n"
			    : ",\"processes\":\"own\"}\n");
}

/* A duration in ms, null when none is known. */
static void put_ms_or_null(struct jbuf *b, int64_t ms)
{
	if (ms < 0)
		jbuf_puts(b, "null");
	else
		jbuf_u64(b, (uint64_t)ms);
}

void encode_closed_head(struct jbuf *b, const struct endpoint *ep,
			const char *dev, const struct encode_closed_sum *s,
			int members)
{
	jbuf_puts(b, "{\"type\":\"closed_group\",\"role\":\"");
	jbuf_puts(b, ep->role == GROUP_LISTEN ? "listen" : "outbound");
	jbuf_puts(b, "\",\"proto\":\"");
	jbuf_puts(b, proto_word(ep->proto));
	jbuf_put(b, "\"", 1);
	put_endpoint_named(b, ep, dev);
	jbuf_puts(b, ",\"closed\":");
	jbuf_u64(b, s->closed);
	jbuf_puts(b, ",\"bytes_acked\":");
	jbuf_u64(b, s->bytes_acked);
	jbuf_puts(b, ",\"bytes_received\":");
	jbuf_u64(b, s->bytes_received);
	jbuf_puts(b, ",\"duration_ms\":{\"median\":");
	put_ms_or_null(b, s->median_ms);
	jbuf_puts(b, ",\"p99\":");
	put_ms_or_null(b, s->p99_ms);
	jbuf_puts(b, members ? "},\"connections\":[" : "}}\n");
}

void encode_closed(struct jbuf *b, const struct event *ev, const uint32_t *uid,
		   int first)
{
	if (!first)
		jbuf_put(b, ",", 1);
	jbuf_put(b, "{", 1);
	put_ends(b, &ev->rec, ev->dev);
	jbuf_puts(b, ",\"opened_at\":");
	encode_time_ms(b, ev->first_seen_ms);
	jbuf_puts(b, ",\"closed_at\":");
	encode_time_ms(b, ev->at_ms);
	put_duration(b, ev->first_seen_ms, ev->at_ms);
	if (ev->has_tcp)
		put_tcp(b, &ev->tcp);
	put_eprocs(b, ev->procs, ev->nprocs, uid);
	jbuf_put(b, "}", 1);
}

void encode_closed_tail(struct jbuf *b)
{
	jbuf_puts(b, "]}\n");
}
