/* SPDX-License-Identifier: ISC */
/*
 * test_events.c - events and the history, from the real daemon, with
 * real connections opened and closed on loopback in the test's own
 * network namespace.
 */
#include <check.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "tests.h"
#include "util.h"

static char sock_path[100];
static char *dir;

static void ev_setup(void)
{
	netns_fresh();
	dir = tmpdir_make();
	snprintf(sock_path, sizeof(sock_path), "%s/run/s.sock", dir);
}

static void ev_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* fd made a subscriber with filter (NULL: none), once its first record came. */
static int subscribe_on(int fd, const char *filter)
{
	char req[512];
	char *line;
	json_t *o;

	ck_assert_int_ge(fd, 0);
	if (filter)
		snprintf(req, sizeof(req),
			 "{\"v\":1,\"cmd\":\"events\",\"filter\":\"%s\"}\n",
			 filter);
	else
		snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"events\"}\n");
	client_send(fd, req, strlen(req));
	line = client_line(fd, 5000);
	ck_assert_msg(line != NULL, "no answer to events");
	o = json_doc(line);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")),
			 "events");
	ck_assert(json_is_true(json_object_get(o, "kernel")));
	json_decref(o);
	free(line);
	return fd;
}

static int subscribe(const char *filter)
{
	return subscribe_on(client_connect(sock_path), filter);
}

/* What a subscriber read: event records and lost records. */
struct got {
	json_t *events; /* array */
	uint64_t lost_slow, lost_kernel;
	size_t nlost;
	size_t kinds[5]; /* open, close, listen, unlisten, overflow */
	char *buf;	 /* read and not yet a whole line */
	size_t len, cap;
};

static const char *const kind_names[5] = { "open", "close", "listen",
					   "unlisten", "overflow" };

static const char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void got_line(struct got *g, const char *line)
{
	json_t *o = json_doc(line);
	const char *type = str_of(o, "type");
	size_t k;

	if (strcmp(type, "lost") == 0) {
		uint64_t n = (uint64_t)json_integer_value(
			json_object_get(o, "count"));

		g->nlost++;
		if (strcmp(str_of(o, "reason"), "kernel") == 0)
			g->lost_kernel += n;
		else
			g->lost_slow += n;
		json_decref(o);
		return;
	}
	ck_assert_str_eq(type, "event");
	for (k = 0; k < 5; k++)
		if (strcmp(str_of(o, "event"), kind_names[k]) == 0)
			g->kinds[k]++;
	json_array_append_new(g->events, o);
}

/* Events of kind, counted. */
static size_t got_count(const struct got *g, const char *kind)
{
	size_t k;

	for (k = 0; k < 5; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			return g->kinds[k];
	return 0;
}

/* The whole lines in g's buffer, taken. */
static void got_lines(struct got *g)
{
	char *start = g->buf, *nl;

	while ((nl = memchr(start, '\n', g->len - (size_t)(start - g->buf)))) {
		*nl = '\0';
		got_line(g, start);
		start = nl + 1;
	}
	g->len -= (size_t)(start - g->buf);
	memmove(g->buf, start, g->len);
}

/* Reads, a buffer at a time, until want events of kind or ms passed. */
static void collect(int fd, struct got *g, const char *kind, size_t want,
		    int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (got_count(g, kind) < want && now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (g->cap - g->len < 65536) {
			g->cap = g->cap * 2 + 65536;
			g->buf = realloc(g->buf, g->cap);
			ck_assert_ptr_nonnull(g->buf);
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, g->buf + g->len, g->cap - g->len, 0);
		if (n <= 0)
			break;
		g->len += (size_t)n;
		got_lines(g);
	}
}

static void got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->events = json_array();
}

static void got_free(struct got *g)
{
	json_decref(g->events);
	free(g->buf);
}

static int port_of(json_t *ev, const char *end)
{
	return (int)json_integer_value(
		json_object_get(json_object_get(ev, end), "port"));
}

static uint64_t tcp_of(json_t *ev, const char *key)
{
	return (uint64_t)json_integer_value(
		json_object_get(json_object_get(ev, "tcp"), key));
}

/* Whether a process of pid is among those of o. */
static int has_pid(json_t *o, pid_t pid)
{
	json_t *procs = json_object_get(o, "processes"), *p;
	size_t i;

	json_array_foreach (procs, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return 1;
	return 0;
}

/*
 * n connections to the listener l on port, each sending bytes from the
 * client, read whole on the server side; the client closes first. In a
 * child, so that the test reads its events meanwhile: the child's pid.
 * At most CHURN_PER_S a second: a reader under a sanitizer must keep up
 * (the rate a reader can take is the benchmark's to measure).
 */
#define CHURN_PER_S 2000

static pid_t churn(int l, int port, int n, size_t bytes)
{
	const struct timespec gap = { 0, 1000000000L / CHURN_PER_S };
	static char buf[65536];
	char ep[32];
	pid_t pid = fork();
	int i;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	child_dies_with_parent();
	snprintf(ep, sizeof(ep), "127.0.0.1:%d", port);
	for (i = 0; i < n; i++) {
		int c = net_connect(ep, NULL, 0), a = net_accept(l);
		size_t got = 0;

		if (c < 0 || a < 0 || send(c, buf, bytes, 0) != (ssize_t)bytes)
			_exit(1);
		while (got < bytes) {
			ssize_t r = recv(a, buf, sizeof(buf), 0);

			if (r <= 0)
				_exit(1);
			got += (size_t)r;
		}
		close(c);
		close(a);
		nanosleep(&gap, NULL);
	}
	_exit(0);
}

static void churn_done(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the connections could not be made");
}

/* The listen group on port, in list --json: its rates say n closed. */
static void listener_rates(int port, int n)
{
	char *out = NULL;
	json_t *doc, *g, *rates;
	size_t i, found = 0;

	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--json", NULL }, &out,
				 NULL),
			 0);
	schema_check(out);
	doc = json_doc(out);
	json_array_foreach (json_object_get(doc, "groups"), i, g) {
		if (strcmp(str_of(g, "role"), "listen") != 0 ||
		    port_of(g, "endpoint") != port)
			continue;
		rates = json_object_get(g, "rates");
		ck_assert_ptr_nonnull(rates);
		found++;
		ck_assert_int_eq(
			json_integer_value(json_object_get(rates, "window_s")),
			60);
		ck_assert_double_eq_tol(json_number_value(json_object_get(
						rates, "closed_per_s")),
					n / 60.0, 0.001);
		/* none was seen open: each counts as opened when it closes */
		ck_assert_double_eq_tol(json_number_value(json_object_get(
						rates, "opened_per_s")),
					n / 60.0, 0.001);
	}
	ck_assert_uint_eq(found, 1);
	json_decref(doc);
	free(out);
}

/*
 * 1,000 connections opened and closed between two polls: every one
 * closes under its listener with the bytes sent, and its client end
 * towards it; the listener's program is named in the group.
 */
START_TEST(connections_between_polls_all_close_with_their_bytes)
{
	int l = net_listen("127.0.0.1:7401", 128, 0, NULL);
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "3600000", NULL });
	int fd = subscribe(NULL);
	struct got g;
	size_t i, server = 0, client = 0;
	json_t *ev;
	pid_t ch;

	got_init(&g);
	ch = churn(l, 7401, 1000, 5000);
	collect(fd, &g, "close", 2000, 20000);
	churn_done(ch);
	ck_assert_msg(g.nlost == 0, "lost: %llu slow, %llu kernel",
		      (unsigned long long)g.lost_slow,
		      (unsigned long long)g.lost_kernel);
	json_array_foreach (g.events, i, ev) {
		json_t *grp = json_object_get(ev, "group");

		if (strcmp(str_of(ev, "event"), "close") != 0)
			continue;
		ck_assert_str_eq(str_of(ev, "source"), "kernel");
		ck_assert(json_is_null(json_object_get(ev, "first_seen")));
		if (port_of(ev, "local") == 7401) {
			server++;
			ck_assert_str_eq(str_of(grp, "role"), "listen");
			ck_assert_int_eq(port_of(grp, "endpoint"), 7401);
			ck_assert(has_pid(grp, getpid()));
			/* tcp_info counts the FIN as a byte */
			ck_assert_uint_eq(tcp_of(ev, "bytes_received"), 5001);
		} else {
			client++;
			ck_assert_int_eq(port_of(ev, "remote"), 7401);
			ck_assert_str_eq(str_of(grp, "role"), "outbound");
			ck_assert_uint_eq(tcp_of(ev, "bytes_acked"), 5002);
		}
	}
	ck_assert_uint_eq(server, 1000);
	ck_assert_uint_eq(client, 1000);
	listener_rates(7401, 1000);
	got_free(&g);
	close(fd);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* Polls until list shows a socket of local port lport; 1 when it did. */
static int listed(int lport)
{
	char *out = NULL, filter[64];
	int found;

	snprintf(filter, sizeof(filter), "sport = :%d", lport);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--json", "--fresh", filter, NULL },
			&out, NULL),
		0);
	found = strstr(out, "\"port\":") != NULL &&
		strstr(out, "\"connections\":[{") != NULL;
	free(out);
	return found;
}

/*
 * A connection a picture saw: its open, then its close with the program
 * that held it, when it was first seen and how long it lived.
 */
START_TEST(a_known_connection_closes_with_its_program)
{
	int l = net_listen("127.0.0.1:7402", 8, 0, NULL);
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "100", NULL });
	int fd = subscribe("dport = :7402"), c, a, cport;
	struct got g;
	json_t *ev;
	size_t i;

	got_init(&g);
	c = net_connect("127.0.0.1:7402", NULL, 0);
	a = net_accept(l);
	cport = net_port(c);
	ck_assert(listed(cport));
	collect(fd, &g, "open", 1, 3000);
	close(c);
	close(a);
	collect(fd, &g, "close", 1, 3000);
	ck_assert_uint_eq(got_count(&g, "open"), 1);
	ck_assert_uint_eq(got_count(&g, "close"), 1);
	json_array_foreach (g.events, i, ev) {
		ck_assert_int_eq(port_of(ev, "local"), cport);
		ck_assert(has_pid(ev, getpid()));
		if (strcmp(str_of(ev, "event"), "close") != 0)
			continue;
		ck_assert(json_is_string(json_object_get(ev, "first_seen")));
		ck_assert(json_integer_value(
				  json_object_get(ev, "duration_ms")) >= 0);
		ck_assert(json_is_integer(json_object_get(ev, "duration_ms")));
	}
	got_free(&g);
	close(fd);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A listener that comes and goes: listen from a poll, unlisten at once. */
START_TEST(a_listener_comes_and_goes)
{
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "100", NULL });
	int fd = subscribe("sport = :7403");
	pid_t child = listener_child("127.0.0.1:7403", "evlistener", 0);
	struct got g;
	json_t *ev;

	got_init(&g);
	collect(fd, &g, "listen", 1, 5000);
	ck_assert_uint_eq(got_count(&g, "listen"), 1);
	ev = json_array_get(g.events, 0);
	ck_assert_str_eq(str_of(ev, "source"), "poll");
	ck_assert(has_pid(ev, child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	collect(fd, &g, "unlisten", 1, 5000);
	ck_assert_uint_eq(got_count(&g, "unlisten"), 1);
	ev = json_array_get(g.events, json_array_size(g.events) - 1);
	ck_assert_str_eq(str_of(ev, "event"), "unlisten");
	ck_assert_str_eq(str_of(ev, "source"), "kernel");
	ck_assert(has_pid(ev, child));
	got_free(&g);
	close(fd);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * A subscriber that stops reading loses events, and is told how many
 * when it reads again; another one, reading, loses none.
 */
START_TEST(a_slow_subscriber_loses_alone)
{
	int l = net_listen("127.0.0.1:7404", 128, 0, NULL);
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "3600000", NULL });
	int slow = subscribe(NULL), fast = subscribe(NULL), small = 4096;
	struct got gs, gf;
	pid_t ch;

	ck_assert_int_eq(
		setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
		0);
	got_init(&gs);
	got_init(&gf);
	ch = churn(l, 7404, 1500, 100);
	collect(fast, &gf, "close", 3000, 20000);
	churn_done(ch);
	ck_assert_msg(gf.nlost == 0, "lost: %llu slow, %llu kernel",
		      (unsigned long long)gf.lost_slow,
		      (unsigned long long)gf.lost_kernel);
	ck_assert_uint_eq(got_count(&gf, "close"), 3000);
	collect(slow, &gs, "close", 3000, 3000);
	ck_assert_uint_gt(gs.lost_slow, 0);
	ck_assert_uint_eq(gs.lost_kernel, 0);
	/* every event either read or counted as lost */
	ck_assert_uint_eq(got_count(&gs, "close") + gs.lost_slow, 3000);
	got_free(&gs);
	got_free(&gf);
	close(slow);
	close(fast);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * A receive buffer too small for a burst: the kernel drops events, every
 * subscriber is told, and the next picture tells the closes it missed;
 * nothing of them is left in the listing.
 */
START_TEST(kernel_drops_are_told_and_caught_up)
{
	enum { N = 200 };
	int l = net_listen("127.0.0.1:7405", N, 0, NULL);
	pid_t pid = daemon_start(
		sock_path,
		(char *[]){ "--interval", "200", "--event-buffer", "1", NULL });
	int fd = subscribe("dport = :7405"), c[N], a[N], i;
	struct got g;
	json_t *ev;
	size_t k, closed = 0;
	char *out = NULL;
	pid_t server;

	got_init(&g);
	for (i = 0; i < N; i++) {
		c[i] = net_connect("127.0.0.1:7405", NULL, 0);
		a[i] = net_accept(l);
	}

	ck_assert(listed(net_port(c[N - 1])));
	/* the server stopped: the kernel has nowhere to put the burst */
	server = (pid_t)status_num(sock_path, "server_pid");
	ck_assert_int_eq(kill(server, SIGSTOP), 0);
	for (i = 0; i < N; i++)
		close(c[i]);
	usleep(200000);
	ck_assert_int_eq(kill(server, SIGCONT), 0);
	/* the catching up waits on pictures, which a loaded machine under a
	 * sanitizer takes seconds for (CI once had the last close after 10) */
	collect(fd, &g, "close", N, 30000);
	json_array_foreach (g.events, k, ev)
		closed += strcmp(str_of(ev, "event"), "close") == 0;
	ck_assert_msg(closed == N, "%zu closes, %zu lost records (%llu)",
		      closed, g.nlost, (unsigned long long)g.lost_kernel);
	ck_assert_uint_gt(g.nlost, 0);
	ck_assert_uint_gt(g.lost_kernel, 0);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "-c", "--fresh",
				    "state established dport = :7405", NULL },
			&out, NULL),
		0);
	ck_assert_msg(strstr(out, "7405") == NULL, "still listed: %s", out);
	free(out);
	for (i = 0; i < N; i++)
		close(a[i]);
	got_free(&g);
	close(fd);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * A subscriber that waited quietly longer than --client-timeout is not
 * taken for one that stopped reading when at last something happens.
 */
START_TEST(a_quiet_subscriber_is_kept)
{
	int l = net_listen("127.0.0.1:7412", 8, 0, NULL);
	pid_t pid = daemon_start(sock_path, (char *[]){ "--interval", "3600000",
							"--client-timeout",
							"1000", NULL });
	int fd = subscribe(NULL);
	struct got g;

	got_init(&g);
	usleep(2500000);
	churn_done(churn(l, 7412, 1, 100));
	collect(fd, &g, "close", 2, 3000);
	ck_assert_uint_eq(got_count(&g, "close"), 2);
	ck_assert_uint_eq(g.nlost, 0);
	got_free(&g);
	close(fd);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A history request's records on fd, one JSON value each, in an array. */
static json_t *history_on(int fd, const char *extra)
{
	char req[512];
	json_t *all = json_array();
	char *line, *text = calloc(1, 1);
	size_t len = 0;

	snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"history\"%s}\n",
		 extra ? extra : "");
	client_send(fd, req, strlen(req));
	while ((line = client_line(fd, 5000)) != NULL) {
		json_t *o = json_doc(line);
		size_t n = strlen(line);

		text = realloc(text, len + n + 2);
		ck_assert_ptr_nonnull(text);
		memcpy(text + len, line, n);
		text[len + n] = '\n';
		text[len + n + 1] = '\0';
		len += n + 1;
		json_array_append_new(all, o);
		free(line);
		if (strcmp(str_of(o, "type"), "end") == 0 ||
		    strcmp(str_of(o, "type"), "error") == 0)
			break;
	}
	close(fd);
	schema_check_lines(text);
	free(text);
	return all;
}

static json_t *history(const char *extra)
{
	return history_on(client_connect(sock_path), extra);
}

/* The closed_group record of role/port in a history answer, or NULL. */
static json_t *closed_group_of(json_t *recs, const char *role, int port)
{
	json_t *o;
	size_t i;

	json_array_foreach (recs, i, o)
		if (strcmp(str_of(o, "type"), "closed_group") == 0 &&
		    strcmp(str_of(o, "role"), role) == 0 &&
		    port_of(o, "endpoint") == port)
			return o;
	return NULL;
}

/* The closed count of the group role/port in a history answer, or -1. */
static long closed_in(json_t *recs, const char *role, int port)
{
	json_t *o = closed_group_of(recs, role, port);

	return o ? (long)json_integer_value(json_object_get(o, "closed")) : -1;
}

/*
 * The log keeps the newest --history-size closes, grouped as list
 * groups them, and answers --since and filters.
 */
START_TEST(history_is_bounded_grouped_and_filtered)
{
	int la = net_listen("127.0.0.1:7406", 64, 0, NULL);
	int lb = net_listen("127.0.0.1:7407", 64, 0, NULL);
	int lc = net_listen("127.0.0.1:7408", 64, 0, NULL);
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "3600000",
					     "--history-size", "100", NULL });
	int fd = subscribe(NULL);
	struct got g;
	json_t *h, *hdr, *conn;

	got_init(&g);
	churn_done(churn(la, 7406, 20, 300));
	churn_done(churn(lb, 7407, 30, 300));
	collect(fd, &g, "close", 100, 10000);
	usleep(1500000);
	churn_done(churn(lc, 7408, 5, 300));
	collect(fd, &g, "close", 110, 10000);
	ck_assert_uint_eq(got_count(&g, "close"), 110);

	h = history(",\"view\":\"counts\"");
	hdr = json_array_get(h, 0);
	ck_assert_msg(strcmp(str_of(hdr, "type"), "history") == 0, "got %s",
		      json_dumps(h, 0));
	ck_assert_int_eq(json_integer_value(json_object_get(hdr, "entries")),
			 100);
	ck_assert(json_is_string(json_object_get(hdr, "complete_since")));
	/* the ten oldest closes, both ends of five connections, went */
	ck_assert_int_eq(closed_in(h, "listen", 7406), 15);
	ck_assert_int_eq(closed_in(h, "outbound", 7406), 15);
	ck_assert_int_eq(closed_in(h, "listen", 7407), 30);
	ck_assert_int_eq(closed_in(h, "listen", 7408), 5);
	json_decref(h);

	h = history(",\"since_ms\":1000");
	ck_assert_int_eq(closed_in(h, "listen", 7406), -1);
	ck_assert_int_eq(closed_in(h, "listen", 7408), 5);
	ck_assert_int_eq(closed_in(h, "outbound", 7408), 5);
	json_decref(h);

	/* clients of a listener here, though no picture saw their group */
	h = history(",\"filter\":\"local and dport = :7407\"");
	ck_assert_int_eq(closed_in(h, "outbound", 7407), 30);
	json_decref(h);
	h = history(",\"filter\":\"not local and dport = :7407\"");
	ck_assert_int_eq(closed_in(h, "outbound", 7407), -1);
	json_decref(h);

	h = history(",\"filter\":\"dport = :7407\"");
	ck_assert_int_eq(closed_in(h, "outbound", 7407), 30);
	ck_assert_int_eq(closed_in(h, "listen", 7407), -1);
	conn = json_array_get(
		json_object_get(json_array_get(h, 1), "connections"), 0);
	ck_assert_uint_eq(tcp_of(conn, "bytes_acked"), 302);
	ck_assert(has_pid(conn, getpid()) ||
		  json_array_size(json_object_get(conn, "processes")) == 0);
	json_decref(h);
	got_free(&g);
	close(fd);
	close(la);
	close(lb);
	close(lc);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* What sockwatchctl makes of the history, as a person and a script read it. */
START_TEST(sockwatchctl_shows_the_history)
{
	int l = net_listen("127.0.0.1:7409", 64, 0, NULL);
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "3600000", NULL });
	int fd = subscribe(NULL);
	char *out = NULL, *err = NULL;
	struct got g;
	json_t *doc;

	got_init(&g);
	churn_done(churn(l, 7409, 3, 1000));
	collect(fd, &g, "close", 6, 5000);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "history", "-c", "--since", "1h",
					     "sport", "=", ":7409", NULL },
				 &out, NULL),
			 0);
	ck_assert_msg(strstr(out, "listen tcp 127.0.0.1:7409  3 closed, sent "
				  "3 received 3003") != NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, "1 group, 3 closed connections") != NULL,
		      "%s", out);
	free(out);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "history", "--json", "dport", "=",
					     ":7409", NULL },
				 &out, NULL),
			 0);
	doc = json_doc(out);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "groups")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(doc, "totals"), "sockets")),
			 3);
	json_decref(doc);
	free(out);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "history", "--since", "soon", NULL }, &out,
			&err),
		2);
	ck_assert_ptr_nonnull(strstr(err, "--since takes a duration"));
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--since", "1h", NULL },
				 &out, &err),
			 2);
	free(out);
	free(err);
	got_free(&g);
	close(fd);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

static int occurrences(const char *s, const char *word)
{
	int n = 0;

	while ((s = strstr(s, word)) != NULL) {
		n++;
		s += strlen(word);
	}
	return n;
}

/* sockwatchctl events: a line an event as it comes, ended by SIGINT with 0. */
START_TEST(sockwatchctl_follows_events)
{
	int l = net_listen("127.0.0.1:7410", 64, 0, NULL), p[2], st;
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--interval", "3600000", NULL });
	pid_t ctl;
	char buf[8192];
	size_t len = 0;
	uint64_t end;

	ck_assert_int_eq(pipe(p), 0);
	ctl = fork();
	ck_assert_int_ge(ctl, 0);
	if (ctl == 0) {
		child_dies_with_parent();
		dup2(p[1], 1);
		execl(BUILD_DIR "/sockwatchctl", "sockwatchctl", "-s",
		      sock_path, "events", "sport = :7410", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* subscribed: under valgrind that takes longer than a fixed wait */
	end = now_ms() + 30000;
	while (status_num(sock_path, "subscribers") < 1 && now_ms() < end)
		usleep(50000);
	ck_assert_int_ge(status_num(sock_path, "subscribers"), 1);
	churn_done(churn(l, 7410, 2, 100));
	end = now_ms() + 5000;
	buf[0] = '\0';
	while (now_ms() < end && occurrences(buf, " close ") < 2) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		ssize_t n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	ck_assert_msg(strstr(buf, "close    tcp 127.0.0.1:7410") != NULL, "%s",
		      buf);
	ck_assert_ptr_nonnull(strstr(buf, "[listen 127.0.0.1:7410]"));
	ck_assert_ptr_nonnull(strstr(buf, "received 101"));
	kill(ctl, SIGINT);
	ck_assert_int_eq(waitpid(ctl, &st, 0), ctl);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * A connection of uid 65534 to root's listener l on ep, the client end in
 * a child that connects and waits to be killed: the client's local port.
 * The child holds nothing of root's (l is closed there).
 */
static int nobody_connects(int l, const char *ep, pid_t *child)
{
	int pfd[2], port = 0;

	ck_assert_int_eq(pipe(pfd), 0);
	*child = fork_as_nobody();
	if (*child == 0) {
		int c;

		close(l);
		c = net_connect(ep, NULL, 0);
		port = c >= 0 ? net_port(c) : 0;
		(void)!write(pfd[1], &port, sizeof(port));
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(pfd[0], &port, sizeof(port)), sizeof(port));
	ck_assert_int_gt(port, 0);
	close(pfd[0]);
	close(pfd[1]);
	return port;
}

/* Whether the events' processes and their groups' are all pid's. */
static void only_procs_of(const struct got *g, int lport, pid_t pid)
{
	json_t *ev;
	size_t i, n = 0;

	json_array_foreach (g->events, i, ev) {
		json_t *procs = json_object_get(ev, "processes");
		json_t *gprocs = json_object_get(json_object_get(ev, "group"),
						 "processes");

		if (port_of(ev, "local") != lport)
			continue;
		n++;
		ck_assert_uint_eq(json_array_size(procs), pid ? 1 : 0);
		ck_assert(!pid || has_pid(ev, pid));
		ck_assert_uint_eq(json_array_size(gprocs), 0);
	}
	ck_assert_uint_eq(n, 2); /* its open and its close */
}

/* The one connection of group role/port in a history answer. */
static json_t *closed_conn(json_t *recs, const char *role, int port)
{
	json_t *o = closed_group_of(recs, role, port), *c;

	ck_assert_msg(o != NULL, "no %s group on port %d", role, port);
	c = json_object_get(o, "connections");
	ck_assert_uint_eq(json_array_size(c), 1);
	return json_array_get(c, 0);
}

/*
 * The access policy holds for events and the history as for list: uid
 * 65534 hears every close, but is told only its own processes, and a
 * filter on root's pid, which root's own subscriber matches, matches
 * nothing of root's for it.
 */
START_TEST(others_hear_closes_but_only_of_their_own_processes)
{
	int l, all, bypid, rootpid, cport, a;
	pid_t daemon, child;
	char filter[64], extra[96];
	struct got g_all, g_pid, g_root;
	json_t *h;

	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	/* root's alone, though the daemon inherits it: the server, uid
	 * 65534, must not hold it (sockwatchd closes what it inherited) */
	l = net_listen("127.0.0.1:7411", 8, 0, NULL);
	daemon = daemon_start(sock_path,
			      (char *[]){ "--socket-mode", "0666", "--interval",
					  "100", NULL });
	snprintf(filter, sizeof(filter), "pid = %d", (int)getpid());
	all = subscribe_on(client_connect_as_nobody(sock_path), NULL);
	bypid = subscribe_on(client_connect_as_nobody(sock_path), filter);
	rootpid = subscribe(filter);
	got_init(&g_all);
	got_init(&g_pid);
	got_init(&g_root);
	cport = nobody_connects(l, "127.0.0.1:7411", &child);
	a = net_accept(l);
	ck_assert(listed(cport));
	collect(all, &g_all, "open", 2, 5000);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(a);
	collect(all, &g_all, "close", 2, 5000);
	collect(rootpid, &g_root, "close", 1, 5000);
	collect(bypid, &g_pid, "close", 1, 1000);

	only_procs_of(&g_all, cport, child); /* its own */
	only_procs_of(&g_all, 7411, 0);	     /* root's accepted end */
	ck_assert_uint_eq(json_array_size(g_pid.events), 0);
	ck_assert_uint_eq(got_count(&g_root, "close"), 1);
	ck_assert(has_pid(json_array_get(g_root.events, 0), getpid()));

	h = history_on(client_connect_as_nobody(sock_path), NULL);
	ck_assert_str_eq(str_of(json_array_get(h, 0), "processes"), "own");
	ck_assert_uint_eq(json_array_size(json_object_get(
				  closed_conn(h, "listen", 7411), "processes")),
			  0);
	ck_assert(has_pid(closed_conn(h, "outbound", 7411), child));
	json_decref(h);
	snprintf(extra, sizeof(extra), ",\"filter\":\"%s\"", filter);
	h = history_on(client_connect_as_nobody(sock_path), extra);
	ck_assert_int_eq(closed_in(h, "listen", 7411), -1);
	json_decref(h);
	h = history(extra); /* root's: the same filter finds root's end */
	ck_assert_int_eq(closed_in(h, "listen", 7411), 1);
	ck_assert(has_pid(closed_conn(h, "listen", 7411), getpid()));
	json_decref(h);

	got_free(&g_all);
	got_free(&g_pid);
	got_free(&g_root);
	close(all);
	close(bypid);
	close(rootpid);
	close(l);
	ck_assert_int_eq(daemon_stop(daemon), 0);
}
END_TEST

Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *live = tcase_create("live");
	TCase *policy = tcase_create("access policy");

	tcase_add_checked_fixture(live, ev_setup, ev_teardown);
	tcase_set_timeout(live, 120);
	tcase_add_test(live,
		       connections_between_polls_all_close_with_their_bytes);
	tcase_add_test(live, a_known_connection_closes_with_its_program);
	tcase_add_test(live, a_listener_comes_and_goes);
	tcase_add_test(live, a_slow_subscriber_loses_alone);
	tcase_add_test(live, kernel_drops_are_told_and_caught_up);
	tcase_add_test(live, history_is_bounded_grouped_and_filtered);
	tcase_add_test(live, sockwatchctl_shows_the_history);
	tcase_add_test(live, sockwatchctl_follows_events);
	tcase_add_test(live, a_quiet_subscriber_is_kept);
	suite_add_tcase(s, live);
	if (!can_switch_uid()) {
		/* Said plainly, not counted as passed. */
		fprintf(stderr, "events: the access policy test needs real "
				"root (other uids); this run has only uid 0 in "
				"a user namespace: NOT RUN\n");
		return s;
	}
	tcase_add_checked_fixture(policy, ev_setup, ev_teardown);
	tcase_set_timeout(policy, 60);
	tcase_add_test(policy,
		       others_hear_closes_but_only_of_their_own_processes);
	suite_add_tcase(s, policy);
	return s;
}
