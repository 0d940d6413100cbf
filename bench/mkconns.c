/* SPDX-License-Identifier: ISC */
/*
 * mkconns.c - the benchmark's load: N loopback TCP connections, both ends
 * held open, in the current (private) network namespace.
 *
 * bench-mkconns [-p PROCS] [N]      (N defaults to 50000)
 *
 * The work is spread over worker processes because one process may not
 * hold 2N descriptors: the hard RLIMIT_NOFILE can only be raised with
 * CAP_SYS_RESOURCE, which a container's root often lacks. Each worker owns
 * one listener (127.0.0.1, port 20000 + its number), connects its share
 * of the clients to it and accepts them, so it holds both ends. There are
 * max(PROCS, what the descriptor limit needs) workers. One listener per
 * worker also keeps each (src IP, dst IP:port) tuple well inside the
 * ephemeral port range, where the kernel finds free ports quickly.
 *
 * When every worker is done it prints "ready <sockets>" and waits until
 * stdin reaches end of file, SIGTERM or SIGINT, or an hour has passed;
 * the workers die with it (SIGTERM, and PR_SET_PDEATHSIG should it crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MK_PORT0 20000
#define MK_MAX_CONNS 10000000
#define MK_MAX_PROCS 10000
#define MK_BATCH 256	   /* connects between accept sweeps */
#define MK_SETUP_MS 120000 /* a loaded machine is slow; never hang */
#define MK_LIFETIME_MS 3600000
#define MK_FD_SLACK 32 /* stdio, the report pipe, the listener */

/* What a worker tells the parent, one atomic pipe write. */
struct mk_report {
	int32_t worker;
	int32_t conns; /* connections made, both ends open */
	int32_t err;   /* errno of the failure, 0 when all went well */
};

struct mk_plan {
	long conns;  /* N */
	long procs;  /* workers */
	long per;    /* connections per worker, the last one gets fewer */
	pid_t *pids; /* the workers */
};

static void usage(void)
{
	fprintf(stderr, "usage: bench-mkconns [-p PROCS] [N]\n");
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Asks for want descriptors; without CAP_SYS_RESOURCE only up to the hard
 * limit. Returns the soft limit now in force.
 */
static long mk_raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if ((long)rl.rlim_max < want) {
		struct rlimit up = { (rlim_t)want, (rlim_t)want };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return want;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}

/* Half the ephemeral range: past that, port search gets slow. */
static long mk_port_room(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	long lo = 32768, hi = 60999;

	if (f) {
		if (fscanf(f, "%ld %ld", &lo, &hi) != 2) {
			lo = 32768;
			hi = 60999;
		}
		fclose(f);
	}
	return (hi - lo + 1) / 2;
}

/* Sizes the workers to the descriptor limit and the port range. */
static int mk_plan(struct mk_plan *p)
{
	long per_max = mk_raise_nofile(2 * p->conns + MK_FD_SLACK);
	long room = mk_port_room();

	per_max = (per_max - MK_FD_SLACK) / 2;
	if (per_max > room)
		per_max = room;
	if (per_max < 1 || MK_PORT0 + p->procs > 65535) {
		fprintf(stderr, "bench-mkconns: no room for connections\n");
		return -1;
	}
	if (p->procs < (p->conns + per_max - 1) / per_max)
		p->procs = (p->conns + per_max - 1) / per_max;
	p->per = (p->conns + p->procs - 1) / p->procs;
	if (MK_PORT0 + p->procs > 65535 || p->procs > MK_MAX_PROCS) {
		fprintf(stderr, "bench-mkconns: too many workers (%ld)\n",
			p->procs);
		return -1;
	}
	p->pids = calloc((size_t)p->procs, sizeof(*p->pids));
	return p->pids ? 0 : -1;
}

static struct sockaddr_in mk_addr(long worker)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)(MK_PORT0 + worker));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* Non-blocking, so an accept sweep stops when the queue is empty. */
static int mk_listen(long worker)
{
	struct sockaddr_in sin = mk_addr(worker);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, MK_BATCH * 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The handshake is done by loopback's softirq before connect returns. */
static int mk_connect(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * Accepts until the queue has given want sockets. A dropped SYN comes
 * back after a retransmit, so this waits on the listener, up to deadline.
 */
static int mk_accept(int lfd, long want, int64_t deadline)
{
	struct pollfd pfd = { lfd, POLLIN, 0 };
	long got = 0;

	while (got < want) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			got++;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			return -1;
		if (now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(&pfd, 1, 100);
	}
	return 0;
}

/* Makes n connections to this worker's listener, both ends kept open. */
static int mk_work(int lfd, long worker, long n, long *made)
{
	struct sockaddr_in sin = mk_addr(worker);
	int64_t deadline = now_ms() + MK_SETUP_MS;
	long batch, i;

	*made = 0;
	while (*made < n) {
		batch = n - *made < MK_BATCH ? n - *made : MK_BATCH;
		for (i = 0; i < batch; i++)
			if (mk_connect(&sin) < 0)
				return -1;
		if (mk_accept(lfd, batch, deadline) < 0)
			return -1;
		*made += batch;
	}
	return 0;
}

/* A worker: does its share, reports, then sleeps until killed. */
static void mk_worker(int lfd, int wfd, long worker, long n, pid_t parent)
{
	struct mk_report rep = { (int32_t)worker, 0, 0 };
	long made;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	if (mk_work(lfd, worker, n, &made) < 0)
		rep.err = errno ? errno : EIO;
	rep.conns = (int32_t)made;
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	for (;;)
		pause();
}

/* Listeners first, all of them, so no client takes a listener's port. */
static int mk_listeners(const struct mk_plan *p, int *lfds)
{
	long w;

	for (w = 0; w < p->procs; w++) {
		lfds[w] = mk_listen(w);
		if (lfds[w] < 0) {
			fprintf(stderr,
				"bench-mkconns: listen on port %ld: %s\n",
				MK_PORT0 + w, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Closes the listeners but keep (-1: all). They were opened one after the
 * other, so they are normally one run of descriptors and two close_range
 * calls do; the loop is for the odd case, as it costs workers^2 closes.
 */
static void mk_close_listeners(const int *lfds, long n, long keep)
{
	unsigned first = (unsigned)lfds[0], last = (unsigned)lfds[n - 1];
	long w;

	if (last - first != (unsigned)(n - 1)) {
		for (w = 0; w < n; w++)
			if (w != keep)
				close(lfds[w]);
		return;
	}
	if (keep < 0) {
		close_range(first, last, 0);
		return;
	}
	if (keep > 0)
		close_range(first, (unsigned)lfds[keep] - 1, 0);
	if (keep < n - 1)
		close_range((unsigned)lfds[keep] + 1, last, 0);
}

/* Forks the workers, each with its own listener only. */
static int mk_spawn(struct mk_plan *p, const int *lfds, int wfd)
{
	pid_t parent = getpid();
	long w, n;

	for (w = 0; w < p->procs; w++) {
		n = p->conns - w * p->per;
		n = n > p->per ? p->per : n < 0 ? 0 : n;
		p->pids[w] = fork();
		if (p->pids[w] < 0) {
			perror("bench-mkconns: fork");
			return -1;
		}
		if (p->pids[w] == 0) {
			mk_close_listeners(lfds, p->procs, w);
			mk_worker(lfds[w], wfd, w, n, parent);
		}
	}
	return 0;
}

/* Collects one report per worker; the sum of sockets or -1. */
static long mk_collect(const struct mk_plan *p, int rfd)
{
	struct pollfd pfd = { rfd, POLLIN, 0 };
	int64_t deadline = now_ms() + MK_SETUP_MS + 10000;
	struct mk_report rep;
	long got = 0, sockets = 0;

	while (got < p->procs) {
		if (now_ms() >= deadline) {
			fprintf(stderr, "bench-mkconns: workers too slow\n");
			return -1;
		}
		if (poll(&pfd, 1, 1000) <= 0 || !(pfd.revents & POLLIN))
			continue;
		if (read(rfd, &rep, sizeof(rep)) != sizeof(rep))
			return -1;
		if (rep.err) {
			fprintf(stderr, "bench-mkconns: worker %d: %s\n",
				rep.worker, strerror(rep.err));
			return -1;
		}
		sockets += 2L * rep.conns + 1; /* both ends, its listener */
		got++;
	}
	return sockets;
}

/* Waits for end of file on stdin, SIGTERM or SIGINT, an hour at most. */
static void mk_wait(void)
{
	struct pollfd pfd[2] = { { 0, POLLIN, 0 }, { -1, POLLIN, 0 } };
	int64_t deadline = now_ms() + MK_LIFETIME_MS;
	sigset_t set;
	char buf[256];

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pfd[1].fd = signalfd(-1, &set, SFD_CLOEXEC);
	while (now_ms() < deadline) {
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			return;
		if (pfd[1].revents)
			return;
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return;
		if ((pfd[0].revents & POLLIN) && read(0, buf, sizeof(buf)) <= 0)
			return;
	}
}

static void mk_stop(const struct mk_plan *p)
{
	long w;

	for (w = 0; w < p->procs; w++)
		if (p->pids[w] > 0)
			kill(p->pids[w], SIGTERM);
	for (w = 0; w < p->procs; w++)
		if (p->pids[w] > 0)
			waitpid(p->pids[w], NULL, 0);
}

static void mk_args(int argc, char **argv, struct mk_plan *p)
{
	char *end;
	int opt;

	p->conns = 50000;
	p->procs = 1;
	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p')
			usage();
		p->procs = strtol(optarg, &end, 10);
		if (*end || p->procs < 1 || p->procs > MK_MAX_PROCS)
			usage();
	}
	if (optind + 1 == argc) {
		p->conns = strtol(argv[optind], &end, 10);
		if (*end || p->conns < 1 || p->conns > MK_MAX_CONNS)
			usage();
	} else if (optind != argc) {
		usage();
	}
}

int main(int argc, char **argv)
{
	struct mk_plan p;
	int pipefd[2], *lfds = NULL, ret = 1;
	long sockets;

	mk_args(argc, argv, &p);
	if (mk_plan(&p) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return 1;
	lfds = calloc((size_t)p.procs, sizeof(*lfds));
	if (!lfds || mk_listeners(&p, lfds) < 0 ||
	    mk_spawn(&p, lfds, pipefd[1]) < 0)
		goto out;
	/* The workers own the sockets now; the parent only supervises. */
	mk_close_listeners(lfds, p.procs, -1);
	close(pipefd[1]);
	sockets = mk_collect(&p, pipefd[0]);
	if (sockets < 0)
		goto out;
	printf("ready %ld\n", sockets);
	fflush(stdout);
	fprintf(stderr, "bench-mkconns: %ld connections, %ld workers\n",
		p.conns, p.procs);
	mk_wait();
	ret = 0;
out:
	mk_stop(&p);
	free(lfds);
	free(p.pids);
	return ret;
}
