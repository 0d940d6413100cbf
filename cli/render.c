/* SPDX-License-Identifier: ISC */
/* render.c - grouped listing as text, 100 columns, numeric addresses. */
#include "render.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "utf8.h"

/* Set once by render_setup, before the first line. */
static struct {
	int resolve;
	int color;
	const char *mid, *last; /* before a member line */
	int addr_w;		/* of the Local and Remote columns */
	int utf8;		/* the terminal takes UTF-8 */
	int extended;		/* -e */
} style = { 0, 0, "  |-", "  `-", 27, 0, 0 };

#define ADDR_W style.addr_w

void render_setup(const struct render_style *rs)
{
	/* 100 columns give 27: two IPv4 ends and the rest on one line */
	int w = (rs->width - 46) / 2;

	style.addr_w = w < 20 ? 20 : w > 60 ? 60 : w;
	style.resolve = rs->resolve;
	style.color = rs->color;
	style.utf8 = rs->utf8;
	style.extended = rs->extended;
	if (rs->utf8) {
		style.mid = "  \u251c\u2500";
		style.last = "  \u2514\u2500";
	}
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

static void render_queue(long long len, long long max, FILE *out)
{
	char text[64], buf[80];

	snprintf(text, sizeof(text), "queue %lld/%lld", len, max);
	fprintf(out, "  %s", paint_queue(text, len, max, buf, sizeof(buf)));
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
	char *out = ring[next++ % 8];
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), o = 0;

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
static const char *render_endpoint(const struct rd_endpoint *ep,
				   const char *dev, const char *proto,
				   char *buf, size_t size)
{
	const char *addr = ep->addr;
	char portbuf[32] = "*", host[256] = "";
	int v6 = strchr(addr, ':') != NULL;

	if (ep->port)
		snprintf(portbuf, sizeof(portbuf), "%lld", ep->port);
	if (style.resolve)
		resolve(proto, addr, (int)ep->port, host, sizeof(host), portbuf,
			sizeof(portbuf));
	if (host[0]) {
		addr = host;
		v6 = 0;
	} else if (ep->dual_stack && !strcmp(addr, "::")) {
		addr = "*";
		v6 = 0;
	}
	snprintf(buf, size, "%s%s%s%s%s:%s", v6 ? "[" : "", render_safe(addr),
		 v6 ? "]" : "", dev ? "%" : "", dev ? render_safe(dev) : "",
		 portbuf);
	return buf;
}

static void render_counts(const struct rd_counts *c, FILE *out)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		fprintf(out, "%s%lld %s", i ? ", " : "  ", c->v[i].n,
			render_safe(c->v[i].state));
}

/*
 * Processes as ss users know them, one name with its pids:
 * "nginx(1234,1235) sshd(99)". Several processes of one program, as a
 * pre-forked server has, stay on one name.
 */
static void render_procs(const struct rd_procs *p, FILE *out)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		const char *comm = p->v[i].comm;
		int seen = 0;

		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(p->v[j].comm, comm);
		if (seen)
			continue;
		fprintf(out, " %s(", render_safe(comm));
		for (j = i; j < p->n; j++)
			if (!strcmp(p->v[j].comm, comm))
				fprintf(out, "%s%lld", seen++ ? "," : "",
					p->v[j].pid);
		fputc(')', out);
	}
}

/* Who runs a listener: its programs, their user and systemd unit. */
static void render_owners(const struct rd_procs *p, FILE *out)
{
	if (!p->n)
		return;
	fputs(" ", out);
	render_procs(p, out);
	fprintf(out, " %s", render_safe(p->v[0].user));
	if (p->v[0].unit)
		fprintf(out, " %s", render_safe(p->v[0].unit));
}

/* A word padded to width, painted without the paint counting. */
static void put_padded(FILE *out, const char *word, int width)
{
	char buf[64];
	int pad = width - (int)strlen(word);

	fputs(paint(word, buf, sizeof(buf)), out);
	fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

/* A listening socket's state word, painted by its queue (rqueue/wqueue). */
static void put_queue_padded(FILE *out, long long len, long long max)
{
	char buf[64];

	fputs(paint_queue("listen", len, max, buf, sizeof(buf)), out);
	fprintf(out, "%*s", 11 - 6, "");
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

static void render_socket(const struct rd_socket *s, const char *proto,
			  const char *glyph, FILE *out)
{
	char local[300], remote[300];

	render_endpoint(&s->local, s->local.dev, proto, local, sizeof(local));
	render_endpoint(&s->remote, NULL, proto, remote, sizeof(remote));
	fprintf(out, "%s ", glyph);
	if (!strcmp(s->state, "listen"))
		put_queue_padded(out, s->rqueue, s->wqueue);
	else
		put_padded(out, render_safe(s->state), 11);
	fprintf(out, " %-*s %-*s %lld/%lld", ADDR_W, local, ADDR_W, remote,
		s->rqueue, s->wqueue);
	if (s->procs.n)
		render_procs(&s->procs, out);
	else if (s->inode && !style.extended)
		fprintf(out, " ino %lld user %s", s->inode,
			render_user((uint32_t)s->uid));
	if (s->peer_procs.n) { /* the other end, a socket of this host */
		fputs(" <-", out);
		render_procs(&s->peer_procs, out);
	}
	if (style.extended) /* as ss -e words them, for grep sk: */
		fprintf(out, " uid:%lld ino:%lld sk:%s", s->uid, s->inode,
			render_safe(s->cookie ? s->cookie : "?"));
	fputc('\n', out);
}

/* The sockets, then the connections, the last of all with the corner. */
static void render_members(const struct rd_group *g, FILE *out)
{
	size_t n = g->has_members ? g->nsock + g->nconn : 0, i;

	for (i = 0; i < n; i++)
		render_socket(&g->members[i], g->proto,
			      i + 1 == n ? style.last : style.mid, out);
}

void render_group(const struct rd_group *g, FILE *out, int members)
{
	char text[300], buf[64];

	render_endpoint(&g->ep, g->ep.dev, g->proto, text, sizeof(text));
	fprintf(out, "%s %s%s %s",
		g->listen ? paint_queue("LISTEN  ", g->qlen, g->qmax, buf,
					sizeof(buf))
			  : paint("OUTBOUND", buf, sizeof(buf)),
		render_safe(g->proto),
		strcmp(g->ep.family, "inet6") ? " " : "6",
		g->listen ? "" : "-> ");
	fprintf(out, "%s", text);
	if (g->local)
		fputs(" (local)", out);
	/* no listener passed the filter: no queue to tell of */
	if (g->has_queue && g->nsock)
		render_queue(g->qlen, g->qmax, out);
	render_counts(&g->counts, out);
	render_owners(&g->procs, out);
	fputc('\n', out);
	if (members)
		render_members(g, out);
}

/* How long ago, as a person reads it: 0.6 s, 5m03s, 2h10m. */
static const char *render_ago(long long ms, char *buf, size_t size);

/*
 * The picture's line: its host, or the file it was read from and who
 * wrote that; an ss dump has no picture of its own to tell of.
 */
void render_header(const struct rd_header *h, FILE *out, int members)
{
	char ago[32];

	render_ago(h->age_ms, ago, sizeof(ago));
	if (h->file && !strcmp(h->format, "ss-dump")) {
		fprintf(out, "%s: ss -D dump (TCP only) written %s (%s ago)\n",
			render_safe(h->file), render_safe(h->taken_at), ago);
	} else {
		if (h->file)
			fprintf(out, "%s: recording of %s by %s, ",
				render_safe(h->file), render_safe(h->host),
				h->writer && *h->writer
					? render_safe(h->writer)
					: "an older sockwatchd");
		else
			fprintf(out, "%s: ", render_safe(h->host));
		fprintf(out, "picture %lld taken %s (%s ago) in %.1f ms%s\n",
			h->generation, render_safe(h->taken_at), ago,
			(double)h->scan_us / 1000.0,
			h->udp_available ? ""
					 : "; UDP unavailable (no udp_diag)");
	}
	if (members)
		fprintf(out, "     %-11s %-*s %-*s %s\n", "State", ADDR_W,
			"Local", ADDR_W, "Remote", "Recv-Q/Send-Q");
}

void render_totals(const struct rd_end *e, FILE *out)
{
	fprintf(out, "%lld socket%s (%lld tcp, %lld udp) in %lld group%s\n",
		e->sockets, e->sockets == 1 ? "" : "s", e->tcp, e->udp,
		e->groups, e->groups == 1 ? "" : "s");
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

/* The time of day of an RFC 3339 time, as the daemon writes them (UTC). */
static const char *render_clock(const char *at)
{
	size_t n = at ? strlen(at) : 0;

	return n >= 23 && at[10] == 'T' ? at + 11 : (at ? at : "-");
}

static void render_traffic(const struct rd_event *ev, FILE *out)
{
	if (ev->has_duration) {
		char d[32];

		fprintf(out, "  lived %s",
			render_duration(ev->duration_ms, d, sizeof(d)));
	}
	if (ev->has_tcp)
		fprintf(out, "  sent %lld received %lld retrans %lld",
			ev->bytes_acked, ev->bytes_received, ev->total_retrans);
}

void render_event(const struct rd_event *ev, FILE *out)
{
	char l[300], g[300];
	const char *clock = render_clock(ev->at);

	fprintf(out, "%.12s ", clock);
	put_padded(out, render_safe(ev->event), 9);
	fprintf(out, "%s %s", render_safe(ev->proto),
		render_endpoint(&ev->local, NULL, ev->proto, l, sizeof(l)));
	if (ev->remote.port) {
		char r[300];

		fprintf(out, " %s %s", style.utf8 ? "→" : "->",
			render_endpoint(&ev->remote, NULL, ev->proto, r,
					sizeof(r)));
	}
	fprintf(out, "  [%s %s]",
		strcmp(ev->grole, "listen") == 0 ? "listen" : "to",
		render_endpoint(&ev->gep, NULL, ev->proto, g, sizeof(g)));
	render_procs(&ev->procs, out);
	if (ev->has_queue)
		fprintf(out, "  queue %lld/%lld", ev->qlen, ev->qmax);
	if (ev->remote.port) /* a listener moves no bytes of its own */
		render_traffic(ev, out);
	if (strcmp(ev->source, "poll") == 0 && strcmp(ev->event, "close") == 0)
		fputs("  (from a picture)", out);
	fputc('\n', out);
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

void render_closed_group(const struct rd_closed_group *g, FILE *out,
			 int members)
{
	char ep[300];
	size_t i;

	fprintf(out, "%s %s %s  %lld closed", render_safe(g->role),
		render_safe(g->proto),
		render_endpoint(&g->ep, NULL, g->proto, ep, sizeof(ep)),
		g->closed);
	if (g->bytes_acked || g->bytes_received)
		fprintf(out, ", sent %lld received %lld", g->bytes_acked,
			g->bytes_received);
	if (g->has_median && g->has_p99) {
		char d[32], d2[32];

		fprintf(out, ", lived median %s p99 %s",
			render_duration(g->median_ms, d, sizeof(d)),
			render_duration(g->p99_ms, d2, sizeof(d2)));
	}
	fputc('\n', out);
	for (i = 0; members && i < g->nconns; i++) {
		const struct rd_event *c = &g->conns[i];
		char l[300], r[300];

		fprintf(out, "  %.12s %s %s %s", render_clock(c->at),
			render_endpoint(&c->local, NULL, c->proto, l,
					sizeof(l)),
			style.utf8 ? "↔" : "<->",
			render_endpoint(&c->remote, NULL, c->proto, r,
					sizeof(r)));
		render_traffic(c, out);
		render_procs(&c->procs, out);
		fputc('\n', out);
	}
}
