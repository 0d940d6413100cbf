/* SPDX-License-Identifier: ISC */
/* sockfile.c - the control socket in the file system. */
#include "sockfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCKFILE_BACKLOG 128

static int sockfile_mkparent(const char *path, gid_t gid, char *err,
			     size_t errsz)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) == 0) {
		/* the group may reach the socket, nobody else may look */
		if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0) {
			snprintf(err, errsz, "cannot give %s to group %u: %s",
				 dir, (unsigned)gid, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errsz, "cannot create directory %s: %s", dir,
		 strerror(errno));
	return -1;
}

static int sockfile_bind(int fd, const struct sockaddr_un *sa)
{
	mode_t old = umask(0177); /* born 0600; widened once it is set up */
	int ret = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;

	umask(old);
	errno = e;
	return ret;
}

/* 1 when a live daemon answers on sa, 0 when nobody does. */
static int sockfile_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

/* Removes the file left by a daemon that died, after making sure. */
static int sockfile_clear(const struct sockaddr_un *sa, char *err, size_t errsz)
{
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return 0; /* gone meanwhile */
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz,
			 "%s exists and is not a socket; "
			 "remove it or choose another --socket",
			 sa->sun_path);
		return -1;
	}
	if (sockfile_live(sa)) {
		snprintf(err, errsz,
			 "another sockwatchd is serving %s; stop "
			 "it first or choose another --socket",
			 sa->sun_path);
		return -1;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		snprintf(err, errsz, "cannot remove stale %s: %s", sa->sun_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int sockfile_fail(int fd, char *err, size_t errsz, const char *what,
			 const char *path)
{
	if (what)
		snprintf(err, errsz, "cannot %s %s: %s", what, path,
			 strerror(errno));
	close(fd);
	return -1;
}

/* The group and mode asked for, set before anyone may connect. */
static int sockfile_grant(int fd, const char *path, mode_t mode, gid_t gid,
			  char *err, size_t errsz)
{
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
		return sockfile_fail(fd, err, errsz, "set the group of", path);
	if (chmod(path, mode) < 0)
		return sockfile_fail(fd, err, errsz, "set the mode of", path);
	return fd;
}

int sockfile_open(const char *path, mode_t mode, gid_t gid, char *err,
		  size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsz, "socket path too long (%zu bytes at most)",
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (sockfile_mkparent(path, gid, err, errsz) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	if (sockfile_bind(fd, &sa) < 0) {
		if (errno != EADDRINUSE)
			return sockfile_fail(fd, err, errsz, "bind", path);
		if (sockfile_clear(&sa, err, errsz) < 0)
			return sockfile_fail(fd, err, errsz, NULL, path);
		if (sockfile_bind(fd, &sa) < 0)
			return sockfile_fail(fd, err, errsz, "bind", path);
	}
	if (sockfile_grant(fd, path, mode, gid, err, errsz) < 0)
		return -1;
	if (listen(fd, SOCKFILE_BACKLOG) < 0)
		return sockfile_fail(fd, err, errsz, "listen on", path);
	return fd;
}
