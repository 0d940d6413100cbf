/* SPDX-License-Identifier: ISC */
/*
 * sockfile.c - the control socket in the file system, safe by
 * construction: the path is walked one component at a time with
 * O_NOFOLLOW from a directory fd, the socket's directory is made or
 * verified through its fd, the node is born with its mode (umask) and
 * given its group without following links, and it is bound and removed
 * relative to the directory fd. A local user who can write none of these
 * directories cannot swap a link or a socket in between.
 */
#include "sockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOCKFILE_BACKLOG 128

struct walk {
	char *err;
	size_t errsz;
	uid_t uid;     /* the daemon's: it may own the socket's directory */
	uid_t outside; /* in a user namespace, who owns what is not mapped */
};

/*
 * The uid that files of unmapped users show in a user namespace (root's
 * among them), or (uid_t)-1 in the initial one. A daemon in a user
 * namespace is not the privileged one this file guards, and there the
 * directories above its own are the host's.
 */
static uid_t walk_outside(void)
{
	unsigned long a, b, n, over = 65534;
	FILE *f = fopen("/proc/self/uid_map", "r");
	int initial;

	if (!f)
		return (uid_t)-1;
	initial = fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 &&
		  b == 0 && n == 4294967295UL;
	fclose(f);
	if (initial)
		return (uid_t)-1;
	f = fopen("/proc/sys/kernel/overflowuid", "r");
	if (f) {
		if (fscanf(f, "%lu", &over) != 1)
			over = 65534;
		fclose(f);
	}
	return (uid_t)over;
}

/* Root, the daemon's user, or (in a user namespace) the host's. */
static int walk_trusted(const struct walk *w, uid_t owner)
{
	return owner == 0 || owner == w->uid || owner == w->outside;
}

/* "cannot DO WHAT: why", from errno. */
static int walk_fail(struct walk *w, const char *what_to_do, const char *what)
{
	snprintf(w->err, w->errsz, "cannot %s %s: %s", what_to_do, what,
		 strerror(errno));
	return -1;
}

/*
 * An ancestor: root's or ours (its owner may rename what is in it, sticky
 * or not), and writable by others only if sticky, as /tmp is, so that
 * nobody else may rename our entry in it.
 */
static int walk_check_above(struct walk *w, int fd, const char *dir)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return walk_fail(w, "look at", dir);
	if (!walk_trusted(w, st.st_uid)) {
		snprintf(w->err, w->errsz,
			 "%s belongs to uid %u, who could replace what is "
			 "below it; every directory above the socket must "
			 "belong to root or to sockwatchd's user",
			 dir, (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(w->err, w->errsz,
			 "%s is writable by other users and not sticky, so "
			 "they could replace what is below it: chmod go-w "
			 "%s, or choose another --socket",
			 dir, dir);
		return -1;
	}
	return 0;
}

/* The socket's own directory: ours or root's, writable by nobody else. */
static int walk_check_own(struct walk *w, int fd, const char *dir)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return walk_fail(w, "look at", dir);
	if (st.st_uid != 0 && st.st_uid != w->uid) {
		snprintf(w->err, w->errsz,
			 "%s belongs to uid %u, who could replace the socket; "
			 "the socket's directory must belong to root or to "
			 "sockwatchd's user: chown it, or choose another "
			 "--socket",
			 dir, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(w->err, w->errsz,
			 "%s is writable by %s, who could replace the socket; "
			 "use a directory of sockwatchd's own (the default "
			 "/run/sockwatch, or for example %s/sockwatch), or "
			 "chmod go-w it",
			 dir, st.st_mode & S_IWOTH ? "every user" : "its group",
			 dir);
		return -1;
	}
	return 0;
}

/* A component that must be a real directory, never a link to one. */
static int walk_open(struct walk *w, int at, const char *name, const char *dir,
		     int flags)
{
	struct stat st;
	int fd = openat(at, name, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		snprintf(w->err, w->errsz,
			 "%s is a symbolic link, and sockwatchd follows none "
			 "in the socket's path: give the path it points to",
			 dir);
		errno = ELOOP;
		return -1;
	}
	if (errno != ENOENT)
		walk_fail(w, "open directory", dir);
	return -1;
}

/* Makes the socket's directory: 0750, the group's when there is one. */
static int walk_mkdir(struct walk *w, int at, const char *name, const char *dir,
		      gid_t gid)
{
	int fd;

	if (mkdirat(at, name, 0700) < 0) {
		if (errno != EEXIST)
			return walk_fail(w, "create directory", dir);
		/* made meanwhile, not by us: verified, never chowned */
		fd = walk_open(w, at, name, dir, O_RDONLY);
		if (fd >= 0 && walk_check_own(w, fd, dir) < 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	fd = walk_open(w, at, name, dir, O_RDONLY);
	if (fd < 0)
		return -1;
	if (walk_check_own(w, fd, dir) < 0)
		goto fail;
	/* our group unless told, not a setgid parent's */
	if (fchown(fd, (uid_t)-1, gid != (gid_t)-1 ? gid : getegid()) < 0) {
		walk_fail(w, "set the group of", dir);
		goto fail;
	}
	/* the group may reach the socket, nobody else may look */
	if (fchmod(fd, 0750) < 0) {
		walk_fail(w, "set the mode of", dir);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* One component of the socket's directory; last is the directory itself. */
static int walk_step(struct walk *w, int at, const char *comp, const char *dir,
		     int last, gid_t gid)
{
	int fd;

	if (!strcmp(comp, "..")) {
		snprintf(w->err, w->errsz,
			 "%s: the socket path may not go up with \"..\"", dir);
		return -1;
	}
	fd = walk_open(w, at, comp, dir, last ? O_RDONLY : O_PATH);
	if (fd < 0 && errno == ENOENT && !*w->err) {
		if (last)
			return walk_mkdir(w, at, comp, dir, gid);
		snprintf(w->err, w->errsz, "%s does not exist", dir);
	}
	if (fd >= 0 &&
	    (last ? walk_check_own : walk_check_above)(w, fd, dir) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The fd of the socket's directory dir (the absolute path up to its last
 * '/', written over while walked, so that messages name the part walked).
 */
static int walk_dir(struct walk *w, char *dir, gid_t gid)
{
	const char *top = "/";
	char *comp = dir;
	int at = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (at < 0)
		return walk_fail(w, "open", top);
	comp += strspn(comp, "/");
	if (*comp && walk_check_above(w, at, top) < 0) {
		close(at);
		return -1;
	}
	if (!*comp) { /* the socket is right in "/" */
		close(at);
		at = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (at >= 0 && walk_check_own(w, at, top) == 0)
			return at;
		if (at < 0)
			walk_fail(w, "open", top);
		else
			close(at);
		return -1;
	}
	for (;;) {
		char *next = strchr(comp, '/');
		int last = !next || !next[strspn(next, "/")];
		int fd;

		if (next)
			*next = '\0';
		fd = walk_step(w, at, comp, dir, last, gid);
		close(at);
		if (fd < 0 || last)
			return fd;
		*next = '/';
		comp = next + 1 + strspn(next + 1, "/");
		at = fd;
	}
}

/* bind() and connect() have no *at() forms: they run from dir_fd. */
static int sockfile_at(const struct sockfile *sf, int fd, int is_bind)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), ret = -1, e;

	memcpy(sa.sun_path, sf->name, strlen(sf->name));
	if (cwd < 0 || fchdir(sf->dir_fd) < 0)
		goto out;
	ret = is_bind ? bind(fd, (const struct sockaddr *)&sa, sizeof(sa))
		      : connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
out:
	e = errno;
	if (cwd >= 0) {
		if (fchdir(cwd) < 0 && ret == 0) {
			e = errno;
			ret = -1;
		}
		close(cwd);
	}
	errno = e;
	return ret;
}

/* The node is born with its mode: nothing to chmod, nothing to race. */
static int sockfile_bind(const struct sockfile *sf, mode_t mode)
{
	mode_t old = umask(~mode & 0777);
	int ret = sockfile_at(sf, sf->fd, 1), e = errno;

	umask(old);
	errno = e;
	return ret;
}

/* 1 when a live daemon answers on the node, 0 when nobody does. */
static int sockfile_live(const struct sockfile *sf)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	live = sockfile_at(sf, fd, 0) == 0;
	close(fd);
	return live;
}

/* Removes the node left by a daemon that died, after making sure. */
static int sockfile_clear(const struct sockfile *sf, const char *path,
			  char *err, size_t errsz)
{
	struct stat st;

	if (fstatat(sf->dir_fd, sf->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* gone meanwhile */
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz,
			 "%s exists and is not a socket; "
			 "remove it or choose another --socket",
			 path);
		return -1;
	}
	if (sockfile_live(sf)) {
		snprintf(err, errsz,
			 "another sockwatchd is serving %s; stop "
			 "it first or choose another --socket",
			 path);
		return -1;
	}
	if (unlinkat(sf->dir_fd, sf->name, 0) < 0 && errno != ENOENT) {
		snprintf(err, errsz, "cannot remove stale %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Bound (replacing a stale node), grouped and recorded; -1 with err set. */
static int sockfile_make(struct sockfile *sf, const char *path, mode_t mode,
			 gid_t gid, char *err, size_t errsz)
{
	const char *what = "bind";
	struct stat st;

	if (sockfile_bind(sf, mode) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		if (sockfile_clear(sf, path, err, errsz) < 0)
			return -1;
		if (sockfile_bind(sf, mode) < 0)
			goto fail;
	}
	what = "set the group of";
	if (gid != (gid_t)-1 && fchownat(sf->dir_fd, sf->name, (uid_t)-1, gid,
					 AT_SYMLINK_NOFOLLOW) < 0)
		goto fail;
	what = "look at";
	if (fstatat(sf->dir_fd, sf->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto fail;
	sf->dev = st.st_dev;
	sf->ino = st.st_ino;
	what = "listen on";
	if (listen(sf->fd, SOCKFILE_BACKLOG) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errsz, "cannot %s %s: %s", what, path, strerror(errno));
	return -1;
}

int sockfile_open(struct sockfile *sf, const char *path, mode_t mode, gid_t gid,
		  char *err, size_t errsz)
{
	struct walk w = { err, errsz, geteuid(), walk_outside() };
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[4096];

	*err = '\0';
	memset(sf, 0, sizeof(*sf));
	sf->fd = sf->dir_fd = -1;
	if (path[0] != '/') { /* "." has ancestors nobody checks */
		snprintf(err, errsz, "%s: the socket path must be absolute",
			 path);
		return -1;
	}
	if (!*name || strlen(name) >= sizeof(sf->name) ||
	    strlen(path) >= sizeof(dir)) {
		snprintf(err, errsz,
			 "%s: not a socket path (a file name of at most "
			 "%zu bytes in a directory)",
			 path, sizeof(sf->name) - 1);
		return -1;
	}
	memcpy(sf->name, name, strlen(name) + 1);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0,
		 path);
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	sf->dir_fd = walk_dir(&w, dir, gid);
	if (sf->dir_fd < 0)
		return -1;
	sf->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sf->fd < 0)
		snprintf(err, errsz, "socket: %s", strerror(errno));
	if (sf->fd < 0 || sockfile_make(sf, path, mode, gid, err, errsz) < 0) {
		if (sf->fd >= 0)
			close(sf->fd);
		close(sf->dir_fd);
		sf->fd = sf->dir_fd = -1;
		return -1;
	}
	return 0;
}

void sockfile_close(struct sockfile *sf)
{
	struct stat st;

	if (sf->fd >= 0)
		close(sf->fd);
	if (sf->dir_fd >= 0 &&
	    fstatat(sf->dir_fd, sf->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == sf->dev && st.st_ino == sf->ino)
		unlinkat(sf->dir_fd, sf->name, 0);
	if (sf->dir_fd >= 0)
		close(sf->dir_fd);
	sf->fd = sf->dir_fd = -1;
}
