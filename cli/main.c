/* main.c - sockwatchctl: one request to sockwatchd, printed. */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "listing.h"
#include "render.h"

#define DEFAULT_SOCKET "/run/sockwatch/sockwatchd.sock"

struct opts {
	const char *socket;
	int json;
	int fresh;
	char *filter; /* the words after "list", joined as ss joins them */
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
		"  status [--json]          what the daemon is doing\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  sockwatchd's socket (default %s,\n"
		"                     or $SOCKWATCH_SOCKET)\n"
		"  -j, --json         one JSON document (see "
		"sockwatch-json(7))\n"
		"  -f, --fresh        have the daemon take a new picture "
		"first\n"
		"\n"
		"Exit status: 0 ok, 1 daemon error, 2 usage, 3 daemon not "
		"running,\n"
		"4 permission denied.\n",
		DEFAULT_SOCKET);
	exit(status);
}

/* Options may come before or after the command, as with most tools. */
static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "fresh", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:jfhV", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'f':
			o->fresh = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("sockwatchctl %s\n", SOCKWATCH_VERSION);
			exit(0);
		default:
			usage(stderr, EXIT_USAGE);
		}
	}
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

static int cmd_list(struct conn *c, const struct opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_LIST,
				     .fresh = o->fresh,
				     .filter = o->filter };

	conn_send(c, &req);
	return o->json ? listing_json(c, stdout) : listing_table(c, stdout);
}

static int cmd_status(struct conn *c, const struct opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_STATUS };
	size_t len;
	char *line;
	json_t *st;

	conn_send(c, &req);
	line = conn_line(c, &len);
	if (!line)
		errx(EXIT_DAEMON_ERROR, "sockwatchd closed without an answer");
	st = listing_record(line, len, "status");
	if (o->json)
		printf("%s\n", line);
	else
		render_status(st, stdout);
	json_decref(st);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd;
	struct conn c;
	int ret;

	o.socket = getenv("SOCKWATCH_SOCKET");
	if (!o.socket || !*o.socket)
		o.socket = DEFAULT_SOCKET;
	parse_opts(&o, argc, argv);
	if (optind >= argc)
		usage(stderr, EXIT_USAGE);
	cmd = argv[optind];
	if (optind + 1 < argc && strcmp(cmd, "list") != 0)
		usage(stderr, EXIT_USAGE);
	o.filter = join_words(argv + optind + 1, argc - optind - 1);
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "status") != 0) {
		warnx("unknown command \"%s\"", cmd);
		usage(stderr, EXIT_USAGE);
	}
	if (o.fresh && strcmp(cmd, "status") == 0)
		errx(EXIT_USAGE, "--fresh goes with list, not status");
	conn_open(&c, o.socket);
	ret = strcmp(cmd, "list") == 0 ? cmd_list(&c, &o) : cmd_status(&c, &o);
	conn_close(&c);
	free(o.filter);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(EXIT_DAEMON_ERROR, "writing the output");
	return ret;
}
