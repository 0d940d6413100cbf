/* SPDX-License-Identifier: ISC */
/*
 * events.h - the server's account of what happens to sockets: closes as
 * the kernel's destroy multicast tells them, opens and listeners from
 * the difference of two pictures, full accept queues from every look;
 * streamed to subscribers through bounded queues and logged, for closed
 * connections, in the history.
 */
#ifndef SOCKWATCHD_EVENTS_H
#define SOCKWATCHD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "destroy.h"
#include "evqueue.h"
#include "filter.h"
#include "history.h"
#include "jbuf.h"
#include "loop.h"
#include "snap.h"

#define EVENTS_QUEUE_MAX ((size_t)256 * 1024) /* a subscriber's, unsent */
#define EVENTS_RATE_WINDOW_S 60

struct events_opts {
	size_t history_size;
	unsigned max_subscribers;
	/* asks the poller for a picture, to catch up on lost events */
	void (*ask_fresh)(void *ctx);
	void *ctx;
};

/*
 * A subscriber: the filter and view of its client, the buffer it reads
 * and, packed, the events that wait for room in it.
 */
struct events_sub {
	struct events_sub *next;
	const struct filter *filter; /* NULL: all; the client's */
	int all;		     /* sees every process */
	uint32_t uid;
	struct jbuf *out;
	const size_t *out_off;	 /* how much of out has gone */
	struct evqueue q;	 /* events not yet in out */
	uint64_t lost;		 /* events dropped since its last record */
	void (*wake)(void *ctx); /* out has more to send */
	void *ctx;
};

/* What status says of events. */
struct events_stats {
	unsigned subscribers;
	uint64_t events;	  /* emitted */
	uint64_t kernel_overruns; /* ENOBUFS on the destroy socket */
	uint64_t kernel_lost;	  /* closes the pictures caught up on */
	uint64_t history_entries;
	uint64_t history_capacity;
	uint64_t history_bytes;
	int destroy_events; /* the destroy multicast is read */
};

struct events;

/*
 * Events over loop, reading the destroy socket d (taken; NULL: closes
 * are known only from pictures). NULL with errno.
 */
struct events *events_new(struct loop *loop, struct destroy *d,
			  const struct events_opts *o);

/* A new picture: opens, listeners gone, queues full, closes caught up. */
void events_picture(struct events *ev, struct snap *s);

/* The listeners now, over the picture: their queues. */
void events_overlay(struct events *ev, const struct snap *s);

/*
 * Adds a subscriber (its memory the caller's, until unsubscribed).
 * Returns 0, or -1 when --max-subscribers are subscribed already.
 */
int events_subscribe(struct events *ev, struct events_sub *sub);

void events_unsubscribe(struct events *ev, struct events_sub *sub);

/* sub's queue has drained: it learns what it lost meanwhile. */
void events_drained(struct events *ev, struct events_sub *sub);

/* The log of closed connections. */
const struct history *events_history(const struct events *ev);

/*
 * A listen group's connections opened and closed a second, over the
 * last EVENTS_RATE_WINDOW_S seconds; 0 when it has none on record.
 */
int events_rates(const struct events *ev, const struct endpoint *ep,
		 double *opened, double *closed);

void events_stats(const struct events *ev, struct events_stats *st);

/* Whether closes come from the kernel (else from pictures alone). */
int events_kernel(const struct events *ev);

void events_free(struct events *ev);

#endif
