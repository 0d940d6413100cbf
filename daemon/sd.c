/* SPDX-License-Identifier: ISC */
/* sd.c - socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET). */
#include "sd.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define SD_LISTEN_FDS_START 3

static long env_long(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	return v;
}

/* The fd must be a listening AF_UNIX stream socket to be of use to us. */
static int sd_fd_usable(int fd)
{
	struct sockaddr_un sa = { 0 };
	socklen_t len = sizeof(sa);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
	    type != SOCK_STREAM)
		return 0;
	olen = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) < 0 ||
	    !listening)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX)
		return 0;
	return 1;
}

int sd_listen_fds(void)
{
	long n = env_long("LISTEN_FDS");

	if (env_long("LISTEN_PID") != (long)getpid() || n < 1 || n > 1024)
		return 0;
	return (int)n;
}

int sd_listen_fd(void)
{
	long n = sd_listen_fds();
	int fd = SD_LISTEN_FDS_START;

	if (n < 1)
		return -1;
	/* The variables are for us alone, not for anything we start. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n > 1)
		log_warnx("systemd passed %ld sockets; using the first", n);
	if (!sd_fd_usable(fd)) {
		log_warnx("fd %d from systemd is not a listening unix stream "
			  "socket; binding our own",
			  fd);
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -1;
	return fd;
}

void sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		log_debug("notify %s: %s", state, strerror(errno));
	close(fd);
}
