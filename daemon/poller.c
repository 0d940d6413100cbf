/* SPDX-License-Identifier: ISC */
/*
 * poller.c - the privileged half. It never reads a client byte: what it
 * reads from the server is a fixed-size message of two kinds, "a client
 * wants a fresh picture" and "done with the last one". One picture at a
 * time is in flight, so a server that stops reading costs one picture
 * of memory, and fresh asks poll at most once per --fresh-min-age.
 */
#include "poller.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ipc.h"
#include "links.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "privs.h"
#include "scan.h"
#include "sd.h"

struct poller {
	const struct poller_opts *o;
	struct loop *loop;
	struct links *links;
	struct scanner scan;
	int sig_fd;
	int timer_fd;
	int fresh_fd; /* one-shot: the next poll a fresh ask may have */
	int inflight; /* a message the server has not answered */
	int pending;  /* a poll is due once it has */
	int ready;    /* READY=1 sent */
	int reaped;   /* the server's end was waited for */
	int quit;
	int status;
};

static void poller_send(struct poller *pl, int fd)
{
	struct ipc_msg m = { .type = fd >= 0 ? IPC_PICTURE : IPC_POLL_FAILED };

	scan_status(&pl->scan, &m.st);
	m.st.interval_ms = pl->o->interval_ms;
	if (ipc_send(pl->o->ipc, &m, fd) < 0)
		log_warnx("sending the server a picture: %s", strerror(errno));
	else
		pl->inflight = 1;
	if (fd >= 0)
		close(fd);
}

static void poller_poll(struct poller *pl)
{
	if (pl->inflight) {
		pl->pending = 1;
		return;
	}
	poller_send(pl, scan_run(&pl->scan));
	mem_trim(clock_mono_ms());
}

static void poller_timer(void *ctx, int fd, short revents)
{
	struct poller *pl = ctx;
	uint64_t expirations;

	(void)revents;
	if (read(fd, &expirations, sizeof(expirations)) > 0)
		poller_poll(pl);
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

/* A fresh picture now, or as soon as --fresh-min-age allows. */
static void poller_fresh(struct poller *pl)
{
	uint64_t since = clock_mono_ms() - pl->scan.last_start_ms;

	log_debug("a fresh picture asked for, %llu ms after the last poll",
		  (unsigned long long)since);
	if (since >= pl->o->fresh_min_ms) {
		poller_poll(pl);
		return;
	}
	if (poller_arm(pl->fresh_fd, (unsigned)(pl->o->fresh_min_ms - since),
		       0) < 0)
		log_warnx("timerfd_settime: %s", strerror(errno));
}

static void poller_taken(struct poller *pl)
{
	pl->inflight = 0;
	if (!pl->ready) {
		pl->ready = 1;
		sd_notify_state("READY=1");
	}
	if (pl->pending) {
		pl->pending = 0;
		poller_poll(pl);
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
			poller_fresh(pl);
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
	pl->loop = loop_new();
	if (pl->sig_fd < 0 || pl->timer_fd < 0 || pl->fresh_fd < 0 || !pl->loop)
		return -1;
	if (loop_add(pl->loop, pl->sig_fd, POLLIN, poller_signal, pl) < 0 ||
	    loop_add(pl->loop, pl->timer_fd, POLLIN, poller_timer, pl) < 0 ||
	    loop_add(pl->loop, pl->fresh_fd, POLLIN, poller_timer, pl) < 0 ||
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

	/* before the user-name thread: capabilities are per thread */
	if (privs_poller(pl->o->attribute, err, sizeof(err)) < 0)
		fatal("poller: %s", err);
	pl->links = links_open();
	if (scan_init(&pl->scan, pl->links, pl->o->attribute) < 0)
		fatal("cannot open a sock_diag netlink socket: %s",
		      strerror(errno));
	if (poller_fds(pl) < 0)
		fatal("poller: cannot set up its loop: %s", strerror(errno));
	poller_send(pl, scan_run(&pl->scan));
	if (pl->scan.errors)
		log_warnx("no first picture; clients get \"unavailable\" "
			  "until a poll works");
	log_info("polling every %u ms", pl->o->interval_ms);
}

static void poller_stop(struct poller *pl)
{
	int st;

	sd_notify_state("STOPPING=1");
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
