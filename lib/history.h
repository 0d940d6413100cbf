/* SPDX-License-Identifier: ISC */
/*
 * history.h - the log of closed connections: a ring of fixed-size
 * entries, the oldest dropped first, with the processes that held each
 * kept once per distinct set. Entries are in the order they closed.
 */
#ifndef SOCKWATCH_HISTORY_H
#define SOCKWATCH_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "strpool.h"

#define HISTORY_MAX_PROCS 32 /* holders kept of one connection */
#define HISTORY_NOPROCS UINT32_MAX

#define HISTORY_F_OUTBOUND 0x01 /* in an outbound group */
#define HISTORY_F_WILD 0x02	/* served by a wildcard listener */
#define HISTORY_F_TCP 0x04	/* the kernel's tcp_info counters are in */
#define HISTORY_F_LOCAL 0x08	/* an outbound group a listener here serves */

/* One closed connection: 112 bytes. */
struct history_entry {
	uint64_t cookie;
	int64_t opened_ms; /* first seen in a picture; 0: never */
	int64_t closed_ms;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint32_t ifindex;  /* the socket's device */
	uint32_t gifindex; /* its listen group's device */
	uint32_t segs_out;
	uint32_t segs_in;
	uint32_t total_retrans;
	uint32_t rtt_us;
	uint32_t procs; /* the set of its holders, or HISTORY_NOPROCS */
	uint8_t proto;
	uint8_t family;
	uint8_t flags; /* HISTORY_F_* */
	uint8_t pad;
	uint32_t pad2;
};

/* A holder as the log keeps it: its strings are offsets in the pool. */
struct history_proc {
	int32_t pid;
	uint32_t uid;
	uint32_t comm;
	uint32_t user;
	uint32_t unit;
	uint32_t container;
};

struct history {
	struct history_entry *ring;
	size_t cap;
	uint64_t added;	     /* entries ever added: the next one's number */
	int64_t complete_ms; /* the log holds every close since then */
	/* distinct sets of holders, and their strings */
	struct strpool str;
	struct history_proc *procs;
	size_t nprocs, pcap;
	uint32_t *set_at; /* set i is procs[set_at[i] .. set_at[i + 1]) */
	size_t nsets, scap;
	uint32_t *stab; /* open addressing: set id + 1, 0 when free */
	size_t stabcap;
	size_t compact_at; /* sets that make the pool worth rebuilding */
};

/*
 * A log of at most cap entries (1 or more), complete from start_ms on.
 * Returns 0, or -1 with errno ENOMEM.
 */
int history_init(struct history *h, size_t cap, int64_t start_ms);

/*
 * Logs the close event ev of a connection, its holders with it.
 * Returns 0, or -1 (ENOMEM: the entry is logged without them).
 */
int history_add(struct history *h, const struct event *ev);

/* The oldest entry number still held. */
uint64_t history_oldest(const struct history *h);

/* Entry number seq, NULL when dropped or not yet added. */
const struct history_entry *history_get(const struct history *h, uint64_t seq);

/*
 * Entry e as a close event, into ev, its holders into procs (up to
 * HISTORY_MAX_PROCS); the strings are the log's, valid until its next
 * history_add.
 */
void history_event(const struct history *h, const struct history_entry *e,
		   struct event *ev, struct event_proc *procs);

/* The bytes the log holds. */
size_t history_memory(const struct history *h);

void history_free(struct history *h);

#endif
