/* SPDX-License-Identifier: ISC */
/* ipc.c - fixed-size messages and one fd over a SOCK_SEQPACKET pair. */
#include "ipc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

#define IPC_MAX_FDS 4 /* room to take, and close, what should not come */

int ipc_send(int sock, const struct ipc_msg *m, int fd)
{
	ssize_t n;

	do
		n = fdpass_send(sock, m, sizeof(*m), fd,
				MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int ipc_recv(int sock, struct ipc_msg *m, int *fd)
{
	union {
		char buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	*fd = -1;
	memset(m, 0, sizeof(*m));
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	*fd = fdpass_take(&mh);
	if (n != (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_TRUNC) ||
	    m->type == 0 || m->type >= IPC_NTYPES) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}
