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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "tests.h"
#include "utf8.h"
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

/*
 * The table's width (issue 11). A scene in a namespace of its own: an
 * IPv4 listener with a client, a dual-stack [::] listener with an IPv4
 * client (v4-mapped members) and an IPv6 one, and a listener held by
 * HOLDERS processes, whose owners make lines longer than 80 columns.
 * The listeners accept nothing: their queues are painted under --color.
 */
#define HOLDERS 12

struct scene {
	pid_t daemon;
	pid_t holders[HOLDERS];
	int fds[8];
	int nfds;
};

static void scene_start(struct scene *sc)
{
	static const char *const clients[] = { "127.0.0.1:8101",
					       "127.0.0.1:8102", "[::1]:8102" };
	int held;
	size_t i;

	netns_fresh();
	memset(sc, 0, sizeof(*sc));
	sc->daemon = daemon_start(sock_path, NULL);
	/* first, so that the holders hold it alone */
	held = net_listen("127.0.0.1:8103", 16, 0, NULL);
	for (i = 0; i < HOLDERS; i++)
		/* named in UTF-8: a cut must not split its characters */
		sc->holders[i] = listener_child(NULL, "h\u00f6ld\u00e9r", 0);
	close(held);
	sc->fds[sc->nfds++] = net_listen("127.0.0.1:8101", 16, 0, NULL);
	sc->fds[sc->nfds++] = net_listen("[::]:8102", 16, 0, NULL);
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++)
		sc->fds[sc->nfds++] = net_connect(clients[i], NULL, 0);
}

static void scene_stop(struct scene *sc)
{
	int i;

	for (i = 0; i < HOLDERS; i++) {
		kill(sc->holders[i], SIGKILL);
		waitpid(sc->holders[i], NULL, 0);
	}
	for (i = 0; i < sc->nfds; i++)
		close(sc->fds[i]);
	ck_assert_int_eq(daemon_stop(sc->daemon), 0);
}

/*
 * The display columns of n bytes of a line of the table: a colour
 * escape takes none, a UTF-8 sequence one (the table's glyphs and its
 * ellipsis are all narrow, and the scene's names are ASCII).
 */
static size_t cols_of(const char *s, size_t n)
{
	size_t cols = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\033') {
			while (i < n && s[i] != 'm')
				i++;
			continue;
		}
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	}
	return cols;
}

/* Where the kth word of line starts (0 the first), in bytes. */
static size_t word_at(const char *line, int k)
{
	size_t i = strspn(line, " ");

	while (k-- > 0 && line[i]) {
		i += strcspn(line + i, " ");
		i += strspn(line + i, " ");
	}
	return i;
}

/* A member's line (a branch of the tree), 2; the titles' 1; else 0. */
static int columned(const char *line)
{
	if (!strncmp(line, "     State", 10))
		return 1;
	return 2 * (!strncmp(line, "  |-", 4) || !strncmp(line, "  `-", 4) ||
		    !strncmp(line, "  \u251c\u2500", 8) ||
		    !strncmp(line, "  \u2514\u2500", 8));
}

/* What a table says of its columns and its cuts. */
struct table_seen {
	size_t widest;		     /* the widest line, in columns */
	size_t local, remote, queue; /* where those columns start */
	int misaligned;		     /* lines whose columns start elsewhere */
	size_t longest;		     /* the longest local address, in columns */
	size_t gap;		     /* from its end to the Remote column */
	int cut;		     /* lines that end with an ellipsis */
	const char *holders;	     /* the held listener's group line */
	size_t holders_len;
};

static void seen_columns(struct table_seen *t, const char *line, int first)
{
	size_t at[3], c[3], len;
	int i;

	for (i = 0; i < 3; i++) {
		at[i] = word_at(line, first + i);
		c[i] = cols_of(line, at[i]);
	}
	if (t->remote &&
	    (c[0] != t->local || c[1] != t->remote || c[2] != t->queue))
		t->misaligned++;
	t->local = c[0];
	t->remote = c[1];
	t->queue = c[2];
	len = cols_of(line + at[0], strcspn(line + at[0], " "));
	if (first == 2 && len > t->longest) {
		t->longest = len;
		t->gap = c[1] - c[0] - len;
	}
}

static void table_look(const char *out, struct table_seen *t)
{
	const char *line = out;

	memset(t, 0, sizeof(*t));
	while (*line) {
		size_t n = strcspn(line, "\n");
		char *copy = strndup(line, n);

		ck_assert_ptr_nonnull(copy);
		if (cols_of(line, n) > t->widest)
			t->widest = cols_of(line, n);
		if (columned(copy))
			seen_columns(t, copy, columned(copy));
		if ((n >= 3 && !strncmp(line + n - 3, "...", 3)) ||
		    (n >= 3 && !strncmp(line + n - 3, "\u2026", 3)))
			t->cut++;
		if (!strncmp(line, "LISTEN", 6) && strstr(copy, ":8103 ")) {
			t->holders = line;
			t->holders_len = n;
		}
		free(copy);
		line += n + (line[n] == '\n');
	}
}

/* Whether the held listener's group line ends with ell. */
static int holders_cut(const struct table_seen *t, const char *ell)
{
	size_t n = strlen(ell);

	return t->holders && t->holders_len > n &&
	       !strncmp(t->holders + t->holders_len - n, ell, n);
}

/* Whether every holder's pid is on the held listener's group line. */
static int holders_all_named(const struct table_seen *t, const struct scene *sc)
{
	char *line, pid[16];
	int i, all = 1;

	if (!t->holders)
		return 0;
	line = strndup(t->holders, t->holders_len);
	ck_assert_ptr_nonnull(line);
	for (i = 0; i < HOLDERS && all; i++) {
		const char *p;
		size_t n = (size_t)snprintf(pid, sizeof(pid), "%d",
					    (int)sc->holders[i]);

		all = 0;
		for (p = strstr(line, pid); p && !all; p = strstr(p + 1, pid))
			all = strchr("(,", p[-1]) && strchr(",)", p[n]);
	}
	free(line);
	return all;
}

static char *table_with(const char *columns, const char *locale,
			char *const args[])
{
	char *out, *err;

	if (columns)
		setenv("COLUMNS", columns, 1);
	else
		unsetenv("COLUMNS");
	setenv("LC_ALL", locale, 1);
	ck_assert_int_eq(ctl_run(sock_path, args, &out, &err), 0);
	ck_assert_msg(!*err, "%s", err);
	free(err);
	return out;
}

/* The columns as the scene's table must have them, wherever it is shown. */
static void columns_as_they_should_be(const struct table_seen *t,
				      const char *out)
{
	ck_assert_msg(strstr(out, "[::ffff:127.0.0.1]:8102") &&
			      strstr(out, "[::1]:8102") &&
			      strstr(out, "127.0.0.1:8101"),
		      "%s", out);
	ck_assert_msg(t->remote && !t->misaligned, "%s", out);
	/* the Remote column follows the longest local address closely */
	ck_assert_msg(t->longest >= strlen("[::ffff:127.0.0.1]:8102") &&
			      t->gap >= 1 && t->gap <= 3,
		      "gap %zu: %s", t->gap, out);
}

/*
 * COLUMNS cuts every line to its width, the ellipsis last; the addresses
 * stay whole and where they were; group lines alone (-c) fit it too.
 */
START_TEST(lines_are_cut_to_the_width)
{
	static const char *const locales[] = { "C.UTF-8", "C" };
	static const char *const ells[] = { "\u2026", "..." };
	struct scene sc;
	struct table_seen t;
	size_t i;

	scene_start(&sc);
	for (i = 0; i < 2; i++) {
		char *out = table_with("80", locales[i],
				       (char *[]){ "list", "--fresh", NULL });

		table_look(out, &t);
		ck_assert_msg(t.widest <= 80, "%zu: %s", t.widest, out);
		ck_assert_msg(t.cut >= 2 && holders_cut(&t, ells[i]), "%s",
			      out);
		columns_as_they_should_be(&t, out);
		free(out);
		out = table_with("60", locales[i],
				 (char *[]){ "list", "-c", NULL });
		table_look(out, &t);
		ck_assert_msg(t.widest <= 60 && holders_cut(&t, ells[i]), "%s",
			      out);
		free(out);
	}
	scene_stop(&sc);
}
END_TEST

/*
 * A colour is never left on by a cut, nor an escape split: the painted
 * queue of a listener with connections waiting is cut in its middle.
 */
START_TEST(a_cut_ends_the_colour)
{
	struct scene sc;
	char *out;

	scene_start(&sc);
	/* LISTEN   tcp  127.0.0.1:8101  queue 1/16: cut after "queue" */
	out = table_with("36", "C.UTF-8",
			 (char *[]){ "list", "--fresh", "-c", "--color=always",
				     "sport = :8101", NULL });
	ck_assert_msg(strstr(out, "  \033[33mqueue\033[0m\u2026\n"), "%s", out);
	free(out);
	scene_stop(&sc);
}
END_TEST

/* Whether a line leaves a colour on: an escape after the last reset. */
static int colour_left_on(const char *line, size_t n)
{
	const char *last = NULL, *p;

	for (p = line; (p = memchr(p, '\033', n - (size_t)(p - line))); p++)
		last = p;
	return last && strncmp(last, "\033[0m", 4) != 0;
}

/*
 * Wherever a cut falls, in a name in UTF-8 or in a painted word, it
 * splits no character and leaves no colour on; group lines fit.
 */
START_TEST(a_cut_splits_nothing)
{
	struct scene sc;
	char w[16];
	int width;

	scene_start(&sc);
	free(table_with("80", "C.UTF-8",
			(char *[]){ "list", "--fresh", "-c", NULL }));
	for (width = 36; width <= 110; width++) {
		char *out, *line;

		snprintf(w, sizeof(w), "%d", width);
		out = table_with(w, "C.UTF-8",
				 (char *[]){ "list", "--color=always", NULL });
		ck_assert_msg(utf8_bad_at(out) < 0, "%d: %s", width, out);
		for (line = out; *line; line += strcspn(line, "\n") + 1) {
			size_t n = strcspn(line, "\n");

			ck_assert_msg(!colour_left_on(line, n), "%d: %s", width,
				      out);
			ck_assert_msg(!strncmp(line, "  ", 2) ||
					      cols_of(line, n) <= (size_t)width,
				      "%d: %s", width, out);
			if (!line[n])
				break;
		}
		free(out);
	}
	scene_stop(&sc);
}
END_TEST

/*
 * Without COLUMNS and with no terminal at all (setsid: no controlling
 * one; stdout a pipe), as under cron or CI, nothing is cut.
 */
START_TEST(no_terminal_no_cut)
{
	struct scene sc;
	struct table_seen t;
	char *out, *err;

	scene_start(&sc);
	unsetenv("COLUMNS");
	ck_assert_int_eq(
		run_cmd((char *[]){ "setsid", "-w", BUILD_DIR "/sockwatchctl",
				    "-s", sock_path, "list", "--fresh", NULL },
			&out, &err),
		0);
	table_look(out, &t);
	ck_assert_msg(!t.cut && holders_all_named(&t, &sc), "%s", out);
	ck_assert_msg(t.widest > 80, "%s", out);
	columns_as_they_should_be(&t, out);
	free(out);
	free(err);
	scene_stop(&sc);
}
END_TEST

/* 200 columns: the address columns as wide as their longest address. */
START_TEST(a_wide_terminal_gets_no_wide_gaps)
{
	struct scene sc;
	struct table_seen t;
	char *out;

	scene_start(&sc);
	out = table_with("200", "C", (char *[]){ "list", "--fresh", NULL });
	table_look(out, &t);
	ck_assert_msg(!t.cut && holders_all_named(&t, &sc), "%s", out);
	columns_as_they_should_be(&t, out);
	free(out);
	scene_stop(&sc);
}
END_TEST

/* `list | less` from a terminal: the pipe's table fits the terminal. */
START_TEST(a_pipe_from_a_terminal_fits_it)
{
	struct scene sc;
	struct table_seen t;
	char cmd[512], *out, *err, *r;

	scene_start(&sc);
	unsetenv("COLUMNS");
	setenv("LC_ALL", "C", 1);
	snprintf(cmd, sizeof(cmd),
		 "stty cols 77 rows 50; %s/sockwatchctl -s %s list --fresh "
		 "| cat",
		 BUILD_DIR, sock_path);
	/* script(1) gives it a controlling terminal of its own */
	ck_assert_int_eq(
		run_cmd((char *[]){ "script", "-qec", cmd, "/dev/null", NULL },
			&out, &err),
		0);
	while ((r = strchr(out, '\r')))
		memmove(r, r + 1, strlen(r));
	table_look(out, &t);
	ck_assert_msg(t.widest <= 77 && holders_cut(&t, "..."), "%s", out);
	columns_as_they_should_be(&t, out);
	free(out);
	free(err);
	scene_stop(&sc);
}
END_TEST

/*
 * What a terminal shows: the table in a tmux pane of width columns,
 * wrapped lines joined (-J), so that a line too long is seen as one.
 */
static char *tmux_pane(int width, const char *pipe)
{
	char tsock[128], cmd[512], w[16], *out = NULL, *err = NULL, *w2;
	uint64_t deadline = now_ms() + 20000;

	snprintf(tsock, sizeof(tsock), "%s/tmux.sock", dir);
	snprintf(w, sizeof(w), "%d", width);
	snprintf(cmd, sizeof(cmd),
		 "%s/sockwatchctl -s %s list --fresh%s; "
		 "sleep 60",
		 BUILD_DIR, sock_path, pipe);
	ck_assert_int_eq(run_cmd((char *[]){ "tmux", "-S", tsock, "-f",
					     "/dev/null", "new-session", "-d",
					     "-x", w, "-y", "60", cmd, NULL },
				 &out, &err),
			 0);
	do {
		free(out);
		free(err);
		usleep(100000);
		ck_assert_int_eq(
			run_cmd((char *[]){ "tmux", "-S", tsock, "capture-pane",
					    "-p", "-J", NULL },
				&out, &err),
			0);
	} while (!strstr(out, " groups\n") && now_ms() < deadline);
	free(err);
	if (run_cmd((char *[]){ "tmux", "-S", tsock, "kill-server", NULL }, &w2,
		    NULL) >= 0)
		free(w2);
	unlink(tsock);
	return out;
}

/*
 * The same in a real terminal (tmux's), of 80 and of 200 columns, its
 * own width taken from it, and from the controlling terminal for a pipe.
 */
START_TEST(tmux_panes_of_80_and_200_columns)
{
	static const struct {
		int width;
		const char *pipe;
	} panes[] = { { 80, "" }, { 80, " | cat" }, { 200, "" } };
	struct scene sc;
	struct table_seen t;
	size_t i;

	scene_start(&sc);
	unsetenv("COLUMNS");
	unsetenv("LINES");
	setenv("LC_ALL", "C.UTF-8", 1);
	for (i = 0; i < sizeof(panes) / sizeof(panes[0]); i++) {
		char *out = tmux_pane(panes[i].width, panes[i].pipe);

		table_look(out, &t);
		ck_assert_msg(strstr(out, " groups\n") &&
				      t.widest <= (size_t)panes[i].width,
			      "%d columns%s: %s", panes[i].width, panes[i].pipe,
			      out);
		if (panes[i].width == 80)
			ck_assert_msg(holders_cut(&t, "\u2026"), "%s", out);
		else
			ck_assert_msg(!t.cut && holders_all_named(&t, &sc),
				      "%s", out);
		columns_as_they_should_be(&t, out);
		free(out);
	}
	scene_stop(&sc);
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
	tc = tcase_create("width");
	tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lines_are_cut_to_the_width);
	tcase_add_test(tc, a_cut_ends_the_colour);
	tcase_add_test(tc, a_cut_splits_nothing);
	tcase_add_test(tc, no_terminal_no_cut);
	tcase_add_test(tc, a_wide_terminal_gets_no_wide_gaps);
	tcase_add_test(tc, a_pipe_from_a_terminal_fits_it);
	tcase_add_test(tc, tmux_panes_of_80_and_200_columns);
	suite_add_tcase(s, tc);
	return s;
}
