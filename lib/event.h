/* SPDX-License-Identifier: ISC */
/*
 * event.h - what happened to a socket, typed: opened, closed, a listener
 * come or gone, an accept queue full. Events come from the difference of
 * two pictures (source poll) or from the kernel's destroy multicast
 * (source kernel); the history keeps the closed connections.
 */
#ifndef SOCKWATCH_EVENT_H
#define SOCKWATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "destroy.h"
#include "filter.h"
#include "group.h"
#include "sockrec.h"

enum event_kind {
	EVENT_OPEN,	/* a socket seen for the first time */
	EVENT_CLOSE,	/* a socket destroyed */
	EVENT_LISTEN,	/* a listen endpoint's socket appeared */
	EVENT_UNLISTEN, /* and went */
	EVENT_OVERFLOW, /* a listener's accept queue reached its limit */
	EVENT_NKINDS
};

enum event_source { EVENT_SRC_POLL, EVENT_SRC_KERNEL };

/* A process as events and the history name it; the strings borrowed. */
struct event_proc {
	int32_t pid;
	uint32_t uid;
	const char *comm;
	const char *user;      /* NULL: the uid has no name */
	const char *unit;      /* NULL: none */
	const char *container; /* NULL: none */
};

struct event {
	uint8_t kind;	/* enum event_kind */
	uint8_t source; /* enum event_source */
	int64_t at_ms;	/* CLOCK_REALTIME */
	struct sock_rec rec;
	const char *dev;       /* the bound device's name; NULL: "ifN" */
	struct endpoint group; /* the group the socket belongs in */
	const char *group_dev;
	uint8_t group_local; /* an outbound group a listener here serves */
	const struct event_proc *procs; /* who held the socket */
	size_t nprocs;
	const struct event_proc *gprocs; /* the listener's programs */
	size_t ngprocs;
	int64_t first_seen_ms; /* 0: never in a picture */
	int has_tcp;
	struct destroy_tcp tcp; /* on close, from the kernel */
};

/* The wire word of a kind ("open", "close", ...). */
const char *event_kind_word(unsigned kind);

/*
 * Whether ev passes filter f (NULL: all) for a reader who sees every
 * process (uid NULL) or only the processes of *uid: terms on processes
 * see only what the reader may.
 */
int event_match(const struct filter *f, const struct event *ev,
		const uint32_t *uid);

#endif
