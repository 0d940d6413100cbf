/* SPDX-License-Identifier: ISC */
/* test_daemon.c - the socket file, signals, and clients that misbehave. */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "picture.h"
#include "tests.h"
#include "util.h"

#define LIST "{\"v\":1,\"cmd\":\"list\"}\n"
#define STATUS "{\"v\":1,\"cmd\":\"status\"}\n"

static char sock_path[100];
static char *dir;

static void dir_setup(void)
{
	netns_fresh();
	dir = tmpdir_make();
	snprintf(sock_path, sizeof(sock_path), "%s/run/s.sock", dir);
}

static void dir_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* The type (and for errors the code) of a record line. */
static void expect_record(const char *line, const char *type, const char *code)
{
	json_t *o;

	ck_assert_msg(line != NULL, "no %s record", type);
	o = json_doc(line);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")), type);
	if (code)
		ck_assert_str_eq(json_string_value(json_object_get(o, "code")),
				 code);
	json_decref(o);
}

/* Whether the daemon runs under a wrapper (valgrind): slower, fatter. */
static int wrapped(void)
{
	const char *w = getenv("SOCKWATCH_DAEMON_WRAPPER");

	return w && *w;
}

/*
 * How long a reader waits for a line: under valgrind a server behind a
 * hundred stalled readers once took longer than 10 s for one.
 */
static int line_wait_ms(void)
{
	return wrapped() ? 60000 : 10000;
}

/*
 * Reads a whole listing off fd, waiting at most wait_ms for each line;
 * returns the number of group records.
 */
static size_t read_listing_within(int fd, int wait_ms)
{
	char *line = client_line(fd, wait_ms);
	size_t groups = 0;

	expect_record(line, "header", NULL);
	free(line);
	while ((line = client_line(fd, wait_ms))) {
		if (strncmp(line, "{\"type\":\"end\"", 13) == 0)
			break;
		expect_record(line, "group", NULL);
		groups++;
		free(line);
	}
	ck_assert_msg(line != NULL, "listing without end");
	free(line);
	return groups;
}

static size_t read_listing(int fd)
{
	return read_listing_within(fd, line_wait_ms());
}

/* A status record against the schema, as the daemon sent it. */
static void status_check(json_t *st)
{
	char *line = json_dumps(st, JSON_COMPACT);

	ck_assert_ptr_nonnull(line);
	schema_check_lines(line);
	free(line);
}

START_TEST(socket_file_mode_and_directory)
{
	pid_t pid = daemon_start(sock_path, NULL);
	struct stat st;
	char run[200];

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(stat(run, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0660);
	ck_assert_int_eq(daemon_stop(pid), 0);
	ck_assert_int_ne(access(sock_path, F_OK), 0); /* removed at exit */
}
END_TEST

START_TEST(stale_socket_file_is_replaced)
{
	char run[200];
	pid_t pid;

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	close(unix_bind(sock_path, SOCK_STREAM)); /* the file stays, nobody
						     listens: a dead daemon's */
	pid = daemon_start(sock_path, NULL);
	ck_assert_int_ge(status_num(sock_path, "pid"), 1);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

static int daemon_must_fail(const char *why)
{
	char *out, *err;
	int rc = run_cmd((char *[]){ BUILD_DIR "/sockwatchd", "--socket",
				     sock_path, NULL },
			 &out, &err);

	ck_assert_msg(strstr(err, why) != NULL, "stderr: %s", err);
	free(out);
	free(err);
	return rc;
}

START_TEST(live_daemon_is_not_replaced)
{
	pid_t pid = daemon_start(sock_path, NULL);
	json_int_t first = status_num(sock_path, "pid");

	ck_assert_int_eq(daemon_must_fail("another sockwatchd is serving"), 1);
	ck_assert_int_eq(status_num(sock_path, "pid"), first);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(non_socket_file_is_not_removed)
{
	char run[200];
	FILE *f;

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	f = fopen(sock_path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(daemon_must_fail("is not a socket"), 1);
	ck_assert_int_eq(access(sock_path, F_OK), 0);
}
END_TEST

/*
 * sockwatchd on path must refuse to start, saying why (within 10 s: a
 * daemon that takes the path would serve until timeout stops it).
 */
static void daemon_refuses(const char *path, const char *why)
{
	char *out, *err;
	int rc = run_cmd((char *[]){ "timeout", "10", BUILD_DIR "/sockwatchd",
				     "--socket", (char *)path, NULL },
			 &out, &err);

	ck_assert_msg(rc != 0 && rc != 124, "%s: exit %d, not refused", path,
		      rc);
	ck_assert_msg(strstr(err, why) != NULL, "%s: said \"%s\", not \"%s\"",
		      path, err, why);
	ck_assert_int_ne(access(path, F_OK), 0);
	free(out);
	free(err);
}

static void dir_make(const char *sub, mode_t mode, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, sub);
	ck_assert_int_eq(mkdir(path, mode), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* No component of the socket's path is followed if it is a link. */
START_TEST(symlinked_path_components_are_refused)
{
	char real[256], link[256], path[300];

	dir_make("real", 0755, real, sizeof(real));
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(symlink(real, link), 0);
	snprintf(path, sizeof(path), "%s/s.sock", link); /* the socket's dir */
	daemon_refuses(path, "is a symbolic link");
	snprintf(path, sizeof(path), "%s/sub/s.sock", link); /* above it */
	daemon_refuses(path, "is a symbolic link");
	/* a relative path starts from a directory nobody checked */
	daemon_refuses("sockwatch-rel/s.sock", "must be absolute");
	snprintf(path, sizeof(path), "%s/s.sock", real);
	ck_assert_int_ne(access(path, F_OK), 0); /* nothing bound through it */
}
END_TEST

/*
 * A directory others may write is no place for the socket: they could
 * swap it for their own (the daemon refused to start in /tmp after a
 * squatter bound there, and clients talked to the squatter). A shared
 * sticky directory may hold the daemon's own subdirectory.
 */
START_TEST(shared_directories_are_refused)
{
	char open_dir[256], sticky[256], path[300];
	pid_t pid;

	dir_make("open", 0777, open_dir, sizeof(open_dir));
	snprintf(path, sizeof(path), "%s/s.sock", open_dir);
	daemon_refuses(path, "writable by every user");
	ck_assert_int_eq(chmod(open_dir, 0770), 0);
	daemon_refuses(path, "writable by its group");
	dir_make("tmp", 01777, sticky, sizeof(sticky));
	snprintf(path, sizeof(path), "%s/s.sock", sticky);
	daemon_refuses(path, "writable by every user");
	snprintf(path, sizeof(path), "%s/open/sub/s.sock", dir);
	daemon_refuses(path, "not sticky");
	snprintf(path, sizeof(path), "%s/own/s.sock", sticky);
	pid = daemon_start(path, NULL); /* its own subdirectory: fine */
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	char *out, *err;

	ck_assert_int_eq(run_cmd((char *[]){ BUILD_DIR "/sockwatchd",
					     "--interval", "0", NULL },
				 &out, &err),
			 2);
	free(out);
	free(err);
	ck_assert_int_eq(
		run_cmd((char *[]){ BUILD_DIR "/sockwatchd", "--bogus", NULL },
			&out, &err),
		2);
	free(out);
	free(err);
	ck_assert_int_eq(
		run_cmd((char *[]){ BUILD_DIR "/sockwatchd", "--help", NULL },
			&out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(out, "--interval MS"));
	free(out);
	free(err);
	/* a number must name a group, as a name must (tests/run has 4242) */
	ck_assert_int_eq(run_cmd((char *[]){ BUILD_DIR "/sockwatchd",
					     "--socket-group", "4243", NULL },
				 &out, &err),
			 2);
	ck_assert_ptr_nonnull(strstr(err, "no group \"4243\""));
	free(out);
	free(err);
}
END_TEST

START_TEST(sighup_keeps_clients)
{
	pid_t pid = daemon_start(sock_path, NULL);
	int fd = client_connect(sock_path);
	char *line;

	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	usleep(100000);
	client_send(fd, STATUS, strlen(STATUS));
	line = client_line(fd, 5000);
	expect_record(line, "status", NULL);
	free(line);
	close(fd);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(bad_requests_get_errors_and_the_connection_lives)
{
	static const char *const cases[][2] = {
		{ "this is not json\n", "bad_request" },
		{ "{\"v\":1,\"cmd\":\"reboot\"}\n", "unknown_command" },
		{ "{\"v\":9,\"cmd\":\"list\"}\n", "bad_version" },
		{ "{\"cmd\":\"list\"}\n", "bad_version" },
		{ "[1,2,3]\n", "bad_request" },
		{ "{\"v\":1,\"cmd\":\"list\",\"fresh\":\"yes\"}\n",
		  "bad_request" },
		{ "\xff\xfe\n", "bad_request" },
	};
	pid_t pid;
	int fd;
	size_t i;
	char *line;

	net_listen("127.0.0.1:7001", 1, 0, NULL);
	pid = daemon_start(sock_path, NULL);
	fd = client_connect(sock_path);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		client_send(fd, cases[i][0], strlen(cases[i][0]));
		line = client_line(fd, 5000);
		expect_record(line, "error", cases[i][1]);
		free(line);
	}
	client_send(fd, "\n\r\n" LIST, strlen(LIST) + 3); /* blank lines */
	ck_assert_uint_eq(read_listing(fd), 1);
	close(fd);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(pipelined_requests_answer_in_order)
{
	pid_t pid = daemon_start(sock_path, NULL);
	int fd = client_connect(sock_path);
	char *line;

	client_send(fd, LIST STATUS LIST, strlen(LIST STATUS LIST));
	read_listing(fd);
	line = client_line(fd, 5000);
	expect_record(line, "status", NULL);
	free(line);
	read_listing(fd);
	close(fd);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* Too long with no end in sight, or with its newline in the same read. */
static void overlong(pid_t pid, int with_newline)
{
	int fd = client_connect(sock_path);
	size_t n = 66 * 1024;
	char *big = malloc(n), *line;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	if (with_newline)
		big[n - 1] = '\n';
	/* The daemon may hang up before it has all: sends may fail. */
	for (size_t off = 0; off < n;) {
		ssize_t k = send(fd, big + off, n - off, MSG_NOSIGNAL);

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	/* must not be answered */
	(void)!send(fd, STATUS, strlen(STATUS), MSG_NOSIGNAL);
	line = client_line(fd, 5000);
	expect_record(line, "error", "too_large");
	free(line);
	ck_assert_ptr_null(client_line(fd, 5000)); /* closed */
	close(fd);
	free(big);
	ck_assert_int_eq(status_num(sock_path, "pid"), pid);
}

/* The bytes of a file, whole, in memory of 8-byte alignment. */
static void *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *p;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_int_gt(n, 0);
	p = aligned_alloc(8, ((size_t)n + 7) / 8 * 8);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/*
 * sockwatchctl record saves the very picture the daemon serves: the
 * listing of the same generation names the same sockets, one by one.
 */
START_TEST(record_saves_the_picture_served)
{
	char path[PATH_MAX], cookie[32], why[160], *out, *err;
	struct picture pic;
	struct stat st;
	json_t *doc, *g, *sk;
	size_t len, i, j, listed = 0;
	void *blob;
	pid_t pid;

	net_listen("127.0.0.1:7300", 4, 0, NULL);
	pid = daemon_start(sock_path,
			   (char *[]){ "--interval", "3600000", NULL });
	snprintf(path, sizeof(path), "%s.pic", sock_path);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "record", "--fresh", path, NULL },
				 &out, &err),
			 0);
	ck_assert_msg(strstr(err, "picture ") && strstr(err, path), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	blob = file_bytes(path, &len);
	ck_assert_int_eq(picture_open(&pic, blob, len, why, sizeof(why)), 0);
	ck_assert_int_eq(ctl_run(sock_path,
				 (char *[]){ "list", "--json", NULL }, &out,
				 NULL),
			 0);
	doc = json_doc(out);
	free(out);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "generation")),
			 (json_int_t)pic.h->generation);
	json_array_foreach (json_object_get(doc, "groups"), i, g) {
		json_t *all[2] = { json_object_get(g, "sockets"),
				   json_object_get(g, "connections") };
		size_t k, found;

		for (k = 0; k < 2; k++)
			json_array_foreach (all[k], j, sk) {
				found = 0;
				for (size_t r = 0; r < pic.n; r++) {
					snprintf(cookie, sizeof(cookie), "%llx",
						 (unsigned long long)pic.recs[r]
							 .cookie);
					found += !strcmp(
						cookie,
						json_string_value(
							json_object_get(
								sk, "cookie")));
				}
				ck_assert_uint_eq(found, 1);
				listed++;
			}
	}
	ck_assert_uint_eq(listed, pic.n);
	ck_assert_uint_ge(pic.n, 1);
	/* the record line itself, as a raw client reads it */
	{
		static const char req[] = "{\"v\":1,\"cmd\":\"record\"}\n";
		int fd = client_connect(sock_path);
		char *line;

		client_send(fd, req, strlen(req));
		line = client_line(fd, 5000);
		ck_assert_ptr_nonnull(line);
		schema_check_lines(line);
		ck_assert_ptr_nonnull(strstr(line, "\"type\":\"recording\""));
		free(line);
		close(fd);
	}
	json_decref(doc);
	free(blob);
	unlink(path);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A field of /proc/PID/status ("CapEff:", ...), as text. */
static void proc_status_field(long pid, const char *key, char *val, size_t size)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	val[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(val, size, "%s", line + strlen(key) + 1);
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	fclose(f);
	ck_assert_msg(val[0], "%s has no %s", path, key);
}

static unsigned long long proc_caps(long pid)
{
	char v[64];

	proc_status_field(pid, "CapEff:", v, sizeof(v));
	return strtoull(v, NULL, 16);
}

/*
 * Two processes: the poller (status "pid") keeps at most the two
 * capabilities attribution takes; the server ("server_pid") has none,
 * no_new_privs and a seccomp filter, and as root runs as another user.
 */
START_TEST(the_server_holds_nothing)
{
	pid_t pid = daemon_start(sock_path, NULL);
	long poller = (long)status_num(sock_path, "pid");
	long server = (long)status_num(sock_path, "server_pid");
	char v[128];

	ck_assert_int_eq(poller, pid);
	ck_assert_int_ne(server, poller);
	ck_assert_uint_eq(proc_caps(poller) & ~((1ull << 2) | (1ull << 19)), 0);
	proc_status_field(poller, "NoNewPrivs:", v, sizeof(v));
	ck_assert_str_eq(v, "1");
	ck_assert_uint_eq(proc_caps(server), 0);
	proc_status_field(server, "NoNewPrivs:", v, sizeof(v));
	ck_assert_str_eq(v, "1");
	proc_status_field(server, "Seccomp:", v, sizeof(v));
	if (getenv("SOCKWATCH_DAEMON_WRAPPER"))
		fprintf(stderr, "daemon: valgrind offers no seccomp, so the "
				"server's filter: NOT RUN\n");
	else
		ck_assert_str_eq(v, "2");
	if (can_switch_uid()) {
		proc_status_field(server, "Uid:", v, sizeof(v));
		ck_assert_msg(strtoul(v, NULL, 10) != 0, "server uid %s", v);
	}
	/* and it answers, sandboxed: a filtered listing, then status */
	{
		char *out = NULL, *err = NULL;

		ck_assert_int_eq(
			ctl_run(sock_path,
				(char *[]){ "list", "--json", "--fresh",
					    "sport", "=", ":1", NULL },
				&out, &err),
			0);
		free(out);
		free(err);
	}
	ck_assert_int_eq(status_num(sock_path, "server_pid"), server);
}
END_TEST

START_TEST(overlong_line_is_too_large_and_closed)
{
	pid_t pid = daemon_start(sock_path, NULL);
	json_t *st;

	overlong(pid, 0);
	overlong(pid, 1);
	st = status_of(sock_path);
	ck_assert_int_le(
		json_integer_value(json_object_get(st, "request_errors")),
		json_integer_value(json_object_get(st, "requests")));
	json_decref(st);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(silent_client_is_closed_others_served)
{
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--client-timeout", "500", NULL });
	int quiet = client_connect(sock_path);
	uint64_t start = now_ms();
	struct pollfd p = { quiet, POLLIN, 0 };
	char c;

	ck_assert_int_ge(status_num(sock_path, "pid"), 1);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(quiet, &c, 1), 0); /* EOF: the daemon hung up */
	ck_assert_uint_ge(now_ms() - start, 400);
	close(quiet);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* Enough connections to make a listing much larger than socket buffers. */
static void make_load(int pairs)
{
	struct rlimit rl;
	int l, i;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	l = net_listen("127.0.0.1:7000", pairs, 0, NULL);
	for (i = 0; i < pairs; i++)
		net_connect("127.0.0.1:7000", NULL, 0);
	(void)l; /* left unaccepted: the queue holds the server sides */
}

START_TEST(reader_that_stops_is_dropped_not_waited_for)
{
	pid_t pid;
	int stuck;

	make_load(2000);
	pid = daemon_start(sock_path,
			   (char *[]){ "--client-timeout", "700", NULL });
	stuck = client_connect(sock_path);
	client_send(stuck, LIST, strlen(LIST)); /* and never reads */
	usleep(100000);
	ck_assert_int_eq(status_num(sock_path, "clients"), 2);
	usleep(2500000); /* the timeout, plus a sweep period */
	ck_assert_int_eq(status_num(sock_path, "clients"), 1);
	close(stuck);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * Under valgrind everything takes some twenty times longer, built with
 * AddressSanitizer some three times.
 */
static uint64_t slow(uint64_t ms)
{
#if defined(__SANITIZE_ADDRESS__)
	ms *= 4;
#endif
	return wrapped() ? ms * 20 : ms;
}

/*
 * How much more memory a sanitizer's allocator, or valgrind's, holds
 * than glibc's.
 */
static long mem_factor(void)
{
	long f = wrapped() ? 2 : 1;

#if defined(__SANITIZE_ADDRESS__)
	f = 2;
#endif
	return f;
}

/* How long a status request takes to be answered, in ms. */
static uint64_t status_ms(void)
{
	uint64_t t0 = now_ms();
	json_t *st = status_of(sock_path);

	json_decref(st);
	return now_ms() - t0;
}

/*
 * Readers that ask for a big listing and never read hold their bounded
 * buffers, all of them together no more than --client-memory: the rest
 * wait. It used to be a whole group each (a 2.4 MB group here, 240 MB).
 */
START_TEST(stalled_listings_hold_bounded_memory)
{
	static const char req[] =
		"{\"v\":1,\"cmd\":\"list\",\"filter\":\"sport = :7000\"}\n";
	int fds[100], i, small = 4096;
	long server, before, after;
	char timeout[24];
	pid_t pid;

	make_load(4000);
	/* the readers below stall for slow(1500) before they read: under
	 * valgrind 30 s, the default --client-timeout, which closed them */
	snprintf(timeout, sizeof(timeout), "%llu",
		 (unsigned long long)slow(1500) * 4);
	pid = daemon_start(sock_path,
			   (char *[]){ "--client-memory", "16",
				       "--client-timeout", timeout, NULL });
	server = (long)status_num(sock_path, "server_pid");
	before = rss_kib(server);
	for (i = 0; i < 100; i++) {
		fds[i] = client_connect(sock_path);
		ck_assert_int_ge(fds[i], 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small,
			   sizeof(small));
		client_send(fds[i], req, strlen(req));
	}
	usleep((useconds_t)slow(1500) * 1000);
	after = rss_kib(server);
	/* 16 MiB and the allocator's slack; ASan's quarantine keeps freed
	 * buffers for a while, and redzones pad them: twice that there */
	ck_assert_msg(after - before <= 28 * 1024 * mem_factor(),
		      "server RSS %ld KiB -> %ld KiB", before, after);
	ck_assert_uint_lt(status_ms(), slow(1000));
	/* the readers who read get everything, in the end */
	for (i = 0; i < 3; i++)
		ck_assert_uint_ge(read_listing(fds[i]), 1);
	for (i = 0; i < 100; i++)
		close(fds[i]);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A filter of 2,047 terms, written out: "sport = :1 or sport = :2 ...". */
static char *long_filter_request(void)
{
	size_t cap = 65536, len;
	char *req = malloc(cap);
	int i;

	ck_assert_ptr_nonnull(req);
	len = (size_t)snprintf(req, cap,
			       "{\"v\":1,\"cmd\":\"list\",\"filter\":\"");
	for (i = 1; i <= 2047; i++)
		len += (size_t)snprintf(req + len, cap - len, "%ssport = :%d",
					i > 1 ? " or " : "", i);
	snprintf(req + len, cap - len, "\"}\n");
	return req;
}

/*
 * Twenty clients with the longest filters keep neither the polls nor
 * the other clients waiting: a filter runs a bounded step at a time.
 */
START_TEST(long_filters_keep_nobody_waiting)
{
	char *req = long_filter_request();
	uint64_t ms[10], t;
	json_int_t polls;
	int fds[20], i, j;
	pid_t pid;

	make_load(4000);
	/* what clients cost the polls is measured here, not the budget */
	pid = daemon_start(
		sock_path,
		(char *[]){ "--interval", "100", "--cpu-budget", "100", NULL });
	for (i = 0; i < 20; i++) {
		fds[i] = client_connect(sock_path);
		ck_assert_int_ge(fds[i], 0);
		client_send(fds[i], req, strlen(req));
	}
	polls = status_num(sock_path, "polls");
	for (i = 0; i < 10; i++) {
		ms[i] = status_ms();
		for (j = i; j > 0 && ms[j - 1] > ms[j]; j--) {
			t = ms[j];
			ms[j] = ms[j - 1];
			ms[j - 1] = t;
		}
		usleep(100000);
	}
	/*
	 * Within 50 ms as a rule (the median), and no status ever held up
	 * for long (it took 6.5 s when a filter ran whole): the machine is
	 * shared, so one answer in ten may come late by a scheduler's slice.
	 */
	ck_assert_msg(ms[4] < slow(50) && ms[9] < slow(250),
		      "status took %llu ms (median), %llu ms (worst)",
		      (unsigned long long)ms[4], (unsigned long long)ms[9]);
	/* ten polls were due in the second that passed */
	ck_assert_int_ge(status_num(sock_path, "polls"), polls + 5);
	/*
	 * Every listing ends (in a build run at full speed: under valgrind
	 * 20 of them take minutes, and the point here is who else waits).
	 * The first group line of each comes once all twenty have run their
	 * filter over the 8,000 sockets of port 7000's group, turn by turn:
	 * 8 to 10 s here, so a line may take a minute, not 10 s.
	 */
	for (i = 0; i < 20; i++) {
		if (!wrapped())
			read_listing_within(fds[i], 60000);
		close(fds[i]);
	}
	free(req);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* However often fresh listings are asked for, polls come no faster. */
START_TEST(fresh_asks_poll_at_most_once_per_min_age)
{
	static const char req[] = "{\"v\":1,\"cmd\":\"list\",\"fresh\":true}\n";
	uint64_t start;
	json_int_t polls;
	int fd, asked = 0;
	pid_t pid;

	pid = daemon_start(sock_path,
			   (char *[]){ "--interval", "3600000",
				       "--fresh-min-age", "250", NULL });
	polls = status_num(sock_path, "polls");
	fd = client_connect(sock_path);
	ck_assert_int_ge(fd, 0);
	start = now_ms();
	while (now_ms() - start < 2000) {
		client_send(fd, req, strlen(req));
		read_listing(fd);
		asked++;
	}
	close(fd);
	/* 2 s at one poll per 250 ms at most, and some at least */
	ck_assert_int_le(status_num(sock_path, "polls") - polls,
			 2000 / 250 + 1);
	ck_assert_int_ge(status_num(sock_path, "polls") - polls, 2);
	ck_assert_int_gt(asked, 10);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* The listing of one port: a document, NULL-free. */
static json_t *list_port(const char *filter)
{
	char *out = NULL;
	json_t *doc;

	ck_assert_int_eq(
		ctl_run(sock_path,
			(char *[]){ "list", "--json", (char *)filter, NULL },
			&out, NULL),
		0);
	doc = json_doc(out);
	free(out);
	return doc;
}

/* The listener on ep in doc, or NULL. */
static json_t *listener_in(json_t *doc, const char *ep)
{
	json_t *g;
	const char *member;
	json_t *s = net_find(doc, "tcp", ep, "0.0.0.0:0", &g, &member);

	return s && strcmp(member, "sockets") == 0 ? s : NULL;
}

/*
 * Waits up to ms for the listener on ep to be as want says: 1 there
 * with rqueue queued, 0 gone. Returns how long it took, or -1.
 */
static long wait_listener(const char *ep, int want, json_int_t queued,
			  uint64_t ms, json_t **last)
{
	uint64_t start = now_ms();

	do {
		json_t *doc = list_port("sport = :7100");
		json_t *l = listener_in(doc, ep);
		int ok = want ? l && json_integer_value(json_object_get(
					     l, "rqueue")) == queued
			      : !l;

		json_decref(*last);
		*last = doc;
		if (ok)
			return (long)(now_ms() - start);
		usleep(20000);
	} while (now_ms() - start < ms);
	return -1;
}

/*
 * 8,000 sockets cost more than 1 % of a core every 100 ms: full polls
 * are spaced out, and in between the listeners alone are looked at.
 * Their queues, closing and coming stay as fresh as --interval says.
 */
START_TEST(listeners_stay_fresh_between_full_polls)
{
	json_t *last = NULL, *st;
	json_int_t full, lpolls;
	uint64_t start;
	long took;
	int l, c[3], i;
	pid_t pid;

	make_load(4000);
	/*
	 * 1 % of a 100 ms tick is 950 us: a listeners-only dump fits, a
	 * full one does not. Under valgrind (where a reader waits longer)
	 * everything costs some 30 times more, and 20 % keeps that shape.
	 * Without attribution: its cost, charged to the budget, follows the
	 * machine's other processes (the suite's own come and go), and at 1 %
	 * a walk of them could leave the reserve owed for seconds.
	 */
	pid = daemon_start(sock_path,
			   (char *[]){ "--interval", "100", "--cpu-budget",
				       line_wait_ms() > 10000 ? "20" : "1",
				       "--no-processes", NULL });
	/* two ticks of listeners, however slowly they come */
	start = now_ms();
	do {
		usleep(100000);
		st = status_of(sock_path);
		lpolls = json_integer_value(
			json_object_get(st, "listener_polls"));
		if (lpolls < 2 && now_ms() - start < slow(2000))
			json_decref(st);
		else
			break;
	} while (1);
	status_check(st);
	/* spaced out: at least two ticks apart (400 ms under valgrind, where
	 * a dump's cost varies most) */
	full = json_integer_value(json_object_get(st, "full_interval_ms"));
	ck_assert_msg(full >= 200, "full polls every %lld ms", (long long)full);
	ck_assert_int_ge(lpolls, 2);
	json_decref(st);
	/*
	 * A new listener needs a full poll: the budget's reserve brings it
	 * within a few ticks. Slow dumps on a busy machine may have spent
	 * the reserve and more: each full interval pays one dump back, and
	 * four are allowed (6.6 s was seen once at 2.3 s intervals, on a
	 * loaded machine). It took three on a quiet one, when a listeners
	 * dump during a full poll wanted a second for the same listener.
	 */
	l = net_listen("127.0.0.1:7100", 8, 0, NULL);
	took = wait_listener("127.0.0.1:7100", 1, 0,
			     4 * (uint64_t)full + slow(2000), &last);
	ck_assert_msg(took >= 0, "no new listener after %lld ms",
		      4 * (long long)full + (long long)slow(2000));
	/* its queue fills, and shows within a few intervals */
	for (i = 0; i < 3; i++)
		c[i] = net_connect("127.0.0.1:7100", NULL, 0);
	took = wait_listener("127.0.0.1:7100", 1, 3, slow(1000), &last);
	ck_assert_msg(took >= 0, "the accept queue did not show in 1 s");
	/* between full polls, the listeners are an overlay's, as fresh */
	start = now_ms();
	while (!json_object_get(last, "listeners_age_ms") &&
	       now_ms() - start < slow(1000)) {
		usleep(20000);
		ck_assert_int_ge(wait_listener("127.0.0.1:7100", 1, 3,
					       slow(1000), &last),
				 0);
	}
	ck_assert_msg(json_object_get(last, "listeners_age_ms"),
		      "no listing had an overlay of the listeners in 1 s");
	ck_assert_int_le(
		json_integer_value(json_object_get(last, "listeners_age_ms")),
		slow(1000));
	/* and once it closes, it is gone within a few intervals too */
	close(l);
	took = wait_listener("127.0.0.1:7100", 0, 0, slow(1000), &last);
	ck_assert_msg(took >= 0, "a closed listener still listed after 1 s");
	json_decref(last);
	for (i = 0; i < 3; i++)
		close(c[i]);
	st = status_of(sock_path);
	ck_assert_int_gt(
		json_integer_value(json_object_get(st, "listener_polls")),
		json_integer_value(json_object_get(st, "polls")));
	json_decref(st);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(two_hundred_clients_at_once)
{
	pid_t pid;
	int fds[200], i;

	make_load(300);
	pid = daemon_start(sock_path, NULL);
	for (i = 0; i < 200; i++) {
		fds[i] = client_connect(sock_path);
		ck_assert_int_ge(fds[i], 0);
		client_send(fds[i], LIST, strlen(LIST));
	}
	for (i = 0; i < 200; i++) {
		ck_assert_uint_ge(read_listing(fds[i]), 2);
		close(fds[i]);
	}
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(clients_vanishing_mid_answer_cost_nothing)
{
	pid_t pid;
	long rss_mid = 0, rss_end;
	json_int_t polls;
	int round, i, fd;
	char *line;

	make_load(1000);
	pid = daemon_start(
		sock_path,
		(char *[]){ "--interval", "100", "--cpu-budget", "100", NULL });
	for (round = 0; round < 6; round++) {
		if (round == 2)
			rss_mid = rss_kib(pid);
		for (i = 0; i < 50; i++) {
			fd = client_connect(sock_path);
			client_send(fd, LIST, strlen(LIST));
			line = client_line(fd, 5000); /* the header only */
			free(line);
			close(fd);
		}
	}
	rss_end = rss_kib(pid);
	/*
	 * Under valgrind, freed blocks wait in its quarantine (--freelist-vol,
	 * 20,000,000 bytes) before they are used again: RSS grows by that
	 * much with no leak (0 to 100 KiB at full speed, 3 to 8 MiB there,
	 * by the size of the listings), and its leak check is what counts.
	 */
	ck_assert_msg(rss_end - rss_mid < 8192 + (wrapped() ? 19532 : 0),
		      "RSS grew %ld KiB", rss_end - rss_mid);
	polls = status_num(sock_path, "polls");
	usleep(350000); /* three intervals: the timer still runs */
	ck_assert_int_ge(status_num(sock_path, "polls"), polls + 2);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(too_many_clients_are_told_so)
{
	struct rlimit rl = { 4096, 4096 };
	enum { N = 1030 };
	int fds[N], i, refused = 0;
	pid_t pid;
	char *line;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_ge(rl.rlim_cur, N + 100);
	pid = daemon_start(sock_path, NULL);
	for (i = 0; i < N; i++) {
		fds[i] = client_connect(sock_path);
		ck_assert_int_ge(fds[i], 0);
	}
	for (i = N - 20; i < N; i++) {
		line = client_line(fds[i], 300);
		if (line && strstr(line, "\"unavailable\""))
			refused++;
		free(line);
	}
	ck_assert_int_ge(refused, 1);
	for (i = 0; i < N; i++)
		close(fds[i]);
	ck_assert_int_ge(status_num(sock_path, "pid"), 1);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A datagram socket standing in for systemd's notification socket. */
static int notify_socket(char *path, size_t size)
{
	snprintf(path, size, "%s/notify", dir);
	return unix_bind(path, SOCK_DGRAM);
}

static void expect_notify(int fd, const char *want)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[256];
	ssize_t n;

	ck_assert_msg(poll(&p, 1, 10000) == 1, "no %s", want);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(ready_after_first_picture_and_stopping)
{
	char path[100];
	int nfd = notify_socket(path, sizeof(path));
	pid_t pid;

	setenv("NOTIFY_SOCKET", path, 1);
	pid = daemon_start(sock_path, NULL);
	unsetenv("NOTIFY_SOCKET");
	expect_notify(nfd, "READY=1");
	/* READY comes after the first picture: it is there at once. */
	ck_assert_int_ge(status_num(sock_path, "generation"), 1);
	ck_assert_int_eq(daemon_stop(pid), 0);
	expect_notify(nfd, "STOPPING=1");
	close(nfd);
}
END_TEST

/* What systemd does: a bound, listening socket as fd 3, and its pid. */
static pid_t daemon_activated(int lfd)
{
	pid_t pid = fork();
	char num[16];

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_dies_with_parent();
		dup2(lfd, 3);
		snprintf(num, sizeof(num), "%d", (int)getpid());
		setenv("LISTEN_PID", num, 1);
		setenv("LISTEN_FDS", "1", 1);
		/* a path that would fail: the passed socket must be used */
		execl(BUILD_DIR "/sockwatchd", "sockwatchd", "--socket",
		      "/nonexistent/dir/s.sock", (char *)NULL);
		_exit(127);
	}
	return pid;
}

START_TEST(socket_activation_uses_fd_3_and_leaves_the_file)
{
	char run[200];
	pid_t pid;
	int lfd;

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	lfd = unix_bind(sock_path, SOCK_STREAM);
	ck_assert_int_eq(listen(lfd, 16), 0);
	pid = daemon_activated(lfd);
	close(lfd);
	ck_assert_int_ge(status_num(sock_path, "pid"), 1);
	ck_assert_int_eq(status_num(sock_path, "pid"), pid);
	ck_assert_int_eq(daemon_stop(pid), 0);
	/* systemd owns the file and keeps listening on it */
	ck_assert_int_eq(access(sock_path, F_OK), 0);
}
END_TEST

/* sockwatchctl CMD --json as uid, with groups (or none): its document. */
static json_t *json_as(const char *uid, const char *groups, const char *cmd)
{
	char reuid[32], regid[32], grp[64], *out, *err;
	json_t *doc;
	int list = !strcmp(cmd, "list");

	snprintf(reuid, sizeof(reuid), "--reuid=%s", uid);
	snprintf(regid, sizeof(regid), "--regid=%s", uid);
	snprintf(grp, sizeof(grp), groups ? "--groups=%s" : "--clear-groups",
		 groups);
	ck_assert_int_eq(run_cmd((char *[]){ "setpriv", reuid, regid, grp,
					     BUILD_DIR "/sockwatchctl", "-s",
					     sock_path, (char *)cmd, "--json",
					     list ? "--fresh" : NULL, NULL },
				 &out, &err),
			 0);
	doc = json_doc(out);
	free(out);
	free(err);
	return doc;
}

static json_t *list_as(const char *uid, const char *groups)
{
	return json_as(uid, groups, "list");
}

static int listener_held_by(json_t *doc, const char *ep, pid_t pid)
{
	json_t *g, *s, *p;
	const char *mem;
	size_t i;

	s = net_find(doc, "tcp", ep, "0.0.0.0:0", &g, &mem);
	ck_assert_msg(s != NULL, "%s not listed", ep);
	json_array_foreach (json_object_get(s, "processes"), i, p) {
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return 1;
	}
	return 0;
}

/*
 * One user may hold --max-clients-per-user connections; the next is told
 * so and closed, and other users are served all the while.
 */
/*
 * Fresh listings asked for without end: by root they are taken (within
 * --fresh-min-age), by another user only as the CPU budget allows, so
 * that nobody else can make the poller spend a core.
 */
/* Fresh counts, one after another for ms; how many were answered. */
static int ask_fresh_for(uint64_t ms)
{
	static const char req[] = "{\"v\":1,\"cmd\":\"list\",\"fresh\":true,"
				  "\"view\":\"counts\"}\n";
	uint64_t start = now_ms();
	int fd = client_connect(sock_path), n = 0;

	while (now_ms() - start < ms) {
		char *line;

		client_send(fd, req, strlen(req));
		/* a wait for the budget: at 5 % it is 20 dumps' time */
		line = client_line(fd, 30000);
		expect_record(line, "header", NULL);
		free(line);
		while ((line = client_line(fd, line_wait_ms())) &&
		       strncmp(line, "{\"type\":\"end\"", 13) != 0)
			free(line);
		ck_assert_msg(line != NULL, "listing without end");
		free(line);
		n++;
	}
	close(fd);
	return n;
}

START_TEST(others_fresh_asks_wait_for_the_budget)
{
	json_int_t polls[3], cost_us, most;
	pid_t daemon, child;
	int st, k;

	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	make_load(4000);
	daemon = daemon_start(sock_path,
			      (char *[]){ "--socket-mode", "0666", "--interval",
					  "3600000", "--cpu-budget", "5",
					  "--fresh-min-age", "0", NULL });
	/* a second to spend what the bucket started with, then three */
	for (k = 0; k < 2; k++) {
		polls[k] = status_num(sock_path, "polls");
		child = fork_as_nobody();
		if (child == 0)
			_exit(ask_fresh_for(k ? 3000 : 1000) >= 1 ? 0 : 1);
		ck_assert_int_eq(waitpid(child, &st, 0), child);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "nobody's fresh listings failed (%d)", st);
	}
	polls[2] = status_num(sock_path, "polls");
	/*
	 * 5 % of 3 s buys 150 ms of full polls, and the bucket holds three
	 * at most: so many, where root's asks would have had one a dump.
	 * A dump's cost is the daemon's own measure (its CPU is at least
	 * that), so that a slower build (ASan) is held to its own pace.
	 */
	cost_us = status_num(sock_path, "last_scan_us");
	ck_assert_int_gt(cost_us, 0);
	most = 150000 / cost_us + 4;
	ck_assert_msg(polls[2] - polls[1] <= most,
		      "%lld full polls in 3 s for another user (%lld us a "
		      "dump, at most %lld)",
		      (long long)(polls[2] - polls[1]), (long long)cost_us,
		      (long long)most);
	ck_assert_msg(3000000 / cost_us > 3 * most,
		      "%lld us a dump: too slow to tell the budget's pace "
		      "from root's",
		      (long long)cost_us);
	ck_assert_int_ge(polls[2] - polls[1], 1);
	ck_assert_int_eq(daemon_stop(daemon), 0);
}
END_TEST

START_TEST(one_user_holds_a_bounded_number_of_connections)
{
	pid_t daemon, child;
	int st;

	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	daemon = daemon_start(sock_path, (char *[]){ "--socket-mode", "0666",
						     "--max-clients-per-user",
						     "4", NULL });
	child = fork_as_nobody();
	if (child == 0) {
		int fds[5], i, ok = 1;
		char *line;

		for (i = 0; i < 5; i++)
			fds[i] = client_connect(sock_path);
		line = client_line(fds[4], 5000);
		ok = line && strstr(line, "\"unavailable\"") &&
		     strstr(line, "too many connections of this user");
		free(line);
		/* the four it holds still work */
		client_send(fds[0], STATUS, strlen(STATUS));
		line = client_line(fds[0], 5000);
		ok = ok && line && strstr(line, "\"status\"");
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the fifth connection of uid 65534 was not refused");
	ck_assert_int_ge(status_num(sock_path, "pid"), 1); /* root: served */
	/* a whole picture is not for a user who sees only their own */
	{
		char *out = NULL, *err = NULL;

		ck_assert_int_eq(
			run_cmd((char *[]){ "setpriv", "--reuid=65534",
					    "--regid=65534", "--clear-groups",
					    BUILD_DIR "/sockwatchctl", "-s",
					    sock_path, "record", "/dev/null",
					    NULL },
				&out, &err),
			4);
		ck_assert_ptr_nonnull(strstr(err, "(denied)"));
		free(out);
		free(err);
	}
	ck_assert_int_eq(daemon_stop(daemon), 0);
}
END_TEST

/* What sockwatchctl status says to uid 65534, in no group; exit 4. */
static char *denied_to_nobody(void)
{
	char *out, *err;

	ck_assert_int_eq(
		run_cmd((char *[]){ "setpriv", "--reuid=65534", "--regid=65534",
				    "--clear-groups", BUILD_DIR "/sockwatchctl",
				    "-s", sock_path, "status", NULL },
			&out, &err),
		4);
	free(out);
	return err;
}

/*
 * A user kept out is told what keeps them out: the directory, and the
 * group that would let them in, or that the daemon was given none.
 */
START_TEST(cli_says_why_permission_is_denied)
{
	char want[1024], run[200], name[64], *err;
	const struct group *gr;
	pid_t pid;

	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(run, sizeof(run), "%s/run", dir);
	pid = daemon_start(sock_path,
			   (char *[]){ "--socket-group", "4242", NULL });
	err = denied_to_nobody();
	gr = getgrgid(4242); /* the tests' group file names it */
	snprintf(name, sizeof(name), "%s", gr ? gr->gr_name : "4242");
	snprintf(want, sizeof(want),
		 "sockwatchctl: permission denied on %s: the directory %s is "
		 "open to the group %s only (sockwatchd's --socket-group); "
		 "run as root or as a member of %s\n",
		 sock_path, run, name, name);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
	ck_assert_int_eq(rmdir(run), 0); /* made anew, of group root */
	pid = daemon_start(sock_path, NULL);
	err = denied_to_nobody();
	snprintf(want, sizeof(want),
		 "sockwatchctl: permission denied on %s: the directory %s is "
		 "open to the group root only, as sockwatchd was started "
		 "without --socket-group; run as root\n",
		 sock_path, run);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert_int_eq(chmod(run, 0755), 0); /* now the socket, 0660 */
	err = denied_to_nobody();
	ck_assert_msg(strstr(err, ": the socket ") &&
			      strstr(err, "without --socket-group"),
		      "%s", err);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(others_see_sockets_but_only_their_own_processes)
{
	pid_t nobody, daemon;
	json_t *doc;

	/* the socket right in the test's directory, open to everyone */
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	nobody = listener_child("127.0.0.1:7100", NULL, 1);
	net_listen("127.0.0.1:7101", 1, 0, NULL);
	daemon = daemon_start(sock_path,
			      (char *[]){ "--socket-group", "4242",
					  "--socket-mode", "0666", NULL });
	doc = list_as("0", NULL); /* root */
	ck_assert(listener_held_by(doc, "127.0.0.1:7100", nobody));
	ck_assert(listener_held_by(doc, "127.0.0.1:7101", getpid()));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "processes")),
			 "all");
	json_decref(doc);
	doc = list_as("65534", NULL); /* an outsider: its own only */
	ck_assert(listener_held_by(doc, "127.0.0.1:7100", nobody));
	ck_assert(!listener_held_by(doc, "127.0.0.1:7101", getpid()));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "processes")),
			 "own");
	json_decref(doc);
	doc = list_as("65533", "4242"); /* a member of the socket's group */
	ck_assert(listener_held_by(doc, "127.0.0.1:7100", nobody));
	ck_assert(listener_held_by(doc, "127.0.0.1:7101", getpid()));
	json_decref(doc);
	/* the outsider's table names the user of what it may not see */
	{
		char *out, *err;

		ck_assert_int_eq(
			run_cmd((char *[]){ "setpriv", "--reuid=65534",
					    "--regid=65534", "--clear-groups",
					    BUILD_DIR "/sockwatchctl", "-s",
					    sock_path, "list", "-H",
					    "sport = :7101", NULL },
				&out, &err),
			0);
		ck_assert_msg(strstr(out, " user root\n") &&
				      !strstr(out, " uid "),
			      "%s", out);
		free(out);
		free(err);
	}
	/* the host's process counts are for those who see every process */
	doc = json_as("0", NULL, "status");
	ck_assert_ptr_nonnull(json_object_get(doc, "procs_known"));
	json_decref(doc);
	doc = json_as("65534", NULL, "status");
	ck_assert_ptr_null(json_object_get(doc, "procs_known"));
	ck_assert_ptr_null(json_object_get(doc, "procs_denied"));
	ck_assert_ptr_null(json_object_get(doc, "sockets_unowned"));
	ck_assert_ptr_nonnull(json_object_get(doc, "attribution"));
	json_decref(doc);
	ck_assert_int_eq(daemon_stop(daemon), 0);
}
END_TEST

START_TEST(socket_group_and_mode_are_set)
{
	pid_t pid = daemon_start(sock_path,
				 (char *[]){ "--socket-group", "4242",
					     "--socket-mode", "0640", NULL });
	struct stat st;
	char run[200];

	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_gid, 4242);
	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(stat(run, &st), 0);
	ck_assert_int_eq(st.st_gid, 4242);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A directory of uid 65534 under the test's own, which nobody may search. */
static void nobody_dir(const char *sub, mode_t mode, char *path, size_t size)
{
	ck_assert_int_eq(chmod(dir, 0755), 0);
	dir_make(sub, mode, path, size);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
}

/* sockwatchd of uid 65534 on path, once it accepts connections. */
static pid_t daemon_as_nobody(const char *path)
{
	uint64_t deadline = now_ms() + 10000;
	pid_t pid = fork_as_nobody();
	int fd = -1;

	if (pid == 0) {
		execl(BUILD_DIR "/sockwatchd", "sockwatchd", "--socket", path,
		      "--log-level", "error", (char *)NULL);
		_exit(127);
	}
	while (now_ms() < deadline && (fd = client_connect(path)) < 0)
		usleep(20000);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return pid;
}

/* An existing directory another user owns is not trusted with the socket. */
START_TEST(foreign_directory_is_refused)
{
	char nob[256], path[300];

	nobody_dir("nob", 0755, nob, sizeof(nob));
	snprintf(path, sizeof(path), "%s/s.sock", nob);
	daemon_refuses(path, "belongs to uid 65534");
	/* above the socket's directory too: its owner could rename ours */
	snprintf(path, sizeof(path), "%s/sw/s.sock", nob);
	daemon_refuses(path, "every directory above the socket must belong");
}
END_TEST

/*
 * The race that turned a root-owned 0600 file into 0666: a user who may
 * write the socket's directory swaps a symbolic link in for the socket
 * while the daemon starts. Thirty starts against an attacker swapping as
 * fast as it can (20,000 swaps at most): every start is refused, and the
 * file keeps its owner and mode.
 */
START_TEST(symlink_race_changes_no_other_file)
{
	char shared[256], path[300], secret[300];
	struct stat st;
	pid_t attacker;
	int i, fd;

	nobody_dir("shared", 0777, shared, sizeof(shared));
	snprintf(path, sizeof(path), "%s/s.sock", shared);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	fd = open(secret, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	attacker = fork_as_nobody();
	if (attacker == 0) {
		for (i = 0; i < 20000; i++) {
			unlink(path);
			if (symlink(secret, path) < 0)
				_exit(2);
		}
		_exit(0);
	}
	for (i = 0; i < 30; i++) {
		char *out, *err;
		int rc = run_cmd((char *[]){ "timeout", "10",
					     BUILD_DIR "/sockwatchd",
					     "--socket", path, "--socket-mode",
					     "0666", NULL },
				 &out, &err);

		ck_assert_msg(rc != 0 && rc != 124, "start %d was not refused",
			      i);
		free(out);
		free(err);
	}
	kill(attacker, SIGKILL);
	waitpid(attacker, NULL, 0);
	ck_assert_int_eq(stat(secret, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, 0);
}
END_TEST

/*
 * A socket bound by another user (here a real sockwatchd of uid 65534 in
 * its own directory) is not trusted by sockwatchctl, unless the caller
 * names that user as the daemon's.
 */
START_TEST(cli_refuses_a_socket_another_user_serves)
{
	char nob[256], path[300], *out, *err;
	pid_t pid;

	nobody_dir("nob", 0755, nob, sizeof(nob));
	snprintf(path, sizeof(path), "%s/s.sock", nob);
	pid = daemon_as_nobody(path);
	ck_assert_int_eq(
		ctl_run(path, (char *[]){ "status", NULL }, &out, &err), 4);
	ck_assert_msg(strstr(err, "served by uid 65534") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(out, "\"type\""));
	free(out);
	free(err);
	ck_assert_int_eq(
		ctl_run(path,
			(char *[]){ "--socket-owner", "65534", "status", NULL },
			&out, &err),
		0);
	free(out);
	free(err);
	setenv("SOCKWATCH_SOCKET_OWNER", "65534", 1);
	ck_assert_int_eq(
		ctl_run(path, (char *[]){ "status", NULL }, &out, &err), 0);
	unsetenv("SOCKWATCH_SOCKET_OWNER");
	free(out);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* The daemon under the fault shim, with the faults set as name=value. */
static pid_t daemon_start_shim(const char *shim, char *const faults[],
			       char *const extra[])
{
	pid_t pid;
	size_t i;

	setenv("LD_PRELOAD", shim, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	for (i = 0; faults[i]; i++)
		putenv(faults[i]);
	pid = daemon_start(sock_path, extra);
	unsetenv("LD_PRELOAD");
	return pid;
}

static pid_t daemon_start_faulty(char *const faults[], char *const extra[])
{
	return daemon_start_shim(BUILD_DIR "/sockwatch-fault.so", faults,
				 extra);
}

/* Polls status until key reaches at least want, for 10 s at most. */
static json_int_t status_wait(const char *key, json_int_t want)
{
	uint64_t deadline = now_ms() + 10000;
	json_int_t v;

	while ((v = status_num(sock_path, key)) < want && now_ms() < deadline)
		usleep(50000);
	return v;
}

/*
 * A dump that loses messages (ENOBUFS) while no new sock_diag socket can
 * be had (EMFILE, three times over): each failed poll is counted and the
 * next one tries again, until a picture is taken; the daemon never
 * crashes. Before, the lost old socket left a NULL that the next poll
 * followed.
 */
START_TEST(dump_survives_a_socket_it_cannot_renew)
{
	uint64_t deadline;
	pid_t pid;

	/* the first two: the destroy events' socket and the dump's */
	pid = daemon_start_faulty((char *[]){ "FAULT_DIAG_RECV_ENOBUFS_AT=1",
					      "FAULT_DIAG_SOCKETS_OK=2",
					      "FAULT_DIAG_SOCKETS_FAIL=3",
					      NULL },
				  (char *[]){ "--interval", "100", NULL });
	deadline = now_ms() + 10000;
	while (status_num(sock_path, "generation") == 0 && now_ms() < deadline)
		usleep(50000);
	ck_assert_int_ge(status_num(sock_path, "generation"), 1);
	ck_assert_int_ge(status_num(sock_path, "poll_errors"), 3);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * /proc mounted with hidepid=invisible hides root's processes from a
 * daemon of uid 65534 without capabilities: status says partial, and
 * why, instead of complete while sockets go unowned.
 */
START_TEST(hidepid_is_told_not_hidden)
{
	char nob[256], path[300], *out, *err;
	pid_t pid;

	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("proc", "/proc", "proc", 0, "hidepid=invisible"),
			 0);
	net_listen("127.0.0.1:7102", 1, 0, NULL); /* root's: hidden */
	nobody_dir("nob", 0755, nob, sizeof(nob));
	snprintf(path, sizeof(path), "%s/s.sock", nob);
	pid = daemon_as_nobody(path);
	ck_assert_int_eq(ctl_run(path,
				 (char *[]){ "--socket-owner", "65534",
					     "status", "--json", NULL },
				 &out, &err),
			 0);
	ck_assert_msg(strstr(out, "\"attribution\":\"partial\""), "%s", out);
	ck_assert_msg(strstr(out, "hidepid=invisible"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * Service and device names reach the daemon only as numbers: a client
 * that sends a name gets bad_filter at once, and the daemon never waits
 * on a resolver that takes 3 s a lookup (it used to, for every client).
 */
START_TEST(names_in_requests_cost_no_lookup)
{
	static const char *const reqs[] = {
		"{\"v\":1,\"cmd\":\"list\",\"filter\":\"sport = :http\"}\n",
		"{\"v\":1,\"cmd\":\"list\",\"filter\":\"dev lo\"}\n",
		"{\"v\":1,\"cmd\":\"list\",\"filter\":\"dst 1.2.3.4:ssh\"}\n",
	};
	pid_t pid = daemon_start_faulty(
		(char *[]){ "FAULT_SLOW_NSS_MS=3000", NULL }, NULL);
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(*reqs); i++) {
		int fd = client_connect(sock_path);
		uint64_t t0 = now_ms();
		char *line;

		ck_assert_int_ge(fd, 0);
		client_send(fd, reqs[i], strlen(reqs[i]));
		line = client_line(fd, 1000);
		ck_assert_msg(line != NULL, "%s: no answer within 1 s",
			      reqs[i]);
		expect_record(line, "error", "bad_filter");
		ck_assert_uint_lt(now_ms() - t0, 1000);
		free(line);
		close(fd);
	}
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * Under the one fault given, the daemon still takes a whole picture (a
 * listener on ep in it) without a single failed poll.
 */
static void picture_despite(char *fault, const char *ep)
{
	pid_t pid =
		daemon_start_faulty((char *[]){ fault, NULL },
				    (char *[]){ "--interval", "100", NULL });

	net_listen(ep, 1, 0, NULL);
	ck_assert_int_ge(status_wait("sockets", 1), 1);
	ck_assert_int_eq(status_num(sock_path, "poll_errors"), 0);
	ck_assert_int_eq(daemon_stop(pid), 0);
}

/* A dump the kernel says it interrupted is dumped again, not served. */
START_TEST(interrupted_dump_is_taken_again)
{
	picture_despite("FAULT_DIAG_DUMP_INTR_AT=1", "127.0.0.1:7200");
}
END_TEST

/*
 * A local process may send to the daemon's sock_diag port: its message
 * (here an error that would fail the dump) is not read as the kernel's.
 */
START_TEST(only_the_kernel_is_listened_to)
{
	picture_despite("FAULT_DIAG_FORGE_AT=1", "127.0.0.1:7203");
}
END_TEST

/*
 * A passwd lookup that takes 2 s (LDAP far away) stalls neither the poll
 * nor its clients: the name comes from a thread of its own, a poll later,
 * and until then the uid stands for it.
 */
START_TEST(slow_user_lookups_stall_no_poll)
{
	pid_t pid;
	json_int_t polls;
	uint64_t deadline;
	char *out = NULL, *err;

	net_listen("127.0.0.1:7204", 1, 0, NULL);
	/* the polls' pace is what is measured here, not the budget */
	pid = daemon_start_faulty(
		(char *[]){ "FAULT_SLOW_NSS_MS=2000", NULL },
		(char *[]){ "--interval", "100", "--cpu-budget", "100", NULL });
	usleep(1000000);
	polls = status_num(sock_path, "polls");
	ck_assert_msg(polls >= 5, "%lld polls in the first second",
		      (long long)polls);
	deadline = now_ms() + 10000;
	do {
		free(out);
		usleep(200000);
		ck_assert_int_eq(
			ctl_run(sock_path,
				(char *[]){ "list", "--json", "--fresh",
					    "sport = :7204", NULL },
				&out, &err),
			0);
		free(err);
	} while (!strstr(out, "\"user\":\"root\"") && now_ms() < deadline);
	ck_assert_msg(strstr(out, "\"user\":\"root\""), "%s", out);
	free(out);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* Out of descriptors while accepting: a pause, then every client served. */
START_TEST(out_of_fds_on_accept_pauses_and_serves)
{
	pid_t pid = daemon_start_faulty(
		(char *[]){ "FAULT_ACCEPT_EMFILE=3", NULL }, NULL);
	char *out, *err;
	uint64_t t0 = now_ms();

	ck_assert_int_eq(
		ctl_run(sock_path, (char *[]){ "status", NULL }, &out, &err),
		0);
	ck_assert_uint_lt(now_ms() - t0, 5000);
	free(out);
	free(err);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/*
 * Out of memory while taking a picture (every allocation of 64 KiB or
 * more fails while a file exists): the poll fails and is counted, the
 * last picture is still served, and the next poll with memory takes a
 * whole one.
 */
START_TEST(out_of_memory_keeps_the_last_picture)
{
	struct rlimit rl = { 8192, 8192 };
	char flag[300], env[320];
	json_int_t gen, errs;
	pid_t pid;
	int l, i, fd;

	snprintf(flag, sizeof(flag), "%s/no-memory", dir);
	snprintf(env, sizeof(env), "FAULT_ALLOC_FILE=%s", flag);
	pid = daemon_start_shim(BUILD_DIR "/sockwatch-fault-alloc.so",
				(char *[]){ env, NULL },
				(char *[]){ "--interval", "100", NULL });
	gen = status_wait("generation", 2);
	errs = status_num(sock_path, "poll_errors");
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	fd = open(flag, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	l = net_listen("127.0.0.1:7201", 4096, 0, NULL);
	for (i = 0; i < 3000; i++) {
		net_connect("127.0.0.1:7201", NULL, 0);
		net_accept(l);
	}
	ck_assert_int_ge(status_wait("poll_errors", errs + 3), errs + 3);
	ck_assert_int_lt(status_num(sock_path, "sockets"), 6000);
	ck_assert_int_ge(status_num(sock_path, "generation"), gen);
	ck_assert_int_eq(unlink(flag), 0);
	ck_assert_msg(status_wait("sockets", 6001) >= 6001,
		      "errors %lld gen %lld",
		      (long long)status_num(sock_path, "poll_errors"),
		      (long long)status_num(sock_path, "generation"));
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* Creates files in dir until its file system has no inode left. */
static void fill(const char *dir_path)
{
	char path[400];
	int i, fd = 0;

	for (i = 0; i < 1000 && fd >= 0; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir_path, i);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0)
			close(fd);
	}
	ck_assert_int_eq(errno, ENOSPC);
}

/*
 * No room for the socket's directory, or for the socket in it: the
 * daemon says so and exits, never half-started.
 */
START_TEST(full_disk_for_the_socket_directory)
{
	char mnt[256], sub[300], path[400];

	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	dir_make("full", 0755, mnt, sizeof(mnt));
	ck_assert_int_eq(
		mount("tmpfs", mnt, "tmpfs", 0, "size=64k,nr_inodes=8"), 0);
	snprintf(sub, sizeof(sub), "%s/run", mnt);
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	fill(mnt);
	snprintf(path, sizeof(path), "%s/s.sock", sub); /* the socket */
	daemon_refuses(path, "No space left on device");
	snprintf(path, sizeof(path), "%s/new/s.sock", mnt); /* its directory */
	daemon_refuses(path, "No space left on device");
	ck_assert_int_eq(umount2(mnt, MNT_DETACH), 0);
}
END_TEST

/* The allocator shim can stand in for malloc: no sanitizer, no valgrind. */
static int alloc_shim_usable(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
	return getenv("SOCKWATCH_DAEMON_WRAPPER") == NULL;
#endif
}

Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *file = tcase_create("socket file");
	TCase *bad = tcase_create("bad clients");
	TCase *policy = tcase_create("access policy");
	TCase *faults = tcase_create("faults");

	tcase_add_checked_fixture(file, dir_setup, dir_teardown);
	tcase_set_timeout(file, 60);
	tcase_add_test(file, socket_file_mode_and_directory);
	tcase_add_test(file, stale_socket_file_is_replaced);
	tcase_add_test(file, live_daemon_is_not_replaced);
	tcase_add_test(file, non_socket_file_is_not_removed);
	tcase_add_test(file, usage_errors_exit_2);
	tcase_add_test(file, symlinked_path_components_are_refused);
	tcase_add_test(file, shared_directories_are_refused);
	tcase_add_test(file, sighup_keeps_clients);
	tcase_add_test(file, the_server_holds_nothing);
	tcase_add_test(file, record_saves_the_picture_served);
	tcase_add_test(file, ready_after_first_picture_and_stopping);
	tcase_add_test(file, socket_activation_uses_fd_3_and_leaves_the_file);
	suite_add_tcase(s, file);
	tcase_add_checked_fixture(bad, dir_setup, dir_teardown);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, bad_requests_get_errors_and_the_connection_lives);
	tcase_add_test(bad, pipelined_requests_answer_in_order);
	tcase_add_test(bad, overlong_line_is_too_large_and_closed);
	tcase_add_test(bad, silent_client_is_closed_others_served);
	tcase_add_test(bad, reader_that_stops_is_dropped_not_waited_for);
	tcase_add_test(bad, two_hundred_clients_at_once);
	tcase_add_test(bad, stalled_listings_hold_bounded_memory);
	tcase_add_test(bad, long_filters_keep_nobody_waiting);
	tcase_add_test(bad, fresh_asks_poll_at_most_once_per_min_age);
	tcase_add_test(bad, listeners_stay_fresh_between_full_polls);
	tcase_add_test(bad, clients_vanishing_mid_answer_cost_nothing);
	tcase_add_test(bad, too_many_clients_are_told_so);
	suite_add_tcase(s, bad);
	tcase_add_checked_fixture(faults, dir_setup, dir_teardown);
	tcase_set_timeout(faults, 60);
	tcase_add_test(faults, dump_survives_a_socket_it_cannot_renew);
	tcase_add_test(faults, interrupted_dump_is_taken_again);
	tcase_add_test(faults, only_the_kernel_is_listened_to);
	tcase_add_test(faults, out_of_fds_on_accept_pauses_and_serves);
	tcase_add_test(faults, names_in_requests_cost_no_lookup);
	tcase_add_test(faults, slow_user_lookups_stall_no_poll);
	tcase_add_test(faults, full_disk_for_the_socket_directory);
	if (alloc_shim_usable())
		tcase_add_test(faults, out_of_memory_keeps_the_last_picture);
	else
		fprintf(stderr, "daemon: the out-of-memory test replaces the "
				"allocator, which a sanitizer or valgrind "
				"owns here: NOT RUN\n");
	suite_add_tcase(s, faults);
	if (!can_switch_uid()) {
		/* Said plainly, not counted as passed. */
		fprintf(stderr, "daemon: the access policy, socket group and "
				"hostile user tests need real root (other "
				"uids and gids); "
				"this run has only uid 0 in a user namespace: "
				"NOT RUN\n");
		return s;
	}
	tcase_add_checked_fixture(policy, dir_setup, dir_teardown);
	tcase_set_timeout(policy, 60);
	tcase_add_test(policy, others_see_sockets_but_only_their_own_processes);
	tcase_add_test(policy, one_user_holds_a_bounded_number_of_connections);
	if (!wrapped())
		tcase_add_test(policy, others_fresh_asks_wait_for_the_budget);
	else
		/* each poll takes a second there: no rate to tell apart */
		fprintf(stderr, "daemon: the fresh-asks budget test needs the "
				"daemon at full speed, not under a wrapper: "
				"NOT RUN\n");
	tcase_add_test(policy, socket_group_and_mode_are_set);
	tcase_add_test(policy, foreign_directory_is_refused);
	tcase_add_test(policy, symlink_race_changes_no_other_file);
	tcase_add_test(policy, cli_refuses_a_socket_another_user_serves);
	tcase_add_test(policy, cli_says_why_permission_is_denied);
	tcase_add_test(policy, hidepid_is_told_not_hidden);
	suite_add_tcase(s, policy);
	return s;
}
