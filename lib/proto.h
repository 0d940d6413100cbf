/* SPDX-License-Identifier: ISC */
/* proto.h - the control protocol: JSON Lines requests and replies. */
#ifndef SOCKWATCH_PROTO_H
#define SOCKWATCH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "jbuf.h"

#define PROTO_VERSION 1
#define PROTO_MAX_LINE 65536 /* bytes in a request line, newline excluded */

enum proto_cmd {
	PROTO_CMD_LIST,
	PROTO_CMD_STATUS,
	PROTO_CMD_RECORD,
	PROTO_CMD_EVENTS,
	PROTO_CMD_HISTORY,
};

/* Fields a command may carry besides "v" and "cmd". */
#define PROTO_F_FRESH 0x01
#define PROTO_F_FILTER 0x02
#define PROTO_F_VIEW 0x04
#define PROTO_F_SINCE 0x08	 /* "since_ms": the last N milliseconds */
#define PROTO_F_VIEW_COUNTS 0x10 /* "view": "full" or "counts" only */

/* How much of each group a listing gives. */
enum proto_view {
	PROTO_VIEW_FULL,    /* every member */
	PROTO_VIEW_COUNTS,  /* groups without members, with their sizes */
	PROTO_VIEW_SUMMARY, /* listen groups so, and counts by state */
};

/* What a command is allowed and asks of the daemon. */
#define PROTO_C_STREAMING 0x01 /* answered by many records */
#define PROTO_C_FULL_VIEW 0x02 /* only for who sees every process */

/* One entry of the protocol's table of commands. */
struct proto_command {
	const char *name;
	enum proto_cmd id;
	unsigned fields; /* PROTO_F_* */
	unsigned flags;	 /* PROTO_C_* */
};

/* The entry of a command, NULL for none. */
const struct proto_command *proto_command(enum proto_cmd id);

/* Error codes, a fixed set; their names are proto_code_name's. */
enum proto_code {
	PROTO_OK = 0,
	PROTO_BAD_REQUEST,
	PROTO_BAD_VERSION,
	PROTO_UNKNOWN_COMMAND,
	PROTO_TOO_LARGE,
	PROTO_DENIED,
	PROTO_UNAVAILABLE,
	PROTO_INTERNAL,
	PROTO_BAD_FILTER,
	PROTO_NCODES
};

struct proto_request {
	enum proto_cmd cmd;
	int fresh;    /* list: take a new picture first */
	char *filter; /* list: an ss filter expression, or NULL; malloc'd */
	enum proto_view view; /* list, history */
	uint64_t since_ms;    /* history: closed in the last since_ms; 0: all */
};

/* What the status command reports. */
struct proto_status {
	const char *version;
	long pid;	 /* the poller's, the daemon's main process */
	long server_pid; /* 0: not sent */
	uint64_t uptime_ms;
	unsigned interval_ms;
	unsigned
		full_interval_ms; /* between full polls, as the budget has it */
	unsigned cpu_budget_pct;
	uint64_t cpu_us;	/* the poller's, over cpu_window_ms */
	uint64_t cpu_window_ms; /* the last minute, or less since start */
	uint64_t listener_polls;
	uint64_t last_listener_scan_us;
	uint64_t polls;
	uint64_t poll_errors;
	uint64_t last_scan_us;
	uint64_t generation;
	uint64_t sockets;
	uint64_t groups;
	uint64_t clients;
	uint64_t clients_total;
	uint64_t requests;
	uint64_t request_errors;
	int udp_available;
	const char *attribution;      /* "complete", "partial" or "off" */
	const char *attribution_note; /* why it is not complete, or NULL */
	int host_counts; /* procs_known, procs_denied, sockets_unowned: sent */
	uint64_t procs_known;
	uint64_t procs_denied;
	uint64_t sockets_unowned;
	uint64_t attribution_us;
	int has_events;	    /* the rest: sent */
	int destroy_events; /* the kernel's closes are read */
	uint64_t subscribers;
	uint64_t events;
	uint64_t event_overruns;
	uint64_t events_lost;
	uint64_t history_entries;
	uint64_t history_capacity;
	uint64_t history_bytes;
};

/*
 * Parses one request line (without its newline), checking JSON, then
 * the version, then the command, then its fields. Returns PROTO_OK or
 * an error code with a message for the client in msg.
 */
enum proto_code proto_parse(const char *line, size_t len,
			    struct proto_request *req, char *msg, size_t msgsz);

/* Frees what proto_parse allocated in req. */
void proto_request_clear(struct proto_request *req);

/* Appends a bad_filter error record with the column and the token. */
void proto_filter_error(struct jbuf *b, const struct filter_error *e);

/* The wire name of an error code ("bad_request", ...), NULL if unknown. */
const char *proto_code_name(enum proto_code code);

/* The error code of a wire name, PROTO_NCODES if unknown. */
enum proto_code proto_code_of(const char *name);

/* Appends an error record. */
void proto_error(struct jbuf *b, enum proto_code code, const char *msg);

/* Appends a request line. */
void proto_request(struct jbuf *b, const struct proto_request *req);

/* Appends a status record. */
void proto_status(struct jbuf *b, const struct proto_status *st);

#endif
