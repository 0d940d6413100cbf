/* SPDX-License-Identifier: ISC */
/*
 * records.c - one receive loop, and each record read with json_unpack
 * against the fields it must have: what is read is typed from here on.
 */
#include "records.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "jscan.h"
#include "render.h"

#define GROUP_PREFIX "{\"type\":\"group\","
#define SUMMARY_PREFIX "{\"type\":\"summary\","
#define END_PREFIX "{\"type\":\"end\","

static void rd_unreadable(const char *type, const char *why)
{
	errx(EXIT_DAEMON_ERROR,
	     "sockwatchd sent a %s record this sockwatchctl cannot read (%s); "
	     "are they of the same version?",
	     type, render_safe(why));
}

/* json_unpack_ex's verdict, with the record's type when it failed. */
static void rd_check(int ret, const char *type, const json_error_t *e)
{
	if (ret < 0)
		rd_unreadable(type, e->text);
}

/* A string or null (NULL); anything else is an error. */
static const char *rd_nullable(json_t *v, const char *type, const char *key)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (v && !json_is_null(v)) {
		char why[128];

		snprintf(why, sizeof(why),
			 "\"%s\" is neither a string nor null", key);
		rd_unreadable(type, why);
	}
	return NULL;
}

/* Who answers, for the messages: the daemon, or --from's file. */
static const char *rd_who = "sockwatchd";

void rd_answered_by(const char *who)
{
	rd_who = who;
}

/*
 * Says what the daemon's error record says and exits: 2 for a filter it
 * refused (the user's mistake, like bad usage), 4 for a request it
 * denied, else 1. The record is freed first, so that nothing is left
 * behind at exit.
 */
static void rd_error(json_t *err)
{
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	int status = !code			       ? EXIT_DAEMON_ERROR
		     : strcmp(code, "bad_filter") == 0 ? EXIT_USAGE
		     : strcmp(code, "denied") == 0     ? EXIT_DENIED
						       : EXIT_DAEMON_ERROR;
	char text[512];

	snprintf(text, sizeof(text), "%s (%s)", msg ? msg : "no message",
		 code ? code : "no code");
	json_decref(err);
	errx(status, "%s: %s", render_safe(rd_who), render_safe(text));
}

json_t *rd_record(const char *line, size_t len, const char *want)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	const char *type;

	if (!o || !json_is_object(o))
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd sent a malformed record: %s",
		     o ? "not an object" : render_safe(jerr.text));
	type = json_string_value(json_object_get(o, "type"));
	if (type && strcmp(type, "error") == 0)
		rd_error(o);
	if (!type || (want && strcmp(type, want) != 0))
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd sent a \"%s\" record where "
		     "a \"%s\" was expected",
		     type ? render_safe(type) : "untyped", want);
	return o;
}

static char *rd_next(struct conn *c, size_t *len)
{
	char *line = conn_line(c, len);

	if (!line)
		errx(EXIT_DAEMON_ERROR,
		     "the answer from sockwatchd was cut short; try again");
	return line;
}

static int rd_is(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && memcmp(line, prefix, n) == 0;
}

static void rd_header(json_t *o, struct rd_header *h)
{
	json_error_t e;

	memset(h, 0, sizeof(*h));
	h->json = o;
	rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:I, s:s, s:I, s:I, s:I, s:b}",
				"host", &h->host, "generation", &h->generation,
				"taken_at", &h->taken_at, "scan_us",
				&h->scan_us, "age_ms", &h->age_ms,
				"interval_ms", &h->interval_ms, "udp_available",
				&h->udp_available),
		 "header", &e);
	if (json_object_get(o, "source"))
		rd_check(json_unpack_ex(o, &e, 0, "{s:{s:s, s:s, s?s}}",
					"source", "file", &h->file, "format",
					&h->format, "writer", &h->writer),
			 "header", &e);
}

static void rd_counts(json_t *o, const char *type, struct rd_counts *c)
{
	const char *key;
	json_t *v;

	c->n = 0;
	if (!json_is_object(o))
		rd_unreadable(type, "\"counts\" is not an object");
	json_object_foreach (o, key, v) {
		if (!json_is_integer(v) || c->n == RD_MAX_COUNTS)
			rd_unreadable(type, "a count is not a number");
		c->v[c->n].state = key;
		c->v[c->n].n = json_integer_value(v);
		c->n++;
	}
}

/*
 * Typed group records, read with cli/jscan.c: a table of a million
 * connections reads a million members, and no tree is built for them.
 */

/* What a group record's reader carries: the scanner and where it is. */
struct rd_js {
	struct jscan s;
	const char *type; /* the record being read, for messages */
	struct rd_proc *procv;
	size_t nproc, proccap;
	struct rd_socket *members;
	size_t nmem, memcap;
};

static void rd_js_fail(const struct rd_js *r)
{
	rd_unreadable(r->type, r->s.err ? r->s.err : "malformed");
}

/* A call of the scanner that must work. */
static void rd_js_ok(const struct rd_js *r, int ret)
{
	if (ret < 0)
		rd_js_fail(r);
}

static void rd_missing(const struct rd_js *r, unsigned seen, unsigned all,
		       const char *const *keys)
{
	char why[96];
	unsigned i;

	for (i = 0; all >> i; i++)
		if ((all >> i & 1) && !(seen >> i & 1)) {
			snprintf(why, sizeof(why), "no \"%s\"", keys[i]);
			rd_unreadable(r->type, why);
		}
}

/*
 * The index of key in keys (n of them), or -1: a field to skip. The
 * first bytes are compared first: a table of a million members looks up
 * twelve million keys, and strcmp() alone was a fifth of its time.
 */
static int rd_key(const char *key, const char *const *keys, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (key[0] == keys[i][0] && !strcmp(key, keys[i]))
			return i;
	return -1;
}

#define RD_NKEYS(k) ((int)(sizeof(k) / sizeof((k)[0])))

static void rd_js_int(struct rd_js *r, long long *v)
{
	rd_js_ok(r, js_int(&r->s, v));
}

static void rd_js_str(struct rd_js *r, const char **v, int nullable)
{
	rd_js_ok(r, js_string(&r->s, v, nullable));
}

/* Reads the value of key k (a known one) of an object into obj. */
typedef void (*rd_field)(struct rd_js *r, int k, void *obj);

/*
 * An object's members: each key of keys read by field, any other
 * skipped, the required ones (a bit a key) checked; with once, a key
 * given twice is an error. Returns the keys seen.
 */
static unsigned rd_js_fields(struct rd_js *r, const char *const *keys,
			     int nkeys, unsigned required, int once,
			     rd_field field, void *obj)
{
	const char *key;
	unsigned seen = 0;
	int k;

	rd_js_ok(r, js_object(&r->s));
	while (rd_js_ok(r, k = js_member(&r->s, &key)), k == 1) {
		k = rd_key(key, keys, nkeys);
		if (k < 0) {
			rd_js_ok(r, js_skip(&r->s));
			continue;
		}
		if (once && (seen >> k & 1))
			rd_unreadable(r->type, "a field given twice");
		seen |= 1u << k;
		field(r, k, obj);
	}
	rd_missing(r, seen, required, keys);
	return seen;
}

/* The next element of a growing list, zeroed. */
static void *rd_js_slot(void *listp, size_t *cap, size_t *n, size_t size)
{
	char *at;

	if (grow(listp, cap, *n, size, 16) < 0)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	at = *(char **)listp + size * (*n)++;
	memset(at, 0, size);
	return at;
}

static void rd_js_proc_field(struct rd_js *r, int k, void *obj)
{
	struct rd_proc *p = obj;

	if (k == 0)
		rd_js_int(r, &p->pid);
	else if (k == 1)
		rd_js_str(r, &p->comm, 0);
	else if (k == 2)
		rd_js_str(r, &p->user, 0);
	else
		rd_js_str(r, &p->unit, 1);
}

/* {"pid":N,"comm":S,"user":S,"unit":S|null}, into the record's list. */
static void rd_js_proc(struct rd_js *r)
{
	static const char *const keys[] = { "pid", "comm", "user", "unit" };
	struct rd_proc *p =
		rd_js_slot(&r->procv, &r->proccap, &r->nproc, sizeof(*p));

	rd_js_fields(r, keys, RD_NKEYS(keys), 0xf, 0, rd_js_proc_field, p);
}

/*
 * "processes": their place in the record's list, which may still move;
 * rd_js_resolve turns it into pointers once the record is read.
 */
static void rd_js_procs(struct rd_js *r, struct rd_procs *p)
{
	int k;

	p->at = r->nproc;
	rd_js_ok(r, js_array(&r->s));
	while (rd_js_ok(r, k = js_element(&r->s)), k == 1)
		rd_js_proc(r);
	p->n = r->nproc - p->at;
	p->v = NULL;
}

static void rd_js_counts(struct rd_js *r, struct rd_counts *c)
{
	const char *key;
	int k;

	c->n = 0;
	rd_js_ok(r, js_object(&r->s));
	while (rd_js_ok(r, k = js_member(&r->s, &key)), k == 1) {
		if (c->n == RD_MAX_COUNTS)
			rd_unreadable(r->type, "too many counts");
		c->v[c->n].state = key;
		if (js_int(&r->s, &c->v[c->n].n) < 0)
			rd_unreadable(r->type, "a count is not a number");
		c->n++;
	}
}

static void rd_js_endpoint_field(struct rd_js *r, int k, void *obj)
{
	struct rd_endpoint *ep = obj;

	if (k == 0)
		rd_js_str(r, &ep->addr, 0);
	else if (k == 1)
		rd_js_int(r, &ep->port);
	else if (k == 2)
		rd_js_str(r, &ep->family, 0);
	else
		rd_js_str(r, &ep->dev, 1);
}

/*
 * {"family":S,"addr":S,"port":N,"dev":S|null}: a group's endpoint has
 * all four, a member's end addr and port (the first two of the keys).
 */
static void rd_js_endpoint(struct rd_js *r, struct rd_endpoint *ep, int nkeys)
{
	static const char *const keys[] = { "addr", "port", "family", "dev" };
	/* a member's device and v6only are the socket's, read apart */
	const char *dev = nkeys < 4 ? ep->dev : NULL;
	int dual = nkeys < 4 && ep->dual_stack;

	memset(ep, 0, sizeof(*ep));
	ep->dev = dev;
	ep->dual_stack = dual;
	rd_js_fields(r, keys, nkeys, (1u << nkeys) - 1, 0, rd_js_endpoint_field,
		     ep);
}

static void rd_js_peer_field(struct rd_js *r, int k, void *obj)
{
	struct rd_socket *m = obj;

	if (k == 0)
		rd_js_str(r, &m->peer, 0);
	else
		rd_js_procs(r, &m->peer_procs);
}

/* "peer":{"cookie":S,"processes":[...]}: the other end, a socket here. */
static void rd_js_peer(struct rd_js *r, struct rd_socket *m)
{
	static const char *const keys[] = { "cookie", "processes" };

	rd_js_fields(r, keys, RD_NKEYS(keys), 1, 0, rd_js_peer_field, m);
}

/* An IPv6 socket's v6only: false makes its [::] ss's "*". */
static void rd_js_member_v6only(struct rd_js *r, struct rd_socket *m)
{
	int v6only = 1;

	rd_js_ok(r, js_bool(&r->s, &v6only));
	m->local.dual_stack = !v6only;
}

static void rd_js_member_field(struct rd_js *r, int k, void *obj)
{
	struct rd_socket *m = obj;
	long long *const nums[] = { &m->inode, &m->uid, &m->rqueue,
				    &m->wqueue };

	if (k == 0)
		rd_js_str(r, &m->state, 0);
	else if (k == 1 || k == 2)
		rd_js_endpoint(r, k == 1 ? &m->local : &m->remote, 2);
	else if (k <= 6)
		rd_js_int(r, nums[k - 3]);
	else if (k == 7)
		rd_js_str(r, &m->local.dev, 1);
	else if (k == 8)
		rd_js_procs(r, &m->procs);
	else if (k == 9)
		rd_js_str(r, &m->cookie, 0);
	else if (k == 10)
		rd_js_member_v6only(r, m);
	else
		rd_js_peer(r, m);
}

/* One member of "sockets" or "connections", appended. */
static void rd_js_member(struct rd_js *r)
{
	static const char *const keys[] = { "state",  "local",	"remote",
					    "inode",  "uid",	"rqueue",
					    "wqueue", "dev",	"processes",
					    "cookie", "v6only", "peer" };
	struct rd_socket *m =
		rd_js_slot(&r->members, &r->memcap, &r->nmem, sizeof(*m));

	r->type = "socket";
	rd_js_fields(r, keys, RD_NKEYS(keys), 0xff, 0, rd_js_member_field, m);
	r->type = "group";
}

/* "sockets" or "connections": how many members it held. */
static size_t rd_js_members(struct rd_js *r)
{
	size_t before = r->nmem;
	int k;

	rd_js_ok(r, js_array(&r->s));
	while (rd_js_ok(r, k = js_element(&r->s)), k == 1)
		rd_js_member(r);
	return r->nmem - before;
}

static void rd_js_queue_field(struct rd_js *r, int k, void *obj)
{
	struct rd_group *g = obj;

	rd_js_int(r, k ? &g->qmax : &g->qlen);
}

static void rd_js_queue(struct rd_js *r, struct rd_group *g)
{
	static const char *const keys[] = { "len", "max" };

	rd_js_fields(r, keys, RD_NKEYS(keys), 0x3, 0, rd_js_queue_field, g);
	g->has_queue = 1;
}

enum {
	G_ROLE,
	G_PROTO,
	G_ENDPOINT,
	G_COUNTS,
	G_LOCAL,
	G_PROCESSES,
	G_QUEUE,
	G_SOCKETS,
	G_CONNECTIONS,
	G_NSOCKETS,
	G_NCONNECTIONS,
	G_V6ONLY,
};

static const char *const group_keys[] = {
	"role",	       "proto",	    "endpoint",	    "counts",
	"local",       "processes", "accept_queue", "sockets",
	"connections", "nsockets",  "nconnections", "v6only",
};

/* A group being read, the numbers of its counts view, its v6only. */
struct rd_js_group {
	struct rd_group *g;
	long long sizes[2];
	int v6only;
};

static void rd_js_group_field(struct rd_js *r, int k, void *obj)
{
	struct rd_js_group *jg = obj;
	struct rd_group *g = jg->g;

	switch (k) {
	case G_ROLE:
		rd_js_str(r, &g->role, 0);
		break;
	case G_PROTO:
		rd_js_str(r, &g->proto, 0);
		break;
	case G_ENDPOINT:
		rd_js_endpoint(r, &g->ep, 4);
		break;
	case G_COUNTS:
		rd_js_counts(r, &g->counts);
		break;
	case G_LOCAL:
		rd_js_ok(r, js_bool(&r->s, &g->local));
		break;
	case G_PROCESSES:
		rd_js_procs(r, &g->procs);
		break;
	case G_QUEUE:
		rd_js_queue(r, g);
		break;
	case G_SOCKETS:
		/* the daemon sends the sockets before the connections */
		if (r->nmem)
			rd_unreadable("group", "connections before sockets");
		g->nsock = rd_js_members(r);
		break;
	case G_CONNECTIONS:
		g->nconn = rd_js_members(r);
		break;
	case G_V6ONLY:
		rd_js_ok(r, js_bool(&r->s, &jg->v6only));
		break;
	default: /* G_NSOCKETS, G_NCONNECTIONS */
		rd_js_int(r, &jg->sizes[k - G_NSOCKETS]);
	}
}

/* Pointers into the lists, now that they have stopped growing. */
static void rd_js_resolve(struct rd_js *r, struct rd_group *g)
{
	size_t i;

	g->procv = r->procv;
	g->members = r->members;
	g->procs.v = r->procv + g->procs.at;
	for (i = 0; i < r->nmem; i++) {
		r->members[i].procs.v = r->procv + r->members[i].procs.at;
		r->members[i].peer_procs.v =
			r->procv + r->members[i].peer_procs.at;
	}
}

static void rd_js_sizes(struct rd_group *g, unsigned seen,
			const long long *sizes)
{
	unsigned arrays = 1u << G_SOCKETS | 1u << G_CONNECTIONS;
	unsigned numbers = 1u << G_NSOCKETS | 1u << G_NCONNECTIONS;

	if ((seen & arrays) == arrays) {
		g->has_members = 1;
		return;
	}
	if ((seen & numbers) != numbers || sizes[0] < 0 || sizes[1] < 0)
		rd_unreadable("group", (seen & (arrays | numbers))
					       ? "no nsockets and nconnections"
					       : "neither members nor their "
						 "numbers");
	g->nsock = (size_t)sizes[0];
	g->nconn = (size_t)sizes[1];
}

/* Reads the group record line (its own copy) into g. */
static void rd_group(const char *line, size_t len, struct rd_group *g)
{
	struct rd_js r = { .type = "group" };
	struct rd_js_group jg = { NULL, { -1, -1 }, 1 };
	unsigned seen;

	memset(g, 0, sizeof(*g));
	jg.g = g;
	g->text = malloc(len + 1);
	if (!g->text)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	memcpy(g->text, line, len);
	g->text[len] = '\0';
	js_init(&r.s, g->text, len);
	seen = rd_js_fields(&r, group_keys, RD_NKEYS(group_keys), 0xf, 1,
			    rd_js_group_field, &jg);
	rd_js_ok(&r, js_end(&r.s));
	rd_js_resolve(&r, g);
	rd_js_sizes(g, seen, jg.sizes);
	g->listen = strcmp(g->role, "listen") == 0;
	g->ep.dual_stack = (seen & 1u << G_V6ONLY) && !jg.v6only;
}

static void rd_group_clear(struct rd_group *g)
{
	free(g->text);
	free(g->procv);
	free(g->members);
	memset(g, 0, sizeof(*g));
}

static void rd_summary(json_t *o, struct rd_summary *s)
{
	json_t *tcp, *udp;
	json_error_t e;

	s->json = o;
	rd_check(json_unpack_ex(o, &e, 0, "{s:o, s:o}", "tcp", &tcp, "udp",
				&udp),
		 "summary", &e);
	rd_counts(tcp, "summary", &s->tcp);
	rd_counts(udp, "summary", &s->udp);
}

/* The end record must account for every group; else the answer is torn. */
static void rd_end(json_t *o, struct rd_end *end, size_t groups)
{
	json_error_t e;

	end->json = o;
	rd_check(json_unpack_ex(o, &e, 0, "{s:I, s:{s:I, s:I, s:I, s:I}}",
				"count", &end->count, "totals", "sockets",
				&end->sockets, "groups", &end->groups, "tcp",
				&end->tcp, "udp", &end->udp),
		 "end", &e);
	if (end->count < 0 || (size_t)end->count != groups) {
		json_decref(o);
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd announced %lld groups but sent %zu",
		     (long long)end->count, groups);
	}
}

/*
 * A group record the daemon wrote otherwise than "type" first (it does
 * not), re-written so: the raw outputs pass every record on so.
 */
static void rd_raw_rewritten(const struct rd_sink *sink, const char *line,
			     size_t len)
{
	json_t *o = rd_record(line, len, "group");
	char *text, *whole = NULL;

	json_object_del(o, "type");
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text || asprintf(&whole, "%s%s", GROUP_PREFIX, text + 1) < 0)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	if (sink->raw)
		sink->raw(sink->ctx, whole, strlen(whole));
	free(whole);
	free(text);
}

/* One group record into the sink, typed for group(), else as text. */
static void rd_one_group(const struct rd_sink *sink, const char *line,
			 size_t len)
{
	struct rd_group g;

	if (!sink->group) {
		if (!rd_is(line, len, GROUP_PREFIX))
			rd_raw_rewritten(sink, line, len);
		else if (sink->raw)
			sink->raw(sink->ctx, line, len);
		return;
	}
	if (!rd_is(line, len, GROUP_PREFIX))
		json_decref(rd_record(line, len, "group")); /* else exits */
	rd_group(line, len, &g);
	sink->group(sink->ctx, &g);
	rd_group_clear(&g);
}

void rd_listing(struct conn *c, const struct rd_sink *sink)
{
	struct rd_header h;
	struct rd_summary s;
	struct rd_end end;
	size_t groups = 0, len;
	char *line = rd_next(c, &len);

	rd_header(rd_record(line, len, "header"), &h);
	if (sink->header)
		sink->header(sink->ctx, &h);
	json_decref(h.json);
	for (;;) {
		line = rd_next(c, &len);
		if (rd_is(line, len, END_PREFIX) ||
		    rd_is(line, len, SUMMARY_PREFIX))
			break;
		rd_one_group(sink, line, len);
		groups++;
	}
	if (rd_is(line, len, SUMMARY_PREFIX)) {
		rd_summary(rd_record(line, len, "summary"), &s);
		if (sink->summary)
			sink->summary(sink->ctx, &s);
		json_decref(s.json);
		line = rd_next(c, &len);
	}
	rd_end(rd_record(line, len, "end"), &end, groups);
	if (sink->end)
		sink->end(sink->ctx, &end);
	json_decref(end.json);
}

long long rd_recording(struct conn *c)
{
	size_t len;
	char *line = rd_next(c, &len);
	json_t *o = rd_record(line, len, "recording");
	json_int_t size = 0;
	json_error_t e;
	int ret = json_unpack_ex(o, &e, 0, "{s:I}", "size", &size);

	json_decref(o);
	rd_check(ret, "recording", &e);
	return size;
}

/* What a daemon with events says of them (an older one, nothing). */
static void rd_status_events(json_t *o, struct rd_status *st)
{
	json_error_t e;

	st->has_events = json_object_get(o, "subscribers") != NULL;
	if (!st->has_events)
		return;
	rd_check(json_unpack_ex(o, &e, 0, "{s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
				"destroy_events", &st->destroy_events,
				"subscribers", &st->subscribers, "events",
				&st->events, "event_overruns",
				&st->event_overruns, "events_lost",
				&st->events_lost, "history_entries",
				&st->history_entries, "history_capacity",
				&st->history_capacity),
		 "status", &e);
}

void rd_status(struct conn *c, struct rd_status *st, const char **line,
	       size_t *len)
{
	json_t *o, *note = NULL;
	json_t *known = NULL, *denied = NULL, *unowned = NULL;
	json_error_t e;

	*line = rd_next(c, len);
	o = rd_record(*line, *len, "status");
	memset(st, 0, sizeof(*st));
	st->json = o;
	rd_check(json_unpack_ex(
			 o, &e, 0,
			 "{s:s, s:I, s:I, s:I, s:I, s:I, s:F, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:o, s:I}",
			 "version", &st->version, "pid", &st->pid, "uptime_ms",
			 &st->uptime_ms, "interval_ms", &st->interval_ms,
			 "full_interval_ms", &st->full_interval_ms,
			 "cpu_budget_pct", &st->cpu_budget_pct, "cpu_pct",
			 &st->cpu_pct, "cpu_window_ms", &st->cpu_window_ms,
			 "polls", &st->polls, "listener_polls",
			 &st->listener_polls, "poll_errors", &st->poll_errors,
			 "last_scan_us", &st->last_scan_us, "generation",
			 &st->generation, "sockets", &st->sockets, "groups",
			 &st->groups, "udp_available", &st->udp_available,
			 "attribution", &st->attribution, "attribution_note",
			 &note, "attribution_us", &st->attribution_us),
		 "status", &e);
	rd_check(json_unpack_ex(o, &e, 0, "{s:I, s:I, s:I, s:I, s?o, s?o, s?o}",
				"clients", &st->clients, "clients_total",
				&st->clients_total, "requests", &st->requests,
				"request_errors", &st->request_errors,
				"procs_known", &known, "procs_denied", &denied,
				"sockets_unowned", &unowned),
		 "status", &e);
	st->attribution_note = rd_nullable(note, "status", "attribution_note");
	rd_status_events(o, st);
	st->host_counts = known != NULL;
	if (known && (!json_is_integer(known) || !json_is_integer(denied) ||
		      !json_is_integer(unowned)))
		rd_unreadable("status", "the process counts are not numbers");
	st->procs_known = json_integer_value(known);
	st->procs_denied = json_integer_value(denied);
	st->sockets_unowned = json_integer_value(unowned);
}

/* ---- events and the history ---- */

/* "processes":[...] into a list of its own (free p->v). */
static void rd_proc_list(json_t *arr, const char *type, struct rd_procs *p)
{
	json_t *o;
	size_t i;

	p->n = p->at = 0;
	p->v = NULL;
	if (!json_is_array(arr))
		rd_unreadable(type, "\"processes\" is not an array");
	p->v = calloc(json_array_size(arr) + 1, sizeof(*p->v));
	if (!p->v)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	json_array_foreach (arr, i, o) {
		struct rd_proc *pr = &p->v[p->n++];
		json_t *user = NULL, *unit = NULL;
		json_error_t e;

		rd_check(json_unpack_ex(o, &e, 0, "{s:I, s:s, s:o, s:o}", "pid",
					&pr->pid, "comm", &pr->comm, "user",
					&user, "unit", &unit),
			 type, &e);
		pr->user = rd_nullable(user, type, "user");
		pr->unit = rd_nullable(unit, type, "unit");
	}
}

/* {"addr":..,"port":..} */
static void rd_ends(json_t *o, const char *type, struct rd_endpoint *ep)
{
	json_error_t e;

	memset(ep, 0, sizeof(*ep));
	rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:I}", "addr", &ep->addr,
				"port", &ep->port),
		 type, &e);
}

/* An integer or null: 0 with *has 0 for null. */
static long long rd_opt_int(json_t *v, const char *type, const char *key,
			    int *has)
{
	*has = json_is_integer(v);
	if (*has)
		return json_integer_value(v);
	if (v && !json_is_null(v)) {
		char why[128];

		snprintf(why, sizeof(why),
			 "\"%s\" is neither a number nor null", key);
		rd_unreadable(type, why);
	}
	return 0;
}

static void rd_tcp(json_t *tcp, const char *type, struct rd_event *ev)
{
	json_error_t e;

	ev->has_tcp = tcp != NULL;
	if (tcp)
		rd_check(json_unpack_ex(tcp, &e, 0, "{s:I, s:I, s:I}",
					"bytes_acked", &ev->bytes_acked,
					"bytes_received", &ev->bytes_received,
					"total_retrans", &ev->total_retrans),
			 type, &e);
}

/* A closed connection of the history, or an event's own fields. */
static void rd_conn(json_t *o, const char *type, struct rd_event *ev,
		    int closed)
{
	json_t *local, *remote, *procs, *dur, *tcp = NULL, *opened = NULL;
	json_error_t e;

	rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:o, s:o, s:o, s:o, s?o}",
				"proto", &ev->proto, "local", &local, "remote",
				&remote, "processes", &procs, "duration_ms",
				&dur, "tcp", &tcp),
		 type, &e);
	rd_ends(local, type, &ev->local);
	rd_ends(remote, type, &ev->remote);
	rd_proc_list(procs, type, &ev->procs);
	ev->duration_ms =
		rd_opt_int(dur, type, "duration_ms", &ev->has_duration);
	rd_tcp(tcp, type, ev);
	if (closed)
		rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:o}", "closed_at",
					&ev->at, "opened_at", &opened),
			 type, &e);
}

static void rd_event(json_t *o, struct rd_event *ev)
{
	json_t *group, *ep, *gprocs = NULL, *queue = NULL;
	json_error_t e;

	memset(ev, 0, sizeof(*ev));
	ev->json = o;
	rd_conn(o, "event", ev, 0);
	rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:s, s:s, s:s, s:o, s?o}",
				"event", &ev->event, "at", &ev->at, "source",
				&ev->source, "state", &ev->state, "group",
				&group, "accept_queue", &queue),
		 "event", &e);
	rd_check(json_unpack_ex(group, &e, 0, "{s:s, s:o, s?o}", "role",
				&ev->grole, "endpoint", &ep, "processes",
				&gprocs),
		 "event", &e);
	rd_ends(ep, "event", &ev->gep);
	if (queue)
		rd_check(json_unpack_ex(queue, &e, 0, "{s:I, s:I}", "len",
					&ev->qlen, "max", &ev->qmax),
			 "event", &e);
	ev->has_queue = queue != NULL;
}

void rd_event_clear(struct rd_event *ev)
{
	free(ev->procs.v);
	json_decref(ev->json);
	memset(ev, 0, sizeof(*ev));
}

void rd_events(struct conn *c, const struct rd_event_sink *sink)
{
	size_t len;
	char *line = rd_next(c, &len);
	json_t *o = rd_record(line, len, "events");

	json_decref(o);
	conn_stream(c); /* answered: from now on a quiet host is no failure */
	for (;;) {
		struct rd_event ev;
		json_error_t e;

		if (sink->idle && !conn_has_line(c))
			sink->idle(sink->ctx);
		line = conn_line(c, &len);
		if (!line)
			return;
		if (sink->raw) {
			if (!rd_is(line, len, "{\"type\":\"event\",") &&
			    !rd_is(line, len, "{\"type\":\"lost\","))
				json_decref(rd_record(line, len, "event"));
			sink->raw(sink->ctx, line, len);
			continue;
		}
		o = rd_record(line, len, NULL);
		if (strcmp(json_string_value(json_object_get(o, "type")),
			   "lost") == 0) {
			struct rd_lost l;

			rd_check(json_unpack_ex(o, &e, 0, "{s:I, s:s}", "count",
						&l.count, "reason", &l.reason),
				 "lost", &e);
			sink->lost(sink->ctx, &l);
			json_decref(o);
			continue;
		}
		if (strcmp(json_string_value(json_object_get(o, "type")),
			   "event") != 0)
			rd_unreadable("event", "a record of another type");
		rd_event(o, &ev);
		sink->event(sink->ctx, &ev);
		rd_event_clear(&ev);
	}
}

static void rd_history_header(json_t *o, struct rd_history *h)
{
	json_t *since, *complete;
	json_error_t e;

	memset(h, 0, sizeof(*h));
	h->json = o;
	rd_check(json_unpack_ex(o, &e, 0, "{s:s, s:o, s:o, s:I, s:I}", "host",
				&h->host, "since", &since, "complete_since",
				&complete, "entries", &h->entries, "capacity",
				&h->capacity),
		 "history", &e);
	h->since = rd_nullable(since, "history", "since");
	h->complete_since = rd_nullable(complete, "history", "complete_since");
}

static void rd_closed_group(json_t *o, struct rd_closed_group *g)
{
	json_t *ep, *med, *p99, *conns = NULL, *c;
	json_error_t e;
	size_t i;

	memset(g, 0, sizeof(*g));
	g->json = o;
	rd_check(json_unpack_ex(
			 o, &e, 0,
			 "{s:s, s:s, s:o, s:I, s:I, s:I, s:{s:o, s:o}, "
			 "s?o}",
			 "role", &g->role, "proto", &g->proto, "endpoint", &ep,
			 "closed", &g->closed, "bytes_acked", &g->bytes_acked,
			 "bytes_received", &g->bytes_received, "duration_ms",
			 "median", &med, "p99", &p99, "connections", &conns),
		 "closed_group", &e);
	rd_ends(ep, "closed_group", &g->ep);
	g->median_ms =
		rd_opt_int(med, "closed_group", "median", &g->has_median);
	g->p99_ms = rd_opt_int(p99, "closed_group", "p99", &g->has_p99);
	if (!conns)
		return;
	g->conns = calloc(json_array_size(conns) + 1, sizeof(*g->conns));
	if (!g->conns)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	json_array_foreach (conns, i, c)
		rd_conn(c, "closed_group", &g->conns[g->nconns++], 1);
}

static void rd_closed_group_clear(struct rd_closed_group *g)
{
	size_t i;

	for (i = 0; i < g->nconns; i++)
		free(g->conns[i].procs.v);
	free(g->conns);
	json_decref(g->json);
}

void rd_history(struct conn *c, const struct rd_history_sink *sink)
{
	struct rd_history h;
	struct rd_end end;
	size_t groups = 0, len;
	char *line = rd_next(c, &len);

	rd_history_header(rd_record(line, len, "history"), &h);
	if (sink->header)
		sink->header(sink->ctx, &h);
	json_decref(h.json);
	for (;;) {
		struct rd_closed_group g;

		line = rd_next(c, &len);
		if (rd_is(line, len, END_PREFIX))
			break;
		if (sink->raw) {
			json_decref(rd_record(line, len, "closed_group"));
			sink->raw(sink->ctx, line, len);
		} else {
			rd_closed_group(rd_record(line, len, "closed_group"),
					&g);
			sink->group(sink->ctx, &g);
			rd_closed_group_clear(&g);
		}
		groups++;
	}
	rd_end(rd_record(line, len, "end"), &end, groups);
	if (sink->end)
		sink->end(sink->ctx, &end);
	json_decref(end.json);
}
