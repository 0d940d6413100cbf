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

#include "jbuf.h"
#include "overlay.h"
#include "picture.h"

#define ENCODE_SCHEMA "sockwatch/1"

/*
 * Appends the header record, with the picture's age at now_mono_ms and
 * that of the overlay o over it (NULL: none); all says whether the
 * reader sees every process or only its own.
 */
void encode_header(struct jbuf *b, const struct picture *p,
		   const struct overlay *o, uint64_t now_mono_ms,
		   unsigned interval_ms, int all);

/* What a group's head says of the members a reader gets. */
struct encode_sum {
	uint64_t counts[REC_NTALLY]; /* by enum rec_tally */
	uint64_t qlen;		     /* listeners' accept queues */
	uint64_t qmax;
};

/* Adds record r to the sum; listener says it is one of the "sockets". */
void encode_sum_add(struct encode_sum *s, const struct sock_rec *r,
		    int listener);

/*
 * Appends a group record up to its members: role, endpoint, queue, the
 * processes of the listeners recs[0 .. n) (only uid's with uid) and the
 * counts; then "sockets":[ for its members to follow.
 */
void encode_group_head(struct jbuf *b, const struct picture *p,
		       const struct sockgroup *g, const struct encode_sum *s,
		       const uint32_t *recs, size_t n, const uint32_t *uid);

/*
 * The same group record without members, whole: the head, then how many
 * sockets and connections it has ("nsockets", "nconnections").
 */
void encode_group_sizes(struct jbuf *b, const struct picture *p,
			const struct sockgroup *g, const struct encode_sum *s,
			const uint32_t *recs, size_t n, const uint32_t *uid,
			uint64_t nconn);

/* Appends the summary record: counts by state of TCP and of UDP. */
void encode_summary(struct jbuf *b, const struct encode_sum *tcp,
		    const struct encode_sum *udp);

/*
 * Appends record rec as a member, its fields from r (the picture's, or
 * as an overlay has it now); first says no comma goes before it.
 */
void encode_member(struct jbuf *b, const struct picture *p, uint32_t rec,
		   const struct sock_rec *r, const uint32_t *uid, int first);

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

#endif
