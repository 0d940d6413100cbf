/* SPDX-License-Identifier: ISC */
/*
 * timeline.c - sockwatchctl events (a stream, a line an event, flushed
 * as it comes, for tail -f habits and pipes) and history (one answer,
 * grouped as list groups, newest first).
 */
#include "timeline.h"

#include <err.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records.h"
#include "render.h"

long long timeline_duration(const char *s)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = { { "ms", 1 },    { "s", 1000 },	{ "", 1000 },
		      { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	char *end;
	long long n;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0)
			return n > INT64_MAX / units[i].ms ? -1
							   : n * units[i].ms;
	return -1;
}

/* A reader that has gone, or ^C: the stream is over, and that is fine. */
static void timeline_stop(int sig)
{
	(void)sig;
	_exit(0);
}

/* A reader gone (EPIPE) ends the stream well; any other failure not. */
static void timeline_check(int failed)
{
	if (failed)
		_exit(errno == EPIPE ? 0 : EXIT_DAEMON_ERROR);
}

static void timeline_put(const char *line, size_t len)
{
	timeline_check(fwrite(line, 1, len, stdout) != len ||
		       putchar('\n') == EOF);
}

static void ev_raw(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	timeline_put(line, len);
}

static void ev_line(void *ctx, struct rd_event *ev)
{
	(void)ctx;
	render_event(ev, stdout);
	timeline_check(ferror(stdout));
}

static void ev_lost(void *ctx, const struct rd_lost *l)
{
	(void)ctx;
	render_lost(l, stdout);
	timeline_check(ferror(stdout));
}

/*
 * Out with what was written whenever the daemon has nothing more for now:
 * a line shows as soon as it came, and a burst costs a write, not one a
 * line.
 */
static void ev_idle(void *ctx)
{
	(void)ctx;
	timeline_check(fflush(stdout) == EOF);
}

int timeline_events(struct conn *c, const struct timeline_opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_EVENTS,
				     .filter = (char *)o->filter };
	struct rd_event_sink sink = { ev_line, ev_lost, NULL, ev_idle, NULL };

	signal(SIGINT, timeline_stop);
	signal(SIGTERM, timeline_stop);
	signal(SIGPIPE, SIG_IGN);
	if (o->json || o->jsonl || o->pretty)
		sink.raw = ev_raw;
	conn_send(c, &req);
	rd_events(c, &sink);
	errx(EXIT_DAEMON_ERROR, "sockwatchd ended the events stream");
}

/* The history as one document: the header's fields, groups, totals. */
struct hist_doc {
	json_t *doc, *groups;
};

static json_t *hist_parse(const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL);

	if (!o)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	return o;
}

static void hd_header(void *ctx, struct rd_history *h)
{
	struct hist_doc *d = ctx;

	d->doc = json_deep_copy(h->json);
	d->groups = json_array();
	if (!d->doc || !d->groups)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	json_object_set_new(d->doc, "groups", d->groups);
}

static void hd_raw(void *ctx, const char *line, size_t len)
{
	struct hist_doc *d = ctx;
	json_t *g = hist_parse(line, len);

	json_object_del(g, "type");
	json_array_append_new(d->groups, g);
}

static void hd_end(void *ctx, struct rd_end *e)
{
	struct hist_doc *d = ctx;

	json_object_set(d->doc, "totals", json_object_get(e->json, "totals"));
}

static void hl_raw(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	timeline_put(line, len);
}

/* A record read and checked, passed on as one line. */
static void hl_json(const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!text)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	timeline_put(text, strlen(text));
	free(text);
}

static void hl_header(void *ctx, struct rd_history *h)
{
	(void)ctx;
	hl_json(h->json);
}

static void hl_end(void *ctx, struct rd_end *e)
{
	(void)ctx;
	hl_json(e->json);
}

static void ht_header(void *ctx, struct rd_history *h)
{
	const struct timeline_opts *o = ctx;

	if (o->header)
		render_history_header(h, stdout);
}

static void ht_group(void *ctx, struct rd_closed_group *g)
{
	const struct timeline_opts *o = ctx;

	render_closed_group(g, stdout, !o->counts);
}

static void ht_end(void *ctx, struct rd_end *e)
{
	const struct timeline_opts *o = ctx;

	if (o->header)
		printf("%lld group%s, %lld closed connection%s\n", e->count,
		       e->count == 1 ? "" : "s", e->sockets,
		       e->sockets == 1 ? "" : "s");
}

int timeline_history(struct conn *c, const struct timeline_opts *o)
{
	struct proto_request req = { .cmd = PROTO_CMD_HISTORY,
				     .filter = (char *)o->filter,
				     .since_ms = o->since_ms };
	struct hist_doc d = { NULL, NULL };
	int doc = o->json || o->pretty;

	if (o->counts)
		req.view = PROTO_VIEW_COUNTS;
	conn_send(c, &req);
	if (doc) {
		struct rd_history_sink s = { hd_header, NULL, hd_raw, hd_end,
					     &d };

		rd_history(c, &s);
		json_object_set_new(d.doc, "type", json_string("history"));
		json_dumpf(d.doc, stdout,
			   JSON_PRESERVE_ORDER |
				   (o->pretty ? JSON_INDENT(2) : JSON_COMPACT));
		putchar('\n');
		json_decref(d.doc);
	} else if (o->jsonl) {
		struct rd_history_sink s = { hl_header, NULL, hl_raw, hl_end,
					     NULL };

		rd_history(c, &s);
	} else {
		struct rd_history_sink s = { ht_header, ht_group, NULL, ht_end,
					     (void *)o };

		rd_history(c, &s);
	}
	return 0;
}
