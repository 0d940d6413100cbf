/* SPDX-License-Identifier: ISC */
/* render.c - grouped listing as text, numeric addresses. */
#include "render.h"

#include <arpa/inet.h>
#include <err.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "utf8.h"

/* Set once by render_setup, before the first line. */
static struct {
	int resolve;
	int color;
	const char *mid, *last; /* before a member line */
	int width;		/* of the terminal, 0 for none */
	int utf8;		/* the terminal takes UTF-8 */
	int extended;		/* -e */
	int elsewhere;		/* a file's sockets, maybe another host's */
} style = { 0, 0, "  |-", "  `-", 0, 0, 0, 0 };

void render_setup(const struct render_style *rs)
{
	style.resolve = rs->resolve;
	style.color = rs->color;
	style.width = rs->width;
	style.utf8 = rs->utf8;
	style.extended = rs->extended;
	style.elsewhere = rs->elsewhere;
	if (rs->utf8) {
		style.mid = "  \u251c\u2500";
		style.last = "  \u2514\u2500";
	}
}

struct layout *render_layout(FILE *out, int keep)
{
	return layout_open(out, style.width, style.utf8, keep);
}

/* Appends printf's text to b. */
static void put_fmt(struct jbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put_fmt(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (jbuf_reserve(b, 128) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) { /* longer: room, then again */
		if (jbuf_reserve(b, (size_t)n + 1) < 0)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A number, without printf: a table has a few for each of a million lines. */
static void put_num(struct jbuf *b, long long v)
{
	if (v < 0)
		jbuf_put(b, "-", 1);
	jbuf_u64(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

static void put_spaces(struct jbuf *b, int n)
{
	static const char spaces[] = "                ";

	for (; n > 0; n -= (int)sizeof(spaces) - 1)
		jbuf_put(b, spaces,
			 n < (int)sizeof(spaces) - 1 ? (size_t)n
						     : sizeof(spaces) - 1);
}

/* A line built in b, written to out. */
static void put_line(struct jbuf *b, FILE *out)
{
	jbuf_put(b, "\n", 1);
	if (b->oom)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	fwrite(b->p, 1, b->len, out);
	jbuf_free(b);
}

/* A word in colour when colours are on: green, cyan, yellow, red. */
static const char *paint(const char *word, char *buf, size_t size)
{
	static const struct {
		const char *word;
		int code;
	} colors[] = {
		{ "LISTEN  ", 32 },    { "OUTBOUND", 36 },
		{ "listen", 32 },      { "established", 32 },
		{ "unconnected", 32 }, { "time-wait", 33 },
		{ "close-wait", 31 },  { "syn-recv", 33 },
		{ "syn-sent", 33 },
	};
	size_t i;

	for (i = 0; style.color && i < sizeof(colors) / sizeof(colors[0]); i++)
		if (!strcmp(word, colors[i].word)) {
			snprintf(buf, size, "\033[%dm%s\033[0m", colors[i].code,
				 word);
			return buf;
		}
	return word;
}

/*
 * A listener's word by its accept queue: red when full, past its backlog
 * (sk_acceptq_is_full: the kernel drops the next SYN or ACK), yellow when
 * connections wait in it, else as paint().
 */
static const char *paint_queue(const char *word, long long len, long long max,
			       char *buf, size_t size)
{
	int code = 0;

	if (len > 0)
		code = len > max ? 31 : 33;
	if (!style.color || !code)
		return paint(word, buf, size);
	snprintf(buf, size, "\033[%dm%s\033[0m", code, word);
	return buf;
}

static void render_queue(long long len, long long max, struct jbuf *b)
{
	char text[64], buf[80];

	snprintf(text, sizeof(text), "queue %lld/%lld", len, max);
	put_fmt(b, "  %s", paint_queue(text, len, max, buf, sizeof(buf)));
}

/* -r: the service's name for a port, the host's for an address. */
static void resolve(const char *proto, const char *addr, int port, char *host,
		    size_t hostsz, char *serv, size_t servsz)
{
	struct sockaddr_storage ss = { 0 };
	struct servent *se;
	socklen_t len = sizeof(struct sockaddr_in);

	se = port ? getservbyport(htons((uint16_t)port), proto) : NULL;
	if (se)
		snprintf(serv, servsz, "%s", se->s_name);
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		ss.ss_family = AF_INET;
	} else if (inet_pton(AF_INET6, addr,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		len = sizeof(struct sockaddr_in6);
	}
	if (ss.ss_family &&
	    !(ss.ss_family == AF_INET &&
	      ((struct sockaddr_in *)&ss)->sin_addr.s_addr == 0))
		getnameinfo((struct sockaddr *)&ss, len, host,
			    (socklen_t)hostsz, NULL, 0, NI_NAMEREQD);
}

/* 1 for a character a terminal takes as a command: C0, DEL, C1. */
static int render_control(const unsigned char *p, size_t n)
{
	return (n == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
	       (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

const char *render_safe(const char *s)
{
	static char ring[8][1024];
	static unsigned next;
	char *out;
	const unsigned char *p = (const unsigned char *)s;
	size_t left, o = 0;

	/* most are printable ASCII, as they are, and short: no copy */
	while (*p >= 0x20 && *p < 0x7f)
		p++;
	if (!*p && p - (const unsigned char *)s < 1000)
		return s;
	out = ring[next++ % 8];
	p = (const unsigned char *)s;
	left = strlen(s);
	while (left > 0 && o + 16 < sizeof(ring[0])) { /* room for 4 \\xNN */
		size_t n = style.utf8 ? utf8_seq(p, left) : *p < 0x80;

		if (n == 0 || render_control(p, n)) {
			size_t k;

			n = n ? n : 1;
			for (k = 0; k < n; k++)
				o += (size_t)snprintf(out + o, 5, "\\x%02x",
						      p[k]);
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		left -= n;
	}
	out[o] = '\0';
	return out;
}

/*
 * ss's way: [v6]:port, addr%dev:port, * for a zero port, and *:port for
 * [::] without IPV6_V6ONLY, which serves IPv4 too.
 */
static void render_endpoint(const struct rd_endpoint *ep, const char *dev,
			    const char *proto, struct jbuf *b)
{
	const char *addr = ep->addr;
	char serv[32] = "", host[256] = "";
	int v6 = strchr(addr, ':') != NULL;

	if (style.resolve)
		resolve(proto, addr, (int)ep->port, host, sizeof(host), serv,
			sizeof(serv));
	if (host[0]) {
		addr = host;
		v6 = 0;
	} else if (ep->dual_stack && !strcmp(addr, "::")) {
		addr = "*";
		v6 = 0;
	}
	if (v6)
		jbuf_put(b, "[", 1);
	jbuf_puts(b, render_safe(addr));
	if (v6)
		jbuf_put(b, "]", 1);
	if (dev) {
		jbuf_put(b, "%", 1);
		jbuf_puts(b, render_safe(dev));
	}
	jbuf_put(b, ":", 1);
	if (serv[0])
		jbuf_puts(b, serv);
	else if (ep->port)
		put_num(b, ep->port);
	else
		jbuf_put(b, "*", 1);
}

static void render_counts(const struct rd_counts *c, struct jbuf *b)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		put_fmt(b, "%s%lld %s", i ? ", " : "  ", c->v[i].n,
			render_safe(c->v[i].state));
}

/*
 * Processes as ss users know them, one name with its pids:
 * "nginx(1234,1235) sshd(99)". Several processes of one program, as a
 * pre-forked server has, stay on one name.
 */
static void render_procs(const struct rd_procs *p, struct jbuf *b)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		const char *comm = p->v[i].comm;
		int seen = 0;

		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(p->v[j].comm, comm);
		if (seen)
			continue;
		put_fmt(b, " %s(", render_safe(comm));
		for (j = i; j < p->n; j++)
			if (!strcmp(p->v[j].comm, comm))
				put_fmt(b, "%s%lld", seen++ ? "," : "",
					p->v[j].pid);
		jbuf_put(b, ")", 1);
	}
}

/* Who runs a listener: its programs, their user and systemd unit. */
static void render_owners(const struct rd_procs *p, struct jbuf *b)
{
	if (!p->n)
		return;
	jbuf_put(b, " ", 1);
	render_procs(p, b);
	put_fmt(b, " %s", render_safe(p->v[0].user));
	if (p->v[0].unit)
		put_fmt(b, " %s", render_safe(p->v[0].unit));
}

/* A word padded to width, painted without the paint counting. */
static void put_padded(struct jbuf *b, const char *word, int width)
{
	char buf[64];

	jbuf_puts(b, paint(word, buf, sizeof(buf)));
	put_spaces(b, width - (int)strlen(word));
}

/* A listening socket's state word, painted by its queue (rqueue/wqueue). */
static void put_queue_padded(struct jbuf *b, long long len, long long max)
{
	char buf[64];

	jbuf_puts(b, paint_queue("listen", len, max, buf, sizeof(buf)));
	put_spaces(b, 11 - 6);
}

/*
 * The name of a socket's user, for a viewer not shown its processes:
 * from this host's passwd (the daemon's host), the number when none.
 * The last few are kept: a table names the same users again and again.
 */
static const char *render_user(uint32_t uid)
{
	static struct {
		uint32_t uid;
		char name[33];
	} seen[16];
	static unsigned n;
	const struct passwd *pw;
	unsigned i;

	for (i = 0; i < n && i < 16; i++)
		if (seen[i].uid == uid)
			return seen[i].name;
	i = n++ % 16;
	seen[i].uid = uid;
	pw = getpwuid(uid);
	if (pw)
		snprintf(seen[i].name, sizeof(seen[i].name), "%s",
			 render_safe(pw->pw_name));
	else
		snprintf(seen[i].name, sizeof(seen[i].name), "%u", uid);
	return seen[i].name;
}

/*
 * Whose a socket shown without processes is: its user's name here, its
 * uid in a file, whose host's passwd this one's may not be.
 */
static void render_owner_uid(struct jbuf *b, long long uid)
{
	if (style.elsewhere) {
		jbuf_put(b, " uid ", 5);
		put_num(b, uid);
		return;
	}
	jbuf_put(b, " user ", 6);
	jbuf_puts(b, render_user((uint32_t)uid));
}

/* What follows a member's addresses: queues, processes, -e's words. */
static void render_socket_tail(const struct rd_socket *s, struct jbuf *b)
{
	jbuf_put(b, " ", 1);
	put_num(b, s->rqueue);
	jbuf_put(b, "/", 1);
	put_num(b, s->wqueue);
	if (s->procs.n) {
		render_procs(&s->procs, b);
	} else if (s->inode && !style.extended) {
		jbuf_put(b, " ino ", 5);
		put_num(b, s->inode);
		render_owner_uid(b, s->uid);
	}
	if (s->peer_procs.n) { /* the other end, a socket of this host */
		jbuf_put(b, " <-", 3);
		render_procs(&s->peer_procs, b);
	}
	if (style.extended) /* as ss -e words them, for grep sk: */
		put_fmt(b, " uid:%lld ino:%lld sk:%s", s->uid, s->inode,
			render_safe(s->cookie ? s->cookie : "?"));
}

static void render_socket(const struct rd_socket *s, const char *proto,
			  const char *glyph, struct layout *lo)
{
	struct jbuf *b = layout_line(lo, 1);

	jbuf_puts(b, glyph);
	jbuf_put(b, " ", 1);
	if (!strcmp(s->state, "listen"))
		put_queue_padded(b, s->rqueue, s->wqueue);
	else
		put_padded(b, render_safe(s->state), 11);
	jbuf_put(b, " ", 1);
	layout_part(lo, LAYOUT_LOCAL);
	render_endpoint(&s->local, s->local.dev, proto, b);
	layout_part(lo, LAYOUT_REMOTE);
	render_endpoint(&s->remote, NULL, proto, b);
	layout_part(lo, LAYOUT_TAIL);
	render_socket_tail(s, b);
	layout_end(lo);
}

/* The sockets, then the connections, the last of all with the corner. */
static void render_members(const struct rd_group *g, struct layout *lo)
{
	size_t n = g->has_members ? g->nsock + g->nconn : 0, i;

	for (i = 0; i < n; i++)
		render_socket(&g->members[i], g->proto,
			      i + 1 == n ? style.last : style.mid, lo);
}

void render_group(const struct rd_group *g, struct layout *lo, int members)
{
	struct jbuf *b = layout_line(lo, 0);
	char buf[64];

	put_fmt(b, "%s %s%s %s",
		g->listen ? paint_queue("LISTEN  ", g->qlen, g->qmax, buf,
					sizeof(buf))
			  : paint("OUTBOUND", buf, sizeof(buf)),
		render_safe(g->proto),
		strcmp(g->ep.family, "inet6") ? " " : "6",
		g->listen ? "" : "-> ");
	render_endpoint(&g->ep, g->ep.dev, g->proto, b);
	layout_part(lo, LAYOUT_TAIL); /* what a narrow terminal may lose */
	if (g->local)
		jbuf_puts(b, " (local)");
	/* no listener passed the filter: no queue to tell of */
	if (g->has_queue && g->nsock)
		render_queue(g->qlen, g->qmax, b);
	render_counts(&g->counts, b);
	render_owners(&g->procs, b);
	layout_end(lo);
	if (members)
		render_members(g, lo);
}

/* A duration as a person reads it: 435ms, 12.3s, 5m03s, 2h10m. */
static const char *render_duration(long long ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%lldms", ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm%02llds", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, size, "%lldh%02lldm", ms / 3600000,
			 ms / 60000 % 60);
	return buf;
}

/* How long ago, as a person reads it: 0.6 s, 5m03s, 2h10m, 3d04h. */
static const char *render_ago(long long ms, char *buf, size_t size)
{
	if (ms < 60000)
		snprintf(buf, size, "%.1f s", (double)ms / 1000.0);
	else if (ms < 86400000)
		return render_duration(ms, buf, size);
	else
		snprintf(buf, size, "%lldd%02lldh", ms / 86400000,
			 ms / 3600000 % 24);
	return buf;
}

/*
 * The picture's line: its host, or the file it was read from and who
 * wrote that; an ss dump has no picture of its own to tell of.
 */
static void render_picture_line(const struct rd_header *h, struct jbuf *b)
{
	char ago[32];

	render_ago(h->age_ms, ago, sizeof(ago));
	if (h->file && !strcmp(h->format, "ss-dump")) {
		put_fmt(b, "%s: ss -D dump (TCP only) written %s (%s ago)",
			render_safe(h->file), render_safe(h->taken_at), ago);
		return;
	}
	if (h->file)
		put_fmt(b, "%s: recording of %s by %s, ", render_safe(h->file),
			render_safe(h->host),
			h->writer && *h->writer ? render_safe(h->writer)
						: "an older sockwatchd");
	else
		put_fmt(b, "%s: ", render_safe(h->host));
	put_fmt(b, "picture %lld taken %s (%s ago) in %.1f ms%s", h->generation,
		render_safe(h->taken_at), ago, (double)h->scan_us / 1000.0,
		h->udp_available ? "" : "; UDP unavailable (no udp_diag)");
}

void render_header(const struct rd_header *h, struct layout *lo, int members)
{
	struct jbuf *b = layout_line(lo, 0);

	layout_part(lo, LAYOUT_TAIL);
	render_picture_line(h, b);
	layout_end(lo);
	if (!members)
		return;
	/* a member line's parts: the titles count towards its columns */
	b = layout_line(lo, 1);
	put_fmt(b, "     %-11s ", "State");
	layout_part(lo, LAYOUT_LOCAL);
	jbuf_puts(b, "Local");
	layout_part(lo, LAYOUT_REMOTE);
	jbuf_puts(b, "Remote");
	layout_part(lo, LAYOUT_TAIL);
	jbuf_puts(b, " Recv-Q/Send-Q");
	layout_end(lo);
}

void render_totals(const struct rd_end *e, struct layout *lo)
{
	struct jbuf *b = layout_line(lo, 0);

	layout_part(lo, LAYOUT_TAIL);
	put_fmt(b, "%lld socket%s (%lld tcp, %lld udp) in %lld group%s",
		e->sockets, e->sockets == 1 ? "" : "s", e->tcp, e->udp,
		e->groups, e->groups == 1 ? "" : "s");
	layout_end(lo);
}

/* The summary record's counts of one protocol, as "  tcp: 3 listen". */
static void render_summary_line(const struct rd_counts *c, const char *proto,
				struct layout *lo)
{
	struct jbuf *b;
	size_t i;

	if (!c->n)
		return;
	b = layout_line(lo, 0);
	layout_part(lo, LAYOUT_TAIL);
	put_fmt(b, "  %s:", proto);
	for (i = 0; i < c->n; i++)
		put_fmt(b, "%s %lld %s", i ? "," : "", c->v[i].n,
			render_safe(c->v[i].state));
	layout_end(lo);
}

void render_summary(const struct rd_summary *s, struct layout *lo)
{
	render_text(lo, "By state:");
	render_summary_line(&s->tcp, "tcp", lo);
	render_summary_line(&s->udp, "udp", lo);
}

void render_text(struct layout *lo, const char *text)
{
	struct jbuf *b = layout_line(lo, 0);

	layout_part(lo, LAYOUT_TAIL);
	jbuf_puts(b, text);
	layout_end(lo);
}

static void render_attribution(const struct rd_status *st, FILE *out)
{
	fprintf(out, "owners:   %s", render_safe(st->attribution));
	if (st->host_counts) /* for those who see all */
		fprintf(out,
			", %lld processes, %lld unreadable, %lld sockets "
			"unowned",
			st->procs_known, st->procs_denied, st->sockets_unowned);
	fprintf(out, ", %.1f ms a poll\n", (double)st->attribution_us / 1000.0);
	if (st->attribution_note)
		fprintf(out, "          %s\n",
			render_safe(st->attribution_note));
}

void render_status(const struct rd_status *st, FILE *out)
{
	long long up = st->uptime_ms / 1000;

	fprintf(out, "sockwatchd %s, pid %lld, up %lldd %02lld:%02lld:%02lld\n",
		render_safe(st->version), st->pid, up / 86400, up / 3600 % 24,
		up / 60 % 60, up % 60);
	fprintf(out,
		"polls:    every %lld ms, in full every %lld ms; %lld full "
		"(last %.1f ms), %lld of listeners, %lld failed\n",
		st->interval_ms, st->full_interval_ms, st->polls,
		(double)st->last_scan_us / 1000.0, st->listener_polls,
		st->poll_errors);
	fprintf(out, "cpu:      %.1f%% of a core over %lld s, budget %lld%%\n",
		st->cpu_pct, st->cpu_window_ms / 1000, st->cpu_budget_pct);
	fprintf(out, "picture:  #%lld, %lld sockets in %lld groups%s\n",
		st->generation, st->sockets, st->groups,
		st->udp_available ? "" : ", UDP unavailable (no udp_diag)");
	render_attribution(st, out);
	fprintf(out,
		"clients:  %lld connected, %lld since start; %lld "
		"requests, %lld refused\n",
		st->clients, st->clients_total, st->requests,
		st->request_errors);
	if (!st->has_events)
		return;
	fprintf(out,
		"events:   %lld told, %lld subscribers; closes %s; kernel "
		"dropped events %lld times (%lld closes caught up)\n",
		st->events, st->subscribers,
		st->destroy_events ? "from the kernel" : "from pictures only",
		st->event_overruns, st->events_lost);
	fprintf(out, "history:  %lld of %lld closed connections\n",
		st->history_entries, st->history_capacity);
}

/* The time of day of an RFC 3339 time, as the daemon writes them (UTC). */
static const char *render_clock(const char *at)
{
	size_t n = at ? strlen(at) : 0;

	return n >= 23 && at[10] == 'T' ? at + 11 : (at ? at : "-");
}

static void render_traffic(const struct rd_event *ev, struct jbuf *b)
{
	if (ev->has_duration) {
		char d[32];

		put_fmt(b, "  lived %s",
			render_duration(ev->duration_ms, d, sizeof(d)));
	}
	if (ev->has_tcp)
		put_fmt(b, "  sent %lld received %lld retrans %lld",
			ev->bytes_acked, ev->bytes_received, ev->total_retrans);
}

void render_event(const struct rd_event *ev, FILE *out)
{
	struct jbuf b = { 0 };
	const char *clock = render_clock(ev->at);

	put_fmt(&b, "%.12s ", clock);
	put_padded(&b, render_safe(ev->event), 9);
	put_fmt(&b, "%s ", render_safe(ev->proto));
	render_endpoint(&ev->local, NULL, ev->proto, &b);
	if (ev->remote.port) {
		put_fmt(&b, " %s ", style.utf8 ? "→" : "->");
		render_endpoint(&ev->remote, NULL, ev->proto, &b);
	}
	put_fmt(&b, "  [%s ",
		strcmp(ev->grole, "listen") == 0 ? "listen" : "to");
	render_endpoint(&ev->gep, NULL, ev->proto, &b);
	jbuf_put(&b, "]", 1);
	render_procs(&ev->procs, &b);
	if (ev->has_queue)
		put_fmt(&b, "  queue %lld/%lld", ev->qlen, ev->qmax);
	if (ev->remote.port) /* a listener moves no bytes of its own */
		render_traffic(ev, &b);
	if (strcmp(ev->source, "poll") == 0 && strcmp(ev->event, "close") == 0)
		jbuf_puts(&b, "  (from a picture)");
	put_line(&b, out);
}

void render_lost(const struct rd_lost *l, FILE *out)
{
	fprintf(out, "-- %lld event%s lost: %s\n", l->count,
		l->count == 1 ? "" : "s",
		strcmp(l->reason, "kernel") == 0
			? "the kernel dropped them (the closes a later "
			  "picture told follow)"
			: "this reader fell behind");
}

void render_history_header(const struct rd_history *h, FILE *out)
{
	fprintf(out,
		"history of %s: %lld closed connection%s held (room for "
		"%lld), complete since %s",
		render_safe(h->host), h->entries, h->entries == 1 ? "" : "s",
		h->capacity,
		h->complete_since ? render_safe(h->complete_since) : "-");
	if (h->since)
		fprintf(out, "; since %s", render_safe(h->since));
	fputc('\n', out);
}

/* A closed connection of the history, under its group's line. */
static void render_closed_conn(const struct rd_event *c, FILE *out)
{
	struct jbuf b = { 0 };

	put_fmt(&b, "  %.12s ", render_clock(c->at));
	render_endpoint(&c->local, NULL, c->proto, &b);
	put_fmt(&b, " %s ", style.utf8 ? "↔" : "<->");
	render_endpoint(&c->remote, NULL, c->proto, &b);
	render_traffic(c, &b);
	render_procs(&c->procs, &b);
	put_line(&b, out);
}

void render_closed_group(const struct rd_closed_group *g, FILE *out,
			 int members)
{
	struct jbuf b = { 0 };
	size_t i;

	put_fmt(&b, "%s %s ", render_safe(g->role), render_safe(g->proto));
	render_endpoint(&g->ep, NULL, g->proto, &b);
	put_fmt(&b, "  %lld closed", g->closed);
	if (g->bytes_acked || g->bytes_received)
		put_fmt(&b, ", sent %lld received %lld", g->bytes_acked,
			g->bytes_received);
	if (g->has_median && g->has_p99) {
		char d[32], d2[32];

		put_fmt(&b, ", lived median %s p99 %s",
			render_duration(g->median_ms, d, sizeof(d)),
			render_duration(g->p99_ms, d2, sizeof(d2)));
	}
	put_line(&b, out);
	for (i = 0; members && i < g->nconns; i++)
		render_closed_conn(&g->conns[i], out);
}
