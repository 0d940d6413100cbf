/* SPDX-License-Identifier: ISC */
/* conn.c - connect, send a request, read reply lines of any length. */
#include "conn.h"

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"

/* A --fresh poll of a million sockets takes seconds; a dead daemon, forever. */
#define CONN_TIMEOUT_S 60

/* Whether gid is among the n groups of list. */
static int conn_gid_in(gid_t gid, const gid_t *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == gid)
			return 1;
	return 0;
}

/*
 * Whether this user is in gid by the group database but this process is
 * not: added to the group after logging in.
 */
static int conn_joined_since_login(gid_t gid)
{
	const struct passwd *pw = getpwuid(getuid());
	gid_t now[NGROUPS_MAX], *db;
	int n = getgroups(NGROUPS_MAX, now), m = 0, in;

	if (!pw || n < 0 || getegid() == gid || conn_gid_in(gid, now, n))
		return 0;
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &m); /* m: how many */
	db = calloc((size_t)m + 1, sizeof(*db));
	if (!db)
		return 0;
	in = getgrouplist(pw->pw_name, pw->pw_gid, db, &m) >= 0 &&
	     conn_gid_in(gid, db, m);
	free(db);
	return in;
}

/*
 * Why file (the socket, or a directory on the way to it) lets this user
 * not in: its mode and group, and what would let them in.
 */
static void conn_denied_by(const char *path, const char *file, int is_dir)
{
	const char *what = is_dir ? "the directory" : "the socket";
	/* root meets a mode only without CAP_DAC_OVERRIDE (a container's) */
	const char *fix =
		getuid() ? "run as root" : "this root lacks CAP_DAC_OVERRIDE";
	mode_t need = is_dir ? S_IXGRP : S_IWGRP;
	const struct group *gr;
	struct stat st;
	char gname[32];

	if (stat(file, &st) < 0)
		errx(EXIT_DENIED, "permission denied on %s", path);
	gr = getgrgid(st.st_gid);
	snprintf(gname, sizeof(gname), "%s", gr ? gr->gr_name : "");
	if (!gr)
		snprintf(gname, sizeof(gname), "%u", (unsigned)st.st_gid);
	if (!(st.st_mode & need))
		errx(EXIT_DENIED,
		     "permission denied on %s: %s %s is mode %04o, open to no "
		     "group; %s",
		     path, what, file, (unsigned)(st.st_mode & 07777), fix);
	if (st.st_gid == 0)
		errx(EXIT_DENIED,
		     "permission denied on %s: %s %s is open to the group "
		     "root only, as sockwatchd was started without "
		     "--socket-group; %s",
		     path, what, file, fix);
	if (conn_joined_since_login(st.st_gid))
		errx(EXIT_DENIED,
		     "permission denied on %s: you were added to the group %s "
		     "after this login; log in again (or run newgrp %s)",
		     path, gname, gname);
	errx(EXIT_DENIED,
	     "permission denied on %s: %s %s is open to the group %s only "
	     "(sockwatchd's --socket-group); %s or as a member of %s",
	     path, what, file, gname, fix, gname);
}

/* The first directory on the way that lets us not through, or the file. */
static void conn_denied(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *p;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - path), path);
		if (access(dir, X_OK) < 0 && errno == EACCES)
			conn_denied_by(path, dir, 1);
	}
	conn_denied_by(path, path, 0);
}

/* What is at path, when it is no socket to connect to. */
static void conn_not_socket(const char *path, int e)
{
	struct stat st;

	if (e == ECONNREFUSED && stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		errx(EXIT_NOT_RUNNING,
		     "%s is not a socket but a %s: is that sockwatchd's "
		     "--socket?",
		     path, S_ISDIR(st.st_mode) ? "directory" : "file");
	if (e == ENOTDIR)
		errx(EXIT_NOT_RUNNING,
		     "%s: a part of the path is not a directory: is that "
		     "sockwatchd's --socket?",
		     path);
}

static void conn_fail(const char *path, int e)
{
	if (e == EACCES || e == EPERM)
		conn_denied(path);
	conn_not_socket(path, e);
	if (e == ENOENT || e == ECONNREFUSED)
		errx(EXIT_NOT_RUNNING,
		     "sockwatchd is not running on %s; start it with "
		     "\"systemctl start sockwatchd\" or \"sockwatchd "
		     "--socket %s\"",
		     path, path);
	errx(EXIT_NOT_RUNNING, "cannot connect to sockwatchd on %s: %s", path,
	     strerror(e));
}

/*
 * The process that listens on path must be root, this user, or the user
 * the caller named: anyone else may have bound a socket there first (in
 * a shared directory, say) to serve a picture of their own making.
 */
static void conn_trust(const struct conn *c, uid_t owner)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		err(EXIT_DAEMON_ERROR, "who serves %s", c->path);
	if (cred.uid == 0 || cred.uid == getuid() || cred.uid == geteuid() ||
	    (owner != (uid_t)-1 && cred.uid == owner))
		return;
	errx(EXIT_DENIED,
	     "%s is served by uid %u (pid %d), not by root: not trusting it; "
	     "if sockwatchd runs as that user, say so with --socket-owner "
	     "or SOCKWATCH_SOCKET_OWNER",
	     c->path, (unsigned)cred.uid, (int)cred.pid);
}

void conn_open(struct conn *c, const char *path, uid_t owner)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { CONN_TIMEOUT_S, 0 };

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->passed_fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		errx(EXIT_USAGE, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		err(EXIT_DAEMON_ERROR, "socket");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		conn_fail(path, errno);
	conn_trust(c, owner);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void conn_send(struct conn *c, const struct proto_request *req)
{
	struct jbuf b = { 0 };
	size_t off = 0;

	proto_request(&b, req);
	if (b.oom)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	/* JSON's escapes count too: a filter that fits may not, escaped */
	if (b.len - 1 > PROTO_MAX_LINE)
		errx(EXIT_USAGE,
		     "the request would be %zu bytes, more than the %d "
		     "sockwatchd reads; shorten the filter",
		     b.len - 1, PROTO_MAX_LINE);
	if (c->src.ctx) {
		c->src.request(c->src.ctx, b.p, b.len - 1);
		jbuf_free(&b);
		return;
	}
	while (off < b.len) {
		ssize_t n = send(c->fd, b.p + off, b.len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(EXIT_DAEMON_ERROR, "sending to sockwatchd on %s",
			    c->path);
		off += (size_t)n;
	}
	jbuf_free(&b);
}

/* Makes room at the end of buf, moving the unread part to the front. */
static void conn_room(struct conn *c)
{
	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len < 65536) {
		c->cap = c->cap ? c->cap * 2 : 1 << 20;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf)
			errx(EXIT_DAEMON_ERROR, "out of memory");
	}
}

/* Keeps the first descriptor the daemon passes; closes any other. */
static void conn_keep_fds(struct conn *c, struct msghdr *mh)
{
	int fd = fdpass_take(mh);

	if (fd >= 0 && c->passed_fd < 0)
		c->passed_fd = fd;
	else if (fd >= 0)
		close(fd);
}

static ssize_t conn_fill(struct conn *c)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	conn_room(c);
	if (c->src.ctx) {
		n = (ssize_t)c->src.read(c->src.ctx, c->buf + c->len,
					 c->cap - c->len - 1);
		c->len += (size_t)n;
		return n;
	}
	iov.iov_base = c->buf + c->len;
	iov.iov_len = c->cap - c->len - 1;
	do {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		conn_keep_fds(c, &mh);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		errx(EXIT_DAEMON_ERROR, "no answer from sockwatchd in %d s",
		     CONN_TIMEOUT_S);
	if (n < 0)
		err(EXIT_DAEMON_ERROR, "reading from sockwatchd");
	c->len += (size_t)n;
	return n;
}

char *conn_line(struct conn *c, size_t *len)
{
	size_t scanned = c->off;
	char *nl = NULL, *line;

	for (;;) {
		/* conn_fill may move the unread part to the front */
		size_t seen = c->len - c->off;

		if (c->len > scanned)
			nl = memchr(c->buf + scanned, '\n', c->len - scanned);
		if (nl)
			break;
		if (conn_fill(c) == 0)
			return NULL; /* a partial last line is no record */
		scanned = c->off + seen;
	}
	line = c->buf + c->off;
	*nl = '\0';
	*len = (size_t)(nl - line);
	c->off = (size_t)(nl - c->buf) + 1;
	return line;
}

void conn_stream(struct conn *c)
{
	struct timeval tv = { 0, 0 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		err(EXIT_DAEMON_ERROR, "the connection to sockwatchd");
}

int conn_has_line(const struct conn *c)
{
	return c->len > c->off &&
	       memchr(c->buf + c->off, '\n', c->len - c->off) != NULL;
}

int conn_take_fd(struct conn *c)
{
	int fd = c->passed_fd;

	c->passed_fd = -1;
	return fd;
}

void conn_close(struct conn *c)
{
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	if (c->src.ctx)
		c->src.close(c->src.ctx);
	else
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
