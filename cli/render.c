/* render.c - grouped listing as text, 100 columns, numeric addresses. */
#include "render.h"

#include <string.h>

#define ADDR_W 28 /* two IPv4 ends and the rest fit in 100 columns */

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* ss's way: [v6]:port, addr%dev:port, * for a zero port. */
static const char *render_endpoint(json_t *ep, const char *dev, char *buf,
				   size_t size)
{
	const char *addr = str(ep, "addr");
	json_int_t port = num(ep, "port");
	char portbuf[8] = "*";
	int v6 = strchr(addr, ':') != NULL;

	if (port)
		snprintf(portbuf, sizeof(portbuf), "%lld", (long long)port);
	snprintf(buf, size, "%s%s%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "",
		 dev ? "%" : "", dev ? dev : "", portbuf);
	return buf;
}

static void render_counts(json_t *counts, FILE *out)
{
	const char *key;
	json_t *val;
	int first = 1;

	json_object_foreach (counts, key, val) {
		fprintf(out, "%s%lld %s", first ? "  " : ", ",
			(long long)json_integer_value(val), key);
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
		fprintf(out, " %s(", comm);
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
	fprintf(out, " %s", str(first, "user"));
	unit = json_string_value(json_object_get(first, "unit"));
	if (unit)
		fprintf(out, " %s", unit);
}

static void render_socket(json_t *s, FILE *out)
{
	char local[80], remote[80];
	const char *dev = json_string_value(json_object_get(s, "dev"));
	json_t *procs = json_object_get(s, "processes");

	render_endpoint(json_object_get(s, "local"), dev, local, sizeof(local));
	render_endpoint(json_object_get(s, "remote"), NULL, remote,
			sizeof(remote));
	fprintf(out, "    %-11s %-*s %-*s %lld/%lld", str(s, "state"), ADDR_W,
		local, ADDR_W, remote, (long long)num(s, "rqueue"),
		(long long)num(s, "wqueue"));
	if (json_array_size(procs))
		render_procs(procs, out);
	else if (num(s, "inode"))
		fprintf(out, " ino %lld uid %lld", (long long)num(s, "inode"),
			(long long)num(s, "uid"));
	fputc('\n', out);
}

static void render_members(json_t *arr, FILE *out)
{
	size_t i;
	json_t *s;

	json_array_foreach (arr, i, s)
		render_socket(s, out);
}

void render_group(json_t *g, FILE *out, int members)
{
	json_t *ep = json_object_get(g, "endpoint");
	json_t *q = json_object_get(g, "accept_queue");
	int listen = strcmp(str(g, "role"), "listen") == 0;
	char text[80];

	render_endpoint(ep, json_string_value(json_object_get(ep, "dev")), text,
			sizeof(text));
	fprintf(out, "%s %s%s %s", listen ? "LISTEN  " : "OUTBOUND",
		str(g, "proto"), strcmp(str(ep, "family"), "inet6") ? " " : "6",
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
	if (!members)
		return;
	render_members(json_object_get(g, "sockets"), out);
	render_members(json_object_get(g, "connections"), out);
}

void render_header(json_t *h, FILE *out, int members)
{
	fprintf(out, "%s: picture %lld taken %s (%.1f s ago) in %.1f ms%s\n",
		str(h, "host"), (long long)num(h, "generation"),
		str(h, "taken_at"), (double)num(h, "age_ms") / 1000.0,
		(double)num(h, "scan_us") / 1000.0,
		json_is_false(json_object_get(h, "udp_available"))
			? "; UDP unavailable (no udp_diag)"
			: "");
	if (members)
		fprintf(out, "    %-11s %-*s %-*s %s\n", "State", ADDR_W,
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

	fprintf(out,
		"owners:   %s, %lld processes, %lld unreadable, %lld sockets "
		"unowned, %.1f ms a poll\n",
		str(st, "attribution"), (long long)num(st, "procs_known"),
		(long long)num(st, "procs_denied"),
		(long long)num(st, "sockets_unowned"),
		(double)num(st, "attribution_us") / 1000.0);
	if (note)
		fprintf(out, "          %s\n", note);
}

void render_status(json_t *st, FILE *out)
{
	json_int_t up = num(st, "uptime_ms") / 1000;

	fprintf(out, "sockwatchd %s, pid %lld, up %lldd %02lld:%02lld:%02lld\n",
		str(st, "version"), (long long)num(st, "pid"),
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
