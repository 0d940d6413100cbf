/* SPDX-License-Identifier: ISC */
/*
 * shim.c - faults on demand for the daemon under test, by LD_PRELOAD.
 * Each fault is off unless its variable is set:
 *   FAULT_DIAG_SOCKETS_OK=N, FAULT_DIAG_SOCKETS_FAIL=M: after N sock_diag
 *     sockets, the next M fail with EMFILE; later ones succeed again.
 *   FAULT_DIAG_RECV_ENOBUFS_AT=N: the Nth receive on a sock_diag socket
 *     fails with ENOBUFS, as when the kernel dropped part of a dump.
 *   FAULT_DIAG_DUMP_INTR_AT=N: the Nth receive on a sock_diag socket
 *     comes with NLM_F_DUMP_INTR set, as when the socket tables changed
 *     while the kernel dumped them.
 *   FAULT_DIAG_FORGE_AT=N: the Nth receive on a sock_diag socket gets,
 *     instead of the kernel's next message, an error (EPERM) from a
 *     local process (port id 4242), as a user may send one.
 *   FAULT_ACCEPT_EMFILE=N: the first N accept4() calls fail with EMFILE.
 *   FAULT_SLOW_NSS_MS=N: service, interface and user name lookups take
 *     N ms each, as with a resolver that waits on a network.
 */
#include <dlfcn.h>
#include <net/if.h>
#include <netdb.h>
#include <pwd.h>
#include <time.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SHIM_FDS 4096

static unsigned char shim_diag[SHIM_FDS]; /* fds that are sock_diag ones */

static long shim_env(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static void shim_mark(int fd, int diag)
{
	if (fd >= 0 && fd < SHIM_FDS)
		shim_diag[fd] = (unsigned char)diag;
}

static int shim_is_diag(int fd)
{
	return fd >= 0 && fd < SHIM_FDS && shim_diag[fd];
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	static long made;
	int diag = domain == AF_NETLINK && protocol == NETLINK_SOCK_DIAG;
	int fd;

	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	if (diag) {
		long ok = shim_env("FAULT_DIAG_SOCKETS_OK", LONG_MAX);
		long fail = shim_env("FAULT_DIAG_SOCKETS_FAIL", 0);

		made++;
		if (made > ok && made - ok <= fail) {
			errno = EMFILE;
			return -1;
		}
	}
	fd = real(domain, type, protocol);
	shim_mark(fd, diag);
	return fd;
}

static long shim_recvs; /* receives on sock_diag sockets so far */

/* 1 when this receive on fd is the one to fail with ENOBUFS. */
static int shim_recv_fails(int fd)
{
	if (!shim_is_diag(fd))
		return 0;
	if (++shim_recvs != shim_env("FAULT_DIAG_RECV_ENOBUFS_AT", 0))
		return 0;
	errno = ENOBUFS;
	return 1;
}

/* Marks what was received as interrupted, when it is its turn. */
static ssize_t shim_recv_done(int fd, void *buf, ssize_t n)
{
	struct nlmsghdr *h = buf;

	if (n >= (ssize_t)sizeof(*h) && shim_is_diag(fd) &&
	    shim_recvs == shim_env("FAULT_DIAG_DUMP_INTR_AT", 0))
		h->nlmsg_flags |= NLM_F_DUMP_INTR;
	return n;
}

/*
 * A forged answer in buf, from port id 4242 in *from, when it is its
 * turn: returns its length, or 0 to receive the kernel's.
 */
static size_t shim_forge(int fd, void *buf, size_t len, void *from,
			 socklen_t *fromlen)
{
	static long recvs;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} m = { { sizeof(m), NLMSG_ERROR, 0, 0, 0 }, { -EPERM, { 0 } } };
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = 4242 };

	if (!shim_is_diag(fd) || len < sizeof(m) ||
	    ++recvs != shim_env("FAULT_DIAG_FORGE_AT", 0))
		return 0;
	memcpy(buf, &m, sizeof(m));
	if (from && fromlen && *fromlen >= sizeof(nl)) {
		memcpy(from, &nl, sizeof(nl));
		*fromlen = sizeof(nl);
	}
	return sizeof(m);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *from, socklen_t *fromlen)
{
	static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *,
			       socklen_t *);

	size_t forged;

	if (!real)
		real = (ssize_t(*)(int, void *, size_t, int, struct sockaddr *,
				   socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
	forged = shim_forge(fd, buf, len, from, fromlen);
	if (forged)
		return (ssize_t)forged;
	return shim_recv_fails(fd) ? -1
				   : shim_recv_done(fd, buf,
						    real(fd, buf, len, flags,
							 from, fromlen));
}

/* libmnl's own receive goes through recvmsg. */
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	size_t forged;

	if (!real)
		real = (ssize_t(*)(int, struct msghdr *, int))dlsym(RTLD_NEXT,
								    "recvmsg");
	forged = msg->msg_iovlen ? shim_forge(fd, msg->msg_iov[0].iov_base,
					      msg->msg_iov[0].iov_len,
					      msg->msg_name, &msg->msg_namelen)
				 : 0;
	if (forged)
		return (ssize_t)forged;
	if (shim_recv_fails(fd))
		return -1;
	return msg->msg_iovlen ? shim_recv_done(fd, msg->msg_iov[0].iov_base,
						real(fd, msg, flags))
			       : real(fd, msg, flags);
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	shim_mark(fd, 0);
	return real(fd);
}

static void shim_slow_nss(void)
{
	long ms = shim_env("FAULT_SLOW_NSS_MS", 0);
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

struct servent *getservbyname(const char *name, const char *proto)
{
	static struct servent *(*real)(const char *, const char *);

	if (!real)
		real = (struct servent * (*)(const char *, const char *))
			dlsym(RTLD_NEXT, "getservbyname");
	shim_slow_nss();
	return real(name, proto);
}

unsigned int if_nametoindex(const char *name)
{
	static unsigned int (*real)(const char *);

	if (!real)
		real = (unsigned int (*)(const char *))dlsym(RTLD_NEXT,
							     "if_nametoindex");
	shim_slow_nss();
	return real(name);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	static long calls;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(
			RTLD_NEXT, "accept4");
	if (++calls <= shim_env("FAULT_ACCEPT_EMFILE", 0)) {
		errno = EMFILE;
		return -1;
	}
	return real(fd, addr, len, flags);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size,
	       struct passwd **res)
{
	static int (*real)(uid_t, struct passwd *, char *, size_t,
			   struct passwd **);

	if (!real)
		real = (int (*)(uid_t, struct passwd *, char *, size_t,
				struct passwd **))dlsym(RTLD_NEXT,
							"getpwuid_r");
	shim_slow_nss();
	return real(uid, pw, buf, size, res);
}
