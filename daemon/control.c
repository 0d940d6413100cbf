/* SPDX-License-Identifier: ISC */
/*
 * control.c - clients of the control socket, served without blocking.
 * This is the transport: it reads request lines, looks the command up
 * in its table, and moves the bytes that lib/query writes. Every client
 * has a bounded out buffer, filled one bounded step at a time when it
 * has drained, so no reader holds the server or its memory for long.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "encode.h"
#include "fdpass.h"
#include "filter.h"
#include "hquery.h"
#include "log.h"
#include "proto.h"
#include "query.h"

#define CONTROL_READ_CHUNK 4096
#define CONTROL_OUT_MAX                                                        \
	((size_t)256 * 1024) /* encoded and not yet sent, a client */
#define CONTROL_PAUSE_MS 200
#define CONTROL_KEEP_OUT 65536	 /* out buffer kept between replies */
#define CONTROL_ACCEPT_BUDGET 64 /* clients accepted in one turn */

enum reply {
	REPLY_NONE,   /* waiting for a request */
	REPLY_FRESH,  /* waiting for a picture taken from fresh_from_ms on */
	REPLY_LIST,   /* streaming a listing or a history answer */
	REPLY_EVENTS, /* subscribed: events as they come, until it leaves */
	REPLY_LAST,   /* the last record is in out */
};

struct client {
	struct client *next;
	struct control *ctl;
	int fd;
	int dead;    /* to be freed at the end of the handler */
	int eof;     /* the client will send no more */
	int closing; /* close once out is written */
	enum reply reply;
	struct jbuf in;
	struct jbuf out;
	size_t out_off;
	struct snap *snap; /* held while streaming */
	struct query *query;
	struct hquery *hquery; /* a history answer under way */
	struct events_sub sub; /* while REPLY_EVENTS */
	int queued;	       /* and it has events to send since since_ms */
	struct filter *filter; /* of the request under way, or NULL */
	uint64_t since_ms;     /* last request read or bytes written */
	uint64_t fresh_from_ms;
	enum proto_cmd fresh_cmd; /* what a fresh picture is wanted for */
	enum proto_view view;	  /* of the listing under way */
	int pass_fd;		  /* goes with the first byte of out */
	struct ucred cred;
	int all;	  /* may see every process, not only its own */
	size_t footprint; /* its share of control.mem */
	int mem_wait;	  /* its listing waits for memory to free */
	int admitted;	  /* its listing holds CONTROL_OUT_MAX of the budget */
};

struct control {
	struct loop *loop;
	int listen_fd;
	const struct control_feed *feed;
	struct control_opts opts;
	struct client *clients;
	size_t nclients;
	int fresh_asked; /* the poller was asked (2: for a full view), and
			    has not answered */
	size_t mem;	 /* what every client holds, buffers and queries */
	int waking; /* in control_wake, a sweep, or closing: no wake inside */
	uint64_t start_ms;
	uint64_t accept_paused_until; /* out of fds: let clients leave first */
	uint64_t clients_total;
	uint64_t requests;
	uint64_t request_errors;
	struct query_rates rates; /* of the listings' listen groups */
};

/* One handler a command; the protocol table says which fields it takes. */
struct command {
	enum proto_cmd id;
	void (*handle)(struct control *ctl, struct client *c,
		       struct proto_request *req);
};

static void client_update(struct client *c);
static void client_flush(struct control *ctl, struct client *c);

static void client_reply_error(struct control *ctl, struct client *c,
			       enum proto_code code, const char *msg)
{
	ctl->request_errors++;
	proto_error(&c->out, code, msg);
	c->reply = REPLY_LAST;
}

static void client_end_reply(struct client *c)
{
	/* a large reply left its size behind: not kept */
	if (c->out.cap > CONTROL_KEEP_OUT && c->out.len == 0)
		jbuf_free(&c->out);
	query_free(c->query);
	c->query = NULL;
	hquery_free(c->hquery);
	c->hquery = NULL;
	if (c->reply == REPLY_EVENTS)
		events_unsubscribe(c->ctl->feed->events, &c->sub);
	snap_unref(c->snap);
	c->snap = NULL;
	filter_free(c->filter);
	c->filter = NULL;
	c->pass_fd = -1;
	c->admitted = 0;
	c->reply = REPLY_NONE;
}

/* Holds the current picture for the reply, or answers there is none. */
static int client_take_picture(struct control *ctl, struct client *c)
{
	if (!ctl->feed->current) {
		client_reply_error(ctl, c, PROTO_UNAVAILABLE,
				   "no picture yet: the kernel dump failed; "
				   "see the daemon's log");
		return 0;
	}
	c->snap = snap_ref(ctl->feed->current);
	return 1;
}

static int control_rates(const void *ctx, const struct endpoint *ep,
			 double *opened, double *closed)
{
	return events_rates(ctx, ep, opened, closed);
}

static void client_start_list(struct control *ctl, struct client *c)
{
	struct snap *s = ctl->feed->current;
	struct query_opts qo = {
		.filter = c->filter,
		.all = c->all,
		.uid = (uint32_t)c->cred.uid,
		.now_mono_ms = clock_mono_ms(),
		.interval_ms = ctl->opts.interval_ms,
		.view = c->view,
		.overlay = s ? snap_overlay_of(s) : NULL,
		.rates = ctl->feed->events ? &ctl->rates : NULL,
	};

	if (!client_take_picture(ctl, c))
		return;
	c->query = query_new(&s->pic, &qo);
	if (!c->query) {
		client_end_reply(c);
		client_reply_error(ctl, c, PROTO_INTERNAL, "out of memory");
		return;
	}
	c->reply = REPLY_LIST;
}

/*
 * A recording: one record saying what it is, with the picture's sealed
 * memfd passed along; the client copies the bytes itself.
 */
static void client_start_record(struct control *ctl, struct client *c)
{
	struct snap *s = ctl->feed->current;
	const struct picture_header *h;

	if (!client_take_picture(ctl, c))
		return;
	h = s->pic.h;
	jbuf_puts(&c->out, "{\"type\":\"recording\",\"format\":"
			   "\"sockwatch-picture\",\"version\":");
	jbuf_u64(&c->out, h->version);
	jbuf_puts(&c->out, ",\"size\":");
	jbuf_u64(&c->out, h->size);
	jbuf_puts(&c->out, ",\"generation\":");
	jbuf_u64(&c->out, h->generation);
	jbuf_puts(&c->out, ",\"sockets\":");
	jbuf_u64(&c->out, s->pic.n);
	jbuf_puts(&c->out, ",\"groups\":");
	jbuf_u64(&c->out, s->pic.ngroups);
	jbuf_puts(&c->out, "}\n");
	c->pass_fd = snap_picture_fd(s);
	c->reply = REPLY_LAST;
}

/* The answer a command gives once its picture is there. */
static void client_start(struct control *ctl, struct client *c,
			 enum proto_cmd cmd)
{
	if (cmd == PROTO_CMD_RECORD)
		client_start_record(ctl, c);
	else
		client_start_list(ctl, c);
}

/* Whether the current picture was taken late enough for a fresh ask. */
static int control_fresh_enough(const struct control *ctl, uint64_t from_ms)
{
	const struct snap *s = ctl->feed->current;

	return s && s->pic.h->taken_mono_ms >= from_ms;
}

/*
 * Asks the poller once for all who wait; again only when one who may
 * see everything (and so does not wait for the CPU budget) comes.
 */
static void control_ask_fresh(struct control *ctl, int full_view)
{
	int level = full_view ? 2 : 1;

	if (ctl->fresh_asked >= level)
		return;
	ctl->fresh_asked = level;
	ctl->feed->ask_fresh(ctl->feed->ctx, full_view);
}

static void client_when_fresh(struct control *ctl, struct client *c,
			      const struct proto_request *req);
static int client_filter(struct control *ctl, struct client *c,
			 const struct proto_request *req);

static void handle_list(struct control *ctl, struct client *c,
			struct proto_request *req)
{
	c->view = req->view;
	if (client_filter(ctl, c, req) < 0)
		return;
	client_when_fresh(ctl, c, req);
}

/* Answers now, or once a picture fresh enough for req has come. */
static void client_when_fresh(struct control *ctl, struct client *c,
			      const struct proto_request *req)
{
	uint64_t now = clock_mono_ms();

	c->fresh_from_ms =
		now > ctl->opts.fresh_min_ms ? now - ctl->opts.fresh_min_ms : 0;
	c->fresh_cmd = req->cmd;
	if (!req->fresh || control_fresh_enough(ctl, c->fresh_from_ms)) {
		client_start(ctl, c, req->cmd);
		return;
	}
	c->reply = REPLY_FRESH;
	log_debug("client pid %ld waits for a picture begun at %llu ms",
		  (long)c->cred.pid, (unsigned long long)c->fresh_from_ms);
	control_ask_fresh(ctl, c->all);
}

/* Says how complete attribution is and, when not, why, into note. */
static const char *control_attribution(const struct ipc_status *st, int counts,
				       char *note, size_t notesz,
				       const char **why)
{
	char n[32] = "some";

	*why = NULL;
	if (st->attribution == IPC_ATTR_OFF)
		return "off";
	if (st->attribution == IPC_ATTR_COMPLETE)
		return "complete";
	*why = note;
	if (st->why == IPC_WHY_OOM) {
		snprintf(note, notesz, "out of memory in the last poll");
	} else if (st->why == IPC_WHY_HIDEPID) {
		snprintf(note, notesz,
			 "/proc is mounted with hidepid=%.15s and sockwatchd "
			 "lacks CAP_SYS_PTRACE: other users' processes are "
			 "hidden from it",
			 st->hidepid);
	} else {
		if (counts)
			snprintf(n, sizeof(n), "%llu",
				 (unsigned long long)st->procs_denied);
		snprintf(note, notesz,
			 "%s processes of other users could not be read%s", n,
			 st->has_caps ? ""
				      : ": sockwatchd lacks "
					"CAP_DAC_READ_SEARCH and "
					"CAP_SYS_PTRACE");
	}
	return "partial";
}

static void control_status_events(const struct control *ctl,
				  struct proto_status *st)
{
	struct events_stats es;

	if (!ctl->feed->events)
		return;
	events_stats(ctl->feed->events, &es);
	st->has_events = 1;
	st->destroy_events = es.destroy_events;
	st->subscribers = es.subscribers;
	st->events = es.events;
	st->event_overruns = es.kernel_overruns;
	st->events_lost = es.kernel_lost;
	st->history_entries = es.history_entries;
	st->history_capacity = es.history_capacity;
	st->history_bytes = es.history_bytes;
}

static void handle_status(struct control *ctl, struct client *c,
			  struct proto_request *req)
{
	const struct ipc_status *ps = &ctl->feed->st;
	const struct snap *s = ctl->feed->current;
	char note[200];
	struct proto_status st = {
		.version = SOCKWATCH_VERSION,
		.pid = (long)ps->pid,
		.server_pid = (long)ctl->opts.server_pid,
		.uptime_ms = clock_mono_ms() - ctl->start_ms,
		.interval_ms = ctl->opts.interval_ms,
		.full_interval_ms = ps->full_interval_ms,
		.cpu_budget_pct = ps->cpu_budget_pct,
		.cpu_us = ps->cpu_us,
		.cpu_window_ms = ps->cpu_window_ms,
		.listener_polls = ps->listener_polls,
		.last_listener_scan_us = ps->listener_scan_us,
		.polls = ps->polls,
		.poll_errors = ps->errors + ps->listener_errors,
		.last_scan_us = ps->last_scan_us,
		.generation = ps->generation,
		.clients = ctl->nclients,
		.clients_total = ctl->clients_total,
		.requests = ctl->requests,
		.request_errors = ctl->request_errors,
		.udp_available = 1,
		/* how many processes the host runs is for those who see them */
		.host_counts = c->all && ps->attribution != IPC_ATTR_OFF,
		.procs_known = ps->procs_known,
		.procs_denied = ps->procs_denied,
		.sockets_unowned = ps->sockets_unowned,
		.attribution_us = ps->attr_us,
	};

	(void)req;
	st.attribution = control_attribution(ps, c->all, note, sizeof(note),
					     &st.attribution_note);
	control_status_events(ctl, &st);
	if (s) {
		st.sockets = s->pic.n;
		st.groups = s->pic.ngroups;
		st.udp_available =
			!(s->pic.h->flags & PICTURE_F_UDP_UNAVAILABLE);
	}
	proto_status(&c->out, &st);
	c->reply = REPLY_LAST;
}

static void handle_record(struct control *ctl, struct client *c,
			  struct proto_request *req)
{
	client_when_fresh(ctl, c, req);
}

/* The request's filter into c->filter; 0, or -1 with the error sent. */
static int client_filter(struct control *ctl, struct client *c,
			 const struct proto_request *req)
{
	struct filter_error err;

	if (!req->filter)
		return 0;
	c->filter = filter_parse(req->filter, &err);
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

/* Events have more for c to read: its fd is watched for writing. */
static void client_wake(void *ctx)
{
	struct client *c = ctx;
	short ev = POLLOUT;

	/* a stall is counted from the first event not yet sent, not from a
	 * quiet hour before it */
	if (!c->queued) {
		c->queued = 1;
		c->since_ms = clock_mono_ms();
	}
	if (!c->eof && c->in.len <= PROTO_MAX_LINE)
		ev |= POLLIN;
	loop_watch(c->ctl->loop, c->fd, ev);
}

static const char *control_host(const struct control *ctl)
{
	const struct snap *s = ctl->feed->current;

	return s ? picture_str(&s->pic, s->pic.h->host) : "";
}

/*
 * A subscriber holds the room of a whole queue from the start, as a
 * listing does; past --client-memory it is told to come back.
 */
static void handle_events(struct control *ctl, struct client *c,
			  struct proto_request *req)
{
	struct events *ev = ctl->feed->events;

	if (client_filter(ctl, c, req) < 0)
		return;
	if (ctl->mem + CONTROL_OUT_MAX > ctl->opts.client_memory) {
		client_reply_error(ctl, c, PROTO_UNAVAILABLE,
				   "the clients' memory is in use; try again "
				   "later");
		return;
	}
	c->sub = (struct events_sub){ .filter = c->filter,
				      .all = c->all,
				      .uid = (uint32_t)c->cred.uid,
				      .out = &c->out,
				      .out_off = &c->out_off,
				      .wake = client_wake,
				      .ctx = c };
	if (events_subscribe(ev, &c->sub) < 0) {
		client_reply_error(ctl, c, PROTO_UNAVAILABLE,
				   "too many event subscribers "
				   "(--max-subscribers); try again later");
		return;
	}
	c->reply = REPLY_EVENTS;
	c->admitted = 1;
	jbuf_puts(&c->out, "{\"type\":\"events\",\"schema\":\"" ENCODE_SCHEMA
			   "\",\"host\":");
	jbuf_str(&c->out, control_host(ctl));
	jbuf_puts(&c->out,
		  c->all ? ",\"processes\":\"all\"" : ",\"processes\":\"own\"");
	jbuf_puts(&c->out, events_kernel(ev) ? ",\"kernel\":true}\n"
					     : ",\"kernel\":false}\n");
}

static void handle_history(struct control *ctl, struct client *c,
			   struct proto_request *req)
{
	struct snap *s = ctl->feed->current;
	int64_t now = clock_real_ms();
	struct hquery_opts qo = {
		.all = c->all,
		.uid = (uint32_t)c->cred.uid,
		.counts = req->view == PROTO_VIEW_COUNTS,
		.host = control_host(ctl),
	};

	if (client_filter(ctl, c, req) < 0)
		return;
	if (req->since_ms)
		qo.since_ms = req->since_ms < (uint64_t)now
				      ? now - (int64_t)req->since_ms
				      : 1;
	c->snap = s ? snap_ref(s) : NULL; /* names devices, to the end */
	qo.filter = c->filter;
	qo.names = s ? &s->pic : NULL;
	c->hquery = hquery_new(events_history(ctl->feed->events), &qo);
	if (!c->hquery) {
		client_end_reply(c);
		client_reply_error(ctl, c, PROTO_INTERNAL, "out of memory");
		return;
	}
	c->reply = REPLY_LIST;
}

/* The handlers; lib/proto.c's table says what each command may carry. */
static const struct command commands[] = {
	{ PROTO_CMD_LIST, handle_list },
	{ PROTO_CMD_STATUS, handle_status },
	{ PROTO_CMD_RECORD, handle_record },
	{ PROTO_CMD_EVENTS, handle_events },
	{ PROTO_CMD_HISTORY, handle_history },
};

/* One request line: checked by proto_parse, then its command's handler. */
static void client_request(struct control *ctl, struct client *c,
			   const char *line, size_t len)
{
	struct proto_request req;
	enum proto_code code;
	char msg[256];
	size_t i;

	ctl->requests++;
	code = proto_parse(line, len, &req, msg, sizeof(msg));
	if (code != PROTO_OK) {
		client_reply_error(ctl, c, code, msg);
		return;
	}
	/* Permission: a whole picture is for who may see every process. */
	if ((proto_command(req.cmd)->flags & PROTO_C_FULL_VIEW) && !c->all) {
		client_reply_error(ctl, c, PROTO_DENIED,
				   "this command is for root, the daemon's "
				   "user and the socket's group");
		proto_request_clear(&req);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].id == req.cmd)
			commands[i].handle(ctl, c, &req);
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

/* send(), with the fd to pass riding on the first byte that goes. */
static ssize_t client_sendmsg(struct client *c)
{
	ssize_t n = fdpass_send(c->fd, c->out.p + c->out_off,
				c->out.len - c->out_off, c->pass_fd,
				MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n > 0)
		c->pass_fd = -1;
	return n;
}

/* Writes what it can of out; 1 when all of it went, 0 on EAGAIN, -1. */
static int client_send(struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = client_sendmsg(c);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		c->out_off += (size_t)n;
		c->since_ms = clock_mono_ms();
	}
	jbuf_reset(&c->out);
	c->out_off = 0;
	c->queued = 0;
	return 1;
}

/* What a client holds, with its query; a listing, all it may hold. */
static void client_account(struct client *c)
{
	size_t out = c->admitted && c->out.cap < CONTROL_OUT_MAX
			     ? CONTROL_OUT_MAX
			     : c->out.cap;
	size_t now = sizeof(*c) + c->in.cap + out + query_memory(c->query) +
		     hquery_memory(c->hquery);

	c->ctl->mem = c->ctl->mem - c->footprint + now;
	c->footprint = now;
}

/*
 * A listing starts once the budget has room for all the output it may
 * buffer, and holds that room to its end: past --client-memory new
 * listings wait for others to let go (stalled readers hold theirs until
 * --client-timeout), while one under way never waits behind them.
 */
static int client_must_wait(struct control *ctl, struct client *c)
{
	size_t need;

	if (c->admitted)
		return 0;
	need = c->out.cap < CONTROL_OUT_MAX ? CONTROL_OUT_MAX - c->out.cap : 0;
	c->mem_wait = ctl->mem + need > ctl->opts.client_memory;
	if (!c->mem_wait) {
		c->admitted = 1;
		client_account(c);
	}
	return c->mem_wait;
}

/* Memory came free: the listings that waited for it try again. */
static void control_wake(struct control *ctl)
{
	struct client *c, *next;

	if (ctl->waking)
		return;
	ctl->waking = 1;
	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (!c->mem_wait)
			continue;
		c->mem_wait = 0;
		client_flush(ctl, c);
		client_update(c);
		if (ctl->mem + CONTROL_OUT_MAX > ctl->opts.client_memory)
			break;
	}
	ctl->waking = 0;
}

/*
 * A loop over the clients that may free one holds the wakes: a wake from
 * inside it could free the client the loop holds as its next. Returns
 * whether they were held already, for the release.
 */
static int control_hold_wakes(struct control *ctl)
{
	int held = ctl->waking;

	ctl->waking = 1;
	return held;
}

static void control_release_wakes(struct control *ctl, int held)
{
	ctl->waking = held;
	if (!held)
		control_wake(ctl);
}

/*
 * Sends what is in out and, once it has all gone, writes the next step
 * of the reply: one step a turn, so that every client gets its turn.
 */
static void client_flush(struct control *ctl, struct client *c)
{
	int ret = client_send(c);

	if (ret > 0 && c->out.oom)
		ret = -1;
	if (ret > 0 && c->reply == REPLY_LIST && client_must_wait(ctl, c))
		return;
	if (ret > 0 && c->reply == REPLY_LIST) {
		/* half: one member more must not double the buffer */
		int more = c->hquery ? hquery_step(c->hquery, &c->out,
						   CONTROL_OUT_MAX / 2)
				     : query_step(c->query, &c->out,
						  CONTROL_OUT_MAX / 2);

		if (more < 0)
			ret = -1; /* no end record: the client sees a torn reply
				   */
		else if (!more)
			c->reply = REPLY_LAST;
		if (ret > 0)
			ret = client_send(c);
	}
	if (ret > 0 && c->reply == REPLY_EVENTS)
		events_drained(ctl->feed->events, &c->sub);
	if (ret > 0 && c->reply == REPLY_LAST && c->out.len == 0) {
		client_end_reply(c);
		client_next(ctl, c);
	}
	if (ret < 0)
		c->dead = 1;
	if (c->closing && c->out.len == 0 && c->reply == REPLY_NONE)
		c->dead = 1;
	if (c->eof && c->reply == REPLY_NONE && c->in.len == 0)
		c->dead = 1;
}

static void client_free(struct control *ctl, struct client *c)
{
	struct client **pp = &ctl->clients;

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	ctl->nclients--;
	client_end_reply(c);
	jbuf_free(&c->in);
	jbuf_free(&c->out);
	loop_del(ctl->loop, c->fd);
	close(c->fd);
	ctl->mem -= c->footprint;
	free(c);
	control_wake(ctl);
}

/* What the client's fd is watched for, given where its reply stands. */
static void client_update(struct client *c)
{
	short ev = 0;

	size_t before = c->ctl->mem;

	if (c->dead) {
		client_free(c->ctl, c);
		return;
	}
	client_account(c);
	if (c->ctl->mem < before)
		control_wake(c->ctl);
	/* Read ahead of a reply only as far as one line may go. */
	if (!c->eof && !c->closing &&
	    (c->reply == REPLY_NONE || c->in.len <= PROTO_MAX_LINE))
		ev |= POLLIN;
	if (c->out.len > c->out_off ||
	    (c->reply == REPLY_LIST && !c->mem_wait) || c->reply == REPLY_LAST)
		ev |= POLLOUT;
	loop_watch(c->ctl->loop, c->fd, ev);
}

static void client_ready(void *ctx, int fd, short revents)
{
	struct client *c = ctx;

	(void)fd;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		client_read(c);
	/* a subscriber that hung up may have nothing sent to notice it by */
	if ((revents & (POLLHUP | POLLERR)) && c->reply == REPLY_EVENTS)
		c->dead = 1;
	if (!c->dead) {
		client_next(c->ctl, c);
		client_flush(c->ctl, c);
	}
	client_update(c);
}

/* Over the limit: say why in one record and hang up. */
static void control_refuse(int fd, const char *why)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg),
			 "{\"type\":\"error\",\"code\":\"unavailable\","
			 "\"message\":\"%s\"}\n",
			 why);

	if (send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
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

	if (cred->uid == 0 || cred->uid == ctl->opts.owner)
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

static void control_credentials(struct control *ctl, struct client *c)
{
	socklen_t len = sizeof(struct ucred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) == 0) {
		c->all = control_may_see_all(ctl, c->fd, &c->cred);
		log_debug("client pid %ld uid %u connected, sees %s",
			  (long)c->cred.pid, (unsigned)c->cred.uid,
			  c->all ? "every process" : "its own processes");
	} else {
		c->cred.uid = (uid_t)-1; /* unknown: sees no process */
	}
}

/* Connections the uid of fd's peer has already; root is not counted. */
static int control_user_full(const struct control *ctl, const struct ucred *cr)
{
	const struct client *c;
	unsigned n = 0;

	if (cr->uid == 0)
		return 0;
	for (c = ctl->clients; c; c = c->next)
		n += c->cred.uid == cr->uid;
	return n >= ctl->opts.max_per_user;
}

static void control_add(struct control *ctl, int fd)
{
	struct ucred cr = { .uid = (uid_t)-1 };
	socklen_t len = sizeof(cr);
	struct client *c;

	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	if (control_user_full(ctl, &cr)) {
		log_warnx("refusing a client of uid %u: %u connected already",
			  (unsigned)cr.uid, ctl->opts.max_per_user);
		control_refuse(fd, "too many connections of this user; close "
				   "some first");
		return;
	}
	if (ctl->nclients >= CONTROL_MAX_CLIENTS) {
		log_warnx("refusing a client: %zu connected already",
			  ctl->nclients);
		control_refuse(fd, "too many clients; try again later");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_add(ctl->loop, fd, POLLIN, client_ready, c) < 0) {
		free(c);
		control_refuse(fd, "out of memory; try again later");
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->pass_fd = -1;
	c->since_ms = clock_mono_ms();
	control_credentials(ctl, c);
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	ctl->clients_total++;
}

/* Takes the clients waiting, up to a budget, so a flood cannot starve. */
static void control_accept(void *ctx, int listen_fd, short revents)
{
	struct control *ctl = ctx;
	int i;

	(void)revents;
	for (i = 0; i < CONTROL_ACCEPT_BUDGET; i++) {
		int fd = accept4(listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* The listener stays readable; polling it would spin.
			 */
			log_warnx("accept: %s; pausing new clients",
				  strerror(errno));
			ctl->accept_paused_until =
				clock_mono_ms() + CONTROL_PAUSE_MS;
			loop_watch(ctl->loop, listen_fd, 0);
			return;
		}
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warnx("accept: %s", strerror(errno));
			return;
		}
		control_add(ctl, fd);
	}
}

struct control *control_new(struct loop *loop, int listen_fd,
			    const struct control_feed *feed,
			    const struct control_opts *opts)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (!ctl)
		return NULL;
	ctl->loop = loop;
	ctl->listen_fd = listen_fd;
	ctl->feed = feed;
	ctl->opts = *opts;
	ctl->start_ms = clock_mono_ms();
	ctl->rates.get = control_rates;
	ctl->rates.ctx = feed->events;
	ctl->rates.window_s = EVENTS_RATE_WINDOW_S;
	if (loop_add(loop, listen_fd, POLLIN, control_accept, ctl) < 0) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

/* Runs f on every client still waiting for a fresh picture. */
static void control_each_fresh(struct control *ctl,
			       void (*f)(struct control *, struct client *))
{
	struct client *c, *next;

	int held = control_hold_wakes(ctl);

	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (c->reply != REPLY_FRESH)
			continue;
		f(ctl, c);
		if (c->reply != REPLY_FRESH) {
			client_flush(ctl, c);
			client_update(c);
		}
	}
	control_release_wakes(ctl, held);
}

static void fresh_serve(struct control *ctl, struct client *c)
{
	if (!control_fresh_enough(ctl, c->fresh_from_ms))
		return;
	c->reply = REPLY_NONE;
	client_start(ctl, c, c->fresh_cmd);
}

static void fresh_fail(struct control *ctl, struct client *c)
{
	if (ctl->feed->st.poll_start_ms < c->fresh_from_ms)
		return; /* that poll began before the ask */
	client_reply_error(ctl, c, PROTO_UNAVAILABLE,
			   "could not take a new picture; see the daemon's "
			   "log");
}

/* Asks again for those still waiting after a poll. */
static void control_ask_again(struct control *ctl)
{
	const struct client *c;
	int any = 0, full_view = 0;

	ctl->fresh_asked = 0;
	for (c = ctl->clients; c; c = c->next)
		if (c->reply == REPLY_FRESH) {
			any = 1;
			full_view |= c->all;
		}
	if (any)
		control_ask_fresh(ctl, full_view);
}

void control_picture(struct control *ctl)
{
	control_each_fresh(ctl, fresh_serve);
	control_ask_again(ctl);
}

void control_poll_failed(struct control *ctl)
{
	control_each_fresh(ctl, fresh_fail);
	control_ask_again(ctl);
}

void control_sweep(struct control *ctl)
{
	uint64_t now = clock_mono_ms();
	struct client *c, *next;
	int held;

	if (ctl->accept_paused_until && now >= ctl->accept_paused_until) {
		ctl->accept_paused_until = 0;
		loop_watch(ctl->loop, ctl->listen_fd, POLLIN);
	}
	held = control_hold_wakes(ctl);
	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (c->reply == REPLY_FRESH || c->mem_wait ||
		    now < c->since_ms + ctl->opts.timeout_ms)
			continue;
		if (c->reply == REPLY_EVENTS && c->out.len == c->out_off)
			continue; /* waiting for events, not stalled */
		log_debug("closing client pid %ld: %s", (long)c->cred.pid,
			  c->reply == REPLY_NONE ? "idle" : "not reading");
		client_free(ctl, c);
	}
	control_release_wakes(ctl, held); /* what they held, for the waiting */
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	ctl->waking = 1;
	while (ctl->clients)
		client_free(ctl, ctl->clients);
	loop_del(ctl->loop, ctl->listen_fd);
	free(ctl);
}
