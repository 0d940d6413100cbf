/* SPDX-License-Identifier: ISC */
/* control.c - clients of the control socket, served without blocking. */
#include "control.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "encode.h"
#include "filter.h"
#include "log.h"
#include "proto.h"

#define CONTROL_READ_CHUNK 4096
#define CONTROL_SPAN 65536 /* bytes of a listing to encode ahead */
#define CONTROL_PAUSE_MS 200
#define CONTROL_KEEP_OUT 65536 /* out buffer kept between replies */

enum reply {
	REPLY_NONE,  /* waiting for a request */
	REPLY_FRESH, /* waiting for the next poll */
	REPLY_LIST,  /* streaming group records from a snapshot */
	REPLY_LAST,  /* the last record is in out */
};

struct client {
	struct client *next;
	int fd;
	int dead;    /* to be freed at the end of the round */
	int eof;     /* the client will send no more */
	int closing; /* close once out is written */
	enum reply reply;
	struct jbuf in;
	struct jbuf out;
	size_t out_off;
	struct snapshot *snap; /* held while streaming */
	size_t cache_off;
	uint64_t since_ms; /* last request read or bytes written */
	struct ucred cred;
	int all;	       /* may see every process, not only its own */
	size_t next_group;     /* streaming its own encoding: the next group */
	size_t sent;	       /* group records of the reply so far */
	struct filter *filter; /* of the list request under way, or NULL */
	uint8_t *match;	       /* a byte a record: passed the filter */
	struct encode_totals totals;
};

struct control {
	int listen_fd;
	struct scanner *sc;
	struct control_opts opts;
	struct client *clients;
	size_t nclients;
	struct client *polled[CONTROL_MAX_CLIENTS];
	size_t npolled;
	size_t fresh_waiting;
	uint64_t start_ms;
	uint64_t accept_paused_until; /* out of fds: let clients leave first */
	uint64_t clients_total;
	uint64_t requests;
	uint64_t request_errors;
};

struct control *control_new(int listen_fd, struct scanner *sc,
			    const struct control_opts *opts)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (!ctl)
		return NULL;
	ctl->listen_fd = listen_fd;
	ctl->sc = sc;
	ctl->opts = *opts;
	ctl->start_ms = clock_mono_ms();
	return ctl;
}

static void client_reply_error(struct control *ctl, struct client *c,
			       enum proto_code code, const char *msg)
{
	ctl->request_errors++;
	proto_error(&c->out, code, msg);
	c->reply = REPLY_LAST;
}

static void client_end_reply(struct client *c)
{
	/* a group of 100,000 connections left its size behind: not kept */
	if (c->out.cap > CONTROL_KEEP_OUT && c->out.len == 0)
		jbuf_free(&c->out);
	snapshot_unref(c->snap);
	c->snap = NULL;
	filter_free(c->filter);
	c->filter = NULL;
	free(c->match);
	c->match = NULL;
	c->reply = REPLY_NONE;
}

/* What the filter's own terms ask of a snapshot, for one reader. */
struct match_ctx {
	const struct snapshot *s;
	const uint8_t *outbound; /* a byte a record */
	const uint32_t *uid;	 /* the reader's, when it sees only its own */
};

static int match_outbound(const void *ctx, size_t i)
{
	return ((const struct match_ctx *)ctx)->outbound[i];
}

/* A reader who may not see others' processes may not filter on them. */
static size_t match_procs(const void *ctx, size_t i, struct filter_proc *out,
			  size_t max)
{
	const struct match_ctx *m = ctx;
	const uint32_t *idx;
	size_t n = owners_of(&m->s->owners, i, &idx), k, got = 0;

	for (k = 0; k < n && got < max; k++) {
		const struct owners_proc *p = &m->s->owners.procs[idx[k]];

		if (m->uid && p->uid != *m->uid)
			continue;
		out[got].pid = p->pid;
		out[got].uid = p->uid;
		out[got].comm = p->comm;
		out[got].user = p->user;
		out[got].unit = p->unit;
		got++;
	}
	return got;
}

/* A byte a record: 1 when it sits in an outbound group. */
static uint8_t *outbound_map(const struct snapshot *s)
{
	uint8_t *out = calloc(s->n + 1, 1);
	size_t g, k;

	if (!out)
		return NULL;
	for (g = 0; g < s->grouping.ngroups; g++) {
		const struct sockgroup *gr = &s->grouping.groups[g];

		if (gr->ep.role != GROUP_OUTBOUND)
			continue;
		for (k = 0; k < gr->nconn; k++)
			out[s->grouping.order[gr->first + k]] = 1;
	}
	return out;
}

/*
 * Runs the filter over the whole picture once, before the first record:
 * the totals of the end record are those of what matched.
 */
static int client_match(struct client *c)
{
	const struct snapshot *s = c->snap;
	struct match_ctx ctx = { s, outbound_map(s),
				 c->all ? NULL : &c->cred.uid };
	struct filter_env env = { &ctx, match_outbound,
				  s->attributed ? match_procs : NULL };
	size_t i;

	c->match = malloc(s->n + 1);
	if (!c->match || !ctx.outbound) {
		free((void *)ctx.outbound);
		return -1;
	}
	memset(&c->totals, 0, sizeof(c->totals));
	for (i = 0; i < s->n; i++) {
		c->match[i] =
			(uint8_t)filter_match(c->filter, &s->recs[i], i, &env);
		if (!c->match[i])
			continue;
		c->totals.sockets++;
		if (s->recs[i].proto == IPPROTO_TCP)
			c->totals.tcp++;
		else
			c->totals.udp++;
	}
	free((void *)ctx.outbound);
	return 0;
}

static void client_start_list(struct control *ctl, struct client *c)
{
	struct snapshot *s = ctl->sc->current;

	if (!s) {
		client_reply_error(ctl, c, PROTO_UNAVAILABLE,
				   "no picture yet: the kernel dump failed; "
				   "see the daemon's log");
		return;
	}
	c->snap = snapshot_ref(s);
	c->cache_off = 0;
	c->next_group = 0;
	c->sent = 0;
	encode_totals_all(s, &c->totals);
	if (c->filter && client_match(c) < 0) {
		client_end_reply(c);
		client_reply_error(ctl, c, PROTO_INTERNAL, "out of memory");
		return;
	}
	encode_header(&c->out, s, clock_mono_ms(), ctl->opts.interval_ms,
		      c->all);
	c->reply = REPLY_LIST;
}

static void control_status(struct control *ctl, struct client *c)
{
	const struct scanner *sc = ctl->sc;
	char note[200];
	struct proto_status st = {
		.version = SOCKWATCH_VERSION,
		.pid = (long)getpid(),
		.uptime_ms = clock_mono_ms() - ctl->start_ms,
		.interval_ms = ctl->opts.interval_ms,
		.polls = sc->polls,
		.poll_errors = sc->errors,
		.last_scan_us = sc->last_scan_us,
		.generation = sc->generation,
		.clients = ctl->nclients,
		.clients_total = ctl->clients_total,
		.requests = ctl->requests,
		.request_errors = ctl->request_errors,
		.udp_available = 1,
	};

	if (sc->procs) {
		struct procs_stats ps;

		/* how many processes the host runs is for those who see them */
		procs_stats(sc->procs, &ps);
		st.host_counts = c->all;
		st.procs_known = ps.procs;
		st.procs_denied = ps.denied;
		st.sockets_unowned = ps.unresolved;
		st.attribution_us = sc->attr_us;
	}
	st.attribution = scan_attribution(sc, c->all, note, sizeof(note),
					  &st.attribution_note);
	if (sc->current) {
		st.sockets = sc->current->n;
		st.groups = sc->current->grouping.ngroups;
		st.udp_available = !(sc->current->flags & DIAG_UDP_UNAVAILABLE);
	}
	proto_status(&c->out, &st);
	c->reply = REPLY_LAST;
}

/* Parses a list request's filter, or answers with where it is wrong. */
static int client_filter(struct control *ctl, struct client *c,
			 const char *text)
{
	struct filter_error err;

	c->filter = filter_parse(text, &err);
	if (c->filter)
		return 0;
	ctl->request_errors++;
	if (errno == ENOMEM)
		proto_error(&c->out, PROTO_INTERNAL, "out of memory");
	else
		proto_filter_error(&c->out, &err);
	c->reply = REPLY_LAST;
	return -1;
}

/* One request line: checked by proto_parse, then one handler a command. */
static void client_request(struct control *ctl, struct client *c,
			   const char *line, size_t len)
{
	struct proto_request req;
	enum proto_code code;
	char msg[256];

	ctl->requests++;
	code = proto_parse(line, len, &req, msg, sizeof(msg));
	if (code != PROTO_OK) {
		client_reply_error(ctl, c, code, msg);
		return;
	}
	/* Permission: anyone who may open the socket may use every command. */
	switch (req.cmd) {
	case PROTO_CMD_LIST:
		if (req.filter && client_filter(ctl, c, req.filter) < 0)
			break;
		if (!req.fresh) {
			client_start_list(ctl, c);
			break;
		}
		c->reply = REPLY_FRESH;
		ctl->fresh_waiting++;
		break;
	case PROTO_CMD_STATUS:
		control_status(ctl, c);
		break;
	}
	proto_request_clear(&req);
}

/* Takes the next complete line from in, if no reply is under way. */
static void client_next(struct control *ctl, struct client *c)
{
	while (c->reply == REPLY_NONE && !c->closing) {
		char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
		size_t len = nl ? (size_t)(nl - c->in.p) : c->in.len;

		/* Whether or not its end has come, the rest cannot be trusted.
		 */
		if (len > PROTO_MAX_LINE) {
			ctl->requests++;
			client_reply_error(ctl, c, PROTO_TOO_LARGE,
					   "request line longer than 65536 "
					   "bytes; closing");
			c->closing = 1;
			return;
		}
		if (!nl && !(c->eof && c->in.len))
			return; /* wait for the rest of the line */
		if (len && c->in.p[len - 1] == '\r')
			len--;
		if (len)
			client_request(ctl, c, c->in.p, len);
		len = nl ? (size_t)(nl - c->in.p) + 1 : c->in.len;
		memmove(c->in.p, c->in.p + len, c->in.len - len);
		c->in.len -= len;
	}
}

static void client_read(struct client *c)
{
	ssize_t n;

	if (jbuf_reserve(&c->in, CONTROL_READ_CHUNK) < 0) {
		c->dead = 1;
		return;
	}
	n = recv(c->fd, c->in.p + c->in.len, CONTROL_READ_CHUNK, MSG_DONTWAIT);
	if (n > 0) {
		c->in.len += (size_t)n;
		c->since_ms = clock_mono_ms();
	} else if (n == 0) {
		c->eof = 1;
	} else if (errno != EAGAIN && errno != EINTR) {
		c->dead = 1;
	}
}

/* Writes what it can; 1 when it wrote all of p, 0 on EAGAIN, -1 dead. */
static int client_send(struct client *c, const char *p, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(c->fd, p + *off, len - *off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		*off += (size_t)n;
		c->since_ms = clock_mono_ms();
	}
	return 1;
}

/*
 * A filtered listing, or one for a reader who may not see every process,
 * is encoded for that reader alone, a group at a time into its (drained)
 * out buffer; groups with no matching member are passed over.
 */
static int client_stream_own(struct client *c)
{
	const uint32_t *uid = c->all ? NULL : &c->cred.uid;

	while (c->next_group < c->snap->grouping.ngroups)
		if (encode_group_for(&c->out, c->snap, c->next_group++,
				     c->match, uid)) {
			c->sent++;
			return 1;
		}
	if (c->match)
		c->totals.groups = c->sent;
	encode_end(&c->out, c->sent, &c->totals);
	c->reply = REPLY_LAST;
	return 1;
}

/* Streams the group records straight from the snapshot's shared cache. */
static int client_stream(struct client *c)
{
	const char *p;
	size_t len, off = 0;
	int ret;

	if (!c->all || c->match)
		return client_stream_own(c);
	if (snapshot_cache_span(c->snap, c->cache_off, CONTROL_SPAN, &p, &len) <
	    0)
		return -1; /* no end record: the client sees it is cut short */
	if (len == 0) {
		encode_end(&c->out, c->snap->grouping.ngroups, &c->totals);
		c->reply = REPLY_LAST;
		return 1;
	}
	ret = client_send(c, p, len, &off);
	c->cache_off += off;
	return ret;
}

static void client_flush(struct control *ctl, struct client *c)
{
	int ret = 1;

	while (ret > 0 && !c->dead) {
		ret = client_send(c, c->out.p, c->out.len, &c->out_off);
		if (ret <= 0)
			break;
		jbuf_reset(&c->out);
		c->out_off = 0;
		if (c->out.oom)
			ret = -1;
		else if (c->reply == REPLY_LIST)
			ret = client_stream(c);
		else if (c->reply == REPLY_LAST) {
			client_end_reply(c);
			client_next(ctl, c);
			ret = c->reply == REPLY_NONE ? 0 : 1;
		} else
			break;
	}
	if (ret < 0)
		c->dead = 1;
	if (c->closing && c->out.len == 0 && c->reply == REPLY_NONE)
		c->dead = 1;
	if (c->eof && c->reply == REPLY_NONE && c->in.len == 0)
		c->dead = 1;
}

static void client_free(struct client *c)
{
	client_end_reply(c);
	jbuf_free(&c->in);
	jbuf_free(&c->out);
	close(c->fd);
	free(c);
}

/* Over the limit: say why in one record and hang up. */
static void control_refuse(int fd)
{
	static const char msg[] =
		"{\"type\":\"error\",\"code\":\"unavailable\",\"message\":"
		"\"too many clients; try again later\"}\n";

	if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("refusing a client: %s", strerror(errno));
	close(fd);
}

/*
 * Root, the daemon's own user, and members of the socket's group see
 * every process; anyone else who may connect sees all the sockets (as
 * ss would show them) but only their own processes.
 */
static int control_may_see_all(const struct control *ctl, int fd,
			       const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cred->uid == 0 || cred->uid == geteuid())
		return 1;
	if (!ctl->opts.has_group)
		return 0;
	if (cred->gid == ctl->opts.group)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return 0; /* more than 256 groups, or unknown: no */
	for (i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == ctl->opts.group)
			return 1;
	return 0;
}

static void control_accept(struct control *ctl)
{
	socklen_t len = sizeof(struct ucred);
	struct client *c;
	int fd;

	fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		/* The listener stays readable; polling it now would spin. */
		log_warnx("accept: %s; pausing new clients", strerror(errno));
		ctl->accept_paused_until = clock_mono_ms() + CONTROL_PAUSE_MS;
		return;
	}
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warnx("accept: %s", strerror(errno));
		return;
	}
	if (ctl->nclients >= CONTROL_MAX_CLIENTS ||
	    !(c = calloc(1, sizeof(*c)))) {
		log_warnx("refusing a client: %zu connected already",
			  ctl->nclients);
		control_refuse(fd);
		return;
	}
	c->fd = fd;
	c->since_ms = clock_mono_ms();
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) == 0) {
		c->all = control_may_see_all(ctl, fd, &c->cred);
		log_debug("client pid %ld uid %u connected, sees %s",
			  (long)c->cred.pid, (unsigned)c->cred.uid,
			  c->all ? "every process" : "its own processes");
	} else {
		c->cred.uid = (uid_t)-1; /* unknown: sees no process */
	}
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	ctl->clients_total++;
}

size_t control_pollfds(struct control *ctl, struct pollfd *fds)
{
	struct client *c;
	size_t n = 0;

	fds[n].fd = ctl->listen_fd;
	fds[n++].events =
		clock_mono_ms() < ctl->accept_paused_until ? 0 : POLLIN;
	ctl->npolled = 0;
	for (c = ctl->clients; c; c = c->next) {
		short ev = 0;

		/* Read ahead of a reply only as far as one line may go. */
		if (!c->eof && !c->closing &&
		    (c->reply == REPLY_NONE || c->in.len <= PROTO_MAX_LINE))
			ev |= POLLIN;
		if (c->out.len > c->out_off || c->reply == REPLY_LIST ||
		    c->reply == REPLY_LAST)
			ev |= POLLOUT;
		fds[n].fd = c->fd;
		fds[n++].events = ev;
		ctl->polled[ctl->npolled++] = c;
	}
	return n;
}

static void control_reap(struct control *ctl)
{
	struct client **pp = &ctl->clients;

	while (*pp) {
		struct client *c = *pp;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		if (c->reply == REPLY_FRESH)
			ctl->fresh_waiting--;
		*pp = c->next;
		ctl->nclients--;
		client_free(c);
	}
}

void control_events(struct control *ctl, const struct pollfd *fds, size_t n)
{
	size_t i;

	for (i = 1; i < n && i - 1 < ctl->npolled; i++) {
		struct client *c = ctl->polled[i - 1];

		if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(c);
		if (!c->dead) {
			client_next(ctl, c);
			client_flush(ctl, c);
		}
	}
	if (fds[0].revents & POLLIN)
		control_accept(ctl);
	control_reap(ctl);
}

int control_fresh_wanted(const struct control *ctl)
{
	return ctl->fresh_waiting > 0;
}

void control_fresh_done(struct control *ctl, int ok)
{
	struct client *c;

	for (c = ctl->clients; c; c = c->next) {
		if (c->reply != REPLY_FRESH)
			continue;
		c->reply = REPLY_NONE;
		if (ok)
			client_start_list(ctl, c);
		else
			client_reply_error(ctl, c, PROTO_UNAVAILABLE,
					   "could not take a new picture; see "
					   "the daemon's log");
		client_flush(ctl, c);
	}
	ctl->fresh_waiting = 0;
	control_reap(ctl);
}

void control_sweep(struct control *ctl)
{
	uint64_t now = clock_mono_ms();
	struct client *c;

	for (c = ctl->clients; c; c = c->next) {
		if (c->reply == REPLY_FRESH ||
		    now - c->since_ms < ctl->opts.timeout_ms)
			continue;
		log_debug("closing client pid %ld: %s", (long)c->cred.pid,
			  c->reply == REPLY_NONE ? "idle" : "not reading");
		c->dead = 1;
	}
	control_reap(ctl);
}

void control_free(struct control *ctl)
{
	struct client *c;

	if (!ctl)
		return;
	while ((c = ctl->clients)) {
		ctl->clients = c->next;
		client_free(c);
	}
	free(ctl);
}
