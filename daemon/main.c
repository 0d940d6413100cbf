/* SPDX-License-Identifier: ISC */
/* main.c - sockwatchd: options, start-up, the event loop, shutdown. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "destroy.h"
#include "log.h"
#include "mem.h"
#include "poller.h"
#include "privs.h"
#include "sd.h"
#include "server.h"
#include "sockfile.h"

#define DEFAULT_SOCKET "/run/sockwatch/sockwatchd.sock"
#define DEFAULT_INTERVAL_MS 1000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_FRESH_MIN_MS 250
#define DEFAULT_CLIENT_MEMORY_MIB 64
#define DEFAULT_MAX_PER_USER 32
#define DEFAULT_CPU_BUDGET 5	    /* percent of one core */
#define DEFAULT_HISTORY_SIZE 100000 /* closed connections */
#define MAX_HISTORY_SIZE 10000000
#define DEFAULT_MAX_SUBSCRIBERS 64
#define DEFAULT_EVENT_BUFFER_KIB                                               \
	8192 /* the destroy socket's, in the kernel                            \
	      */

/* Everything the daemon holds; the one place with mutable global state. */
struct daemon {
	const char *socket_path;
	unsigned interval_ms;
	unsigned timeout_ms;
	int log_level;
	int attribute; /* who holds each socket, from /proc */
	mode_t socket_mode;
	gid_t socket_group; /* (gid_t)-1: none named */
	int listen_fd;
	struct sockfile sockfile; /* when the daemon bound it itself */
	int activated; /* the socket came from systemd: not ours to unlink */
	unsigned fresh_min_ms;
	size_t client_memory;
	unsigned max_per_user;
	unsigned cpu_budget;
	const char *user; /* the server's, when started as root */
	unsigned history_size;
	unsigned max_subscribers;
	unsigned event_buffer_kib;
	struct destroy *destroy; /* the kernel's closes, for the server */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sockwatchd [-i|--interval MS] [-s|--socket PATH]\n"
		"                  [-l|--log-level LEVEL] [-t|--client-timeout "
		"MS]\n"
		"                  [-g|--socket-group NAME] [-m|--socket-mode "
		"MODE]\n"
		"                  [-u|--user NAME] [-f|--fresh-min-age MS]\n"
		"                  [-M|--client-memory MIB] "
		"[-U|--max-clients-per-user N]\n"
		"                  [-c|--cpu-budget PCT] [-P|--no-processes]\n"
		"                  [-H|--history-size N] "
		"[-S|--max-subscribers N]\n"
		"                  [-E|--event-buffer KIB]\n"
		"                  [-h|--help] [-V|--version]\n"
		"\n"
		"Polls the kernel's TCP and UDP sockets with sock_diag and "
		"serves\n"
		"them, grouped by listener, as JSON Lines on a unix socket.\n"
		"\n"
		"  -i, --interval MS        poll every MS milliseconds "
		"(default %d): in\n"
		"                           full, or the listeners alone when "
		"the\n"
		"                           CPU budget has no room for more\n"
		"  -c, --cpu-budget PCT     full polls use at most PCT %% of "
		"one core\n"
		"                           (1 to 100, default %d)\n"
		"  -s, --socket PATH        control socket (default %s,\n"
		"                           or $SOCKWATCH_SOCKET)\n"
		"  -l, --log-level LEVEL    error, warning, notice, info "
		"(default), "
		"debug\n"
		"  -t, --client-timeout MS  close clients idle or not reading "
		"for MS\n"
		"                           milliseconds (default %d)\n"
		"  -g, --socket-group NAME  the socket's group: its members "
		"see "
		"every\n"
		"                           process, others only their own\n"
		"  -m, --socket-mode MODE   the socket file's mode (default "
		"0660)\n"
		"  -u, --user NAME          the server's user when started as "
		"root\n"
		"                           (default sockwatch, else nobody)\n"
		"  -f, --fresh-min-age MS   a fresh listing may be this old; "
		"fresh polls\n"
		"                           at most once per MS (default %d)\n"
		"  -M, --client-memory MIB  all clients' buffers together "
		"(default %d)\n"
		"  -U, --max-clients-per-user N\n"
		"                           connections of one user, root "
		"aside (default %d)\n"
		"  -P, --no-processes       do not tell which processes hold "
		"the sockets\n"
		"  -H, --history-size N     closed connections remembered "
		"(default %d)\n"
		"  -S, --max-subscribers N  clients streaming events at once "
		"(default %d)\n"
		"  -E, --event-buffer KIB   the kernel's buffer of socket "
		"events\n"
		"                           (default %d)\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n",
		DEFAULT_INTERVAL_MS, DEFAULT_CPU_BUDGET, DEFAULT_SOCKET,
		DEFAULT_TIMEOUT_MS, DEFAULT_FRESH_MIN_MS,
		DEFAULT_CLIENT_MEMORY_MIB, DEFAULT_MAX_PER_USER,
		DEFAULT_HISTORY_SIZE, DEFAULT_MAX_SUBSCRIBERS,
		DEFAULT_EVENT_BUFFER_KIB);
}

/* A whole number from lo to hi, or the option's error and exit 2. */
static unsigned parse_range(const char *opt, const char *s, unsigned lo,
			    unsigned hi, const char *unit)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr,
			"sockwatchd: %s takes %s from %u to %u, "
			"not \"%s\"\n",
			opt, unit, lo, hi, s);
		exit(2);
	}
	return (unsigned)v;
}

static unsigned parse_ms(const char *opt, const char *s, unsigned lo,
			 unsigned hi)
{
	return parse_range(opt, s, lo, hi, "milliseconds");
}

static unsigned parse_num(const char *opt, const char *s, unsigned lo,
			  unsigned hi)
{
	return parse_range(opt, s, lo, hi, "a number");
}

static gid_t parse_group(const char *name)
{
	struct group *gr = getgrnam(name);
	char *end;
	unsigned long v;

	if (gr)
		return gr->gr_gid;
	errno = 0;
	v = strtoul(name, &end, 10);
	/* a number must name a group too: a typo would grant a stranger */
	if (errno || end == name || *end || v >= (gid_t)-1 ||
	    !getgrgid((gid_t)v)) {
		fprintf(stderr, "sockwatchd: no group \"%s\"\n", name);
		exit(2);
	}
	return (gid_t)v;
}

static mode_t parse_mode(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || v > 0777) {
		fprintf(stderr,
			"sockwatchd: --socket-mode takes an octal mode such "
			"as 0660, not \"%s\"\n",
			s);
		exit(2);
	}
	return (mode_t)v;
}

static void parse_args(struct daemon *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "client-timeout", required_argument, NULL, 't' },
		{ "no-processes", no_argument, NULL, 'P' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "fresh-min-age", required_argument, NULL, 'f' },
		{ "client-memory", required_argument, NULL, 'M' },
		{ "max-clients-per-user", required_argument, NULL, 'U' },
		{ "cpu-budget", required_argument, NULL, 'c' },
		{ "history-size", required_argument, NULL, 'H' },
		{ "max-subscribers", required_argument, NULL, 'S' },
		{ "event-buffer", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:s:l:t:Pg:m:u:f:M:U:c:H:S:E:hV",
				opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			d->interval_ms =
				parse_ms("--interval", optarg, 50, 3600000);
			break;
		case 's':
			d->socket_path = optarg;
			break;
		case 'l':
			d->log_level = log_level_parse(optarg);
			if (d->log_level < 0) {
				fprintf(stderr,
					"sockwatchd: unknown log level "
					"\"%s\"\n",
					optarg);
				exit(2);
			}
			break;
		case 't':
			d->timeout_ms = parse_ms("--client-timeout", optarg,
						 100, 3600000);
			break;
		case 'P':
			d->attribute = 0;
			break;
		case 'g':
			d->socket_group = parse_group(optarg);
			break;
		case 'm':
			d->socket_mode = parse_mode(optarg);
			break;
		case 'u':
			d->user = optarg;
			break;
		case 'f':
			d->fresh_min_ms =
				parse_ms("--fresh-min-age", optarg, 0, 60000);
			break;
		case 'M':
			d->client_memory = (size_t)parse_num("--client-memory",
							     optarg, 1, 65536)
					   << 20;
			break;
		case 'c':
			d->cpu_budget =
				parse_num("--cpu-budget", optarg, 1, 100);
			break;
		case 'U':
			d->max_per_user =
				parse_num("--max-clients-per-user", optarg, 1,
					  CONTROL_MAX_CLIENTS);
			break;
		case 'H':
			d->history_size = parse_num("--history-size", optarg, 1,
						    MAX_HISTORY_SIZE);
			break;
		case 'S':
			d->max_subscribers =
				parse_num("--max-subscribers", optarg, 1,
					  CONTROL_MAX_CLIENTS);
			break;
		case 'E':
			d->event_buffer_kib =
				parse_num("--event-buffer", optarg, 1, 1048576);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("sockwatchd %s\n", SOCKWATCH_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockwatchd: unexpected argument \"%s\"\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* Both processes take their signals through a signalfd of their own. */
static void daemon_signals(void)
{
	sigset_t set;

	/* A client gone mid-answer must cost an EPIPE, never the daemon. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatal("sigprocmask: %s", strerror(errno));
}

/*
 * What the starter left open past stdio and systemd's sockets would reach
 * the server, which runs as another user and reads every client's bytes:
 * a root shell's file or socket is not for it.
 */
static void daemon_close_inherited(void)
{
	unsigned first = 3 + (unsigned)sd_listen_fds();

	if (close_range(first, ~0U, 0) < 0)
		fatal("close_range: %s", strerror(errno));
}

static void daemon_listen(struct daemon *d)
{
	char err[512] = "";

	d->listen_fd = sd_listen_fd();
	if (d->listen_fd >= 0) {
		d->activated = 1;
		log_info("serving the socket systemd passed");
		return;
	}
	if (sockfile_open(&d->sockfile, d->socket_path, d->socket_mode,
			  d->socket_group, err, sizeof(err)) < 0)
		fatal("%s", err);
	d->listen_fd = d->sockfile.fd;
	log_info("serving %s", d->socket_path);
}

/* Room for every client the control socket takes, and some to spare. */
static void daemon_fd_limit(void)
{
	rlim_t want = CONTROL_MAX_CLIENTS + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warnx("open file limit %lu is below the %u clients served",
			  (unsigned long)rl.rlim_cur, CONTROL_MAX_CLIENTS);
}

/* The server's half of the fork: it never returns. */
static void daemon_server(struct daemon *d, int ipc, const struct privs_user *u)
{
	struct server_opts so = {
		.listen_fd = d->listen_fd,
		.ipc = ipc,
		.user = *u,
		.control = { .interval_ms = d->interval_ms,
			     .timeout_ms = d->timeout_ms,
			     .fresh_min_ms = d->fresh_min_ms,
			     .has_group = d->socket_group != (gid_t)-1,
			     .group = d->socket_group,
			     .owner = geteuid(),
			     .server_pid = getpid(),
			     .client_memory = d->client_memory,
			     .max_per_user = d->max_per_user },
		.destroy = d->destroy,
		.events = { .history_size = d->history_size,
			    .max_subscribers = d->max_subscribers },
	};

	/* the node is the poller's to remove; the server only listens */
	if (!d->activated && d->sockfile.dir_fd >= 0) {
		close(d->sockfile.dir_fd);
		d->sockfile.dir_fd = -1;
	}
	exit(server_main(&so));
}

/*
 * The kernel's destroy multicast, opened while the daemon may still
 * force its receive buffer past rmem_max (CAP_NET_ADMIN, root's): the
 * server, which reads it, never could. Joining needs no privilege.
 */
static void daemon_destroy(struct daemon *d)
{
	int want = (int)(d->event_buffer_kib > INT_MAX / 1024
				 ? INT_MAX
				 : d->event_buffer_kib * 1024);

	d->destroy = destroy_open(want);
	if (!d->destroy) {
		log_warnx("cannot read the kernel's socket destroy events "
			  "(%s): closes are told from pictures only",
			  strerror(errno));
		return;
	}
	if (destroy_rcvbuf(d->destroy) < want)
		log_notice("the kernel's buffer of socket events is %d "
			   "bytes, not the %d asked (net.core.rmem_max; "
			   "CAP_NET_ADMIN may force it)",
			   destroy_rcvbuf(d->destroy), want);
}

/*
 * Privilege separation, as OpenBSD's daemons do it: the process that
 * parses clients' bytes is a child with nothing, the parent keeps what
 * polling needs and the socket's node.
 */
static int daemon_fork(struct daemon *d, struct poller_opts *po)
{
	struct privs_user u;
	char err[256];
	int sp[2];
	pid_t pid;

	if (privs_find_user(&u, d->user, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sp[0]);
		daemon_server(d, sp[1], &u);
	}
	close(sp[1]);
	destroy_close(d->destroy); /* the server's to read */
	d->destroy = NULL;
	close(d->listen_fd); /* the poller never reads a client byte */
	d->listen_fd = -1;
	d->sockfile.fd = -1;
	po->ipc = sp[0];
	po->server = pid;
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {
		.interval_ms = DEFAULT_INTERVAL_MS,
		.timeout_ms = DEFAULT_TIMEOUT_MS,
		.fresh_min_ms = DEFAULT_FRESH_MIN_MS,
		.client_memory = (size_t)DEFAULT_CLIENT_MEMORY_MIB << 20,
		.max_per_user = DEFAULT_MAX_PER_USER,
		.cpu_budget = DEFAULT_CPU_BUDGET,
		.history_size = DEFAULT_HISTORY_SIZE,
		.max_subscribers = DEFAULT_MAX_SUBSCRIBERS,
		.event_buffer_kib = DEFAULT_EVENT_BUFFER_KIB,
		.log_level = LOG_L_INFO,
		.attribute = 1,
		.socket_mode = 0660,
		.socket_group = (gid_t)-1,
	};
	struct poller_opts po;
	int status;

	d.socket_path = getenv("SOCKWATCH_SOCKET");
	if (!d.socket_path || !*d.socket_path)
		d.socket_path = DEFAULT_SOCKET;
	parse_args(&d, argc, argv);
	log_init((enum log_level)d.log_level);
	daemon_close_inherited();
	mem_init();
	daemon_fd_limit();
	daemon_signals();
	daemon_listen(&d);
	daemon_destroy(&d);
	daemon_fork(&d, &po);
	po.interval_ms = d.interval_ms;
	po.fresh_min_ms = d.fresh_min_ms;
	po.cpu_budget = d.cpu_budget;
	po.attribute = d.attribute;
	status = poller_main(&po);
	close(po.ipc);
	if (!d.activated)
		sockfile_close(&d.sockfile);
	return status;
}
