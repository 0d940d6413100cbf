/* SPDX-License-Identifier: ISC */
/* destroy.c - the sock_diag destroy multicast, read into events. */
#include "destroy.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"

#define DESTROY_BUFSZ (64 * 1024)

struct destroy {
	int fd;
	int rcvbuf;
	uint64_t overruns;
	uint8_t buf[DESTROY_BUFSZ];
};

struct destroy_parser {
	destroy_cb cb;
	void *ctx;
	int n;
};

/* The counters of an INET_DIAG_INFO attribute. */
static void destroy_tcp_info(const struct nlattr *a, struct destroy_tcp *t)
{
	struct tcp_info ti = { 0 };
	size_t len = mnl_attr_get_payload_len(a);

	/* an older kernel's is shorter, a newer one's longer */
	memcpy(&ti, mnl_attr_get_payload(a),
	       len < sizeof(ti) ? len : sizeof(ti));
	t->bytes_acked = ti.tcpi_bytes_acked;
	t->bytes_received = ti.tcpi_bytes_received;
	t->segs_out = ti.tcpi_segs_out;
	t->segs_in = ti.tcpi_segs_in;
	t->total_retrans = ti.tcpi_total_retrans;
	t->rtt_us = ti.tcpi_rtt;
}

/* The protocol (every destroy message says it) and the tcp_info. */
static int destroy_attrs(const struct nlmsghdr *nlh, int *proto,
			 struct destroy_event *ev)
{
	const struct nlattr *a;

	*proto = -1;
	mnl_attr_for_each (a, nlh, sizeof(struct inet_diag_msg)) {
		if (mnl_attr_get_type(a) == INET_DIAG_PROTOCOL) {
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			*proto = mnl_attr_get_u8(a);
		} else if (mnl_attr_get_type(a) == INET_DIAG_INFO) {
			destroy_tcp_info(a, &ev->tcp);
			ev->has_tcp = 1;
		}
	}
	return (const char *)a == (const char *)mnl_nlmsg_get_payload_tail(nlh)
		       ? 0
		       : -1;
}

static int destroy_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct destroy_parser *p = data;
	struct destroy_event ev;
	int proto;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	memset(&ev, 0, sizeof(ev));
	/* the record first: it checks the message holds one */
	if (diag_msg_rec(nlh, 0, &ev.rec) < 0 ||
	    destroy_attrs(nlh, &proto, &ev) < 0 ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ev.rec.proto = (uint8_t)proto;
	if (proto != IPPROTO_TCP)
		ev.has_tcp = 0;
	p->cb(p->ctx, &ev);
	p->n++;
	return MNL_CB_OK;
}

int destroy_parse(const void *buf, size_t len, destroy_cb cb, void *ctx)
{
	struct destroy_parser p = { cb, ctx, 0 };

	/* multicast: no sequence or port id to check */
	if (!diag_whole(buf, len) ||
	    mnl_cb_run(buf, len, 0, 0, destroy_msg_cb, &p) < 0) {
		errno = EBADMSG;
		return -1;
	}
	return p.n;
}

static int destroy_join(int fd)
{
	static const int groups[] = {
		SKNLGRP_INET_TCP_DESTROY,
		SKNLGRP_INET_UDP_DESTROY,
		SKNLGRP_INET6_TCP_DESTROY,
		SKNLGRP_INET6_UDP_DESTROY,
	};
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &groups[i], sizeof(groups[i])) < 0)
			return -1;
	return 0;
}

/* Forced where the process may (CAP_NET_ADMIN), else up to rmem_max. */
static int destroy_size(int fd, int rcvbuf)
{
	socklen_t len = sizeof(rcvbuf);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0)
		return -1;
	return rcvbuf;
}

struct destroy *destroy_open(int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct destroy *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_SOCK_DIAG);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    destroy_join(d->fd) < 0 ||
	    (d->rcvbuf = destroy_size(d->fd, rcvbuf)) < 0) {
		int err = errno;

		destroy_close(d);
		errno = err;
		return NULL;
	}
	return d;
}

int destroy_fd(const struct destroy *d)
{
	return d->fd;
}

uint64_t destroy_overruns(const struct destroy *d)
{
	return d->overruns;
}

int destroy_rcvbuf(const struct destroy *d)
{
	return d->rcvbuf;
}

/* One buffer from the kernel (port id 0), else 0 after skipping it. */
static ssize_t destroy_recv(struct destroy *d)
{
	struct sockaddr_nl from = { 0 };
	socklen_t fromlen = sizeof(from);
	ssize_t n = recvfrom(d->fd, d->buf, sizeof(d->buf), 0,
			     (struct sockaddr *)&from, &fromlen);

	if (n > 0 && (fromlen != sizeof(from) || from.nl_family != AF_NETLINK ||
		      from.nl_pid != 0))
		return 0;
	return n;
}

int destroy_read(struct destroy *d, unsigned max_bufs, destroy_cb cb, void *ctx)
{
	int total = 0;
	unsigned i;

	for (i = 0; i < max_bufs; i++) {
		ssize_t n = destroy_recv(d);
		int got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			d->overruns++; /* the kernel dropped some: go on */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		got = destroy_parse(d->buf, (size_t)n, cb, ctx);
		if (got < 0)
			return -1;
		total += got;
	}
	return total;
}

void destroy_close(struct destroy *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}
