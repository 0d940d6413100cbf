/* SPDX-License-Identifier: ISC */
/*
 * test_offline.c - sockwatchctl list --from: an ss -D dump made by this
 * machine's ss (tests/data/record-ss.py) checked against what that ss
 * reads back from the same bytes, a recording taken from a real daemon
 * listed as the daemon listed it, and every way a file can be bad.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "picture.h"
#include "tests.h"
#include "util.h"

#define SS_DUMP "tests/data/ss-D.dump"
#define SS_TEXT "tests/data/ss-D.ss.txt"
#define NO_DAEMON "/nonexistent/sockwatchd.sock"

static char *dir;

static void offline_setup(void)
{
	dir = tmpdir_make();
}

static void offline_teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* sockwatchctl list --from file ARGS..., which must succeed. */
static char *from_out(const char *file, char *const args[])
{
	char *argv[16] = { "list", "--from", (char *)file }, *out, *err;
	int n = 3, i;

	for (i = 0; args && args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_msg(ctl_run(NO_DAEMON, argv, &out, &err) == 0, "%s: %s", file,
		      err);
	free(err);
	return out;
}

/* The same, as the JSON document, checked against the schema. */
static json_t *from_doc(const char *file, char *const args[])
{
	char *argv[16] = { "--json" };
	int n = 1, i;
	char *out;
	json_t *doc;

	for (i = 0; args && args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	out = from_out(file, argv);
	schema_check(out);
	doc = json_doc(out);
	free(out);
	return doc;
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_ge(getdelim(&text, &len, '\0', f), 0);
	fclose(f);
	return text;
}

/* Asserts which group, and which of its lists, holds a socket. */
static void expect_at(json_t *doc, const char *local, const char *remote,
		      const char *group, const char *member)
{
	const char *got = NULL;
	json_t *g = NULL;
	char name[128];

	ck_assert_msg(net_find(doc, "tcp", local, remote, &g, &got) != NULL,
		      "%s -> %s not listed", local, remote);
	ck_assert_str_eq(net_group_name(g, name, sizeof(name)), group);
	ck_assert_str_eq(got, member);
}

/* Every socket this machine's ss read from the dump, each exactly once. */
START_TEST(ss_dump_holds_what_ss_reads)
{
	json_t *doc = from_doc(SS_DUMP, NULL), *src;
	char *ss = read_text(SS_TEXT);

	net_expect_ss(doc, ss);
	src = json_object_get(doc, "source");
	ck_assert_str_eq(json_string_value(json_object_get(src, "format")),
			 "ss-dump");
	ck_assert_str_eq(json_string_value(json_object_get(src, "file")),
			 SS_DUMP);
	ck_assert(json_is_false(json_object_get(doc, "udp_available")));
	ck_assert_ptr_null(json_object_get(doc, "processes"));
	free(ss);
	json_decref(doc);
}
END_TEST

/* The dump's sockets, grouped as record-ss.py made them. */
START_TEST(ss_dump_grouped_as_the_daemon_groups)
{
	json_t *doc = from_doc(SS_DUMP, NULL), *g = NULL;
	const char *m;

	expect_at(doc, "127.0.0.1:8080", "0.0.0.0:0",
		  "listen tcp 127.0.0.1:8080", "sockets");
	expect_at(doc, "127.0.0.1:8080", "127.0.0.1:40342",
		  "listen tcp 127.0.0.1:8080", "connections");
	expect_at(doc, "127.0.0.1:40342", "127.0.0.1:8080",
		  "outbound tcp 127.0.0.1:8080", "connections");
	expect_at(doc, "::ffff:127.0.0.1:9090", "::ffff:127.0.0.1:44550",
		  "listen tcp :::9090", "connections");
	expect_at(doc, "::1:8443", "::1:40518", "listen tcp :::8443",
		  "connections");
	expect_at(doc, "0.0.0.0:7070", "0.0.0.0:0",
		  "listen tcp 0.0.0.0:7070%if1", "sockets");
	expect_at(doc, "127.0.0.1:6060", "127.0.0.1:58732",
		  "listen tcp 127.0.0.1:6060", "connections");
	expect_at(doc, "127.0.0.1:6061", "127.0.0.1:32820",
		  "listen tcp 127.0.0.1:6061", "connections");
	ck_assert(net_find(doc, "tcp", "127.0.0.1:32820", "127.0.0.1:6061", &g,
			   &m));
	/* the server side went on: the client's FIN-WAIT-2 is still local */
	ck_assert(json_is_true(json_object_get(g, "local")));
	ck_assert(net_find(doc, "tcp", ":::9090", ":::0", &g, &m));
	ck_assert(json_is_false(json_object_get(g, "v6only")));
	ck_assert(net_find(doc, "tcp", ":::8443", ":::0", &g, &m));
	ck_assert(json_is_true(json_object_get(g, "v6only")));
	json_decref(doc);
}
END_TEST

/* ss's cookies for a filter over the dump's IPv4 part, which it reads. */
static void ss_cookies(const char *filter, char **out)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd),
		 "TCPDIAG_FILE=%s ss -tanHe -4 %s | grep -o 'sk:[0-9a-f]*' "
		 "| sort",
		 SS_DUMP, filter);
	ck_assert_int_eq(
		run_cmd((char *[]){ "sh", "-c", cmd, NULL }, out, NULL), 0);
}

static void sw_cookies(const char *filter, char **out)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd),
		 BUILD_DIR "/sockwatchctl list --from %s -e -4 %s | grep -o "
			   "'sk:[0-9a-f]*' | sort",
		 SS_DUMP, filter);
	ck_assert_int_eq(
		run_cmd((char *[]){ "sh", "-c", cmd, NULL }, out, NULL), 0);
}

/* ss filters what it reads from a dump by addresses and ports alone. */
START_TEST(filters_over_a_dump_match_ss)
{
	static const char *const filters[] = {
		"sport = :8080",
		"dport = :8080",
		"src 127.0.0.1:6061",
		"dst 127.0.0.1",
		"sport gt :8000",
		"sport = :6060 or dport = :6061",
		"src 127/8 and dport ge :9000",
		"not dport = :8080",
	};
	size_t i;

	for (i = 0; i < sizeof(filters) / sizeof(*filters); i++) {
		char *want, *got;

		ss_cookies(filters[i], &want);
		sw_cookies(filters[i], &got);
		ck_assert_msg(*want, "ss found nothing for \"%s\"", filters[i]);
		ck_assert_msg(!strcmp(want, got), "\"%s\": ss %s, sockwatch %s",
			      filters[i], want, got);
		free(want);
		free(got);
	}
}
END_TEST

/* The table's first line says where its picture came from. */
START_TEST(table_names_the_file)
{
	char *out = from_out(SS_DUMP, (char *[]){ "-c", NULL });
	char *dev =
		from_out(SS_DUMP, (char *[]){ "-H", "-c", "dev", "if1", NULL });

	char *full = from_out(SS_DUMP, NULL);

	/* a file's uids are its host's: no user name of this one for them */
	ck_assert_msg(strstr(full, "1/16 ino 3409171 uid 0\n"), "%s", full);
	free(full);
	/* a dump names no device: its listing's ifN is what dev takes */
	ck_assert_str_eq(dev, "LISTEN   tcp  0.0.0.0%if1:7070  queue 0/3  "
			      "1 listen\n");
	free(dev);

	ck_assert_msg(strstr(out, SS_DUMP ": ss -D dump (TCP only) written ") ==
			      out,
		      "%s", out);
	ck_assert_msg(strstr(out, "\nLISTEN   tcp  127.0.0.1:8080  queue 1/16  "
				  "1 listen, 3 established\n"),
		      "%s", out);
	free(out);
}
END_TEST

/* Writes len bytes of data to dir/name; returns the path (static). */
static const char *file_of(const char *name, const void *data, size_t len)
{
	static char path[200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A bad file: exit 1, nothing on stdout, and a line that says why. */
static void expect_refused(const char *path, const char *why)
{
	char *out, *err;

	ck_assert_int_eq(
		ctl_run(NO_DAEMON,
			(char *[]){ "list", "--from", (char *)path, NULL },
			&out, &err),
		1);
	ck_assert_msg(!*out, "%s printed: %s", path, out);
	ck_assert_msg(strstr(err, why) && !strncmp(err, "sockwatchctl: ", 14),
		      "%s: %s", path, err);
	free(out);
	free(err);
}

/* The length of the netlink message at off (host order, as ss wrote). */
static size_t msg_len(const char *p, size_t off)
{
	uint32_t n;

	memcpy(&n, p + off, sizeof(n));
	return (n + 3) & ~3u;
}

/* Whether the message before off is a dump's NLMSG_DONE (type 3). */
static int done_before(const char *p, size_t off)
{
	size_t at = 0, last = 0;
	uint16_t type;

	for (; at < off; at += msg_len(p, at))
		last = at;
	memcpy(&type, p + last + 4, sizeof(type));
	return type == 3;
}

/*
 * Cut anywhere, a dump is refused: mid-message, or before a DONE; but
 * for the cut after the first dump, which leaves an IPv4 dump, whole.
 */
START_TEST(truncated_dumps_are_refused)
{
	size_t len, off = 0, cuts = 0;
	char *d = slurp_file(SS_DUMP, &len);

	for (off = 0; off < len; off += msg_len(d, off), cuts++) {
		/* after the IPv4 dump's DONE, what ss -4 -D writes: whole */
		if (off && !done_before(d, off))
			expect_refused(file_of("cut", d, off),
				       "before its NLMSG_DONE");
		else if (off)
			json_decref(from_doc(file_of("cut", d, off), NULL));
		/* seven bytes are not even a message's header */
		expect_refused(file_of("cut", d, off + 7),
			       off ? "is cut short"
				   : "neither a sockwatch recording");
	}
	ck_assert_uint_ge(cuts, 20);
	/* the dumps twice: each family's sockets twice over */
	d = realloc(d, len * 2);
	memcpy(d + len, d, len);
	expect_refused(file_of("twice", d, len * 2), "dump 3 is of IPv4 again");
	free(d);
}
END_TEST

/* Sets the type (and for an error, the code) of the message at off. */
static void msg_set(char *d, size_t off, uint16_t type, int32_t code)
{
	memcpy(d + off + 4, &type, sizeof(type));
	if (type == 2) /* NLMSG_ERROR: its code follows the header */
		memcpy(d + off + 16, &code, sizeof(code));
}

/*
 * What no dump of ss's holds whole is refused where it is: the kernel's
 * error or an acknowledgement in place of the NLMSG_DONE, a message of
 * another type, a state Linux has not. An old ss's replies, of type
 * TCPDIAG_GETSOCK, read as the new ones.
 */
START_TEST(dumps_of_other_kinds)
{
	size_t len, off, second = 0;
	char *d = slurp_file(SS_DUMP, &len);
	json_t *a, *b;

	char want[100];

	second = msg_len(d, 0);
	msg_set(d, second, 2, -13);
	snprintf(want, sizeof(want),
		 "ends at byte %zu with the kernel's error: Permission",
		 second);
	expect_refused(file_of("err", d, len), want);
	msg_set(d, second, 2, 0);
	expect_refused(file_of("ack", d, len), "with an acknowledgement");
	msg_set(d, second, 4, 0);
	snprintf(want, sizeof(want), "the message at byte %zu is of type 4",
		 second);
	expect_refused(file_of("other", d, len), want);
	free(d);
	d = slurp_file(SS_DUMP, &len); /* the error's code overwrote it */
	d[second + 16 + 1] = 99;       /* idiag_state */
	expect_refused(file_of("state", d, len), "in state 99");
	free(d);
	d = slurp_file(SS_DUMP, &len);
	for (off = 0; off < len; off += msg_len(d, off))
		if (d[off + 4] == 20)
			msg_set(d, off, 18, 0);
	a = from_doc(SS_DUMP, NULL);
	b = from_doc(file_of("old", d, len), NULL);
	ck_assert(json_equal(json_object_get(a, "groups"),
			     json_object_get(b, "groups")));
	json_decref(a);
	json_decref(b);
	free(d);
}
END_TEST

/* A file larger than any host's recording is refused before it is read. */
START_TEST(a_file_too_large_is_refused_unread)
{
	char path[200];
	int fd;

	snprintf(path, sizeof(path), "%s/huge", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)5 << 30), 0); /* sparse */
	close(fd);
	expect_refused(path, "more than 4 GiB");
}
END_TEST

START_TEST(what_is_no_recording_is_refused)
{
	static const char text[] = "State Recv-Q Send-Q\n";

	expect_refused(file_of("empty", "", 0),
		       "neither a sockwatch recording");
	expect_refused(file_of("text", text, sizeof(text) - 1),
		       "neither a sockwatch recording");
	expect_refused(dir, "is a directory");
	expect_refused("/nonexistent/file", "No such file");
}
END_TEST

/* --from is for list alone, and has no --fresh. */
START_TEST(from_goes_with_list_alone)
{
	static const char *const cmds[] = { "status", "events", "history" };
	char *out, *err;
	size_t i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ctl_run(NO_DAEMON,
					 (char *[]){ (char *)cmds[i], "--from",
						     SS_DUMP, NULL },
					 &out, &err),
				 2);
		ck_assert_msg(strstr(err, "--from goes with list"), "%s", err);
		free(out);
		free(err);
	}
	ck_assert_int_eq(ctl_run(NO_DAEMON,
				 (char *[]){ "list", "--fresh", "--from",
					     SS_DUMP, NULL },
				 &out, &err),
			 2);
	ck_assert_msg(strstr(err, "--from reads the one in the file"), "%s",
		      err);
	free(out);
	free(err);
}
END_TEST

/* A filter the reader refuses: exit 2, naming the file, not a daemon. */
START_TEST(bad_filter_names_the_file)
{
	char *out, *err;

	ck_assert_int_eq(ctl_run(NO_DAEMON,
				 (char *[]){ "list", "--from", SS_DUMP, "sport",
					     "=", "x:y", NULL },
				 &out, &err),
			 2);
	ck_assert_msg(!strncmp(err, "sockwatchctl: " SS_DUMP ": filter: ",
			       strlen("sockwatchctl: " SS_DUMP ": filter: ")),
		      "%s", err);
	free(out);
	free(err);
}
END_TEST

/* The live part: a daemon's picture, recorded, read back. */
static char sock_path[120];
static pid_t daemon_pid;

static void recorded_setup(void)
{
	netns_fresh();
	offline_setup();
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
}

static void recorded_teardown(void)
{
	ck_assert_int_eq(daemon_stop(daemon_pid), 0);
	offline_teardown();
}

/* A few sockets of every kind, one bound to a veth pair's end. */
static void recorded_world(void)
{
	int l = net_listen("127.0.0.1:8080", 8, 0, NULL);

	net_connect("127.0.0.1:8080", NULL, 0);
	net_accept(l);
	net_connect("127.0.0.1:8080", NULL, 0);
	l = net_listen("[::]:9090", 8, 0, NULL);
	net_connect("127.0.0.1:9090", NULL, 0);
	net_accept(l);
	net_udp("127.0.0.1:5300", NULL, 0);
	net_udp("127.0.0.1:0", "127.0.0.1:5300", 0);
	ck_assert_int_eq(system("ip link add swa type veth peer name swb"), 0);
	net_listen("0.0.0.0:7070", 4, 0, "swa");
}

static json_t *daemon_doc(char *const args[])
{
	char *argv[16] = { "list", "--json" }, *out;
	int n = 2, i;
	json_t *doc;

	for (i = 0; args && args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_int_eq(ctl_run(sock_path, argv, &out, NULL), 0);
	doc = json_doc(out);
	free(out);
	return doc;
}

/* The daemon's and the file's answers to args: the same groups, but
 * for the listeners' rates, which the daemon keeps beside its pictures. */
static void expect_same(const char *rec, char *const args[])
{
	json_t *live = daemon_doc(args), *file = from_doc(rec, args), *g;
	static const char *const keys[] = { "groups", "totals", "generation",
					    "host", "taken_at" };
	size_t i;

	json_array_foreach (json_object_get(live, "groups"), i, g)
		json_object_del(g, "rates");
	ck_assert_uint_gt(json_array_size(json_object_get(file, "groups")), 0);
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		ck_assert_msg(json_equal(json_object_get(live, keys[i]),
					 json_object_get(file, keys[i])),
			      "%s differs", keys[i]);
	json_decref(live);
	json_decref(file);
}

static const char *record_to(const char *name)
{
	static char path[200];
	char *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(ctl_run(sock_path, (char *[]){ "record", path, NULL },
				 &out, NULL),
			 0);
	free(out);
	return path;
}

START_TEST(recording_lists_as_the_daemon_did)
{
	json_t *doc, *src;
	const char *rec;

	recorded_world();
	daemon_pid = daemon_start(sock_path,
				  (char *[]){ "--interval", "60000", NULL });
	rec = record_to("rec");
	expect_same(rec, NULL);
	expect_same(rec, (char *[]){ "-c", NULL });
	expect_same(rec, (char *[]){ "--summary", NULL });
	expect_same(rec, (char *[]){ "sport", "=", ":8080", NULL });
	expect_same(rec, (char *[]){ "-l", "-4", NULL });
	doc = from_doc(rec, NULL);
	src = json_object_get(doc, "source");
	ck_assert_str_eq(json_string_value(json_object_get(src, "format")),
			 "recording");
	ck_assert_str_eq(json_string_value(json_object_get(src, "writer")),
			 "sockwatchd " SOCKWATCH_VERSION);
	ck_assert_int_eq(json_integer_value(json_object_get(src, "version")),
			 PICTURE_VERSION);
	json_decref(doc);
}
END_TEST

/* From standard input, as `ssh host sockwatchctl record -` gives it. */
START_TEST(recording_from_standard_input)
{
	char cmd[400], *out;
	json_t *doc;

	recorded_world();
	daemon_pid = daemon_start(sock_path, NULL);
	snprintf(cmd, sizeof(cmd),
		 BUILD_DIR "/sockwatchctl -s %s record - | " BUILD_DIR
			   "/sockwatchctl list --from - --json sport = :8080",
		 sock_path);
	ck_assert_int_eq(
		run_cmd((char *[]){ "sh", "-c", cmd, NULL }, &out, NULL), 0);
	doc = json_doc(out);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(doc, "totals"), "sockets")),
			 3);
	json_decref(doc);
	free(out);
}
END_TEST

/*
 * The names a filter gives are the recording's: a device gone from this
 * host since, the processes that held its sockets.
 */
START_TEST(names_come_from_the_recording)
{
	const char *rec;
	char *out, *err;

	recorded_world();
	daemon_pid = daemon_start(sock_path, NULL);
	rec = record_to("rec");
	ck_assert_int_eq(system("ip link del swa"), 0);
	out = from_out(rec, (char *[]){ "-H", "dev", "swa", NULL });
	ck_assert_msg(strstr(out, "LISTEN   tcp  0.0.0.0%swa:7070"), "%s", out);
	free(out);
	ck_assert_int_eq(ctl_run(NO_DAEMON,
				 (char *[]){ "list", "--from", (char *)rec,
					     "proc", "no-such-proc", NULL },
				 &out, &err),
			 0);
	ck_assert_msg(strstr(err, "no process in the file is named "
				  "\"no-such-proc\""),
		      "%s", err);
	free(out);
	free(err);
	/* the test binary held the sockets: no warning for its name */
	ck_assert_int_eq(ctl_run(NO_DAEMON,
				 (char *[]){ "list", "--from", (char *)rec,
					     "proc", "sockwatch-tests", NULL },
				 &out, &err),
			 0);
	ck_assert_msg(!*err && strstr(out, "127.0.0.1:8080"), "%s%s", err, out);
	free(out);
	free(err);
}
END_TEST

/* A recording cut short, of a version to come, or with a bad offset. */
START_TEST(damaged_recordings_are_refused)
{
	size_t len, cut;
	char *p;
	struct picture_header h;

	recorded_world();
	daemon_pid = daemon_start(sock_path, NULL);
	p = slurp_file(record_to("rec"), &len);
	for (cut = 0; cut < len; cut += len / 37 + 1)
		expect_refused(file_of("cut", p, cut),
			       cut < 8 ? "neither a sockwatch recording"
				       : "a sockwatch recording, but");
	memcpy(&h, p, sizeof(h));
	h.version = PICTURE_VERSION + 1;
	memcpy(p, &h, sizeof(h));
	expect_refused(file_of("v2", p, len), "version");
	h.version = PICTURE_VERSION;
	h.sect[PICTURE_STRINGS].off = len * 2;
	memcpy(p, &h, sizeof(h));
	expect_refused(file_of("off", p, len), "a sockwatch recording, but");
	free(p);
}
END_TEST

Suite *offline_suite(void)
{
	Suite *s = suite_create("offline");
	TCase *files = tcase_create("files");
	TCase *rec = tcase_create("recorded");

	tcase_add_checked_fixture(files, offline_setup, offline_teardown);
	tcase_add_test(files, ss_dump_holds_what_ss_reads);
	tcase_add_test(files, ss_dump_grouped_as_the_daemon_groups);
	tcase_add_test(files, filters_over_a_dump_match_ss);
	tcase_add_test(files, table_names_the_file);
	tcase_add_test(files, truncated_dumps_are_refused);
	tcase_add_test(files, dumps_of_other_kinds);
	tcase_add_test(files, a_file_too_large_is_refused_unread);
	tcase_add_test(files, what_is_no_recording_is_refused);
	tcase_add_test(files, from_goes_with_list_alone);
	tcase_add_test(files, bad_filter_names_the_file);
	suite_add_tcase(s, files);
	tcase_add_checked_fixture(rec, recorded_setup, recorded_teardown);
	tcase_set_timeout(rec, 60);
	tcase_add_test(rec, recording_lists_as_the_daemon_did);
	tcase_add_test(rec, recording_from_standard_input);
	tcase_add_test(rec, names_come_from_the_recording);
	tcase_add_test(rec, damaged_recordings_are_refused);
	suite_add_tcase(s, rec);
	return s;
}
