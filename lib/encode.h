/* SPDX-License-Identifier: ISC */
/*
 * encode.h - the sockwatch/1 JSON Lines records of a listing, written
 * from a picture's typed data a piece at a time: a group of a million
 * connections is a head, a million sockets and a tail, each its own call.
 */
#ifndef SOCKWATCH_ENCODE_H
#define SOCKWATCH_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "jbuf.h"
#include "overlay.h"
#include "picture.h"

#define ENCODE_SCHEMA "sockwatch/1"

/* A listing read from a file rather than the daemon (--from). */
struct encode_source {
	const char *file;
	int ss_dump; /* ss -D's dump, not a sockwatch recording */
};

/*
 * Appends the header record, with the picture's age at now_mono_ms and
 * that of the overlay o over it (NULL: none); all says whether the
 * reader sees every process or only its own; src, where the picture
 * was read from (NULL: the daemon's own).
 */
void encode_header(struct jbuf *b, const struct picture *p,
		   const struct overlay *o, uint64_t now_mono_ms,
		   unsigned interval_ms, int all,
		   const struct encode_source *src);

/* What a group's head says of the members a reader gets. */
struct encode_sum {
	uint64_t counts[REC_NTALLY]; /* by enum rec_tally */
	uint64_t qlen;		     /* listeners' accept queues */
	uint64_t qmax;
};

/* Adds record r to the sum; listener says it is one of the "sockets". */
void encode_sum_add(struct encode_sum *s, const struct sock_rec *r,
		    int listener);

/* A listen group's connections opened and closed a second, lately. */
struct encode_rates {
	double opened_per_s;
	double closed_per_s;
	unsigned window_s;
};

/*
 * Appends a group record up to its members: role, endpoint, queue, the
 * processes of the listeners recs[0 .. n) (only uid's with uid), the
 * counts and its rates (NULL: none); then "sockets":[ for its members.
 */
void encode_group_head(struct jbuf *b, const struct picture *p,
		       const struct sockgroup *g, const struct encode_sum *s,
		       const uint32_t *recs, size_t n, const uint32_t *uid,
		       const struct encode_rates *rt);

/*
 * The same group record without members, whole: the head, then how many
 * sockets and connections it has ("nsockets", "nconnections").
 */
void encode_group_sizes(struct jbuf *b, const struct picture *p,
			const struct sockgroup *g, const struct encode_sum *s,
			const uint32_t *recs, size_t n, const uint32_t *uid,
			const struct encode_rates *rt, uint64_t nconn);

/* Appends the summary record: counts by state of TCP and of UDP. */
void encode_summary(struct jbuf *b, const struct encode_sum *tcp,
		    const struct encode_sum *udp);

/*
 * Appends record rec as a member, its fields from r (the picture's, or
 * as an overlay has it now), with its other end, record peer, when that
 * is a socket here (GROUP_NONE: none); first says no comma goes before
 * it.
 */
void encode_member(struct jbuf *b, const struct picture *p, uint32_t rec,
		   const struct sock_rec *r, uint32_t peer, const uint32_t *uid,
		   int first);

/* Appends what lies between a group's sockets and its connections. */
void encode_group_middle(struct jbuf *b);

/* Appends the end of a group record. */
void encode_group_tail(struct jbuf *b);

/* What a listing held: all of a picture, or what a filter passed. */
struct encode_totals {
	uint64_t sockets;
	uint64_t groups;
	uint64_t tcp;
	uint64_t udp;
};

/* Appends the end record: count group records were sent. */
void encode_end(struct jbuf *b, size_t count, const struct encode_totals *t);

/*
 * Appends an event record; its processes and its group's are only
 * uid's when uid is given.
 */
void encode_event(struct jbuf *b, const struct event *ev, const uint32_t *uid);

/* Appends a lost record: count events a reader did not get, and why. */
void encode_lost(struct jbuf *b, uint64_t count, const char *reason);

/* What a history answer's first record says of the log. */
struct encode_history {
	const char *host;
	int64_t since_ms;    /* asked from; 0: all */
	int64_t complete_ms; /* the log holds every close since */
	uint64_t entries;
	uint64_t capacity;
	int all;
};

/* Appends the history record that begins a history answer. */
void encode_history_header(struct jbuf *b, const struct encode_history *h);

/* A group's closed connections, summed. Durations: -1 when unknown. */
struct encode_closed_sum {
	uint64_t closed;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	int64_t median_ms;
	int64_t p99_ms;
};

/*
 * Appends a closed_group record's head (dev: the group's device name);
 * with members, "connections":[ for them to follow, else it is whole.
 */
void encode_closed_head(struct jbuf *b, const struct endpoint *ep,
			const char *dev, const struct encode_closed_sum *s,
			int members);

/* Appends the closed connection of ev as a member of its group. */
void encode_closed(struct jbuf *b, const struct event *ev, const uint32_t *uid,
		   int first);

/* Appends the end of a closed_group record with members. */
void encode_closed_tail(struct jbuf *b);

#endif
