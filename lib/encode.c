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

/* Index into count_words of each kernel TCP state. */
static const uint8_t count_slot_of[REC_STATE_MAX] = {
	[0] = 11,
	[REC_LISTEN] = 0,
	[REC_SYN_SENT] = 2,
	[REC_SYN_RECV] = 3,
	[REC_NEW_SYN_RECV] = 3,
	[REC_ESTABLISHED] = 4,
	[REC_FIN_WAIT1] = 5,
	[REC_FIN_WAIT2] = 6,
	[REC_CLOSE_WAIT] = 7,
	[REC_CLOSING] = 8,
	[REC_LAST_ACK] = 9,
	[REC_TIME_WAIT] = 10,
	[REC_CLOSE] = 11,
};

static size_t count_slot(const struct sock_rec *r)
{
	if (r->proto == IPPROTO_UDP)
		return rec_remote_unset(r) ? 1 : 4;
	return r->state < REC_STATE_MAX ? count_slot_of[r->state] : 11;
}

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

/*
 * ,"processes":[...]: the holders of the records recidx[0 .. n), each
 * process once (the workers of a pre-forked server share its listeners).
 */
static void encode_procs(struct jbuf *b, const struct snapshot *s,
			 const uint32_t *recidx, size_t n, const uint32_t *uid)
{
	struct u32map seen = { 0 };
	size_t i, k, listed = 0;

	jbuf_puts(b, ",\"processes\":[");
	for (i = 0; i < n; i++) {
		const uint32_t *idx;
		size_t m = owners_of(&s->owners, recidx[i], &idx);

		for (k = 0; k < m; k++) {
			const struct owners_proc *pr = &s->owners.procs[idx[k]];

			if (uid && pr->uid != *uid)
				continue; /* not the reader's to see */
			if (n > 1 &&
			    u32map_get(&seen, idx[k] + 1) != U32MAP_NONE)
				continue;
			if (n > 1 && u32map_put(&seen, idx[k] + 1, 1) < 0)
				b->oom = 1;
			if (listed++)
				jbuf_put(b, ",", 1);
			jbuf_put(b, s->owners.json.p + pr->off, pr->len);
		}
	}
	jbuf_put(b, "]", 1);
	u32map_free(&seen);
}

static void encode_socket(struct jbuf *b, const struct snapshot *s,
			  const struct sock_rec *r, const uint32_t *uid)
{
	char *p;

	if (jbuf_reserve(b, SOCKET_JSON_MAX) < 0)
		return;
	p = b->p + b->len;
	p = CAT(p, "{\"family\":");
	p = put_word(p, family_word(r->family));
	p = CAT(p, ",\"state\":");
	p = put_word(p, count_words[count_slot(r)]);
	p = CAT(p, ",\"local\":");
	p = put_endpoint(p, r->family, r->laddr, r->lport);
	p = CAT(p, ",\"remote\":");
	p = put_endpoint(p, r->family, r->raddr, r->rport);
	p = CAT(p, ",\"inode\":");
	p = put_u32(p, r->inode);
	p = CAT(p, ",\"uid\":");
	p = put_u32(p, r->uid);
	p = CAT(p, ",\"cookie\":\"");
	p = put_hex(p, r->cookie);
	p = CAT(p, "\",\"rqueue\":");
	p = put_u32(p, r->rqueue);
	p = CAT(p, ",\"wqueue\":");
	p = put_u32(p, r->wqueue);
	p = CAT(p, ",\"dev\":");
	p = cat(p, snapshot_dev_json(s, r->ifindex),
		strlen(snapshot_dev_json(s, r->ifindex)));
	if (r->family == AF_INET6)
		p = r->flags & REC_F_V6ONLY ? CAT(p, ",\"v6only\":true")
					    : CAT(p, ",\"v6only\":false");
	b->len = (size_t)(p - b->p);
	if (s->attributed) {
		uint32_t self = (uint32_t)(r - s->recs);

		encode_procs(b, s, &self, 1, uid);
	}
	jbuf_put(b, "}", 1);
}

static void encode_members(struct jbuf *b, const struct snapshot *s,
			   const uint32_t *idx, size_t n, const uint32_t *uid)
{
	size_t i;

	jbuf_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			jbuf_put(b, ",", 1);
		encode_socket(b, s, &s->recs[idx[i]], uid);
	}
	jbuf_put(b, "]", 1);
}

/* The members of a group a reader gets: all, or those a filter passed. */
struct members {
	const uint32_t *sock;
	size_t nsock;
	const uint32_t *conn;
	size_t nconn;
};

static void encode_counts(struct jbuf *b, const struct snapshot *s,
			  const struct members *m)
{
	size_t counts[NCOUNT] = { 0 };
	size_t i, sep = 0;

	for (i = 0; i < m->nsock; i++)
		counts[count_slot(&s->recs[m->sock[i]])]++;
	for (i = 0; i < m->nconn; i++)
		counts[count_slot(&s->recs[m->conn[i]])]++;
	jbuf_puts(b, ",\"counts\":{");
	for (i = 0; i < NCOUNT; i++) {
		if (!counts[i])
			continue;
		if (sep++)
			jbuf_put(b, ",", 1);
		jbuf_key(b, count_words[i]);
		jbuf_u64(b, counts[i]);
	}
	jbuf_put(b, "}", 1);
}

/* For TCP: connections waiting in accept(), and the backlog they may fill. */
static void encode_queue(struct jbuf *b, const struct snapshot *s,
			 const struct members *m)
{
	uint64_t len = 0, max = 0;
	size_t i;

	for (i = 0; i < m->nsock; i++) {
		len += s->recs[m->sock[i]].rqueue;
		max += s->recs[m->sock[i]].wqueue;
	}
	jbuf_puts(b, ",\"accept_queue\":{\"len\":");
	jbuf_u64(b, len);
	jbuf_puts(b, ",\"max\":");
	jbuf_u64(b, max);
	jbuf_put(b, "}", 1);
}

static void encode_endpoint(struct jbuf *b, const struct snapshot *s,
			    const struct endpoint *ep)
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
	jbuf_puts(b, snapshot_dev_json(s, ep->ifindex));
	jbuf_put(b, "}", 1);
}

/* A group record; with uid, only that uid's processes are named. */
static void encode_group_view(struct jbuf *b, const struct snapshot *s,
			      size_t gi, const struct members *m,
			      const uint32_t *uid)
{
	const struct sockgroup *g = &s->grouping.groups[gi];
	int listen = g->ep.role == GROUP_LISTEN;

	jbuf_puts(b, "{\"type\":\"group\",\"role\":\"");
	jbuf_puts(b, listen ? "listen" : "outbound");
	jbuf_puts(b, "\",\"proto\":\"");
	jbuf_puts(b, proto_word(g->ep.proto));
	jbuf_put(b, "\"", 1);
	encode_endpoint(b, s, &g->ep);
	if (!listen)
		jbuf_puts(b, g->local ? ",\"local\":true" : ",\"local\":false");
	if (listen && g->ep.proto == IPPROTO_TCP)
		encode_queue(b, s, m);
	if (listen && s->attributed)
		encode_procs(b, s, m->sock, m->nsock, uid);
	encode_counts(b, s, m);
	jbuf_puts(b, ",\"sockets\":");
	encode_members(b, s, m->sock, m->nsock, uid);
	jbuf_puts(b, ",\"connections\":");
	encode_members(b, s, m->conn, m->nconn, uid);
	jbuf_puts(b, "}\n");
}

static void members_all(const struct snapshot *s, size_t gi, struct members *m)
{
	const struct sockgroup *g = &s->grouping.groups[gi];

	m->sock = s->grouping.order + g->first;
	m->nsock = g->nsock;
	m->conn = m->sock + g->nsock;
	m->nconn = g->nconn;
}

void encode_group(struct jbuf *b, const struct snapshot *s, size_t gi)
{
	struct members m;

	members_all(s, gi, &m);
	encode_group_view(b, s, gi, &m, NULL);
}

/* The members of a group that match, copied into scratch. */
static void members_matching(const struct snapshot *s, size_t gi,
			     const uint8_t *match, uint32_t *scratch,
			     struct members *m)
{
	struct members all;
	size_t i;

	members_all(s, gi, &all);
	m->sock = scratch;
	m->nsock = m->nconn = 0;
	for (i = 0; i < all.nsock; i++)
		if (match[all.sock[i]])
			scratch[m->nsock++] = all.sock[i];
	m->conn = scratch + m->nsock;
	for (i = 0; i < all.nconn; i++)
		if (match[all.conn[i]])
			scratch[m->nsock + m->nconn++] = all.conn[i];
}

int encode_group_for(struct jbuf *b, const struct snapshot *s, size_t gi,
		     const uint8_t *match, const uint32_t *uid)
{
	const struct sockgroup *g = &s->grouping.groups[gi];
	struct members m;
	uint32_t *scratch;

	if (!match) {
		members_all(s, gi, &m);
		encode_group_view(b, s, gi, &m, uid);
		return 1;
	}
	scratch = malloc((g->nsock + g->nconn + 1) * sizeof(*scratch));
	if (!scratch) {
		b->oom = 1;
		return 0;
	}
	members_matching(s, gi, match, scratch, &m);
	if (m.nsock + m.nconn)
		encode_group_view(b, s, gi, &m, uid);
	free(scratch);
	return m.nsock + m.nconn > 0;
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

void encode_header(struct jbuf *b, const struct snapshot *s,
		   uint64_t now_mono_ms, unsigned interval_ms, int all)
{
	uint64_t age = now_mono_ms > s->taken_mono_ms
			       ? now_mono_ms - s->taken_mono_ms
			       : 0;

	jbuf_puts(b, "{\"type\":\"header\",\"schema\":\"" ENCODE_SCHEMA "\"");
	jbuf_puts(b, ",\"host\":");
	jbuf_str(b, s->host);
	jbuf_puts(b, ",\"generation\":");
	jbuf_u64(b, s->generation);
	jbuf_puts(b, ",\"taken_at\":");
	encode_time(b, &s->taken_at);
	jbuf_puts(b, ",\"scan_us\":");
	jbuf_u64(b, s->scan_us);
	jbuf_puts(b, ",\"age_ms\":");
	jbuf_u64(b, age);
	jbuf_puts(b, ",\"interval_ms\":");
	jbuf_u64(b, interval_ms);
	jbuf_puts(b, s->flags & DIAG_UDP_UNAVAILABLE
			     ? ",\"udp_available\":false"
			     : ",\"udp_available\":true");
	if (s->attributed)
		jbuf_puts(b, all ? ",\"processes\":\"all\""
				 : ",\"processes\":\"own\"");
	jbuf_puts(b, "}\n");
}

void encode_totals_all(const struct snapshot *s, struct encode_totals *t)
{
	t->sockets = s->n;
	t->groups = s->grouping.ngroups;
	t->tcp = s->ntcp;
	t->udp = s->nudp;
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
