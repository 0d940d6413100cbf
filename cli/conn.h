/* SPDX-License-Identifier: ISC */
/* conn.h - the client's side of the control socket. */
#ifndef SOCKWATCHCTL_CONN_H
#define SOCKWATCHCTL_CONN_H

#include <stddef.h>
#include <sys/types.h>

#include "proto.h"

/* Exit statuses a script can tell apart (see sockwatchctl(8)). */
enum {
	EXIT_DAEMON_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_RUNNING = 3,
	EXIT_DENIED = 4,
};

/*
 * Where the answers come from when not from the daemon's socket (--from):
 * request takes a request line, read gives the answer's next bytes (0 at
 * its end), close frees ctx.
 */
struct conn_source {
	void (*request)(void *ctx, const char *line, size_t len);
	size_t (*read)(void *ctx, char *dst, size_t room);
	void (*close)(void *ctx);
	void *ctx; /* NULL: the socket */
};

/* A connection and its buffered reader of reply lines. */
struct conn {
	int fd;
	const char *path;
	char *buf;
	size_t len; /* bytes in buf */
	size_t off; /* start of the next unread line */
	size_t cap;
	int passed_fd; /* a descriptor the daemon sent, -1 for none */
	struct conn_source src;
};

/*
 * Connects to path; on failure prints what to do and exits 3, 4 or 1.
 * The listener must be root, this user or owner ((uid_t)-1 for none), or
 * it exits 4.
 */
void conn_open(struct conn *c, const char *path, uid_t owner);

/* Sends one request line; exits 1 if the daemon went away. */
void conn_send(struct conn *c, const struct proto_request *req);

/*
 * The next reply line, newline stripped and NUL-terminated, valid until
 * the next call; NULL at end of stream. Exits 1 on a read error.
 */
char *conn_line(struct conn *c, size_t *len);

/*
 * For a stream that may be quiet for hours (events): no more timeout on
 * reading; the stream ends when the daemon closes it.
 */
void conn_stream(struct conn *c);

/* Whether a whole line is buffered: conn_line would not wait for it. */
int conn_has_line(const struct conn *c);

/* The descriptor the daemon passed with its answer, -1 if none; the
 * caller owns it from then on. */
int conn_take_fd(struct conn *c);

/* Closes the connection and frees the buffer. */
void conn_close(struct conn *c);

#endif
