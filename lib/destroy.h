/* SPDX-License-Identifier: ISC */
/*
 * destroy.h - the kernel's sock_diag destroy multicast: a message for
 * every TCP or UDP socket, IPv4 or IPv6, at the moment it is freed, with
 * the 4-tuple and cookie and, for TCP, the tcp_info of its last moment.
 * No privilege is needed to join the groups. The message has no inode
 * (the socket's file is gone by then): who held it is for the caller to
 * know by cookie. TIME-WAIT and request sockets send none.
 */
#ifndef SOCKWATCH_DESTROY_H
#define SOCKWATCH_DESTROY_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

/* tcp_info's counters as the kernel left them (SYN and FIN included). */
struct destroy_tcp {
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint32_t segs_out;
	uint32_t segs_in;
	uint32_t total_retrans;
	uint32_t rtt_us;
};

struct destroy_event {
	struct sock_rec rec; /* inode 0, state as the kernel had it */
	int has_tcp;	     /* tcp holds the socket's tcp_info */
	struct destroy_tcp tcp;
};

typedef void (*destroy_cb)(void *ctx, const struct destroy_event *ev);

struct destroy;

/*
 * Joins the four destroy groups on a non-blocking socket of its own,
 * with a receive buffer of rcvbuf bytes (forced past rmem_max where the
 * process may; else as large as rmem_max allows). NULL with errno.
 */
struct destroy *destroy_open(int rcvbuf);

/* The socket to poll for input. */
int destroy_fd(const struct destroy *d);

/*
 * Reads what has come, up to max_bufs received buffers, calling cb for
 * every event. Returns how many events it read, or -1 with errno. When
 * the kernel dropped events (its buffer was full: ENOBUFS), that is
 * counted in destroy_overruns() and reading goes on.
 */
int destroy_read(struct destroy *d, unsigned max_bufs, destroy_cb cb,
		 void *ctx);

/* How many times the kernel has dropped events since the open. */
uint64_t destroy_overruns(const struct destroy *d);

/* The receive buffer the kernel granted, in bytes. */
int destroy_rcvbuf(const struct destroy *d);

/*
 * Parses one received buffer, calling cb for every event. Returns the
 * number of events, or -1 with errno EBADMSG (what came before the bad
 * message was delivered).
 */
int destroy_parse(const void *buf, size_t len, destroy_cb cb, void *ctx);

void destroy_close(struct destroy *d);

#endif
