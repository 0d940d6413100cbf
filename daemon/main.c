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
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "links.h"
#include "log.h"
#include "mem.h"
#include "scan.h"
#include "sd.h"
#include "sockfile.h"

#define DEFAULT_SOCKET "/run/sockwatch/sockwatchd.sock"
#define DEFAULT_INTERVAL_MS 1000
#define DEFAULT_TIMEOUT_MS 30000
#define SWEEP_MS 1000

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
	int sig_fd;
	int timer_fd;
	int quit;
	struct links *links;
	struct scanner scan;
	struct control *ctl;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sockwatchd [-i|--interval MS] [-s|--socket PATH]\n"
		"                  [-l|--log-level LEVEL] [-t|--client-timeout "
		"MS]\n"
		"                  [-g|--socket-group NAME] [-m|--socket-mode "
		"MODE]\n"
		"                  [-P|--no-processes] [-h|--help] "
		"[-V|--version]\n"
		"\n"
		"Polls the kernel's TCP and UDP sockets with sock_diag and "
		"serves\n"
		"them, grouped by listener, as JSON Lines on a unix socket.\n"
		"\n"
		"  -i, --interval MS        poll every MS milliseconds "
		"(default %d)\n"
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
		"  -P, --no-processes       do not tell which processes hold "
		"the sockets\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n",
		DEFAULT_INTERVAL_MS, DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS);
}

static unsigned parse_ms(const char *opt, const char *s, unsigned lo,
			 unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr,
			"sockwatchd: %s takes milliseconds from %u to %u, "
			"not \"%s\"\n",
			opt, lo, hi, s);
		exit(2);
	}
	return (unsigned)v;
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:s:l:t:Pg:m:hV", opts, NULL)) !=
	       -1) {
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

static void daemon_signals(struct daemon *d)
{
	sigset_t set;

	/* A client gone mid-answer must cost an EPIPE, never the daemon. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatal("sigprocmask: %s", strerror(errno));
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		fatal("signalfd: %s", strerror(errno));
}

static void daemon_timer(struct daemon *d)
{
	struct itimerspec its = { 0 };

	d->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0)
		fatal("timerfd: %s", strerror(errno));
	its.it_interval.tv_sec = d->interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(d->interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) < 0)
		fatal("timerfd_settime: %s", strerror(errno));
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

static void daemon_start(struct daemon *d)
{
	struct control_opts co = { d->interval_ms, d->timeout_ms,
				   d->socket_group != (gid_t)-1,
				   d->socket_group };

	log_init((enum log_level)d->log_level);
	mem_init();
	daemon_fd_limit();
	daemon_signals(d);
	/*
	 * Before scan_init starts the user-name thread: binding the socket
	 * changes the process's umask and working directory for a moment.
	 */
	daemon_listen(d);
	d->links = links_open();
	if (scan_init(&d->scan, d->links, d->attribute) < 0)
		fatal("cannot open a sock_diag netlink socket: %s",
		      strerror(errno));
	/* Be ready to answer before saying so: the first picture first. */
	if (scan_run(&d->scan) < 0)
		log_warnx("no first picture; clients get \"unavailable\" "
			  "until a poll works");
	d->ctl = control_new(d->listen_fd, &d->scan, &co);
	if (!d->ctl)
		fatal("out of memory");
	daemon_timer(d);
	sd_notify_state("READY=1");
	log_info("polling every %u ms", d->interval_ms);
}

static void daemon_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: nothing to reload; clients kept");
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		d->quit = 1;
	}
}

static void daemon_tick(struct daemon *d)
{
	uint64_t expirations;

	if (read(d->timer_fd, &expirations, sizeof(expirations)) > 0) {
		scan_run(&d->scan);
		mem_trim(clock_mono_ms());
	}
}

static void daemon_loop(struct daemon *d)
{
	static struct pollfd fds[CONTROL_MAX_CLIENTS + 4];

	while (!d->quit) {
		size_t n = 0, base;

		fds[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		fds[n++] =
			(struct pollfd){ .fd = d->timer_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = d->links ? links_fd(d->links)
							   : -1,
					    .events = POLLIN };
		base = n;
		n += control_pollfds(d->ctl, fds + base);
		if (poll(fds, n, SWEEP_MS) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (fds[0].revents)
			daemon_signal(d);
		if (fds[1].revents)
			daemon_tick(d);
		if (fds[2].revents)
			links_process(d->links);
		control_events(d->ctl, fds + base, n - base);
		/* Every --fresh asked for in this round shares one poll. */
		if (control_fresh_wanted(d->ctl))
			control_fresh_done(d->ctl, scan_run(&d->scan) == 0);
		control_sweep(d->ctl);
	}
}

static void daemon_stop(struct daemon *d)
{
	sd_notify_state("STOPPING=1");
	control_free(d->ctl);
	if (d->activated)
		close(d->listen_fd);
	else
		sockfile_close(&d->sockfile);
	scan_fini(&d->scan);
	links_close(d->links);
	close(d->timer_fd);
	close(d->sig_fd);
}

int main(int argc, char **argv)
{
	struct daemon d = {
		.interval_ms = DEFAULT_INTERVAL_MS,
		.timeout_ms = DEFAULT_TIMEOUT_MS,
		.log_level = LOG_L_INFO,
		.attribute = 1,
		.socket_mode = 0660,
		.socket_group = (gid_t)-1,
	};

	d.socket_path = getenv("SOCKWATCH_SOCKET");
	if (!d.socket_path || !*d.socket_path)
		d.socket_path = DEFAULT_SOCKET;
	parse_args(&d, argc, argv);
	daemon_start(&d);
	daemon_loop(&d);
	daemon_stop(&d);
	return 0;
}
