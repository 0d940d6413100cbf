/* encode.c - group, header and end records written straight to text. */
#include "encode.h"

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

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

static void encode_hex(struct jbuf *b, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[18];
	size_t i = sizeof(tmp);

	tmp[--i] = '"';
	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = '"';
	jbuf_put(b, tmp + i, sizeof(tmp) - i);
}

static void encode_dev(struct jbuf *b, const struct snapshot *s, uint32_t idx)
{
	const char *name = snapshot_ifname(s, idx);
	char num[16];

	jbuf_key(b, "dev");
	if (!idx) {
		jbuf_puts(b, "null");
		return;
	}
	if (!name) { /* gone already: the index is all there is */
		snprintf(num, sizeof(num), "if%u", (unsigned)idx);
		name = num;
	}
	jbuf_str(b, name);
}

static void encode_addr_fields(struct jbuf *b, uint8_t family,
			       const uint8_t *addr, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	jbuf_puts(b, "\"addr\":\"");
	jbuf_puts(b, rec_addr_text(family, addr, text));
	jbuf_puts(b, "\",\"port\":");
	jbuf_u64(b, port);
}

static void encode_addr(struct jbuf *b, uint8_t family, const uint8_t *addr,
			uint16_t port)
{
	jbuf_put(b, "{", 1);
	encode_addr_fields(b, family, addr, port);
	jbuf_put(b, "}", 1);
}

static void encode_socket(struct jbuf *b, const struct snapshot *s,
			  const struct sock_rec *r)
{
	jbuf_puts(b, "{\"family\":\"");
	jbuf_puts(b, family_word(r->family));
	jbuf_puts(b, "\",\"state\":\"");
	jbuf_puts(b, rec_state_name(r));
	jbuf_puts(b, "\",\"local\":");
	encode_addr(b, r->family, r->laddr, r->lport);
	jbuf_puts(b, ",\"remote\":");
	encode_addr(b, r->family, r->raddr, r->rport);
	jbuf_puts(b, ",\"inode\":");
	jbuf_u64(b, r->inode);
	jbuf_puts(b, ",\"uid\":");
	jbuf_u64(b, r->uid);
	jbuf_puts(b, ",\"cookie\":");
	encode_hex(b, r->cookie);
	jbuf_puts(b, ",\"rqueue\":");
	jbuf_u64(b, r->rqueue);
	jbuf_puts(b, ",\"wqueue\":");
	jbuf_u64(b, r->wqueue);
	jbuf_put(b, ",", 1);
	encode_dev(b, s, r->ifindex);
	if (r->family == AF_INET6)
		jbuf_puts(b, r->flags & REC_F_V6ONLY ? ",\"v6only\":true"
						     : ",\"v6only\":false");
	jbuf_put(b, "}", 1);
}

static void encode_members(struct jbuf *b, const struct snapshot *s,
			   const uint32_t *idx, size_t n)
{
	size_t i;

	jbuf_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			jbuf_put(b, ",", 1);
		encode_socket(b, s, &s->recs[idx[i]]);
	}
	jbuf_put(b, "]", 1);
}

static void encode_counts(struct jbuf *b, const struct snapshot *s,
			  const struct group *g)
{
	const uint32_t *idx = s->grouping.order + g->first;
	size_t counts[NCOUNT] = {0};
	size_t i, sep = 0;

	for (i = 0; i < g->nsock + g->nconn; i++)
		counts[count_slot(&s->recs[idx[i]])]++;
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
			 const struct group *g)
{
	const uint32_t *idx = s->grouping.order + g->first;
	uint64_t len = 0, max = 0;
	size_t i;

	for (i = 0; i < g->nsock; i++) {
		len += s->recs[idx[i]].rqueue;
		max += s->recs[idx[i]].wqueue;
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
	jbuf_puts(b, "\",");
	encode_addr_fields(b, ep->family, ep->addr, ep->port);
	jbuf_put(b, ",", 1);
	encode_dev(b, s, ep->ifindex);
	jbuf_put(b, "}", 1);
}

void encode_group(struct jbuf *b, const struct snapshot *s, size_t gi)
{
	const struct group *g = &s->grouping.groups[gi];
	const uint32_t *idx = s->grouping.order + g->first;
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
		encode_queue(b, s, g);
	encode_counts(b, s, g);
	jbuf_puts(b, ",\"sockets\":");
	encode_members(b, s, idx, g->nsock);
	jbuf_puts(b, ",\"connections\":");
	encode_members(b, s, idx + g->nsock, g->nconn);
	jbuf_puts(b, "}\n");
}

void encode_time(struct jbuf *b, const struct timespec *ts)
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
		   uint64_t now_mono_ms, unsigned interval_ms)
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
	jbuf_puts(b, s->flags & DIAG_UDP_UNAVAILABLE ? ",\"udp_available\":false"
						     : ",\"udp_available\":true");
	jbuf_puts(b, "}\n");
}

void encode_end(struct jbuf *b, const struct snapshot *s, size_t count)
{
	jbuf_puts(b, "{\"type\":\"end\",\"count\":");
	jbuf_u64(b, count);
	jbuf_puts(b, ",\"totals\":{\"sockets\":");
	jbuf_u64(b, s->n);
	jbuf_puts(b, ",\"groups\":");
	jbuf_u64(b, s->grouping.ngroups);
	jbuf_puts(b, ",\"tcp\":");
	jbuf_u64(b, s->ntcp);
	jbuf_puts(b, ",\"udp\":");
	jbuf_u64(b, s->nudp);
	jbuf_puts(b, "}}\n");
}
