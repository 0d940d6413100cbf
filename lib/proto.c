/* SPDX-License-Identifier: ISC */
/* proto.c - codec of the control protocol, shared by daemon and client. */
#include "proto.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[PROTO_NCODES] = {
	[PROTO_OK] = "ok",
	[PROTO_BAD_REQUEST] = "bad_request",
	[PROTO_BAD_VERSION] = "bad_version",
	[PROTO_UNKNOWN_COMMAND] = "unknown_command",
	[PROTO_TOO_LARGE] = "too_large",
	[PROTO_DENIED] = "denied",
	[PROTO_UNAVAILABLE] = "unavailable",
	[PROTO_INTERNAL] = "internal",
	[PROTO_BAD_FILTER] = "bad_filter",
};

/* The commands: each with the fields it takes and what it requires. */
static const struct proto_command commands[] = {
	{ "list", PROTO_CMD_LIST, PROTO_F_FRESH | PROTO_F_FILTER | PROTO_F_VIEW,
	  PROTO_C_STREAMING },
	{ "status", PROTO_CMD_STATUS, 0, 0 },
	{ "record", PROTO_CMD_RECORD, PROTO_F_FRESH, PROTO_C_FULL_VIEW },
	{ "events", PROTO_CMD_EVENTS, PROTO_F_FILTER, PROTO_C_STREAMING },
	{ "history", PROTO_CMD_HISTORY,
	  PROTO_F_FILTER | PROTO_F_SINCE | PROTO_F_VIEW | PROTO_F_VIEW_COUNTS,
	  PROTO_C_STREAMING },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct proto_command *proto_command(enum proto_cmd id)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].id == id)
			return &commands[i];
	return NULL;
}

const char *proto_code_name(enum proto_code code)
{
	if ((unsigned)code >= PROTO_NCODES)
		return NULL;
	return code_names[code];
}

enum proto_code proto_code_of(const char *name)
{
	unsigned i;

	for (i = 0; i < PROTO_NCODES; i++)
		if (strcmp(code_names[i], name) == 0)
			return (enum proto_code)i;
	return PROTO_NCODES;
}

static enum proto_code fail(char *msg, size_t msgsz, enum proto_code code,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum proto_code fail(char *msg, size_t msgsz, enum proto_code code,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return code;
}

static const char *const view_names[] = { "full", "counts", "summary" };

/* "view": one of view_names. */
static enum proto_code proto_check_view(json_t *val, struct proto_request *req,
					char *msg, size_t msgsz)
{
	size_t i;

	for (i = 0; json_is_string(val) && i < 3; i++)
		if (strcmp(json_string_value(val), view_names[i]) == 0) {
			req->view = (enum proto_view)i;
			return PROTO_OK;
		}
	return fail(msg, msgsz, PROTO_BAD_REQUEST,
		    "\"view\" must be \"full\", \"counts\" or \"summary\"");
}

static enum proto_code proto_check_version(json_t *o, char *msg, size_t msgsz)
{
	json_t *v = json_object_get(o, "v");

	if (!v)
		return fail(msg, msgsz, PROTO_BAD_VERSION,
			    "request has no \"v\"; this daemon speaks \"v\":%d",
			    PROTO_VERSION);
	if (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION)
		return fail(msg, msgsz, PROTO_BAD_VERSION,
			    "unsupported protocol version; this daemon speaks "
			    "\"v\":%d",
			    PROTO_VERSION);
	return PROTO_OK;
}

static enum proto_code proto_check_cmd(json_t *o, struct proto_request *req,
				       char *msg, size_t msgsz)
{
	json_t *c = json_object_get(o, "cmd");
	const char *name;
	size_t i;

	if (!json_is_string(c))
		return fail(msg, msgsz, PROTO_BAD_REQUEST,
			    "request has no \"cmd\" string");
	name = json_string_value(c);
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0) {
			req->cmd = commands[i].id;
			return PROTO_OK;
		}
	return fail(msg, msgsz, PROTO_UNKNOWN_COMMAND,
		    "unknown command \"%.64s\" (try list, status, record, "
		    "events or history)",
		    name);
}

/* Fields a command takes; anything else is a mistake worth telling. */
static enum proto_code proto_check_fields(json_t *o, struct proto_request *req,
					  char *msg, size_t msgsz)
{
	unsigned fields = proto_command(req->cmd)->fields;
	const char *key;
	json_t *val;

	json_object_foreach (o, key, val) {
		if (strcmp(key, "v") == 0 || strcmp(key, "cmd") == 0)
			continue;
		if ((fields & PROTO_F_FRESH) && strcmp(key, "fresh") == 0) {
			if (!json_is_boolean(val))
				return fail(msg, msgsz, PROTO_BAD_REQUEST,
					    "\"%s\" must be true or false",
					    key);
			req->fresh = json_is_true(val);
			continue;
		}
		if ((fields & PROTO_F_VIEW) && strcmp(key, "view") == 0) {
			enum proto_code c =
				proto_check_view(val, req, msg, msgsz);

			if (c != PROTO_OK)
				return c;
			if ((fields & PROTO_F_VIEW_COUNTS) &&
			    req->view == PROTO_VIEW_SUMMARY)
				return fail(msg, msgsz, PROTO_BAD_REQUEST,
					    "\"view\" must be \"full\" or "
					    "\"counts\" for this command");
			continue;
		}
		if ((fields & PROTO_F_SINCE) && strcmp(key, "since_ms") == 0) {
			if (!json_is_integer(val) ||
			    json_integer_value(val) < 0)
				return fail(
					msg, msgsz, PROTO_BAD_REQUEST,
					"\"since_ms\" must be a whole "
					"number of milliseconds, 0 or more");
			req->since_ms = (uint64_t)json_integer_value(val);
			continue;
		}
		if ((fields & PROTO_F_FILTER) && strcmp(key, "filter") == 0) {
			if (!json_is_string(val))
				return fail(msg, msgsz, PROTO_BAD_REQUEST,
					    "\"filter\" must be a string");
			free(req->filter);
			req->filter = strdup(json_string_value(val));
			if (!req->filter)
				return fail(msg, msgsz, PROTO_INTERNAL,
					    "out of memory");
			continue;
		}
		return fail(msg, msgsz, PROTO_BAD_REQUEST,
			    "unknown field \"%.64s\" for this command", key);
	}
	return PROTO_OK;
}

enum proto_code proto_parse(const char *line, size_t len,
			    struct proto_request *req, char *msg, size_t msgsz)
{
	json_error_t jerr;
	enum proto_code code;
	json_t *o;

	memset(req, 0, sizeof(*req));
	if (len > PROTO_MAX_LINE)
		return fail(msg, msgsz, PROTO_TOO_LARGE,
			    "request line longer than %d bytes",
			    PROTO_MAX_LINE);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail(msg, msgsz, PROTO_BAD_REQUEST, "not JSON: %s",
			    jerr.text);
	if (!json_is_object(o))
		code = fail(msg, msgsz, PROTO_BAD_REQUEST,
			    "a request is a JSON object");
	else if ((code = proto_check_version(o, msg, msgsz)) == PROTO_OK &&
		 (code = proto_check_cmd(o, req, msg, msgsz)) == PROTO_OK)
		code = proto_check_fields(o, req, msg, msgsz);
	json_decref(o);
	if (code != PROTO_OK)
		proto_request_clear(req);
	return code;
}

void proto_request_clear(struct proto_request *req)
{
	free(req->filter);
	req->filter = NULL;
}

void proto_filter_error(struct jbuf *b, const struct filter_error *e)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "filter: column %zu, at \"%s\": %s",
		 e->column, e->token, e->message);
	jbuf_puts(b,
		  "{\"type\":\"error\",\"code\":\"bad_filter\",\"message\":");
	jbuf_str(b, msg);
	jbuf_puts(b, ",\"column\":");
	jbuf_u64(b, e->column);
	jbuf_puts(b, ",\"token\":");
	jbuf_str(b, e->token);
	jbuf_puts(b, "}\n");
}

void proto_error(struct jbuf *b, enum proto_code code, const char *msg)
{
	jbuf_puts(b, "{\"type\":\"error\",\"code\":");
	jbuf_str(b, proto_code_name(code) ? proto_code_name(code) : "internal");
	jbuf_puts(b, ",\"message\":");
	jbuf_str(b, msg);
	jbuf_puts(b, "}\n");
}

void proto_request(struct jbuf *b, const struct proto_request *req)
{
	jbuf_puts(b, "{\"v\":1,\"cmd\":");
	jbuf_str(b, proto_command(req->cmd)->name);
	if (req->fresh)
		jbuf_puts(b, ",\"fresh\":true");
	if (req->view != PROTO_VIEW_FULL) {
		jbuf_puts(b, ",\"view\":");
		jbuf_str(b, view_names[req->view]);
	}
	if (req->since_ms) {
		jbuf_puts(b, ",\"since_ms\":");
		jbuf_u64(b, req->since_ms);
	}
	if (req->filter) {
		jbuf_puts(b, ",\"filter\":");
		jbuf_str(b, req->filter);
	}
	jbuf_puts(b, "}\n");
}

static void put_num(struct jbuf *b, const char *key, uint64_t v)
{
	jbuf_put(b, ",", 1);
	jbuf_key(b, key);
	jbuf_u64(b, v);
}

/* The share of one core, to a tenth of a percent, and over how long. */
static void put_cpu(struct jbuf *b, uint64_t cpu_us, uint64_t window_ms)
{
	uint64_t tenths = window_ms ? cpu_us / window_ms : 0;
	char num[64];

	snprintf(num, sizeof(num), ",\"cpu_pct\":%llu.%llu",
		 (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10));
	jbuf_puts(b, num);
	put_num(b, "cpu_window_ms", window_ms);
}

void proto_status(struct jbuf *b, const struct proto_status *st)
{
	jbuf_puts(b, "{\"type\":\"status\",\"version\":");
	jbuf_str(b, st->version);
	put_num(b, "pid", (uint64_t)st->pid);
	if (st->server_pid)
		put_num(b, "server_pid", (uint64_t)st->server_pid);
	put_num(b, "uptime_ms", st->uptime_ms);
	put_num(b, "interval_ms", st->interval_ms);
	put_num(b, "full_interval_ms", st->full_interval_ms);
	put_num(b, "cpu_budget_pct", st->cpu_budget_pct);
	put_cpu(b, st->cpu_us, st->cpu_window_ms);
	put_num(b, "polls", st->polls);
	put_num(b, "listener_polls", st->listener_polls);
	put_num(b, "last_listener_scan_us", st->last_listener_scan_us);
	put_num(b, "poll_errors", st->poll_errors);
	put_num(b, "last_scan_us", st->last_scan_us);
	put_num(b, "generation", st->generation);
	put_num(b, "sockets", st->sockets);
	put_num(b, "groups", st->groups);
	put_num(b, "clients", st->clients);
	put_num(b, "clients_total", st->clients_total);
	put_num(b, "requests", st->requests);
	put_num(b, "request_errors", st->request_errors);
	jbuf_puts(b, st->udp_available ? ",\"udp_available\":true"
				       : ",\"udp_available\":false");
	jbuf_puts(b, ",\"attribution\":");
	jbuf_str(b, st->attribution ? st->attribution : "off");
	jbuf_puts(b, ",\"attribution_note\":");
	if (st->attribution_note)
		jbuf_str(b, st->attribution_note);
	else
		jbuf_puts(b, "null");
	if (st->host_counts) {
		put_num(b, "procs_known", st->procs_known);
		put_num(b, "procs_denied", st->procs_denied);
		put_num(b, "sockets_unowned", st->sockets_unowned);
	}
	put_num(b, "attribution_us", st->attribution_us);
	if (st->has_events) {
		jbuf_puts(b, st->destroy_events ? ",\"destroy_events\":true"
						: ",\"destroy_events\":false");
		put_num(b, "subscribers", st->subscribers);
		put_num(b, "events", st->events);
		put_num(b, "event_overruns", st->event_overruns);
		put_num(b, "events_lost", st->events_lost);
		put_num(b, "history_entries", st->history_entries);
		put_num(b, "history_capacity", st->history_capacity);
		put_num(b, "history_bytes", st->history_bytes);
	}
	jbuf_puts(b, "}\n");
}
