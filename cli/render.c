/* SPDX-License-Identifier: ISC */
/* render.c - grouped listing as text, 100 columns, numeric addresses. */
#include "render.h"

#include <arpa/inet.h>
#include <netdb.h>
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
} style = { 0, 0, "  |-", "  `-", 27, 0 };

#define ADDR_W style.addr_w

void render_setup(int resolve, int color, int utf8, int width)
{
	/* 100 columns give 27: two IPv4 ends and the rest on one line */
	int w = (width - 46) / 2;

	style.addr_w = w < 20 ? 20 : w > 60 ? 60 : w;
	style.resolve = resolve;
	style.color = color;
	style.utf8 = utf8;
	if (utf8) {
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

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* A string of the daemon's as it may reach the terminal. */
static const char *txt(json_t *o, const char *key)
{
	return render_safe(str(o, key));
}

/* ss's way: [v6]:port, addr%dev:port, * for a zero port. */
static const char *render_endpoint(json_t *ep, const char *dev,
				   const char *proto, char *buf, size_t size)
{
	const char *addr = str(ep, "addr");
	json_int_t port = num(ep, "port");
	char portbuf[32] = "*", host[256] = "";
	int v6 = strchr(addr, ':') != NULL;

	if (port)
		snprintf(portbuf, sizeof(portbuf), "%lld", (long long)port);
	if (style.resolve)
		resolve(proto, addr, (int)port, host, sizeof(host), portbuf,
			sizeof(portbuf));
	if (host[0]) {
		addr = host;
		v6 = 0;
	}
	snprintf(buf, size, "%s%s%s%s%s:%s", v6 ? "[" : "", render_safe(addr),
		 v6 ? "]" : "", dev ? "%" : "", dev ? render_safe(dev) : "",
		 portbuf);
	return buf;
}

static void render_counts(json_t *counts, FILE *out)
{
	const char *key;
	json_t *val;
	int first = 1;

	json_object_foreach (counts, key, val) {
		fprintf(out, "%s%lld %s", first ? "  " : ", ",
			(long long)json_integer_value(val), render_safe(key));
		first = 0;
	}
}

/*
 * Processes as ss users know them, one name with its pids:
 * "nginx(1234,1235) sshd(99)". Several processes of one program, as a
 * pre-forked server has, stay on one name.
 */
static void render_procs(json_t *procs, FILE *out)
{
	size_t i, j;
	json_t *p, *q;

	json_array_foreach (procs, i, p) {
		const char *comm = str(p, "comm");
		int seen = 0;

		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(str(json_array_get(procs, j), "comm"),
				       comm);
		if (seen)
			continue;
		fprintf(out, " %s(", render_safe(comm));
		seen = 0;
		json_array_foreach (procs, j, q)
			if (!strcmp(str(q, "comm"), comm))
				fprintf(out, "%s%lld", seen++ ? "," : "",
					(long long)num(q, "pid"));
		fputc(')', out);
	}
}

/* Who runs a listener: its programs, their user and systemd unit. */
static void render_owners(json_t *procs, FILE *out)
{
	json_t *first = json_array_get(procs, 0);
	const char *unit;

	if (!first)
		return;
	fputs(" ", out);
	render_procs(procs, out);
	fprintf(out, " %s", txt(first, "user"));
	unit = json_string_value(json_object_get(first, "unit"));
	if (unit)
		fprintf(out, " %s", render_safe(unit));
}

/* A word padded to width, painted without the paint counting. */
static void put_padded(FILE *out, const char *word, int width)
{
	char buf[64];
	int pad = width - (int)strlen(word);

	fputs(paint(word, buf, sizeof(buf)), out);
	fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

static void render_socket(json_t *s, const char *proto, const char *glyph,
			  FILE *out)
{
	char local[300], remote[300];
	const char *dev = json_string_value(json_object_get(s, "dev"));
	json_t *procs = json_object_get(s, "processes");

	render_endpoint(json_object_get(s, "local"), dev, proto, local,
			sizeof(local));
	render_endpoint(json_object_get(s, "remote"), NULL, proto, remote,
			sizeof(remote));
	fprintf(out, "%s ", glyph);
	put_padded(out, txt(s, "state"), 11);
	fprintf(out, " %-*s %-*s %lld/%lld", ADDR_W, local, ADDR_W, remote,
		(long long)num(s, "rqueue"), (long long)num(s, "wqueue"));
	if (json_array_size(procs))
		render_procs(procs, out);
	else if (num(s, "inode"))
		fprintf(out, " ino %lld uid %lld", (long long)num(s, "inode"),
			(long long)num(s, "uid"));
	fputc('\n', out);
}

/* The sockets, then the connections, the last of all with the corner. */
static void render_members(json_t *g, FILE *out)
{
	json_t *socks = json_object_get(g, "sockets");
	json_t *conns = json_object_get(g, "connections");
	size_t n = json_array_size(socks) + json_array_size(conns), i, k = 0;
	const char *proto = str(g, "proto");
	json_t *s;

	json_array_foreach (socks, i, s)
		render_socket(s, proto, ++k == n ? style.last : style.mid, out);
	json_array_foreach (conns, i, s)
		render_socket(s, proto, ++k == n ? style.last : style.mid, out);
}

void render_group(json_t *g, FILE *out, int members)
{
	json_t *ep = json_object_get(g, "endpoint");
	json_t *q = json_object_get(g, "accept_queue");
	int listen = strcmp(str(g, "role"), "listen") == 0;
	char text[300], buf[64];

	render_endpoint(ep, json_string_value(json_object_get(ep, "dev")),
			str(g, "proto"), text, sizeof(text));
	fprintf(out, "%s %s%s %s",
		paint(listen ? "LISTEN  " : "OUTBOUND", buf, sizeof(buf)),
		txt(g, "proto"), strcmp(str(ep, "family"), "inet6") ? " " : "6",
		listen ? "" : "-> ");
	fprintf(out, "%s", text);
	if (json_is_true(json_object_get(g, "local")))
		fputs(" (local)", out);
	if (q)
		fprintf(out, "  queue %lld/%lld", (long long)num(q, "len"),
			(long long)num(q, "max"));
	render_counts(json_object_get(g, "counts"), out);
	render_owners(json_object_get(g, "processes"), out);
	fputc('\n', out);
	if (members)
		render_members(g, out);
}

void render_header(json_t *h, FILE *out, int members)
{
	fprintf(out, "%s: picture %lld taken %s (%.1f s ago) in %.1f ms%s\n",
		txt(h, "host"), (long long)num(h, "generation"),
		txt(h, "taken_at"), (double)num(h, "age_ms") / 1000.0,
		(double)num(h, "scan_us") / 1000.0,
		json_is_false(json_object_get(h, "udp_available"))
			? "; UDP unavailable (no udp_diag)"
			: "");
	if (members)
		fprintf(out, "     %-11s %-*s %-*s %s\n", "State", ADDR_W,
			"Local", ADDR_W, "Remote", "Recv-Q/Send-Q");
}

void render_totals(json_t *end, FILE *out)
{
	json_t *t = json_object_get(end, "totals");

	json_int_t n = num(t, "sockets"), g = num(t, "groups");

	fprintf(out, "%lld socket%s (%lld tcp, %lld udp) in %lld group%s\n",
		(long long)n, n == 1 ? "" : "s", (long long)num(t, "tcp"),
		(long long)num(t, "udp"), (long long)g, g == 1 ? "" : "s");
}

static void render_attribution(json_t *st, FILE *out)
{
	const char *note =
		json_string_value(json_object_get(st, "attribution_note"));

	fprintf(out, "owners:   %s", txt(st, "attribution"));
	if (json_object_get(st, "procs_known")) /* for those who see all */
		fprintf(out,
			", %lld processes, %lld unreadable, %lld sockets "
			"unowned",
			(long long)num(st, "procs_known"),
			(long long)num(st, "procs_denied"),
			(long long)num(st, "sockets_unowned"));
	fprintf(out, ", %.1f ms a poll\n",
		(double)num(st, "attribution_us") / 1000.0);
	if (note)
		fprintf(out, "          %s\n", render_safe(note));
}

void render_status(json_t *st, FILE *out)
{
	json_int_t up = num(st, "uptime_ms") / 1000;

	fprintf(out, "sockwatchd %s, pid %lld, up %lldd %02lld:%02lld:%02lld\n",
		txt(st, "version"), (long long)num(st, "pid"),
		(long long)(up / 86400), (long long)(up / 3600 % 24),
		(long long)(up / 60 % 60), (long long)(up % 60));
	fprintf(out,
		"polls:    every %lld ms, %lld done, %lld failed, last "
		"scan %.1f ms\n",
		(long long)num(st, "interval_ms"), (long long)num(st, "polls"),
		(long long)num(st, "poll_errors"),
		(double)num(st, "last_scan_us") / 1000.0);
	fprintf(out, "picture:  #%lld, %lld sockets in %lld groups%s\n",
		(long long)num(st, "generation"), (long long)num(st, "sockets"),
		(long long)num(st, "groups"),
		json_is_false(json_object_get(st, "udp_available"))
			? ", UDP unavailable (no udp_diag)"
			: "");
	render_attribution(st, out);
	fprintf(out,
		"clients:  %lld connected, %lld since start; %lld "
		"requests, %lld refused\n",
		(long long)num(st, "clients"),
		(long long)num(st, "clients_total"),
		(long long)num(st, "requests"),
		(long long)num(st, "request_errors"));
}
