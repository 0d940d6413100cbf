/* SPDX-License-Identifier: ISC */
/*
 * records.h - the daemon's reply records, read once into typed records
 * (sockwatch-json(7)). Every field the client uses is checked when the
 * record is read: a field the daemon renamed or dropped ends the client
 * with a message naming it, never a silent 0 in a table. Fields the
 * client does not know are let through: the protocol grows by additions.
 */
#ifndef SOCKWATCHCTL_RECORDS_H
#define SOCKWATCHCTL_RECORDS_H

#include <jansson.h>
#include <stddef.h>

#include "conn.h"

#define RD_MAX_COUNTS 16 /* keys of a "counts" object: the states */

/*
 * Strings point into the record's text (a group's) or JSON (the other
 * records'), which the record holds.
 */
struct rd_endpoint {
	const char *family; /* NULL for a member's ends, which carry none */
	const char *addr;
	long long port;
	const char *dev; /* NULL: not bound to a device */
	int dual_stack;	 /* [::] without IPV6_V6ONLY: ss's "*" */
};

struct rd_proc {
	long long pid;
	const char *comm;
	const char *user;
	const char *unit; /* NULL: none */
};

struct rd_procs {
	struct rd_proc *v; /* into the group's list of them */
	size_t n;
	size_t at; /* where they start in it, while it is read */
};

struct rd_count {
	const char *state;
	long long n;
};

struct rd_counts {
	struct rd_count v[RD_MAX_COUNTS];
	size_t n;
};

struct rd_header {
	json_t *json;
	const char *host;
	const char *taken_at;
	long long generation, age_ms, scan_us, interval_ms;
	int udp_available;
	/* read from a file (--from): its name, "recording" or "ss-dump",
	 * and the recording's writer; NULL from the daemon */
	const char *file, *format, *writer;
};

/* A member, as a group of the full view carries them. */
struct rd_socket {
	const char *state;
	const char *cookie; /* hex, as ss -e prints it */
	struct rd_endpoint local, remote;
	long long inode, uid, rqueue, wqueue;
	struct rd_procs procs;
	const char *peer; /* the other end's cookie, when it is here */
	struct rd_procs peer_procs; /* and who holds it */
};

struct rd_group {
	char *text; /* the record as it came, unescaped in place */
	const char *role, *proto;
	int listen; /* role "listen" */
	int local;  /* an outbound group whose far end is this host */
	struct rd_endpoint ep;
	int has_queue;
	long long qlen, qmax;
	struct rd_counts counts;
	struct rd_procs procs;
	size_t nsock, nconn;
	int has_members;	   /* the full view: they follow */
	struct rd_socket *members; /* nsock sockets, then nconn connections */
	struct rd_proc *procv;	   /* every process the record names */
};

struct rd_summary {
	json_t *json;
	struct rd_counts tcp, udp;
};

struct rd_end {
	json_t *json;
	long long count;
	long long sockets, groups, tcp, udp;
};

/*
 * What a listing is read into. With group(), groups are read and checked
 * for it; without, raw() gets each group record's text as it came, which
 * the JSON outputs pass through. Another NULL callback is skipped.
 */
struct rd_sink {
	void (*header)(void *ctx, struct rd_header *h);
	void (*group)(void *ctx, struct rd_group *g);
	void (*raw)(void *ctx, const char *line, size_t len);
	void (*summary)(void *ctx, struct rd_summary *s);
	void (*end)(void *ctx, struct rd_end *e);
	void *ctx;
};

/*
 * The one receive loop: reads a listing (header, groups, the summary
 * when the view has one, end) off c into sink, checking each record's
 * type, its fields and that the end accounts for every group. Records
 * passed to the sink are freed after the call. Exits with the daemon's
 * message on an error record, 1 on anything malformed.
 */
void rd_listing(struct conn *c, const struct rd_sink *sink);

/* Names who answers in error messages ("sockwatchd" unless told). */
void rd_answered_by(const char *who);

/*
 * Parses a reply line into a record of type want; exits 1 with the
 * daemon's message on an error record, or on anything unexpected.
 */
json_t *rd_record(const char *line, size_t len, const char *want);

/* The status record, checked: the fields sockwatchctl shows. */
struct rd_status {
	json_t *json;
	const char *version;
	long long pid, uptime_ms, interval_ms, full_interval_ms;
	long long cpu_budget_pct, cpu_window_ms;
	double cpu_pct;
	long long polls, listener_polls, poll_errors, last_scan_us;
	long long generation, sockets, groups;
	int udp_available;
	const char *attribution, *attribution_note; /* note: NULL for none */
	int host_counts; /* the three below were sent */
	long long procs_known, procs_denied, sockets_unowned;
	long long attribution_us;
	long long clients, clients_total, requests, request_errors;
	int has_events; /* the daemon tells events: the fields below */
	int destroy_events;
	long long subscribers, events, event_overruns, events_lost;
	long long history_entries, history_capacity;
};

/*
 * Reads the status record off c; exits as rd_listing does. line and len
 * are the record as it came, until the next read.
 */
void rd_status(struct conn *c, struct rd_status *st, const char **line,
	       size_t *len);

/* Reads the recording record off c: the size of the picture it passes. */
long long rd_recording(struct conn *c);

/* An event, or a closed connection of the history (event NULL). */
struct rd_event {
	json_t *json; /* an event's own record */
	const char *event, *at, *source, *proto, *state;
	struct rd_endpoint local, remote;
	const char *grole; /* the event's group: role and endpoint */
	struct rd_endpoint gep;
	struct rd_procs procs; /* v is the event's own: rd_event_clear */
	int has_duration;
	long long duration_ms;
	int has_tcp;
	long long bytes_acked, bytes_received, total_retrans;
	int has_queue;
	long long qlen, qmax;
};

struct rd_lost {
	long long count;
	const char *reason;
};

/* What an events stream is read into; with raw, each record as it came. */
struct rd_event_sink {
	void (*event)(void *ctx, struct rd_event *ev);
	void (*lost)(void *ctx, const struct rd_lost *l);
	void (*raw)(void *ctx, const char *line, size_t len);
	void (*idle)(void *ctx); /* before waiting for the daemon */
	void *ctx;
};

/*
 * Reads an events stream off c until the daemon ends it: the events
 * record (within the connection's timeout), then, for as long as it
 * takes, events and lost records, each checked, into sink. Raw
 * lines (--json) are passed on as they came once their type is known;
 * a line of any other kind is read whole, for its error or its fault.
 */
void rd_events(struct conn *c, const struct rd_event_sink *sink);

void rd_event_clear(struct rd_event *ev);

struct rd_history {
	json_t *json;
	const char *host, *since, *complete_since; /* NULL: none */
	long long entries, capacity;
};

/* A group's closed connections (conns: none in a counts answer). */
struct rd_closed_group {
	json_t *json;
	const char *role, *proto;
	struct rd_endpoint ep;
	long long closed, bytes_acked, bytes_received;
	int has_median, has_p99;
	long long median_ms, p99_ms;
	struct rd_event *conns;
	size_t nconns;
};

struct rd_history_sink {
	void (*header)(void *ctx, struct rd_history *h);
	void (*group)(void *ctx, struct rd_closed_group *g);
	void (*raw)(void *ctx, const char *line, size_t len);
	void (*end)(void *ctx, struct rd_end *e);
	void *ctx;
};

/* Reads a history answer off c into sink, as rd_listing reads a listing. */
void rd_history(struct conn *c, const struct rd_history_sink *sink);

#endif
