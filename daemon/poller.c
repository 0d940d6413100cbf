/* SPDX-License-Identifier: ISC */
/*
 * poller.c - the privileged half. It never reads a client byte: what it
 * reads from the server is a fixed-size message of two kinds, "a client
 * wants a fresh picture" and "done with the last one". One picture at a
 * time is in flight, so a server that stops reading costs one picture
 * of memory, and fresh asks poll at most once per --fresh-min-age.
 *
 * Every --interval a tick asks the budget (lib/budget.c) whether a full
 * dump fits in the CPU share it is given; when not, a listeners-only
 * dump keeps the listeners and their queues fresh, sent as an overlay
 * of the last picture. A fresh ask from a client who may see everything
 * is served at --fresh-min-age whatever the budget says (and charged to
 * it); anyone else's, and a listener the picture lacks, wait for the
 * budget's reserve.
 */
#include "poller.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "budget.h"
#include "clock.h"
#include "ipc.h"
#include "links.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "privs.h"
#include "scan.h"
#include "sd.h"

enum poller_kind { POLL_NONE, POLL_LISTENERS, POLL_FULL };

/*
 * A full poll in a thread of its own: at a million sockets it takes
 * seconds, through which listeners-only dumps go on every interval.
 */
struct poller_job {
	pthread_t thread;
	int running;	   /* started and not yet joined */
	int done_fd;	   /* eventfd: the thread has finished */
	int fd;		   /* its picture, -1 when the poll failed */
	int ready;	   /* joined: a picture waits to be sent */
	uint64_t cpu_us;   /* what the thread spent on it */
	uint64_t start_ms; /* CLOCK_MONOTONIC, when it was started */
};

struct poller {
	const struct poller_opts *o;
	struct loop *loop;
	struct links *links;
	struct scanner scan;
	int sig_fd;
	int timer_fd;
	int fresh_fd;	  /* one-shot: the next poll a fresh ask may have */
	int inflight;	  /* a message the server has not answered */
	int pending_full; /* a full poll due once the one under way is in */
	struct poller_job job;
	struct ipc_status st; /* of the last full poll, as it ended */
	int fresh_any;	      /* a fresh ask waits for the budget */
	int fresh_full_view;  /* one waits for --fresh-min-age only */
	int want_full;	      /* a listener the picture lacks */
	struct budget budget;
	uint64_t cpu_charged; /* the process's CPU time the budget has had */
	int listeners_next;   /* a picture went out old: its listeners next */
	int ready;	      /* READY=1 sent */
	int reaped;	      /* the server's end was waited for */
	int quit;
	int status;
};

/* CPU time in microseconds, of the process or of the calling thread. */
static uint64_t poller_cpu_of(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t poller_cpu_us(void)
{
	return poller_cpu_of(CLOCK_PROCESS_CPUTIME_ID);
}

static uint64_t poller_thread_cpu_us(void)
{
	return poller_cpu_of(CLOCK_THREAD_CPUTIME_ID);
}

static void poller_status(struct poller *pl, struct ipc_status *st)
{
	uint64_t span;

	*st = pl->st; /* the worker's fields are read only when it is done */
	scan_status_listeners(&pl->scan, st);
	st->interval_ms = pl->o->interval_ms;
	st->cpu_budget_pct = pl->o->cpu_budget;
	st->full_interval_ms = budget_full_interval(&pl->budget);
	st->cpu_us = budget_used(&pl->budget, clock_mono_ms(), poller_cpu_us(),
				 &span);
	st->cpu_window_ms = span;
}

static void poller_send(struct poller *pl, enum ipc_type type, int fd)
{
	struct ipc_msg m = { .type = type };

	poller_status(pl, &m.st);
	if (ipc_send(pl->o->ipc, &m, fd) < 0)
		log_warnx("sending the server a picture: %s", strerror(errno));
	else
		pl->inflight = 1;
	if (fd >= 0)
		close(fd);
}

/*
 * The budget is charged all the process spent since it was last: the
 * full polls' thread, the loop's listeners-only dumps, the user-name
 * thread, sending. Before every decision it makes.
 */
static void poller_charge(struct poller *pl)
{
	uint64_t now = poller_cpu_us();

	budget_charge(&pl->budget, now - pl->cpu_charged);
	pl->cpu_charged = now;
}

static void *poller_worker(void *arg)
{
	struct poller *pl = arg;
	uint64_t cpu = poller_thread_cpu_us(), one = 1;

	pl->job.fd = scan_run(&pl->scan);
	pl->job.cpu_us = poller_thread_cpu_us() - cpu;
	if (write(pl->job.done_fd, &one, sizeof(one)) < 0)
		log_warnx("eventfd: %s", strerror(errno));
	return NULL;
}

/*
 * Starts a full poll. Device names change under the loop's link events
 * while the worker reads them, so those wait until it is done.
 */
static void poller_full(struct poller *pl)
{
	int err;

	pl->want_full = pl->fresh_any = pl->fresh_full_view = 0;
	pl->job.start_ms = clock_mono_ms();
	if (pl->links)
		loop_watch(pl->loop, links_fd(pl->links), 0);
	err = pthread_create(&pl->job.thread, NULL, poller_worker, pl);
	if (err) {
		log_warnx("no thread for the poll (%s): polling inline",
			  strerror(err));
		poller_worker(pl);
	} else {
		pl->job.running = 1;
	}
}

/* The picture of a finished poll goes out once the channel is free. */
static void poller_publish(struct poller *pl)
{
	if (!pl->job.ready || pl->inflight)
		return;
	pl->job.ready = 0;
	if (pl->job.fd >= 0)
		scan_publish(&pl->scan);
	poller_send(pl, pl->job.fd >= 0 ? IPC_PICTURE : IPC_POLL_FAILED,
		    pl->job.fd);
	/* its listeners are as old as its dump: a poll of seconds ages them */
	pl->listeners_next =
		pl->job.fd >= 0 &&
		clock_mono_ms() - pl->job.start_ms > pl->o->interval_ms / 4;
	mem_trim(clock_mono_ms());
	if (pl->pending_full) {
		pl->pending_full = 0;
		poller_full(pl);
	}
}

/* The worker is done: its account taken, its picture sent when it may. */
static void poller_job_done(void *ctx, int fd, short revents)
{
	struct poller *pl = ctx;
	uint64_t n;

	(void)revents;
	if (read(fd, &n, sizeof(n)) <= 0)
		return;
	if (pl->job.running)
		pthread_join(pl->job.thread, NULL);
	pl->job.running = 0;
	pl->job.ready = 1;
	if (pl->links)
		loop_watch(pl->loop, links_fd(pl->links), POLLIN);
	budget_estimate(&pl->budget, pl->job.cpu_us, 1);
	poller_charge(pl);
	scan_status(&pl->scan, &pl->st);
	poller_publish(pl);
}

static void poller_listeners(struct poller *pl)
{
	uint64_t cpu = poller_thread_cpu_us();
	int fd = scan_listeners(&pl->scan);

	budget_estimate(&pl->budget, poller_thread_cpu_us() - cpu, 0);
	poller_charge(pl);
	if (fd < 0)
		return; /* counted and logged; the picture stands */
	/*
	 * While a full poll runs, listeners are matched against the last
	 * picture: what it lacks, the one under way likely has, and the
	 * first tick after it is out counts again. Wanting a full poll here
	 * spent the reserve on a second one, and left the next new
	 * listener a full interval to wait.
	 */
	if (pl->scan.added && !pl->want_full && !pl->job.running) {
		log_debug("%u new listener(s): a full dump is wanted",
			  (unsigned)pl->scan.added);
		pl->want_full = 1;
	}
	poller_send(pl, IPC_OVERLAY, fd);
}

/*
 * A poll of kind k: a full one now or after the one under way; the
 * listeners now, unless the channel is busy (the next tick has them).
 */
static void poller_poll(struct poller *pl, enum poller_kind k)
{
	if (k == POLL_FULL) {
		if (pl->job.running || pl->job.ready)
			pl->pending_full = 1;
		else
			poller_full(pl);
		return;
	}
	if (!pl->inflight && !pl->job.ready)
		poller_listeners(pl);
}

static void poller_tick(void *ctx, int fd, short revents)
{
	struct poller *pl = ctx;
	uint64_t expirations;
	enum budget_act act;
	int full;

	(void)revents;
	if (read(fd, &expirations, sizeof(expirations)) <= 0)
		return;
	poller_charge(pl);
	act = budget_tick(&pl->budget, clock_mono_ms(),
			  pl->want_full || pl->fresh_any);
	/*
	 * A full poll under way is not charged yet: not another one. The
	 * listeners are dumped on a tick a long full poll starts too: its
	 * picture's are as old as its dump by the time it is sent.
	 */
	full = act == BUDGET_FULL && !pl->job.running && !pl->job.ready;
	if (full)
		poller_poll(pl, POLL_FULL);
	if (act != BUDGET_SKIP &&
	    (!full || pl->budget.full_us / 1000 >= pl->o->interval_ms / 8))
		poller_poll(pl, POLL_LISTENERS);
}

static int poller_arm(int fd, unsigned ms, int repeat)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	if (repeat)
		its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL);
}

/*
 * A fresh picture now, or as soon as --fresh-min-age allows and, for a
 * client who may not see everything, the budget's reserve too.
 */
static void poller_fresh_due(struct poller *pl)
{
	uint64_t now = clock_mono_ms(), since = now - pl->job.start_ms;
	uint64_t wait = 0;

	if (!pl->fresh_any)
		return;
	if (since < pl->o->fresh_min_ms)
		wait = pl->o->fresh_min_ms - since;
	if (!pl->fresh_full_view) {
		uint64_t w;

		poller_charge(pl);
		w = budget_wait(&pl->budget, now);

		wait = w > wait ? w : wait;
	}
	if (!wait) {
		poller_poll(pl, POLL_FULL);
		return;
	}
	if (poller_arm(pl->fresh_fd, wait > 3600000 ? 3600000 : (unsigned)wait,
		       0) < 0)
		log_warnx("timerfd_settime: %s", strerror(errno));
}

static void poller_fresh(struct poller *pl, uint32_t flags)
{
	log_debug("a fresh picture asked for, %llu ms after the last poll",
		  (unsigned long long)(clock_mono_ms() - pl->job.start_ms));
	pl->fresh_any = 1;
	pl->fresh_full_view |= (flags & IPC_FRESH_FULL_VIEW) != 0;
	poller_fresh_due(pl);
}

static void poller_fresh_timer(void *ctx, int fd, short revents)
{
	struct poller *pl = ctx;
	uint64_t expirations;

	(void)revents;
	if (read(fd, &expirations, sizeof(expirations)) > 0)
		poller_fresh_due(pl);
}

static void poller_taken(struct poller *pl)
{
	pl->inflight = 0;
	if (!pl->ready) {
		pl->ready = 1;
		sd_notify_state("READY=1");
	}
	poller_publish(pl);
	if (pl->listeners_next && !pl->inflight) {
		pl->listeners_next = 0;
		poller_poll(pl, POLL_LISTENERS);
	}
}

static void poller_ipc(void *ctx, int sock, short revents)
{
	struct poller *pl = ctx;
	struct ipc_msg m = { 0 };
	int fd, ret;

	(void)revents;
	while ((ret = ipc_recv(sock, &m, &fd)) > 0) {
		if (fd >= 0)
			close(fd); /* the server has nothing to give */
		if (m.type == IPC_TAKEN)
			poller_taken(pl);
		else if (m.type == IPC_FRESH)
			poller_fresh(pl, m.flags);
	}
	if (ret == 0)
		pl->quit = 1; /* SIGCHLD says how it ended */
	else if (errno != EAGAIN)
		log_warnx("from the server: %s", strerror(errno));
}

/* How the server ended decides how the daemon does. */
static void poller_reap(struct poller *pl)
{
	int st;

	if (waitpid(pl->o->server, &st, WNOHANG) != pl->o->server)
		return;
	pl->reaped = 1;
	pl->quit = 1;
	if (WIFSIGNALED(st)) {
		log_err("the server was killed by signal %d (%s)", WTERMSIG(st),
			strsignal(WTERMSIG(st)));
		pl->status = 1;
	} else if (WEXITSTATUS(st)) {
		log_err("the server exited with status %d", WEXITSTATUS(st));
		pl->status = 1;
	}
}

static void poller_signal(void *ctx, int fd, short revents)
{
	struct poller *pl = ctx;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			poller_reap(pl);
		} else if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: nothing to reload; clients kept");
		} else {
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			pl->quit = 1;
		}
	}
}

static void poller_links(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	links_process(ctx);
}

static int poller_fds(struct poller *pl)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pl->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	pl->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pl->fresh_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pl->job.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pl->loop = loop_new();
	if (pl->sig_fd < 0 || pl->timer_fd < 0 || pl->fresh_fd < 0 ||
	    pl->job.done_fd < 0 || !pl->loop)
		return -1;
	if (loop_add(pl->loop, pl->job.done_fd, POLLIN, poller_job_done, pl) <
	    0)
		return -1;
	if (loop_add(pl->loop, pl->sig_fd, POLLIN, poller_signal, pl) < 0 ||
	    loop_add(pl->loop, pl->timer_fd, POLLIN, poller_tick, pl) < 0 ||
	    loop_add(pl->loop, pl->fresh_fd, POLLIN, poller_fresh_timer, pl) <
		    0 ||
	    loop_add(pl->loop, pl->o->ipc, POLLIN, poller_ipc, pl) < 0)
		return -1;
	if (pl->links && loop_add(pl->loop, links_fd(pl->links), POLLIN,
				  poller_links, pl->links) < 0)
		return -1;
	return poller_arm(pl->timer_fd, pl->o->interval_ms, 1);
}

static void poller_start(struct poller *pl)
{
	char err[256];
	uint64_t cpu;
	int fd;

	/* before the user-name thread: capabilities are per thread */
	if (privs_poller(pl->o->attribute, err, sizeof(err)) < 0)
		fatal("poller: %s", err);
	pl->links = links_open();
	if (scan_init(&pl->scan, pl->links, pl->o->attribute) < 0)
		fatal("cannot open a sock_diag netlink socket: %s",
		      strerror(errno));
	if (poller_fds(pl) < 0)
		fatal("poller: cannot set up its loop: %s", strerror(errno));
	/* the first, inline: nothing is served before it */
	cpu = poller_cpu_us();
	pl->job.start_ms = clock_mono_ms();
	fd = scan_run(&pl->scan);
	budget_init(&pl->budget, pl->o->cpu_budget, pl->o->interval_ms,
		    clock_mono_ms(), poller_cpu_us() - cpu);
	pl->cpu_charged = poller_cpu_us(); /* the first is not charged */
	scan_status(&pl->scan, &pl->st);
	if (fd >= 0)
		scan_publish(&pl->scan);
	poller_send(pl, fd >= 0 ? IPC_PICTURE : IPC_POLL_FAILED, fd);
	if (pl->scan.errors)
		log_warnx("no first picture; clients get \"unavailable\" "
			  "until a poll works");
	log_info("polling every %u ms, in full as often as %u%% of a core "
		 "allows (every %u ms at %llu us a dump)",
		 pl->o->interval_ms, pl->o->cpu_budget,
		 budget_full_interval(&pl->budget),
		 (unsigned long long)pl->budget.full_us);
}

static void poller_stop(struct poller *pl)
{
	int st;

	sd_notify_state("STOPPING=1");
	if (pl->job.running)
		pthread_join(pl->job.thread, NULL);
	if (pl->job.ready && pl->job.fd >= 0)
		close(pl->job.fd);
	if (!pl->reaped) {
		/*
		 * The end of the channel stops the server: a signal may not
		 * reach it, as a poller without CAP_KILL cannot signal
		 * another user.
		 */
		shutdown(pl->o->ipc, SHUT_RDWR);
		kill(pl->o->server, SIGTERM);
		while (waitpid(pl->o->server, &st, 0) < 0 && errno == EINTR)
			;
	}
	scan_fini(&pl->scan);
	links_close(pl->links);
	loop_free(pl->loop);
	close(pl->timer_fd);
	close(pl->fresh_fd);
	close(pl->job.done_fd);
	close(pl->sig_fd);
}

int poller_main(const struct poller_opts *o)
{
	struct poller pl = { .o = o };

	poller_start(&pl);
	while (!pl.quit)
		if (loop_once(pl.loop, -1) < 0)
			fatal("poll: %s", strerror(errno));
	poller_stop(&pl);
	return pl.status;
}
