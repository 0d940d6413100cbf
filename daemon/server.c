/* SPDX-License-Identifier: ISC */
/*
 * server.c - the process that talks to clients. It holds nothing worth
 * stealing: no capability, not root, a seccomp allow-list, pictures
 * mapped read-only. The listening socket is served only once the first
 * poll has come in, so that an early client waits instead of being told
 * there is no picture.
 */
#include "server.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "ipc.h"
#include "log.h"
#include "mem.h"
#include "sandbox.h"

#define SERVER_TICK_MS 200
#define SERVER_SWEEP_MS 1000

struct server {
	struct server_opts *o;
	struct loop *loop;
	struct control *ctl;
	struct control_feed feed;
	int sig_fd;
	int quit;
	int status;
	int overlay_refused; /* since the current picture came */
	uint64_t last_sweep_ms;
};

static void server_ask_fresh(void *ctx, int full_view);

/* Events lost: a picture is wanted, as for a client of no privilege. */
static void server_events_fresh(void *ctx)
{
	server_ask_fresh(ctx, 0);
}

static void server_ask_fresh(void *ctx, int full_view)
{
	struct server *sv = ctx;
	struct ipc_msg m = { .type = IPC_FRESH,
			     .flags = full_view ? IPC_FRESH_FULL_VIEW : 0 };

	if (ipc_send(sv->o->ipc, &m, -1) < 0 && errno != EPIPE)
		log_warnx("asking the poller for a picture: %s",
			  strerror(errno));
}

/* A picture to serve: mapped, checked, and made the current one. */
static int server_take(struct server *sv, int fd)
{
	char err[160];
	struct snap *s = snap_map(fd, err, sizeof(err));

	if (!s) {
		close(fd);
		log_err("the poller's picture was refused: %s", err);
		return -1;
	}
	snap_unref(sv->feed.current);
	sv->feed.current = s;
	sv->overlay_refused = 0;
	if (sv->feed.events)
		events_picture(sv->feed.events, s);
	return 0;
}

/* The listeners now, over the current picture (logged once if not). */
static void server_overlay(struct server *sv, int fd)
{
	char err[160];
	struct snap *s = NULL;

	if (sv->feed.current)
		s = snap_overlay(sv->feed.current, fd, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "there is no picture under it");
	if (!s) {
		close(fd);
		if (!sv->overlay_refused)
			log_err("the poller's listeners were refused: %s", err);
		sv->overlay_refused = 1;
		return;
	}
	snap_unref(sv->feed.current);
	sv->feed.current = s;
	if (sv->feed.events)
		events_overlay(sv->feed.events, s);
}

static void server_start_serving(struct server *sv)
{
	if (sv->ctl)
		return;
	sv->ctl = control_new(sv->loop, sv->o->listen_fd, &sv->feed,
			      &sv->o->control);
	if (!sv->ctl)
		fatal("out of memory");
}

/* A poll's picture, or word that it failed. */
static void server_poll(struct server *sv, const struct ipc_msg *m, int fd)
{
	int ok = 0;

	if (m->type == IPC_PICTURE && fd >= 0)
		ok = server_take(sv, fd) == 0;
	else if (fd >= 0)
		close(fd);
	server_start_serving(sv);
	if (ok)
		control_picture(sv->ctl);
	else
		control_poll_failed(sv->ctl);
}

static void server_message(struct server *sv, const struct ipc_msg *m, int fd)
{
	struct ipc_msg ack = { .type = IPC_TAKEN };

	sv->feed.st = m->st;
	if (m->type != IPC_OVERLAY)
		server_poll(sv, m, fd);
	else if (fd >= 0)
		server_overlay(sv, fd);
	if (ipc_send(sv->o->ipc, &ack, -1) < 0)
		log_warnx("answering the poller: %s", strerror(errno));
}

static void server_ipc(void *ctx, int sock, short revents)
{
	struct server *sv = ctx;
	struct ipc_msg m = { 0 };
	int fd, ret;

	(void)revents;
	while ((ret = ipc_recv(sock, &m, &fd)) > 0) {
		if (m.type != IPC_PICTURE && m.type != IPC_POLL_FAILED &&
		    m.type != IPC_OVERLAY) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		server_message(sv, &m, fd);
	}
	if (ret == 0) {
		sv->quit = 1; /* the poller is gone: nothing more to serve */
	} else if (errno != EAGAIN) {
		log_err("the poller's channel: %s", strerror(errno));
		sv->quit = 1;
		sv->status = 1;
	}
}

static void server_signal(void *ctx, int fd, short revents)
{
	struct server *sv = ctx;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGHUP)
			sv->quit = 1;
}

/* Everything that takes a system call the sandbox forbids comes first. */
static void server_setup(struct server *sv)
{
	char err[256];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sv->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	sv->loop = loop_new();
	if (sv->sig_fd < 0 || !sv->loop ||
	    loop_add(sv->loop, sv->sig_fd, POLLIN, server_signal, sv) < 0 ||
	    loop_add(sv->loop, sv->o->ipc, POLLIN, server_ipc, sv) < 0)
		fatal("server: cannot set up its loop: %s", strerror(errno));
	/* jansson seeds its hash tables from /dev/urandom on first use */
	json_object_seed(0);
	/* and glibc's gmtime_r reads /etc/localtime once, on first use */
	tzset();
	if (sv->o->user.note[0])
		log_notice("%s", sv->o->user.note);
	sv->o->events.ask_fresh = server_events_fresh;
	sv->o->events.ctx = sv;
	sv->feed.events = events_new(sv->loop, sv->o->destroy, &sv->o->events);
	if (!sv->feed.events)
		fatal("server: no memory for events: %s", strerror(errno));
	if (privs_server(&sv->o->user, err, sizeof(err)) < 0 ||
	    sandbox_server(err, sizeof(err)) < 0)
		fatal("server: %s", err);
	log_debug("server: pid %ld, uid %u, no capabilities, sandboxed",
		  (long)getpid(), (unsigned)geteuid());
}

int server_main(struct server_opts *o)
{
	struct server sv = { .o = o,
			     .feed = { .ask_fresh = server_ask_fresh } };

	sv.feed.ctx = &sv;
	server_setup(&sv);
	while (!sv.quit) {
		uint64_t now;

		if (loop_once(sv.loop, SERVER_TICK_MS) < 0)
			fatal("server: poll: %s", strerror(errno));
		now = clock_mono_ms();
		if (sv.ctl && now - sv.last_sweep_ms >= SERVER_SWEEP_MS) {
			control_sweep(sv.ctl);
			sv.last_sweep_ms = now;
		}
		mem_trim(now);
	}
	control_free(sv.ctl);
	events_free(sv.feed.events);
	snap_unref(sv.feed.current);
	loop_free(sv.loop);
	close(sv.sig_fd);
	return sv.status;
}
