/* SPDX-License-Identifier: ISC */
/* main.c - sockwatchctl: one request to sockwatchd, printed. */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "names.h"
#include "offline.h"
#include "record.h"
#include "listing.h"
#include "render.h"
#include "timeline.h"
#include "utf8.h"

#define DEFAULT_SOCKET "/run/sockwatch/sockwatchd.sock"
#define TOP_MAX 1000000000u /* more groups than any host holds */

struct opts {
	const char *socket;
	const char *socket_owner; /* --socket-owner, $SOCKWATCH_SOCKET_OWNER */
	const char *from;	  /* --from FILE: no daemon, a file */
	int json;
	int jsonl;
	int pretty;
	int resolve;	   /* -r */
	const char *color; /* --color=WHEN, NULL for auto */
	int fresh;
	int tcp, udp, v4, v6; /* -t -u -4 -6 */
	int prefer;	      /* AF_INET or AF_INET6: the last of -4 -6 */
	int listening;	      /* -l */
	int outbound;	      /* -o */
	struct table_opts table;
	char *filter; /* the words after the command, joined as ss joins them */
	long long since_ms; /* history --since; 0: all */
};

static void usage(FILE *f, int status)
{
	fprintf(f,
		"usage: sockwatchctl [-s|--socket PATH] COMMAND [OPTIONS]\n"
		"       sockwatchctl -h|--help | -V|--version\n"
		"\n"
		"Commands:\n"
		"  list [--json] [--fresh] [FILTER]\n"
		"                           every TCP and UDP socket, grouped "
		"by listener\n"
		"                           and by remote endpoint; FILTER is "
		"an ss filter\n"
		"                           (state listening sport = :22, "
		"dst 10.0.0.0/8)\n"
		"  list --from FILE [FILTER]\n"
		"                           the same from a recording, or from "
		"ss -D FILE's\n"
		"                           dump, with no daemon\n"
		"  status [--json]          what the daemon is doing\n"
		"  record [--fresh] FILE    the picture, as it is, into FILE "
		"(- for\n"
		"                           standard output), for reading "
		"later\n"
		"  events [--json] [FILTER] what happens, as it happens: "
		"opens, closes\n"
		"                           (with bytes and lifetime), "
		"listeners, full\n"
		"                           accept queues; until interrupted\n"
		"  history [--since DURATION] [-c] [--json] [FILTER]\n"
		"                           connections closed lately, grouped "
		"like list,\n"
		"                           newest first (--since 1h, 30m, "
		"90s)\n"
		"\n"
		"Options (after the command, the short ones are ss's: "
		"-tulpn):\n"
		"  -s, --socket PATH  sockwatchd's socket (default %s,\n"
		"                     or $SOCKWATCH_SOCKET); -s before the "
		"command only\n"
		"      --socket-owner USER\n"
		"                     trust a daemon of USER as well as "
		"root's\n"
		"                     (or $SOCKWATCH_SOCKET_OWNER)\n"
		"  -j, --json         one JSON document (see "
		"sockwatch-json(7))\n"
		"      --jsonl        the records as the daemon streams them\n"
		"      --pretty       --json, indented\n"
		"  -f, --fresh        have the daemon take a new picture "
		"first\n"
		"  -t, --tcp          TCP only      -u, --udp   UDP only\n"
		"  -4, --ipv4         IPv4 only     -6, --ipv6  IPv6 only\n"
		"  -l, --listening    listeners only, no connections\n"
		"  -a, --all          every socket (the default; undoes -l)\n"
		"      --outbound     outbound groups only\n"
		"  -c, --counts       one line a group: its counts and queue\n"
		"  -s, --summary      counts by protocol and state, and each "
		"listener\n"
		"                     (-s after the command)\n"
		"  -e, --extended     each socket's uid, inode and cookie, as "
		"ss -e\n"
		"  -n, -p             accepted: numeric and processes are the "
		"default\n"
		"  -r, --resolve      service and host names (may ask DNS)\n"
		"      --color[=WHEN] auto (a terminal, no NO_COLOR), always, "
		"never\n"
		"      --sort FIELD   groups by conns, live (conns not in "
		"time-wait),\n"
		"                     queue, sockets (most first) or port\n"
		"      --top N        the first N groups only\n"
		"  -H, --no-header    no lines about the picture and the "
		"totals\n"
		"\n"
		"Filters, as ss(8) takes them, plus sockwatch's own terms:\n"
		"  sockwatchctl list state listening\n"
		"  sockwatchctl list -c --sort conns --top 10\n"
		"  sockwatchctl list 'dport = :443 or dport = :80'\n"
		"  sockwatchctl list 'src 10.0.0.0/8' and proc nginx\n"
		"  sockwatchctl list role listen queue '>' 0\n"
		"  sockwatchctl history --since 1h sport = :5432\n"
		"  sockwatchctl events dport = :443\n"
		"\n"
		"Exit status: 0 ok, 1 daemon error, 2 usage, 3 daemon not "
		"running,\n"
		"4 permission denied.\n",
		DEFAULT_SOCKET);
	exit(status);
}

/* The options that choose what is listed and how; 1 when c was one. */
static int parse_view_opt(struct opts *o, int c)
{
	unsigned long long top;
	char *end;

	switch (c) {
	case 'J':
		o->jsonl = 1;
		return 1;
	case 'P':
		o->pretty = o->json = 1;
		return 1;
	case 't':
		o->tcp = 1;
		return 1;
	case 'u':
		o->udp = 1;
		return 1;
	case '4':
		o->v4 = 1;
		o->prefer = AF_INET;
		return 1;
	case '6':
		o->v6 = 1;
		o->prefer = AF_INET6;
		return 1;
	case 'l':
		o->listening = 1;
		return 1;
	case 'a': /* ss's -a after -l: every state again */
		o->listening = 0;
		return 1;
	case 'n': /* numeric is the default */
	case 'p': /* processes are shown to whoever may see them */
		return 1;
	case 'e':
		o->table.extended = 1;
		return 1;
	case 'B':
		o->outbound = 1;
		return 1;
	case 'c':
		o->table.members = 0;
		return 1;
	case 'H':
		o->table.header = 0;
		return 1;
	case 's':
		o->table.summary = 1;
		return 1;
	case 'r':
		o->resolve = 1;
		return 1;
	case 'C':
		o->color = optarg ? optarg : "always";
		if (strcmp(o->color, "auto") != 0 &&
		    strcmp(o->color, "always") != 0 &&
		    strcmp(o->color, "never") != 0)
			errx(EXIT_USAGE, "--color takes auto, always or never");
		return 1;
	case 'S':
		if (!listing_sort_ok(optarg))
			errx(EXIT_USAGE,
			     "--sort takes conns, live, queue, sockets "
			     "or port, not \"%s\"",
			     optarg);
		o->table.sort = optarg;
		return 1;
	case 'T':
		errno = 0;
		top = strtoull(optarg, &end, 10);
		/* strtoull would take "-1" as the largest number */
		if (!isdigit((unsigned char)*optarg) || *end || errno || !top ||
		    top > TOP_MAX)
			errx(EXIT_USAGE,
			     "--top takes a number of groups from 1 to %u, "
			     "not \"%s\"",
			     TOP_MAX, optarg);
		o->table.top = (size_t)top;
		return 1;
	}
	return 0;
}

/*
 * ss's options sockwatch has no answer to yet: one line on what it has,
 * not a page of usage.
 */
static void refuse_ss_opt(int c)
{
	switch (c) {
	case 'i':
		errx(EXIT_USAGE, "-i (TCP internals) is not in sockwatch yet; "
				 "the queues are in the table and in --json");
	case 'm':
		errx(EXIT_USAGE, "-m (socket memory) is not in sockwatch yet; "
				 "the queues are in the table and in --json");
	case 'o':
		errx(EXIT_USAGE, "-o (timers) is not in sockwatch yet; "
				 "--outbound lists the outbound groups");
	case 'x':
		errx(EXIT_USAGE, "-x (Unix sockets) is not in sockwatch, which "
				 "watches TCP and UDP; ss -x lists them");
	}
}

static const struct option cli_lopts[] = {
	{ "socket", required_argument, NULL, 'Z' },
	{ "socket-owner", required_argument, NULL, 'O' },
	{ "json", no_argument, NULL, 'j' },
	{ "jsonl", no_argument, NULL, 'J' },
	{ "pretty", no_argument, NULL, 'P' },
	{ "fresh", no_argument, NULL, 'f' },
	{ "tcp", no_argument, NULL, 't' },
	{ "udp", no_argument, NULL, 'u' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "listening", no_argument, NULL, 'l' },
	{ "all", no_argument, NULL, 'a' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "processes", no_argument, NULL, 'p' },
	{ "extended", no_argument, NULL, 'e' },
	{ "info", no_argument, NULL, 'i' },
	{ "memory", no_argument, NULL, 'm' },
	{ "options", no_argument, NULL, 'o' },
	{ "unix", no_argument, NULL, 'x' },
	{ "outbound", no_argument, NULL, 'B' },
	{ "counts", no_argument, NULL, 'c' },
	{ "sort", required_argument, NULL, 'S' },
	{ "top", required_argument, NULL, 'T' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "summary", no_argument, NULL, 's' },
	{ "resolve", no_argument, NULL, 'r' },
	{ "color", optional_argument, NULL, 'C' },
	{ "since", required_argument, NULL, 'W' },
	{ "from", required_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void parse_opt(struct opts *o, int c)
{
	if (parse_view_opt(o, c))
		return;
	refuse_ss_opt(c);
	switch (c) {
	case 'Z':
		o->socket = optarg;
		break;
	case 'O':
		o->socket_owner = optarg;
		break;
	case 'F':
		o->from = optarg;
		break;
	case 'j':
		o->json = 1;
		break;
	case 'f':
		o->fresh = 1;
		break;
	case 'W':
		o->since_ms = timeline_duration(optarg);
		if (o->since_ms <= 0)
			errx(EXIT_USAGE,
			     "--since takes a duration such as 90s, 30m, 1h "
			     "or 2d, not \"%s\"",
			     optarg);
		break;
	case 'h':
		usage(stdout, 0);
		break;
	case 'V':
		printf("sockwatchctl %s\n", SOCKWATCH_VERSION);
		exit(0);
	default: /* getopt said which */
		errx(EXIT_USAGE, "see sockwatchctl --help");
	}
}

/*
 * Options before the command are read up to it, and there -s is the
 * socket, as git's options before a command are its own; after it the
 * short options are ss's, -s its summary. Returns the command's index.
 */
static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const char ss_opts[] = "sjftu46lanpeimoxcHrhV";
	char *name;
	int c, cmd;

	while ((c = getopt_long(argc, argv, "+s:jftu46lanpeimoxcHrhV",
				cli_lopts, NULL)) != -1)
		parse_opt(o, c == 's' && optarg ? 'Z' : c);
	cmd = optind;
	if (cmd >= argc)
		usage(stderr, EXIT_USAGE);
	/* from argv[cmd + 1]: GNU getopt starts afresh at optind 0 */
	optind = 0;
	name = argv[cmd];
	argv[cmd] = argv[0]; /* what getopt's messages start with */
	while ((c = getopt_long(argc - cmd, argv + cmd, ss_opts, cli_lopts,
				NULL)) != -1)
		parse_opt(o, c);
	argv[cmd] = name;
	optind += cmd;
	return cmd;
}

/* A filter in one argument or many: "sport = :22" or sport = :22. */
static char *join_words(char **w, int n)
{
	size_t len = 1, off = 0;
	char *s;
	int i;

	if (n <= 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	s = malloc(len);
	if (!s)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		size_t k = strlen(w[i]);

		memcpy(s + off, w[i], k);
		off += k;
		s[off++] = i + 1 < n ? ' ' : '\0';
	}
	return s;
}

/*
 * The options -t -u -4 -6 -l -o as filter terms around the user's own:
 * states lead (as ss wants them), the rest is and-ed at the end, which
 * ss's left-to-right reading applies to the whole expression.
 */
static int has_states(const char *filter)
{
	size_t skip = filter ? strspn(filter, " \t") : 0;

	return filter && (!strncmp(filter + skip, "state ", 6) ||
			  !strncmp(filter + skip, "exclude ", 8) ||
			  !strncmp(filter + skip, "excl ", 5));
}

static char *view_filter(const struct opts *o, const struct picture *from)
{
	/* As with ss, states given in the filter replace those of -l. */
	int listening = o->listening && !has_states(o->filter);
	const char *pre = listening ? "state listening state closed " : "";
	char post[96];
	char *f, *user;

	snprintf(post, sizeof(post), "%s%s%s",
		 o->tcp == o->udp ? ""
		 : o->tcp	  ? " proto tcp"
				  : " proto udp",
		 o->v4 == o->v6 ? ""
		 : o->v4	? " family inet"
				: " family inet6",
		 listening == o->outbound ? ""
		 : listening		  ? " role listen"
					  : " role outbound");
	user = names_expand(o->filter, o->prefer, from);
	if (!*pre && !*post)
		return user;
	if (asprintf(&f, "%s%s%s", pre, user ? user : "",
		     user || !*post ? post : post + 1) < 0)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	free(user);
	return f;
}

/* A terminal's width, 0 when fd is none or its size is not known. */
static int tty_width(int fd)
{
	struct winsize ws;

	return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

/* $COLUMNS when it is a positive number, else 0. */
static int env_width(void)
{
	const char *cols = getenv("COLUMNS");
	char *end;
	long n;

	if (!cols || *cols < '0' || *cols > '9')
		return 0;
	errno = 0;
	n = strtol(cols, &end, 10);
	return *end || errno || n <= 0 || n > INT_MAX ? 0 : (int)n;
}

/*
 * The width the table is cut to: $COLUMNS, else the terminal's that
 * stdout is, else the controlling terminal's, as in `list | less`; else
 * 0, none at all, and nothing is cut: a script's `list | grep` from cron
 * or CI must not lose the text it looks for.
 */
static int out_width(void)
{
	int w = env_width(), fd;

	if (!w)
		w = tty_width(STDOUT_FILENO);
	if (w)
		return w;
	fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	w = tty_width(fd);
	close(fd);
	return w;
}

/*
 * Colours when asked, or on a terminal unless NO_COLOR says no or the
 * terminal is dumb (Emacs's shell, a serial console's default).
 */
static int want_color(const char *when)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (when && strcmp(when, "auto") != 0)
		return strcmp(when, "always") == 0;
	return isatty(STDOUT_FILENO) && !(no && *no) &&
	       !(term && !strcmp(term, "dumb"));
}

static void setup_render(const struct opts *o)
{
	struct render_style rs = { .resolve = o->resolve,
				   .color = want_color(o->color),
				   .width = out_width(),
				   .extended = o->table.extended,
				   .elsewhere = o->from != NULL };

	setlocale(LC_CTYPE, "");
	rs.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	render_setup(&rs);
}

static int cmd_list(struct conn *c, const struct opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_LIST,
				     .fresh = o->fresh,
				     .filter = view_filter(
					     o, offline_picture(c)) };
	int table = !o->pretty && !o->json && !o->jsonl;
	int ret;

	/* what a table of group lines shows, the daemon counts itself */
	if (table && o->table.summary)
		req.view = PROTO_VIEW_SUMMARY;
	else if (table && !o->table.members)
		req.view = PROTO_VIEW_COUNTS;
	setup_render(o);
	conn_send(c, &req);
	if (o->pretty)
		ret = listing_json_pretty(c, stdout);
	else if (o->json)
		ret = listing_json(c, stdout);
	else if (o->jsonl)
		ret = listing_jsonl(c, stdout);
	else
		ret = listing_table(c, stdout, &o->table);
	free(req.filter);
	return ret;
}

static int cmd_timeline(struct conn *c, const struct opts *o, int events)
{
	struct timeline_opts t = { .json = o->json,
				   .jsonl = o->jsonl,
				   .pretty = o->pretty,
				   .counts = !o->table.members,
				   .header = o->table.header,
				   .since_ms = (uint64_t)o->since_ms };
	char *filter = view_filter(o, NULL);
	int ret;

	t.filter = filter;
	setup_render(o);
	ret = events ? timeline_events(c, &t) : timeline_history(c, &t);
	free(filter);
	return ret;
}

static int cmd_status(struct conn *c, const struct opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_STATUS };
	struct rd_status st;
	const char *line;
	size_t len;

	conn_send(c, &req);
	rd_status(c, &st, &line, &len);
	if (o->json)
		printf("%.*s\n", (int)len, line);
	else
		render_status(&st, stdout);
	json_decref(st.json);
	return 0;
}

/* The daemon reads JSON, which is UTF-8: other bytes cannot be sent. */
static void filter_check_utf8(const char *filter)
{
	long bad = filter ? utf8_bad_at(filter) : -1;

	if (bad >= 0)
		errx(EXIT_USAGE,
		     "the filter is not UTF-8: byte %ld (0x%02x) starts no "
		     "character; check the locale the words were typed in",
		     bad + 1, (unsigned char)filter[bad]);
}

/*
 * The uid of a user named or numbered (a number needs no passwd entry: a
 * dynamic user may have none); (uid_t)-1 for none given.
 */
static uid_t owner_uid(const char *user)
{
	const struct passwd *pw;
	char *end;
	unsigned long n;

	if (!user || !*user)
		return (uid_t)-1;
	pw = getpwnam(user);
	if (pw)
		return pw->pw_uid;
	n = strtoul(user, &end, 10);
	if (*end || end == user || n >= (uid_t)-1)
		errx(EXIT_USAGE, "--socket-owner: no user \"%s\"", user);
	return (uid_t)n;
}

/* --from reads what list reads; nothing in a file is fresh or to come. */
static void check_from(const struct opts *o, const char *cmd)
{
	if (!o->from)
		return;
	if (strcmp(cmd, "list") != 0)
		errx(EXIT_USAGE,
		     "--from goes with list, not %s: a file holds one "
		     "picture, not the daemon's events, history or status",
		     cmd);
	if (o->fresh)
		errx(EXIT_USAGE, "--fresh asks the daemon for a new picture; "
				 "--from reads the one in the file");
}

static int is_command(const char *cmd)
{
	static const char *const cmds[] = { "list", "status", "record",
					    "events", "history" };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		if (!strcmp(cmd, cmds[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .table = { .header = 1, .members = 1 } };
	const char *cmd;
	struct conn c;
	int ret, filtered, nwords;

	argv[0] = program_invocation_short_name; /* getopt's messages */
	o.socket_owner = getenv("SOCKWATCH_SOCKET_OWNER");
	o.socket = getenv("SOCKWATCH_SOCKET");
	if (!o.socket || !*o.socket)
		o.socket = DEFAULT_SOCKET;
	cmd = argv[parse_opts(&o, argc, argv)];
	nwords = argc - optind; /* the words after the options */
	if (!is_command(cmd))
		errx(EXIT_USAGE,
		     "unknown command \"%s\": list, status, record, events "
		     "or history",
		     cmd);
	if (strcmp(cmd, "record") == 0 && nwords != 1)
		errx(EXIT_USAGE, "record takes one FILE (- for standard "
				 "output)");
	filtered = strcmp(cmd, "list") == 0 || strcmp(cmd, "events") == 0 ||
		   strcmp(cmd, "history") == 0;
	if (nwords > 0 && !filtered && strcmp(cmd, "record") != 0)
		errx(EXIT_USAGE, "%s takes no words after it, not \"%s\"", cmd,
		     argv[optind]);
	if (filtered)
		o.filter = join_words(argv + optind, nwords);
	filter_check_utf8(o.filter);
	if (o.fresh && strcmp(cmd, "list") != 0 && strcmp(cmd, "record") != 0)
		errx(EXIT_USAGE, "--fresh goes with list and record, not %s",
		     cmd);
	if (o.since_ms && strcmp(cmd, "history") != 0)
		errx(EXIT_USAGE, "--since goes with history, not %s", cmd);
	check_from(&o, cmd);
	if (o.from)
		offline_open(&c, o.from);
	else
		conn_open(&c, o.socket, owner_uid(o.socket_owner));
	if (strcmp(cmd, "record") == 0)
		ret = record_save(&c, o.fresh, argv[optind]);
	else if (strcmp(cmd, "list") == 0)
		ret = cmd_list(&c, &o);
	else if (strcmp(cmd, "events") == 0 || strcmp(cmd, "history") == 0)
		ret = cmd_timeline(&c, &o, strcmp(cmd, "events") == 0);
	else
		ret = cmd_status(&c, &o);
	conn_close(&c);
	free(o.filter);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(EXIT_DAEMON_ERROR, "writing the output");
	return ret;
}
