/* SPDX-License-Identifier: ISC */
/*
 * evqueue.h - a subscriber's events waiting for its socket, held typed
 * and packed (about a quarter of their JSON) and encoded only when the
 * socket takes them; in order, with the lost records where the losses
 * happened.
 */
#ifndef SOCKWATCH_EVQUEUE_H
#define SOCKWATCH_EVQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "history.h"

enum evq_lost { EVQ_LOST_SLOW, EVQ_LOST_KERNEL };

/* Records back to back in p[off .. len); a zeroed queue is an empty one. */
struct evqueue {
	uint8_t *p;
	size_t off, len, cap;
	size_t last; /* where the newest record starts */
};

/* What a record is, taken out: an event, or a count of lost ones. */
struct evq_item {
	int lost;	/* 0: an event; else 1 + enum evq_lost */
	uint64_t count; /* of a lost record */
	struct event e; /* its strings in the queue's memory */
	struct event_proc procs[HISTORY_MAX_PROCS];
	struct event_proc gprocs[HISTORY_MAX_PROCS];
};

/*
 * Appends e when the queue then holds at most limit bytes. Returns 0, or
 * -1 with errno ENOSPC (past limit) or ENOMEM; the queue is unchanged.
 */
int evq_push(struct evqueue *q, const struct event *e, size_t limit);

/*
 * Appends a lost record of count events, added to the newest record when
 * that is one for the same reason. Returns 0, or -1 with ENOSPC/ENOMEM.
 */
int evq_push_lost(struct evqueue *q, uint64_t count, enum evq_lost why,
		  size_t limit);

/*
 * Takes the oldest record into it; its strings stay valid until the next
 * push. Returns 1, or 0 when the queue is empty.
 */
int evq_pop(struct evqueue *q, struct evq_item *it);

/*
 * Gives back the memory of an emptied queue that a burst grew (the last
 * item's strings with it).
 */
void evq_trim(struct evqueue *q);

/* The bytes the records take. */
size_t evq_bytes(const struct evqueue *q);

void evq_free(struct evqueue *q);

#endif
