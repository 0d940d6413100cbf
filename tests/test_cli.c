/* SPDX-License-Identifier: ISC */
/* test_cli.c - sockwatchctl's exit statuses and messages, against a real
 * daemon where one is needed and a scripted one where a daemon would not
 * misbehave on cue. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "tests.h"
#include "util.h"

static char sock_path[100];
static char *dir;

static void cli_setup(void)
{
	dir = tmpdir_make();
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
}

static void cli_teardown(void)
{
	unlink(sock_path);
	rmdir(dir);
	free(dir);
}

/* A one-shot daemon that answers the first request line with reply. */
static pid_t fake_daemon(const char *reply)
{
	int l = unix_bind(sock_path, SOCK_STREAM), c;
	pid_t pid;
	char buf[256];

	ck_assert_int_eq(listen(l, 1), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_dies_with_parent();
		c = accept(l, NULL, NULL);
		if (c < 0 || read(c, buf, sizeof(buf)) <= 0)
			_exit(1);
		if (write(c, reply, strlen(reply)) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(l);
	return pid;
}

static int ctl(char *const args[], char **err)
{
	char *out;
	int rc = ctl_run(sock_path, args, &out, err);

	free(out);
	return rc;
}

static void expect_exit_on(const char *path, char *const args[], int status,
			   const char *text)
{
	char *out, *err;

	ck_assert_int_eq(ctl_run(path, args, &out, &err), status);
	ck_assert_msg(strstr(err, text) != NULL, "stderr: %s", err);
	free(out);
	free(err);
}

static void expect_exit(char *const args[], int status, const char *text)
{
	expect_exit_on(sock_path, args, status, text);
}

START_TEST(not_running_exits_3_naming_the_socket)
{
	expect_exit((char *[]){ "list", NULL }, 3, sock_path);
	expect_exit((char *[]){ "status", NULL }, 3, "sockwatchd --socket");
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	expect_exit((char *[]){ NULL }, 2, "usage");
	expect_exit((char *[]){ "frobnicate", NULL }, 2, "unknown command");
	expect_exit((char *[]){ "list", "--bogus", NULL }, 2,
		    "sockwatchctl: unrecognized option '--bogus'\n"
		    "sockwatchctl: see sockwatchctl --help\n");
	expect_exit((char *[]){ "list", "-tK", NULL }, 2,
		    "sockwatchctl: invalid option -- 'K'\n");
	expect_exit((char *[]){ "status", "extra", NULL }, 2,
		    "sockwatchctl: status takes no words after it, not "
		    "\"extra\"\n");
	expect_exit((char *[]){ "status", "--fresh", NULL }, 2, "--fresh");
}
END_TEST

/* One line on stderr, starting with the program's name, exit 2. */
static void refused_in_a_line(char *const args[], const char *text)
{
	char *err;

	ck_assert_int_eq(ctl(args, &err), 2);
	ck_assert_msg(!strncmp(err, "sockwatchctl: ", 14) &&
			      strchr(err, '\n') == err + strlen(err) - 1,
		      "stderr: %s", err);
	ck_assert_msg(strstr(err, text) != NULL, "stderr: %s", err);
	free(err);
}

/*
 * ss's options that sockwatch has no answer to are refused in a line
 * that names what it has; and --top takes a count, not anything strtoul
 * makes one.
 */
START_TEST(ss_options_sockwatch_lacks_say_so)
{
	refused_in_a_line((char *[]){ "list", "-x", NULL }, "ss -x");
	refused_in_a_line((char *[]){ "list", "-tulpx", NULL }, "ss -x");
	refused_in_a_line((char *[]){ "-o", "list", NULL }, "--outbound");
	refused_in_a_line((char *[]){ "list", "-to", NULL }, "--outbound");
	refused_in_a_line((char *[]){ "list", "--options", NULL }, "timers");
	refused_in_a_line((char *[]){ "list", "-i", NULL }, "--json");
	refused_in_a_line((char *[]){ "list", "-m", NULL }, "memory");
	refused_in_a_line((char *[]){ "list", "--top", "0", NULL }, "\"0\"");
	refused_in_a_line((char *[]){ "list", "--top", "-1", NULL }, "\"-1\"");
	refused_in_a_line(
		(char *[]){ "list", "--top", "99999999999999999999", NULL },
		"from 1 to");
	refused_in_a_line((char *[]){ "list", "--top", "+3", NULL }, "+3");
	refused_in_a_line((char *[]){ "list", "--top=3x", NULL }, "3x");
	refused_in_a_line((char *[]){ "frobnicate", NULL }, "list, status");
}
END_TEST

START_TEST(help_and_version)
{
	char *out, *err;

	ck_assert_int_eq(
		run_cmd((char *[]){ BUILD_DIR "/sockwatchctl", "--help", NULL },
			&out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(out, "list [--json] [--fresh] [FILTER]"));
	free(out);
	free(err);
	ck_assert_int_eq(
		run_cmd((char *[]){ BUILD_DIR "/sockwatchctl", "-V", NULL },
			&out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(out, "sockwatchctl "));
	free(out);
	free(err);
}
END_TEST

/* Without CAP_DAC_OVERRIDE even root meets the file mode. */
START_TEST(permission_denied_exits_4)
{
	pid_t pid = daemon_start(sock_path, NULL);
	char *out, *err;

	ck_assert_int_eq(chmod(sock_path, 0), 0);
	ck_assert_int_eq(
		run_cmd(
			(char *[]){
				"setpriv",
				"--bounding-set=-dac_override,-dac_read_search",
				BUILD_DIR "/sockwatchctl", "-s", sock_path,
				"status", NULL },
			&out, &err),
		4);
	ck_assert_msg(strstr(err, "permission denied on ") &&
			      strstr(err, ": the socket ") &&
			      strstr(err, " is mode 0000, open to no group; "
					  "this root lacks CAP_DAC_OVERRIDE\n"),
		      "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* A path that is no socket is said to be none, not "not running". */
START_TEST(a_path_that_is_no_socket_says_what_it_is)
{
	char under[200];
	int fd = open(sock_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_exit((char *[]){ "list", NULL }, 3,
		    " is not a socket but a file: is that sockwatchd's "
		    "--socket?\n");
	snprintf(under, sizeof(under), "%s/s.sock", sock_path);
	expect_exit_on(under, (char *[]){ "list", NULL }, 3,
		       "a part of the path is not a directory");
	ck_assert_int_eq(unlink(sock_path), 0);
	ck_assert_int_eq(mkdir(sock_path, 0700), 0);
	expect_exit((char *[]){ "status", NULL }, 3,
		    " is not a socket but a directory");
	ck_assert_int_eq(rmdir(sock_path), 0);
}
END_TEST

/* The table of a terminal is painted, unless the terminal is dumb. */
START_TEST(dumb_terminals_get_no_colour)
{
	static const char *const terms[] = { "xterm", "dumb" };
	pid_t pid = daemon_start(sock_path, NULL);
	int l = net_listen("127.0.0.1:8091", 4, 0, NULL);
	char cmd[512], *out, *err;
	size_t i;

	unsetenv("NO_COLOR");
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "TERM=%s %s/sockwatchctl --socket %s list --fresh",
			 terms[i], BUILD_DIR, sock_path);
		/* script(1) gives it a terminal of its own */
		ck_assert_int_eq(run_cmd((char *[]){ "script", "-qec", cmd,
						     "/dev/null", NULL },
					 &out, &err),
				 0);
		ck_assert_msg(strstr(out, "127.0.0.1:8091") != NULL, "%s", out);
		ck_assert_msg(!i == (strstr(out, "\033[32mLISTEN") != NULL),
			      "TERM=%s: %s", terms[i], out);
		ck_assert_msg(i == 0 || !strchr(out, '\033'), "%s", out);
		free(out);
		free(err);
	}
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

START_TEST(daemon_error_record_exits_1_with_its_message)
{
	pid_t pid = fake_daemon("{\"type\":\"error\",\"code\":\"unavailable\","
				"\"message\":\"no picture yet\"}\n");

	expect_exit((char *[]){ "list", "--json", NULL }, 1, "no picture yet");
	waitpid(pid, NULL, 0);
}
END_TEST

/* A filter that fits the line but not once JSON has escaped it. */
START_TEST(request_too_long_once_escaped_exits_2)
{
	pid_t pid = fake_daemon("");
	char *filter = malloc(40001);

	ck_assert_ptr_nonnull(filter);
	memset(filter, 0x7f, 40000); /* DEL: six bytes escaped */
	filter[40000] = '\0';
	expect_exit((char *[]){ "list", filter, NULL }, 2,
		    "shorten the filter");
	free(filter);
	waitpid(pid, NULL, 0); /* it read nothing: the client sent nothing */
}
END_TEST

/* A header as the daemon writes one, for the fake daemons. */
#define HEADER                                                                 \
	"{\"type\":\"header\",\"schema\":\"sockwatch/1\",\"host\":\"h\","      \
	"\"generation\":1,\"taken_at\":\"2026-12-02T00:00:00.000Z\","          \
	"\"scan_us\":1,\"age_ms\":1,\"interval_ms\":1000,"                     \
	"\"udp_available\":true}\n"
#define GROUP_HEAD                                                             \
	"{\"type\":\"group\",\"role\":\"listen\",\"proto\":\"tcp\","           \
	"\"endpoint\":{\"family\":\"inet\",\"addr\":\"0.0.0.0\",\"port\":22,"  \
	"\"dev\":null},\"counts\":{\"listen\":1},"
#define END_ONE                                                                \
	"{\"type\":\"end\",\"count\":1,\"totals\":{\"sockets\":1,"             \
	"\"groups\":1,\"tcp\":1,\"udp\":0}}\n"

/*
 * What the table reads it reads typed: a field the daemon renamed is an
 * error that names it, not a 0 in a column.
 */
START_TEST(renamed_fields_are_errors_not_zeros)
{
	static const char *const answers[][2] = {
		{ "{\"type\":\"header\",\"schema\":\"sockwatch/1\","
		  "\"host\":\"h\",\"generation\":1,\"taken_at\":\"t\","
		  "\"scan_us\":1,\"age\":1,\"interval_ms\":1000,"
		  "\"udp_available\":true}\n" END_ONE,
		  "age_ms" },
		{ HEADER GROUP_HEAD
		  "\"accept_queue\":{\"length\":0,\"max\":8},"
		  "\"nsockets\":1,\"nconnections\":0}\n" END_ONE,
		  "len" },
		{ HEADER GROUP_HEAD
		  "\"nsocks\":1,\"nconnections\":0}\n" END_ONE,
		  "nsockets" },
		{ HEADER GROUP_HEAD
		  "\"processes\":[{\"pid\":1,\"command\":\"x\","
		  "\"user\":\"root\",\"unit\":null}],"
		  "\"nsockets\":1,\"nconnections\":0}\n" END_ONE,
		  "comm" },
		{ HEADER "{\"type\":\"end\",\"count\":0,\"totals\":"
			 "{\"sockets\":0,\"groups\":0,\"tcp\":0}}\n",
		  "udp" },
	};
	size_t i;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		pid_t pid = fake_daemon(answers[i][0]);

		expect_exit((char *[]){ "list", "-c", NULL }, 1, answers[i][1]);
		waitpid(pid, NULL, 0);
		unlink(sock_path);
	}
}
END_TEST

/* The same holds for a member of a group the table shows. */
START_TEST(a_member_missing_a_field_is_an_error)
{
	pid_t pid = fake_daemon(HEADER GROUP_HEAD
				"\"sockets\":[{\"family\":\"inet\","
				"\"state\":\"listen\",\"local\":{\"addr\":"
				"\"0.0.0.0\",\"port\":22},\"remote\":{\"addr\":"
				"\"0.0.0.0\",\"port\":0},\"inode\":1,\"uid\":0,"
				"\"cookie\":\"1\",\"recv_q\":0,\"wqueue\":8,"
				"\"dev\":null}],\"connections\":[]}\n" END_ONE);

	expect_exit((char *[]){ "list", NULL }, 1, "rqueue");
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(answer_cut_short_exits_1)
{
	pid_t pid = fake_daemon(HEADER
				"{\"type\":\"group\",\"role\":\"listen\"}\n");

	expect_exit((char *[]){ "list", "--json", NULL }, 1, "cut short");
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(end_that_miscounts_exits_1)
{
	pid_t pid =
		fake_daemon(HEADER "{\"type\":\"end\",\"count\":3,\"totals\":"
				   "{\"sockets\":0,\"groups\":0,\"tcp\":0,"
				   "\"udp\":0}}\n");

	expect_exit((char *[]){ "list", NULL }, 1, "announced 3 groups");
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(environment_names_the_socket)
{
	pid_t pid = daemon_start(sock_path, NULL);
	char *out, *err;

	setenv("SOCKWATCH_SOCKET", sock_path, 1);
	ck_assert_int_eq(
		run_cmd((char *[]){ BUILD_DIR "/sockwatchctl", "status", NULL },
			&out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(out, "sockwatchd " SOCKWATCH_VERSION));
	unsetenv("SOCKWATCH_SOCKET");
	free(out);
	free(err);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

/* What the completion offers for words, as bash drives it: COMPREPLY. */
static char *complete(const char *words)
{
	char script[2048], *out, *err;

	snprintf(script, sizeof(script),
		 "PATH=%s:$PATH; source completion/sockwatchctl.bash; "
		 "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); "
		 "_sockwatchctl; echo \"${COMPREPLY[*]}\"",
		 BUILD_DIR, words);
	ck_assert_int_eq(
		run_cmd((char *[]){ "bash", "-c", script, NULL }, &out, &err),
		0);
	ck_assert_msg(!*err, "%s: %s", words, err);
	out[strcspn(out, "\n")] = '\0';
	free(err);
	return out;
}

static void offers(const char *words, const char *want)
{
	char *got = complete(words);

	ck_assert_msg(!strcmp(got, want), "%s: \"%s\", not \"%s\"", words, got,
		      want);
	free(got);
}

/* Whether the completion of words offers word among others. */
static int offers_word(const char *words, const char *word)
{
	char *got = complete(words), *w, *save = NULL;
	int found = 0;

	for (w = strtok_r(got, " ", &save); w && !found;
	     w = strtok_r(NULL, " ", &save))
		found = !strcmp(w, word);
	free(got);
	return found;
}

/* The first value of key in the JSON text, "" for null. */
static char *first_value(const char *json, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no %s in %s", key, json);
	p += strlen(pat);
	if (*p != '"')
		return strdup(""); /* null */
	p++;
	return strndup(p, strcspn(p, "\""));
}

/* The bash completion, driven as bash drives it. */
START_TEST(bash_completion)
{
	offers("sockwatchctl ''", "list status record events history");
	offers("sockwatchctl list --so", "--socket --socket-owner --sort");
	offers("sockwatchctl list state listen", "listening");
	offers("sockwatchctl list --sort q", "queue");
	offers("sockwatchctl list ro", "role");
	offers("sockwatchctl record --f", "--fresh");
	offers("sockwatchctl history --si", "--since");
	offers("sockwatchctl history --since ''", "90s 30m 1h 1d");
	offers("sockwatchctl list --fr", "--fresh --from");
	ck_assert(offers_word("sockwatchctl list --from tests/data/ss-D.d",
			      "tests/data/ss-D.dump"));
	/* after --from, the names of the file's holders: a recording of a
	 * namespace where python3 held the sockets */
	offers("sockwatchctl list --from "
	       "tests/data/fuzz/recording/seed-recorded proc py",
	       "python3");
	offers("sockwatchctl events -t dp", "dport");
	offers("sockwatchctl events --js", "--json --jsonl");
	offers("sockwatchctl list --sum", "--summary");
	offers("sockwatchctl list --pr", "--processes --pretty");
	offers("sockwatchctl list --col", "--color");
	/* bash splits the word at "=", as COMP_WORDBREAKS says */
	offers("sockwatchctl list --color = al", "always");
	offers("sockwatchctl list --color =", "auto always never");
	offers("sockwatchctl list --sort = li", "live");
	offers("sockwatchctl list --ext", "--extended");
	offers("sockwatchctl list --out", "--outbound");
	offers("sockwatchctl list state ''",
	       "all connected synchronized bucket big established syn-sent "
	       "syn-recv fin-wait-1 fin-wait-2 time-wait unconnected closed "
	       "close-wait last-ack listening closing");
	offers("sockwatchctl list dev l", "lo");
	offers("sockwatchctl list dev = l", "lo");
	offers("sockwatchctl list -s ''",
	       "state exclude src dst sport dport "
	       "dev and or not role local proc pid user "
	       "unit queue proto family");
	ck_assert(offers_word("sockwatchctl list -r", "-r"));
	ck_assert(offers_word("sockwatchctl list -", "-e"));
	ck_assert(offers_word("sockwatchctl list -", "-s"));
	ck_assert(!offers_word("sockwatchctl list -", "-o"));
	ck_assert(!offers_word("sockwatchctl list -", "-m"));
	ck_assert(offers_word("sockwatchctl -", "-s"));
	/* services(5) of netbase, which CI installs */
	ck_assert(offers_word("sockwatchctl list sport ss", "ssh"));
	ck_assert(offers_word("sockwatchctl list dport = ht", "http"));
	ck_assert(offers_word("sockwatchctl list sport ''", "ge"));
	/* > and < would be the shell's redirections */
	ck_assert(!offers_word("sockwatchctl list sport ''", ">"));
}
END_TEST

/*
 * proc, user and unit are offered the names of the daemon's picture, of
 * the daemon the command line names.
 */
/*
 * The listing of port 8090 once its holder is known: attribution reads
 * at most so many fd links an update, and a host with processes of a
 * hundred thousand fds (a benchmark's) takes a few to reach this one.
 */
static char *listing_with_holder(void)
{
	char *json = NULL, *err;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		free(json);
		ck_assert_int_eq(
			ctl_run(sock_path,
				(char *[]){ "list", "--fresh", "--json",
					    "sport = :8090", NULL },
				&json, &err),
			0);
		free(err);
		if (strstr(json, "\"comm\":"))
			break;
		usleep(200000);
	}
	return json;
}

START_TEST(completion_names_from_the_picture)
{
	pid_t pid = daemon_start(sock_path, NULL);
	int l = net_listen("127.0.0.1:8090", 4, 0, NULL);
	char words[512], *json = listing_with_holder(), *want;

	want = first_value(json, "comm");
	snprintf(words, sizeof(words),
		 "sockwatchctl --socket %s list proc %.3s", sock_path, want);
	ck_assert_msg(offers_word(words, want), "%s: no %s", words, want);
	free(want);
	want = first_value(json, "user");
	snprintf(words, sizeof(words), "sockwatchctl -s %s list user ''",
		 sock_path);
	ck_assert_msg(offers_word(words, want), "%s: no %s", words, want);
	free(want);
	want = first_value(json, "unit");
	snprintf(words, sizeof(words),
		 "sockwatchctl --socket = %s list sport = :80 or unit ''",
		 sock_path);
	if (*want) /* the test runs in a unit */
		ck_assert_msg(offers_word(words, want), "%s: no %s", words,
			      want);
	else /* in none, and nothing else holds a socket: none offered */
		offers(words, "");
	free(want);
	free(json);
	close(l);
	ck_assert_int_eq(daemon_stop(pid), 0);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("exit statuses");

	tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, not_running_exits_3_naming_the_socket);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, ss_options_sockwatch_lacks_say_so);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, permission_denied_exits_4);
	tcase_add_test(tc, a_path_that_is_no_socket_says_what_it_is);
	tcase_add_test(tc, dumb_terminals_get_no_colour);
	tcase_add_test(tc, daemon_error_record_exits_1_with_its_message);
	tcase_add_test(tc, request_too_long_once_escaped_exits_2);
	tcase_add_test(tc, answer_cut_short_exits_1);
	tcase_add_test(tc, end_that_miscounts_exits_1);
	tcase_add_test(tc, renamed_fields_are_errors_not_zeros);
	tcase_add_test(tc, a_member_missing_a_field_is_an_error);
	tcase_add_test(tc, environment_names_the_socket);
	tcase_add_test(tc, bash_completion);
	tcase_add_test(tc, completion_names_from_the_picture);
	suite_add_tcase(s, tc);
	return s;
}
