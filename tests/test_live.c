/* SPDX-License-Identifier: ISC */
/* test_live.c - real sockets, the real daemon and CLI, and ss beside them. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "tests.h"
#include "util.h"

/* The ports of the client sockets whose numbers the kernel picked. */
struct world {
	int c8080a, c8080b, c8080q;
	int c8083v4, c8083v6;
	int c8084v4, c8084v6;
	int c8085;
	int c8086tw, c8086cw;
	int u5300;
};

static void world_tcp(struct world *w)
{
	int l, fd;

	l = net_listen("127.0.0.1:8080", 16, 0, NULL);
	w->c8080a = net_port(net_connect("127.0.0.1:8080", NULL, 0));
	net_accept(l);
	w->c8080b = net_port(net_connect("127.0.0.1:8080", NULL, 0));
	net_accept(l);
	w->c8080q = net_port(net_connect("127.0.0.1:8080", NULL, 0));
	net_listen("0.0.0.0:8081", 4, NET_REUSEPORT, NULL);
	net_listen("0.0.0.0:8081", 4, NET_REUSEPORT, NULL);
	net_listen("127.0.0.1:8082", 4, 0, NULL);
	net_listen("127.0.0.2:8082", 4, 0, NULL);
	l = net_listen("[::]:8083", 4, 0, NULL);
	w->c8083v4 = net_port(net_connect("127.0.0.1:8083", NULL, 0));
	net_accept(l);
	w->c8083v6 = net_port(net_connect("[::1]:8083", NULL, 0));
	net_accept(l);
	l = net_listen("[::]:8084", 4, NET_V6ONLY, NULL);
	fd = net_listen("0.0.0.0:8084", 4, 0, NULL);
	w->c8084v6 = net_port(net_connect("[::1]:8084", NULL, 0));
	net_accept(l);
	w->c8084v4 = net_port(net_connect("127.0.0.1:8084", NULL, 0));
	net_accept(fd);
	l = net_listen("0.0.0.0:8085", 4, 0, "lo");
	w->c8085 = net_port(net_connect("127.0.0.1:8085", NULL, 0));
	net_accept(l);
	/* A v6only listener, and a client v4-mapped on its port: not its. */
	net_listen("[::]:8087", 4, NET_V6ONLY, NULL);
	l = net_listen("127.0.0.1:8088", 4, 0, NULL);
	net_connect("[::ffff:127.0.0.1]:8088", "[::ffff:127.0.0.1]:8087", 0);
	net_accept(l);
}

/* TIME-WAIT on the server side (it closes first), CLOSE-WAIT too. */
static void world_closing(struct world *w)
{
	int l = net_listen("127.0.0.1:8086", 4, 0, NULL), c, s;

	c = net_connect("127.0.0.1:8086", NULL, 0);
	w->c8086tw = net_port(c);
	s = net_accept(l);
	close(s);
	usleep(20000);
	close(c);
	c = net_connect("127.0.0.1:8086", NULL, 0);
	w->c8086cw = net_port(c);
	net_accept(l);
	close(c); /* the server side never closes: CLOSE-WAIT */
	usleep(50000);
}

static void world_udp_and_shared(struct world *w)
{
	/* Two clients on one local port, told apart by their peers. */
	net_connect("127.0.0.1:8080", "127.0.0.1:40000", NET_REUSEADDR);
	net_connect("127.0.0.1:8082", "127.0.0.1:40000", NET_REUSEADDR);
	net_udp("127.0.0.1:5300", NULL, NET_REUSEPORT);
	net_udp("127.0.0.1:5300", "127.0.0.1:5301", NET_REUSEPORT);
	w->u5300 = net_port(net_udp("127.0.0.1:0", "127.0.0.1:5300", 0));
	net_udp("[::1]:5302", NULL, 0);
}

static void world_build(struct world *w)
{
	world_tcp(w);
	world_closing(w);
	world_udp_and_shared(w);
}

static char sock_path[100];
static pid_t daemon_pid;
static char *dir;

static void live_setup(void)
{
	netns_fresh();
	dir = tmpdir_make();
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	daemon_pid = daemon_start(sock_path,
				  (char *[]){ "--interval", "60000", NULL });
}

static void live_teardown(void)
{
	ck_assert_int_eq(daemon_stop(daemon_pid), 0);
	rmdir(dir);
	free(dir);
}

static json_t *list_fresh(char **raw)
{
	char *out, *err;
	json_t *doc;

	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--json", "--fresh", NULL }, &out,
			&err),
		0);
	doc = json_doc(out);
	if (raw)
		*raw = out;
	else
		free(out);
	free(err);
	return doc;
}

START_TEST(every_ss_socket_exactly_once)
{
	struct world w;
	char *ss;
	json_t *doc;

	world_build(&w);
	doc = list_fresh(NULL);
	ck_assert_int_eq(
		run_cmd((char *[]){ "ss", "-tuanHe", NULL }, &ss, NULL), 0);
	net_expect_ss(doc, ss);
	free(ss);
	json_decref(doc);
}
END_TEST

/* Asserts which group (and which member list) holds a socket. */
static json_t *expect_in(json_t *doc, const char *proto, const char *local,
			 const char *remote, const char *group,
			 const char *member)
{
	const char *got_member = NULL;
	json_t *g = NULL, *s;
	char name[128];

	s = net_find(doc, proto, local, remote, &g, &got_member);
	ck_assert_msg(s != NULL, "%s %s -> %s not listed", proto, local,
		      remote);
	ck_assert_msg(strcmp(net_group_name(g, name, sizeof(name)), group) == 0,
		      "%s %s -> %s is in \"%s\", not \"%s\"", proto, local,
		      remote, name, group);
	ck_assert_str_eq(got_member, member);
	return s;
}

static const char *ep(char *buf, const char *addr, int port)
{
	snprintf(buf, 64, "%s:%d", addr, port);
	return buf;
}

START_TEST(grouping_socket_by_socket)
{
	struct world w;
	json_t *doc, *s, *g;
	const char *mem;
	char a[64], b[64];

	world_build(&w);
	doc = list_fresh(NULL);
	expect_in(doc, "tcp", "127.0.0.1:8080", "0.0.0.0:0",
		  "listen tcp 127.0.0.1:8080", "sockets");
	expect_in(doc, "tcp", "127.0.0.1:8080", ep(a, "127.0.0.1", w.c8080a),
		  "listen tcp 127.0.0.1:8080", "connections");
	s = expect_in(doc, "tcp", "127.0.0.1:8080",
		      ep(a, "127.0.0.1", w.c8080q), "listen tcp 127.0.0.1:8080",
		      "connections");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "inode")), 0);
	s = expect_in(doc, "tcp", ep(a, "127.0.0.1", w.c8080b),
		      "127.0.0.1:8080", "outbound tcp 127.0.0.1:8080",
		      "connections");
	ck_assert(net_find(doc, "tcp", "0.0.0.0:8081", "0.0.0.0:0", &g, &mem));
	ck_assert_int_eq(json_array_size(json_object_get(g, "sockets")), 2);
	expect_in(doc, "tcp", "127.0.0.2:8082", "0.0.0.0:0",
		  "listen tcp 127.0.0.2:8082", "sockets");
	expect_in(doc, "tcp", "::ffff:127.0.0.1:8083",
		  ep(a, "::ffff:127.0.0.1", w.c8083v4), "listen tcp :::8083",
		  "connections");
	expect_in(doc, "tcp", "::1:8083", ep(a, "::1", w.c8083v6),
		  "listen tcp :::8083", "connections");
	ck_assert(net_find(doc, "tcp", ep(a, "127.0.0.1", w.c8083v4),
			   "127.0.0.1:8083", &g, &mem));
	ck_assert(json_is_true(json_object_get(g, "local")));
	expect_in(doc, "tcp", "::1:8084", ep(a, "::1", w.c8084v6),
		  "listen tcp :::8084", "connections");
	expect_in(doc, "tcp", "127.0.0.1:8084", ep(b, "127.0.0.1", w.c8084v4),
		  "listen tcp 0.0.0.0:8084", "connections");
	expect_in(doc, "tcp", "127.0.0.1:8085", ep(a, "127.0.0.1", w.c8085),
		  "listen tcp 0.0.0.0:8085%lo", "connections");
	s = expect_in(doc, "tcp", "::ffff:127.0.0.1:8087",
		      "::ffff:127.0.0.1:8088",
		      "outbound tcp ::ffff:127.0.0.1:8088", "connections");
	ck_assert(net_find(doc, "tcp", "::ffff:127.0.0.1:8087",
			   "::ffff:127.0.0.1:8088", &g, &mem));
	ck_assert(json_is_true(json_object_get(g, "local")));
	json_decref(doc);
}
END_TEST

START_TEST(closing_states_shared_ports_and_udp)
{
	struct world w;
	json_t *doc, *s, *g;
	const char *mem;
	char a[64];

	world_build(&w);
	doc = list_fresh(NULL);
	s = expect_in(doc, "tcp", "127.0.0.1:8086",
		      ep(a, "127.0.0.1", w.c8086tw),
		      "listen tcp 127.0.0.1:8086", "connections");
	ck_assert_str_eq(json_string_value(json_object_get(s, "state")),
			 "time-wait");
	s = expect_in(doc, "tcp", "127.0.0.1:8086",
		      ep(a, "127.0.0.1", w.c8086cw),
		      "listen tcp 127.0.0.1:8086", "connections");
	ck_assert_str_eq(json_string_value(json_object_get(s, "state")),
			 "close-wait");
	expect_in(doc, "tcp", "127.0.0.1:40000", "127.0.0.1:8080",
		  "outbound tcp 127.0.0.1:8080", "connections");
	expect_in(doc, "tcp", "127.0.0.1:40000", "127.0.0.1:8082",
		  "outbound tcp 127.0.0.1:8082", "connections");
	expect_in(doc, "udp", "127.0.0.1:5300", "0.0.0.0:0",
		  "listen udp 127.0.0.1:5300", "sockets");
	expect_in(doc, "udp", "127.0.0.1:5300", "127.0.0.1:5301",
		  "listen udp 127.0.0.1:5300", "connections");
	expect_in(doc, "udp", ep(a, "127.0.0.1", w.u5300), "127.0.0.1:5300",
		  "outbound udp 127.0.0.1:5300", "connections");
	ck_assert(net_find(doc, "udp", ep(a, "127.0.0.1", w.u5300),
			   "127.0.0.1:5300", &g, &mem));
	ck_assert(json_is_true(json_object_get(g, "local")));
	s = expect_in(doc, "udp", "::1:5302", ":::0", "listen udp ::1:5302",
		      "sockets");
	ck_assert_str_eq(json_string_value(json_object_get(s, "state")),
			 "unconnected");
	json_decref(doc);
}
END_TEST

/* The pids in a "processes" array. */
static int holds(json_t *obj, pid_t pid)
{
	json_t *procs = json_object_get(obj, "processes"), *p;
	size_t i;

	ck_assert_msg(json_is_array(procs), "no processes array");
	json_array_foreach (procs, i, p) {
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return 1;
	}
	return 0;
}

/* Whether this run may read another process's fds, as the daemon will. */
static int can_read_fds_of(pid_t pid)
{
	char path[32];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (d)
		closedir(d);
	return d != NULL;
}

START_TEST(who_holds_each_socket)
{
	struct world w;
	json_t *doc, *s, *g, *p;
	const char *mem;
	char a[64], *out;

	world_build(&w);
	doc = list_fresh(NULL);
	s = net_find(doc, "tcp", "127.0.0.1:8080", "0.0.0.0:0", &g, &mem);
	ck_assert(s && holds(s, getpid()) && holds(g, getpid()));
	p = json_array_get(json_object_get(s, "processes"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "comm")),
			 "sockwatch-tests");
	ck_assert(json_is_string(json_object_get(p, "user")));
	s = net_find(doc, "tcp", "127.0.0.1:8080", ep(a, "127.0.0.1", w.c8080a),
		     &g, &mem);
	ck_assert(s && holds(s, getpid()));
	/* Nobody holds a connection not yet accepted, nor a TIME-WAIT. */
	s = net_find(doc, "tcp", "127.0.0.1:8080", ep(a, "127.0.0.1", w.c8080q),
		     &g, &mem);
	ck_assert_int_eq(json_array_size(json_object_get(s, "processes")), 0);
	s = net_find(doc, "tcp", "127.0.0.1:8086",
		     ep(a, "127.0.0.1", w.c8086tw), &g, &mem);
	ck_assert_int_eq(json_array_size(json_object_get(s, "processes")), 0);
	json_decref(doc);
	ck_assert_int_eq(
		ctl_run(sock_path, (char *[]){ "status", NULL }, &out, NULL),
		0);
	/*
	 * Complete when every process's fds may be read (real root); in a
	 * user namespace the host's own processes are not ours: partial,
	 * and it says why.
	 */
	if (can_read_fds_of(1))
		ck_assert_ptr_nonnull(strstr(out, "owners:   complete"));
	else
		ck_assert_ptr_nonnull(strstr(out, "could not be read"));
	free(out);
}
END_TEST

START_TEST(real_document_validates_against_schema)
{
	struct world w;
	json_t *doc;
	char *raw;

	world_build(&w);
	doc = list_fresh(&raw);
	schema_check(raw);
	free(raw);
	json_decref(doc);
}
END_TEST

START_TEST(cached_answer_until_fresh)
{
	json_t *doc, *g;
	const char *mem;
	char *out;
	json_int_t gen;

	doc = list_fresh(NULL);
	gen = json_integer_value(json_object_get(doc, "generation"));
	json_decref(doc);
	net_listen("127.0.0.1:9999", 1, 0, NULL);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--json", NULL }, &out,
				 NULL),
			 0);
	doc = json_doc(out);
	free(out);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "generation")),
			 gen);
	ck_assert_ptr_nonnull(json_object_get(doc, "age_ms"));
	ck_assert_ptr_null(
		net_find(doc, "tcp", "127.0.0.1:9999", "0.0.0.0:0", &g, &mem));
	json_decref(doc);
	doc = list_fresh(NULL);
	ck_assert_int_gt(json_integer_value(json_object_get(doc, "generation")),
			 gen);
	ck_assert_ptr_nonnull(
		net_find(doc, "tcp", "127.0.0.1:9999", "0.0.0.0:0", &g, &mem));
	json_decref(doc);
}
END_TEST

START_TEST(table_for_a_person)
{
	struct world w;
	char *out;
	size_t listens = 0;
	const char *p;

	world_build(&w);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--fresh", NULL }, &out,
				 NULL),
			 0);
	for (p = out; (p = strstr(p, "\nLISTEN ")); p++)
		listens++;
	/* 8080 8081 8082x2 8083 8084x2 8085 8086 8087 8088, udp 5300 5302 */
	ck_assert_uint_eq(listens, 13);
	ck_assert_ptr_nonnull(strstr(out, "0.0.0.0%lo:8085"));
	ck_assert_ptr_nonnull(strstr(out, "[::ffff:127.0.0.1]:8083"));
	ck_assert_ptr_nonnull(strstr(out, "(local)"));
	ck_assert_ptr_nonnull(strstr(out, "time-wait"));
	ck_assert_ptr_nonnull(strstr(out, " sockwatch-tests("));
	free(out);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The n words of list, sorted, comma-joined into out. */
static void join_sorted(char **list, size_t n, char *out, size_t size)
{
	size_t i;

	qsort(list, n, sizeof(*list), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s,", list[i]);
}

/* Word k (from 0) of each line of text, sorted, comma-joined. */
static void words_at(const char *text, int k, char *out, size_t size)
{
	char *copy = strdup(text), *line, *save = NULL, *list[256];
	size_t n = 0;

	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line && n < 256;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w, *wsave = NULL;
		int j = 0;

		for (w = strtok_r(line, " ", &wsave); w && j < k;
		     w = strtok_r(NULL, " ", &wsave))
			j++;
		if (w)
			list[n++] = w;
	}
	join_sorted(list, n, out, size);
	free(copy);
}

/* A group's members' cookies, sorted and joined, for comparing. */
static void group_cookies(json_t *g, char *out, size_t size)
{
	static const char *const mem[] = { "sockets", "connections" };
	char *list[256];
	size_t i, m, n = 0;
	json_t *s;

	for (m = 0; m < 2; m++)
		json_array_foreach (json_object_get(g, mem[m]), i, s)
			if (n < 256)
				list[n++] = (char *)json_string_value(
					json_object_get(s, "cookie"));
	join_sorted(list, n, out, size);
}

/*
 * A group's name as a dump's listing gives it: a dump names no device,
 * so a device is "if" and its index.
 */
static void dump_group_name(json_t *g, char *buf, size_t size)
{
	const char *dev = json_string_value(
		json_object_get(json_object_get(g, "endpoint"), "dev"));
	char *at;

	net_group_name(g, buf, size);
	at = strchr(buf, '%');
	if (dev && at)
		snprintf(at, size - (size_t)(at - buf), "%%if%u",
			 if_nametoindex(dev));
}

/*
 * This host's ss -D dump, read back by sockwatchctl --from, groups its
 * sockets as the daemon grouped them: same groups, same members, same
 * local marks (the daemon's TCP groups: a dump holds TCP alone).
 */
START_TEST(ss_dump_of_this_host_groups_as_the_daemon)
{
	char path[200], *out, name[128], want[4096], got[4096];
	json_t *live, *file, *g = NULL, *lg;
	struct world w;
	size_t i, j;

	world_build(&w);
	live = list_fresh(NULL);
	snprintf(path, sizeof(path), "%s/ss.dump", dir);
	ck_assert_int_eq(run_cmd((char *[]){ "ss", "-tan", "-D", path, NULL },
				 &out, NULL),
			 0);
	free(out);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--from", path, "--json", NULL },
			&out, NULL),
		0);
	file = json_doc(out);
	free(out);
	json_array_foreach (json_object_get(live, "groups"), i, lg) {
		if (strcmp(json_string_value(json_object_get(lg, "proto")),
			   "tcp") != 0)
			continue;
		dump_group_name(lg, name, sizeof(name));
		json_array_foreach (json_object_get(file, "groups"), j, g)
			if (!strcmp(net_group_name(g, path, sizeof(path)),
				    name))
				break;
		ck_assert_msg(
			j < json_array_size(json_object_get(file, "groups")),
			"%s is not in the dump's listing", name);
		group_cookies(lg, want, sizeof(want));
		group_cookies(g, got, sizeof(got));
		ck_assert_msg(!strcmp(want, got), "%s: daemon %s, dump %s",
			      name, want, got);
		ck_assert_msg(json_is_true(json_object_get(lg, "local")) ==
				      json_is_true(json_object_get(g, "local")),
			      "%s: the daemon and the dump differ on local",
			      name);
	}
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(file, "totals"), "udp")),
			 0);
	json_decref(live);
	json_decref(file);
}
END_TEST

/*
 * The listeners' local ends read as ss writes them: *:8083 for the
 * dual-stack [::] listener, [::]:8084 for the v6only one, 0.0.0.0%lo
 * for the device's. The member lines of list -l against ss -tuln.
 */
START_TEST(listeners_written_as_ss_writes_them)
{
	char want[4096], got[4096], *ss, *out, *err, *p;
	struct world w;

	world_build(&w);
	ck_assert_int_eq(run_cmd((char *[]){ "ss", "-tulnH", NULL }, &ss, NULL),
			 0);
	words_at(ss, 4, want, sizeof(want));
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--fresh", "-l", "-H", NULL }, &out,
			&err),
		0);
	/* the member lines only: group lines start with their role */
	for (p = strstr(out, "LISTEN"); p; p = strstr(p, "LISTEN"))
		memset(p, 'X', strcspn(p, "\n"));
	words_at(out, 2, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(want, "*:8083,"));
	ck_assert_ptr_nonnull(strstr(want, "[::]:8084,"));
	free(ss);
	free(out);
	free(err);
}
END_TEST

/* The cookies of every socket in a document, sorted, comma-joined. */
static void doc_cookies(json_t *doc, char *out, size_t size)
{
	static const char *const mem[] = { "sockets", "connections" };
	char *list[4096];
	size_t n = 0, i, j, m;
	json_t *g, *s;

	json_array_foreach (json_object_get(doc, "groups"), i, g)
		for (m = 0; m < 2; m++)
			json_array_foreach (json_object_get(g, mem[m]), j, s)
				if (n < 4096)
					list[n++] = (char *)json_string_value(
						json_object_get(s, "cookie"));
	qsort(list, n, sizeof(*list), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s,", list[i]);
}

/*
 * The cookies of what ss -tuanHe FLAGS FILTER shows; -1 when ss refuses
 * it.
 */
static int ss_cookies(const char *flags, const char *filter, char *out,
		      size_t size)
{
	char *argv[64] = { "ss", "-tuanHe" }, buf[512], *w, *text, *list[4096];
	size_t n = 0, i;
	int argc = 2, rc;
	const char *p;

	/* -t or -u of the flags chooses the protocols, as they would */
	if (flags[0] == '-' && strpbrk(flags, "tu"))
		argv[1] = "-anHe";
	snprintf(buf, sizeof(buf), "%s %s", flags, filter);
	for (w = strtok(buf, " "); w && argc < 63; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	rc = run_cmd(argv, &text, NULL);
	if (rc != 0) {
		free(text);
		return -1;
	}
	for (p = strstr(text, "sk:"); p && n < 4096; p = strstr(p + 3, "sk:")) {
		list[n] = strndup(p + 3, strcspn(p + 3, " \n"));
		n++;
	}
	join_sorted(list, n, out, size);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(text);
	return 0;
}

/*
 * The same filter through sockwatchctl, with flags ("", "-4" or "-6");
 * -1 when it refuses it (exit 2).
 */
static int sw_cookies(const char *flags, const char *filter, char *out,
		      size_t size)
{
	char *out_text, *err;
	json_t *doc;
	int rc = ctl_run(sock_path,
			 (char *[]){ "list", "--json", "--fresh",
				     *flags ? (char *)flags : "--json",
				     (char *)filter, NULL },
			 &out_text, &err);

	if (rc == 2) {
		ck_assert_msg(strstr(err, "column") != NULL, "%s", err);
		free(out_text);
		free(err);
		return -1;
	}
	ck_assert_msg(rc == 0, "%s: exit %d: %s", filter, rc, err);
	doc = json_doc(out_text);
	doc_cookies(doc, out, size);
	json_decref(doc);
	free(out_text);
	free(err);
	return 0;
}

/* ss and sockwatchctl pass the same sockets, or both refuse. */
static void same_as_ss(const char *flags, const char *filter)
{
	static char want[65536], got[65536];
	int ss_rc = ss_cookies(flags, filter, want, sizeof(want));
	int sw_rc = sw_cookies(flags, filter, got, sizeof(got));

	ck_assert_msg(ss_rc == sw_rc, "\"%s\" %s: ss %s it, sockwatch %s",
		      filter, flags, ss_rc ? "refuses" : "takes",
		      sw_rc ? "refuses" : "takes");
	ck_assert_msg(ss_rc || !strcmp(want, got),
		      "\"%s\" %s: ss %s sockwatch %s", filter, flags, want,
		      got);
}

/* The document sockwatchctl prints for a filter. */
static json_t *list_filtered(const char *filter)
{
	char *out, *err;
	json_t *doc;

	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--json", "--fresh",
					     (char *)filter, NULL },
				 &out, &err),
			 0);
	doc = json_doc(out);
	free(out);
	free(err);
	return doc;
}

/* Every socket of every group passes check; returns how many there are. */
static size_t every_socket(json_t *doc, int (*check)(json_t *g, json_t *s))
{
	static const char *const mem[] = { "sockets", "connections" };
	size_t i, j, m, n = 0;
	json_t *g, *s;

	json_array_foreach (json_object_get(doc, "groups"), i, g)
		for (m = 0; m < 2; m++)
			json_array_foreach (json_object_get(g, mem[m]), j, s) {
				ck_assert(check(g, s));
				n++;
			}
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(doc, "totals"), "sockets")),
			 (json_int_t)n);
	return n;
}

static int is_outbound(json_t *g, json_t *s)
{
	(void)s;
	return !strcmp(json_string_value(json_object_get(g, "role")),
		       "outbound");
}

static int held_by_us(json_t *g, json_t *s)
{
	(void)g;
	return holds(s, getpid());
}

static int listener_with_queue(json_t *g, json_t *s)
{
	(void)g;
	return !strcmp(json_string_value(json_object_get(s, "state")),
		       "listen") &&
	       json_integer_value(json_object_get(s, "rqueue")) > 0;
}

/* sockwatch's own terms: role, proc, pid, user, unit, queue. */
START_TEST(own_terms)
{
	struct world w;
	json_t *doc;
	char pid[32], *out, *err;
	size_t n;

	world_build(&w);
	doc = list_filtered("role outbound");
	ck_assert_uint_gt(every_socket(doc, is_outbound), 0);
	json_decref(doc);
	doc = list_filtered("proc sockwatch-tests");
	n = every_socket(doc, held_by_us);
	ck_assert_uint_gt(n, 10);
	json_decref(doc);
	snprintf(pid, sizeof(pid), "pid %d", (int)getpid());
	doc = list_filtered(pid);
	ck_assert_uint_eq(every_socket(doc, held_by_us), n);
	json_decref(doc);
	doc = list_filtered("user 0 and not pid 1");
	ck_assert_uint_eq(every_socket(doc, held_by_us), n);
	json_decref(doc);
	doc = list_filtered("queue > 0");
	/* 8080 and 8082 each have a connection nobody accepted */
	ck_assert_uint_eq(every_socket(doc, listener_with_queue), 2);
	json_decref(doc);
	doc = list_filtered("unit no-such-unit");
	ck_assert_uint_eq(every_socket(doc, held_by_us), 0);
	json_decref(doc);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "role nonsense", NULL },
				 &out, &err),
			 2);
	ck_assert_ptr_nonnull(strstr(err, "column 6"));
	free(out);
	free(err);
}
END_TEST

/* The table's views: -l, -t -6, -c with --sort and --top, -H, --jsonl. */
/*
 * The hosts files the host-name cases run with: Debian's own (localhost
 * is also ::1) and one without its IPv6 lines, each with names of the
 * tests' own. tests/run bound SOCKWATCH_TEST_HOSTS over /etc/hosts.
 */
static const char *const hosts_debian =
	"127.0.0.1\tlocalhost\n"
	"127.0.1.1\ttesthost.example\ttesthost\n"
	"\n"
	"# The following lines are desirable for IPv6 capable hosts\n"
	"::1     localhost ip6-localhost ip6-loopback\n"
	"ff02::1 ip6-allnodes\n"
	"ff02::2 ip6-allrouters\n";
static const char *const hosts_v4_only =
	"127.0.0.1\tlocalhost\n"
	"127.0.1.1\ttesthost.example\ttesthost\n";
static const char *const hosts_ours = "127.0.0.2\ttwo-v4\n"
				      "127.0.0.1\ttwo-v4\n"
				      "127.0.0.2\tboth\n"
				      "::1\tboth\n"
				      "::1\tv6-loop\n"
				      "2001:db8::1\tv6-far\n";

static void hosts_use(const char *text, const char *ours)
{
	const char *path = getenv("SOCKWATCH_TEST_HOSTS");
	char *seen;
	FILE *f;

	ck_assert_msg(path != NULL, "run the suite through tests/run, which "
				    "gives it a hosts file of its own");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fputs(ours, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(
		run_cmd((char *[]){ "cat", "/etc/hosts", NULL }, &seen, NULL),
		0);
	ck_assert_msg(!strncmp(seen, text, strlen(text)),
		      "/etc/hosts is not the test's own: %.200s", seen);
	free(seen);
}

START_TEST(views_of_the_table)
{
	struct world w;
	char *out, *err;

	hosts_use(hosts_debian, ""); /* -r names 127.0.0.1 localhost */
	world_build(&w);
	ck_assert_int_eq(ctl_run(sock_path, (char *[]){ "list", "-fl", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_null(strstr(out, "established"));
	ck_assert_ptr_null(strstr(out, "OUTBOUND"));
	ck_assert_ptr_nonnull(strstr(out, "127.0.0.1:8080"));
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path, (char *[]){ "list", "-ft6", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_null(strstr(out, " tcp  "));
	ck_assert_ptr_null(strstr(out, "LISTEN   udp"));
	ck_assert_ptr_null(strstr(out, "OUTBOUND udp"));
	ck_assert_ptr_nonnull(strstr(out, "tcp6 *:8083"));
	ck_assert_ptr_nonnull(strstr(out, "tcp6 [::]:8084"));
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "-fcH", "--sort", "conns",
					     "--top", "1", NULL },
				 &out, &err),
			 0);
	/* one line: the group with most connections, 127.0.0.1:8080's */
	ck_assert_ptr_nonnull(strstr(out, "LISTEN   tcp  127.0.0.1:8080"));
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--jsonl", "-fu", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "{\"type\":\"header\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"type\":\"end\""));
	ck_assert_ptr_null(strstr(out, "\"proto\":\"tcp\""));
	free(out);
	free(err);
	setenv("LC_ALL", "C.UTF-8", 1);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "-f", "-r", "--color=always",
				    "sport = :8080", NULL },
			&out, &err),
		0);
	unsetenv("LC_ALL");
	/* yellow: connections wait in 8080's accept queue */
	ck_assert_ptr_nonnull(strstr(out, "\033[33mLISTEN  \033[0m"));
	ck_assert_ptr_nonnull(strstr(out, "\033[32mestablished\033[0m"));
	ck_assert_ptr_nonnull(
		strstr(out, "\xe2\x94\x94\xe2\x94\x80 ")); /* corner */
	ck_assert_ptr_nonnull(strstr(out, "localhost:http-alt"));
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path, (char *[]){ "list", "-f", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_null(strchr(out, '\033')); /* not a terminal */
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--summary", "-f", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_nonnull(
		strstr(out, "Listeners:\nLISTEN   tcp  127.0.0.1:8080"));
	ck_assert_ptr_nonnull(
		strstr(out, "  udp: 2 unconnected, 2 established"));
	ck_assert_ptr_null(strstr(out, "OUTBOUND"));
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--pretty", "-f", NULL },
				 &out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "\n    {\n      \"role\": "));
	schema_check(out); /* the same document, only indented */
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--sort", "colour", NULL },
				 &out, &err),
			 2);
	free(out);
	free(err);
}
END_TEST

/*
 * Names as processes give them: UTF-8 goes through the filter and back
 * exact; escape sequences and newlines reach the table escaped, never
 * raw, and the JSON exact; a filter that is not UTF-8 is refused.
 */
START_TEST(names_reach_the_terminal_escaped)
{
	static const char evil[] = "\x1b[2J\x1b[31mevil";
	char *out, *err, want[64];
	json_t *doc, *g;

	listener_child("127.0.0.1:8090", "caf\xc3\xa9", 0);
	listener_child("127.0.0.1:8091", evil, 0);
	listener_child("127.0.0.1:8092", "a\nLISTEN fake", 0);
	setenv("LC_ALL", "C.UTF-8", 1);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--fresh", "--color=never",
					     "proc caf\xc3\xa9", NULL },
				 &out, &err),
			 0);
	snprintf(want, sizeof(want), "caf\xc3\xa9(");
	ck_assert_msg(strstr(out, want) && strstr(out, "127.0.0.1:8090"), "%s",
		      out);
	free(out);
	free(err);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--fresh", "--color=never",
				    "sport >= :8091 and sport <= :8092", NULL },
			&out, &err),
		0);
	ck_assert_msg(strstr(out, "\\x1b[2J\\x1b[31mevil("), "%s", out);
	ck_assert_msg(strstr(out, "a\\x0aLISTEN fake("), "%s", out);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strstr(out, "\nLISTEN fake"));
	free(out);
	free(err);
	doc = list_filtered("sport = :8091");
	g = json_array_get(json_object_get(doc, "groups"), 0);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(g, "processes"), 0),
			"comm")),
		evil);
	json_decref(doc);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "proc caf\xe9", NULL },
				 &out, &err),
			 2);
	ck_assert_msg(strstr(err, "not UTF-8"), "%s", err);
	free(out);
	free(err);
	unsetenv("LC_ALL");
}
END_TEST

/* ss's filters, all grammar forms: the same sockets as ss, or refused. */
START_TEST(filters_match_ss)
{
	static const char *const filters[] = {
		"state listening",
		"state established",
		"state time-wait",
		"state close-wait",
		"state connected",
		"state synchronized",
		"state bucket",
		"state big",
		"state all",
		"state unconnected",
		"state closed",
		"state syn-recv",
		"state fin-wait-2",
		"exclude listening",
		"exclude established exclude listening",
		"state listening state established",
		"state listen",
		"state bogus",
		"sport = :8080",
		"sport == :8080",
		"sport eq 8080",
		"sport :8080",
		"sport != :8080",
		"sport ne :8080",
		"sport > :8083",
		"sport gt :8083",
		"sport < :8083",
		"sport lt 8083",
		"sport >= :8083",
		"sport ge :8083",
		"sport <= :8083",
		"sport le :8083",
		"dport = :8080",
		"dport > :40000",
		"dport < :1024",
		"sport = :*",
		"sport >= :8080 and sport <= :8084",
		"sport = :0x1f90",
		"sport = :99999",
		"sport = :http",
		"sport = http-alt",
		"sport = :http-alt or dport = :http-alt",
		"dst 127.0.0.1:http-alt",
		"src *:http-alt",
		"dst localhost:http-alt",
		"dport != :8086",
		"src 127.0.0.1",
		"src 127.0.0.2",
		"dst 127.0.0.1",
		"src 127.0.0.0/8",
		"src 127.0.0.1/32",
		"src 0.0.0.0/0",
		"src 0.0.0.0",
		"src [::1]",
		"src [::1]/128",
		"src [::]/0",
		"src [::ffff:127.0.0.1]",
		"src *",
		"src *:8083",
		"src 127.0.0.1:8080",
		"src [::1]:8083",
		"dst 127.0.0.1:8080",
		"src = 127.0.0.1",
		"dst [::1]",
		"src 10.0.0.0/8",
		"src 127/8",
		"src 127.0.0.0/255.0.0.0",
		"src 127.0.0.0/255.255.255.254",
		"src 127.0.0.2/255.255.255.254",
		"src 127.0.0.0/255.0.255.0",
		"src 0x7f.0.0.1",
		"src 0177.0.0.01",
		"src 127.0.0.0/0x18",
		"src 127.0.0.1/0x20:8080",
		"src 127.0.0.1/+32",
		"src 127.0.0.1/",
		"src 127.1",
		"src 127.0.1",
		"src 0x7f000001",
		"src 256.0.0.1",
		"src 127.0.0.0.1",
		"dst 127/8:8080",
		"src [127.0.0.1]",
		"src any",
		"src all:8080",
		"src default",
		"src any/8",
		"src 127.0.0.1/33",
		"src ::1",
		"dev lo",
		"dev = lo",
		"dev != lo",
		"dev 1",
		"sport = :8080 or sport = :8082",
		"sport = :8080 || dport = :8080",
		"sport = :8080 and src 127.0.0.1",
		"src 127.0.0.1 sport = :8080",
		"not sport = :8080",
		"! sport = :8080",
		"not not sport = :8080",
		"( sport = :8080 or sport = :8082 ) and src 127.0.0.2",
		"sport = :8080 or sport = :8082 and src 127.0.0.2",
		"sport = :8082 and src 127.0.0.2 or sport = :8080",
		"! ( sport = :8080 or dport = :8080 )",
		"( ( ( sport = :8080 ) ) )",
		"state listening ( sport = :8080 or sport = :8081 )",
		"state connected dport = :8080",
		"exclude listening src 127.0.0.1",
		"sport = :8080 & dport = :0",
		"sport",
		"sport =",
		"( sport = :8080",
		"sport = :8080 )",
		"and sport = :8080",
		"sport = :8080 or",
		"bogus",
		"src",
		"dport = :no-such-service",
		"!",
		"( )",
	};
	struct world w;
	size_t i;

	world_build(&w);
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		same_as_ss("", filters[i]);
	ck_assert_uint_ge(i, 60);
}
END_TEST

/*
 * ss's short options and their bundles pass what ss passes with them,
 * -l beside a state clause too (whose states replace those of -l).
 */
START_TEST(ss_options_match_ss)
{
	static const struct {
		const char *flags, *filter;
	} runs[] = {
		{ "-tulpn", "" },
		{ "-tan", "" },
		{ "-lntp", "" },
		{ "-ul", "" },
		{ "-6l", "" },
		{ "-4t", "" },
		{ "-tn6", "" },
		{ "-l", "state established" },
		{ "-l", "state listening state time-wait" },
		{ "-l", "exclude listening" },
		{ "-l", "sport = :8080" },
		{ "-la", "" },
		{ "-al", "" },
		{ "-lp", "dport = :0" },
		{ "-ltnp", "src 127/8" },
		{ "-e", "sport = :8080" },
		{ "-H", "" },
	};
	struct world w;
	size_t i;

	world_build(&w);
	for (i = 0; i < sizeof(runs) / sizeof(*runs); i++)
		same_as_ss(runs[i].flags, runs[i].filter);
}
END_TEST

/* stderr of sockwatchctl list --json FILTER, which must answer (exit 0). */
static char *warning_of(const char *filter)
{
	char *out, *err;
	json_t *doc;

	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--json", (char *)filter, NULL },
			&out, &err),
		0);
	doc = json_doc(out);
	ck_assert_ptr_nonnull(json_object_get(doc, "totals"));
	json_decref(doc);
	free(out);
	return err;
}

static void warns(const char *filter, const char *line)
{
	char *err = warning_of(filter);

	ck_assert_str_eq(err, line);
	free(err);
}

/*
 * A user, unit or process that nothing on the host has is answered, with
 * one line on stderr; one that exists is answered in silence.
 */
START_TEST(unknown_names_warn_but_answer)
{
	struct world w;

	world_build(&w);
	warns("proc no-such-proc",
	      "sockwatchctl: no process of this host is named "
	      "\"no-such-proc\"\n");
	warns("user = no-such-user or sport = :8080",
	      "sockwatchctl: no user is named \"no-such-user\" on this host\n");
	warns("unit no-such-unit.service",
	      "sockwatchctl: no process of this host is in a unit "
	      "\"no-such-unit.service\"\n");
	/* the test's own name: the daemon may run as valgrind's */
	warns("proc sockwatch-tests", "");
	warns("user root", "");
	warns("user 4242", "");
	warns("not proc sockwatch-tests and pid 1", "");
}
END_TEST

/* A client that closed first: TIME-WAIT, and its server side gone. */
static int time_wait_client(const char *listen, const char *to)
{
	int l = net_listen(listen, 4, 0, NULL);
	int c = net_connect(to, NULL, 0), s = net_accept(l), port;

	port = net_port(c);
	close(c);
	usleep(20000);
	close(s);
	return port;
}

/* Whether the outbound group of the socket local -> remote is local. */
static int group_is_local(json_t *doc, const char *local, const char *remote)
{
	const char *mem;
	json_t *g;

	ck_assert_msg(net_find(doc, "tcp", local, remote, &g, &mem),
		      "%s -> %s not listed", local, remote);
	ck_assert_str_eq(json_string_value(json_object_get(g, "role")),
			 "outbound");
	return json_is_true(json_object_get(g, "local"));
}

static int in_local_group(json_t *g, json_t *s)
{
	(void)s;
	return json_is_true(json_object_get(g, "local"));
}

static int in_no_local_group(json_t *g, json_t *s)
{
	return !in_local_group(g, s);
}

/*
 * An outbound group is local when a listener of this host serves its far
 * end, whatever its sockets' states: a client left in TIME-WAIT by a
 * listener on 127.0.0.1, and one of a wildcard listener reached by an
 * address of the host's own (not loopback), once the server side is
 * gone. The term local picks exactly those groups, not local the rest.
 */
START_TEST(local_is_what_a_listener_here_serves)
{
	struct world w;
	json_t *doc = NULL, *sub;
	char a[64], *out, *err;
	int tw, host, i;
	size_t all, near;

	world_build(&w);
	ck_assert_int_eq(
		run_cmd((char *[]){ "ip", "addr", "add", "192.0.2.7/32", "dev",
				    "lo", NULL },
			&out, &err),
		0);
	free(out);
	free(err);
	tw = time_wait_client("127.0.0.1:8096", "127.0.0.1:8096");
	host = time_wait_client("0.0.0.0:8097", "192.0.2.7:8097");
	/* the daemon learns the address from a netlink notification */
	for (i = 0; i < 20; i++) {
		json_decref(doc);
		doc = list_fresh(NULL);
		if (group_is_local(doc, ep(a, "192.0.2.7", host),
				   "192.0.2.7:8097"))
			break;
		usleep(100000);
	}
	ck_assert(
		group_is_local(doc, ep(a, "127.0.0.1", tw), "127.0.0.1:8096"));
	ck_assert(group_is_local(doc, ep(a, "192.0.2.7", host),
				 "192.0.2.7:8097"));
	ck_assert(group_is_local(doc, ep(a, "127.0.0.1", w.c8080b),
				 "127.0.0.1:8080"));
	all = (size_t)json_integer_value(
		json_object_get(json_object_get(doc, "totals"), "sockets"));
	json_decref(doc);
	sub = list_filtered("local");
	near = every_socket(sub, in_local_group);
	ck_assert_uint_ge(near, 3);
	json_decref(sub);
	sub = list_filtered("not local");
	ck_assert_uint_eq(every_socket(sub, in_no_local_group) + near, all);
	json_decref(sub);
}
END_TEST

/* n clients of listen, the server closing first: TIME-WAIT on its side. */
static void server_time_waits(int l, const char *to, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		int c = net_connect(to, NULL, 0), s = net_accept(l);

		close(s);
		usleep(20000);
		close(c);
	}
}

/* The first group line of list -c --sort FIELD over two listeners. */
static int first_port_by(const char *field)
{
	char *out, *err, *p;
	int port;

	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "-c", "-H", "--sort", (char *)field,
				    "sport = :8099 or sport = :8100", NULL },
			&out, &err),
		0);
	p = strstr(out, "127.0.0.1:");
	ck_assert_ptr_nonnull(p);
	port = atoi(p + 10);
	free(out);
	free(err);
	return port;
}

/*
 * Under --color a listener is yellow while connections wait in its
 * accept queue, red when it is full; the queue is not told of when the
 * filter leaves its listeners out; --sort live leaves TIME-WAIT out.
 */
START_TEST(queues_and_live_connections_told)
{
	int full = net_listen("127.0.0.1:8098", 1, 0, NULL);
	int a = net_listen("127.0.0.1:8099", 8, 0, NULL);
	int b = net_listen("127.0.0.1:8100", 8, 0, NULL);
	char *out, *err;
	struct world w;

	world_build(&w);
	net_connect("127.0.0.1:8098", NULL, 0);
	net_connect("127.0.0.1:8098", NULL, 0); /* 2 of backlog 1: full */
	server_time_waits(a, "127.0.0.1:8099", 3);
	net_connect("127.0.0.1:8100", NULL, 0);
	net_accept(b);
	net_connect("127.0.0.1:8100", NULL, 0);
	net_accept(b);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--fresh", "--color",
				    "sport = :8098 or sport = :8080", NULL },
			&out, &err),
		0);
	ck_assert_msg(strstr(out, "\033[31mLISTEN  \033[0m tcp  127.0.0.1:8098"
				  "  \033[31mqueue 2/1\033[0m") &&
			      strstr(out, "\033[33mLISTEN  \033[0m tcp  "
					  "127.0.0.1:8080  \033[33mqueue "),
		      "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "state", "established",
					     "sport = :8080", NULL },
				 &out, &err),
			 0);
	ck_assert_msg(strstr(out, "LISTEN   tcp  127.0.0.1:8080  ") &&
			      strstr(out, " established") &&
			      !strstr(out, "queue"),
		      "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(first_port_by("conns"), 8099);
	ck_assert_int_eq(first_port_by("live"), 8100);
	close(full);
}
END_TEST

/* The socket local -> remote of doc, which must be listed. */
static json_t *sock_of(json_t *doc, const char *local, const char *remote)
{
	const char *mem;
	json_t *g, *s = net_find(doc, "tcp", local, remote, &g, &mem);

	ck_assert_msg(s != NULL, "%s -> %s not listed", local, remote);
	return s;
}

/* Whether a's peer is b, and a process of pid holds b. */
static int peer_is(json_t *a, json_t *b, pid_t pid)
{
	json_t *peer = json_object_get(a, "peer");

	return peer &&
	       !strcmp(json_string_value(json_object_get(peer, "cookie")),
		       json_string_value(json_object_get(b, "cookie"))) &&
	       holds(peer, pid);
}

/* A child named peerclient holding a connection to ep; its port. */
static int peer_client(const char *to, pid_t *child)
{
	int fds[2], port = 0;

	ck_assert_int_eq(pipe(fds), 0);
	*child = fork();
	ck_assert_int_ge(*child, 0);
	if (*child == 0) {
		prctl(PR_SET_NAME, "peerclient");
		port = net_port(net_connect(to, NULL, 0));
		if (write(fds[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(fds[0], &port, sizeof(port)), sizeof(port));
	close(fds[0]);
	close(fds[1]);
	return port;
}

/*
 * Both ends of a connection within this host name each other: the
 * server side its client's cookie and processes, the client its server
 * side's, an IPv4 client and its v4-mapped server side too; a listener
 * has no peer. The table says "<- comm(pid)" on both.
 */
START_TEST(both_ends_of_a_local_connection)
{
	int l = net_listen("127.0.0.1:8101", 4, 0, NULL), port;
	char a[64], b[64], want[96], *out, *err;
	json_t *doc, *srv, *cli;
	struct world w;
	pid_t child;

	world_build(&w);
	port = peer_client("127.0.0.1:8101", &child);
	net_accept(l);
	doc = list_fresh(NULL);
	srv = sock_of(doc, "127.0.0.1:8101", ep(a, "127.0.0.1", port));
	cli = sock_of(doc, ep(b, "127.0.0.1", port), "127.0.0.1:8101");
	ck_assert(peer_is(srv, cli, child));
	ck_assert(peer_is(cli, srv, getpid()));
	ck_assert_ptr_null(json_object_get(
		sock_of(doc, "127.0.0.1:8101", "0.0.0.0:0"), "peer"));
	srv = sock_of(doc, "::ffff:127.0.0.1:8083",
		      ep(a, "::ffff:127.0.0.1", w.c8083v4));
	cli = sock_of(doc, ep(b, "127.0.0.1", w.c8083v4), "127.0.0.1:8083");
	ck_assert(peer_is(srv, cli, getpid()));
	ck_assert(peer_is(cli, srv, getpid()));
	json_decref(doc);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "-H", "sport = :8101", NULL }, &out,
			&err),
		0);
	snprintf(want, sizeof(want), " <- peerclient(%d)\n", (int)child);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "-H", "dport = :8101", NULL }, &out,
			&err),
		0);
	/* (sockwatchctl too, which inherits the test's sockets) */
	snprintf(want, sizeof(want), " <- sockwatch-tests(%d)", (int)getpid());
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	free(err);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

/* -e prints each socket's cookie as ss -e does: the same set of sk: */
START_TEST(extended_names_each_socket_as_ss_does)
{
	static char want[65536], got[65536];
	char *out, *err, *list[4096];
	const char *p;
	struct world w;
	size_t n = 0, i;

	world_build(&w);
	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--fresh", "-e", "-H", NULL }, &out,
			&err),
		0);
	for (p = strstr(out, " sk:"); p && n < 4096; p = strstr(p + 4, " sk:"))
		list[n++] = strndup(p + 4, strcspn(p + 4, " \n"));
	qsort(list, n, sizeof(*list), cmp_str);
	got[0] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s,",
			 list[i]);
		free(list[i]);
	}
	ck_assert_int_eq(ss_cookies("", "", want, sizeof(want)), 0);
	ck_assert_uint_ge(n, 20);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(out, " uid:0 ino:"));
	free(out);
	free(err);
}
END_TEST

/* src/dst NAME means to sockwatchctl what it means to ss, -4/-6 too. */
START_TEST(host_names_as_ss_resolves_them)
{
	static const char *const filters[] = {
		"src localhost",     "dst localhost:8080",
		"src = localhost",   "dst localhost and sport = :8080",
		"src ip6-localhost", "src testhost",
		"src two-v4",	     "src both",
		"dst both:8083",     "src v6-loop",
		"dst v6-far",	     "src no-such-host.invalid",
	};
	static const char *const flags[] = { "", "-4", "-6" };
	const char *const files[] = { hosts_debian, hosts_v4_only };
	struct world w;
	size_t h, f, i, n = 0;

	world_build(&w);
	for (h = 0; h < 2; h++) {
		hosts_use(files[h], hosts_ours);
		for (f = 0; f < 3; f++)
			for (i = 0; i < sizeof(filters) / sizeof(*filters);
			     i++, n++)
				same_as_ss(flags[f], filters[i]);
	}
	ck_assert_uint_eq(n, 72);
}
END_TEST

Suite *live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("namespace");

	tcase_add_checked_fixture(tc, live_setup, live_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_ss_socket_exactly_once);
	tcase_add_test(tc, ss_dump_of_this_host_groups_as_the_daemon);
	tcase_add_test(tc, grouping_socket_by_socket);
	tcase_add_test(tc, closing_states_shared_ports_and_udp);
	tcase_add_test(tc, real_document_validates_against_schema);
	tcase_add_test(tc, who_holds_each_socket);
	tcase_add_test(tc, filters_match_ss);
	tcase_add_test(tc, host_names_as_ss_resolves_them);
	tcase_add_test(tc, ss_options_match_ss);
	tcase_add_test(tc, unknown_names_warn_but_answer);
	tcase_add_test(tc, local_is_what_a_listener_here_serves);
	tcase_add_test(tc, listeners_written_as_ss_writes_them);
	tcase_add_test(tc, queues_and_live_connections_told);
	tcase_add_test(tc, both_ends_of_a_local_connection);
	tcase_add_test(tc, extended_names_each_socket_as_ss_does);
	tcase_add_test(tc, own_terms);
	tcase_add_test(tc, views_of_the_table);
	tcase_add_test(tc, cached_answer_until_fresh);
	tcase_add_test(tc, table_for_a_person);
	tcase_add_test(tc, names_reach_the_terminal_escaped);
	suite_add_tcase(s, tc);
	return s;
}
