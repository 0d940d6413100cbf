/* SPDX-License-Identifier: ISC */
/*
 * loop.h - the event loop of each process: a registry of fds, each with
 * the events it waits for and the function that handles them. No fixed
 * slots: modules add and remove their own fds.
 */
#ifndef SOCKWATCHD_LOOP_H
#define SOCKWATCHD_LOOP_H

#include <poll.h>
#include <stddef.h>

/* Handles what poll reported for fd (revents, 0 never passed). */
typedef void (*loop_fn)(void *ctx, int fd, short revents);

struct loop;

/* An empty registry. NULL when out of memory. */
struct loop *loop_new(void);

/* Watches fd for events with fn(ctx). Returns 0, or -1 (ENOMEM). */
int loop_add(struct loop *l, int fd, short events, loop_fn fn, void *ctx);

/* Changes the events watched for fd (0: none for now). */
void loop_watch(struct loop *l, int fd, short events);

/* Stops watching fd; safe from inside a handler, for any fd. */
void loop_del(struct loop *l, int fd);

/*
 * Waits up to timeout_ms (-1: no limit) and runs the handlers of the
 * fds that are ready. Returns 0, or -1 with errno when poll fails.
 */
int loop_once(struct loop *l, int timeout_ms);

/* Frees the registry (the fds stay open). */
void loop_free(struct loop *l);

#endif
