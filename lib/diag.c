/* SPDX-License-Identifier: ISC */
/* diag.c - sock_diag dumps of inet sockets with libmnl. */
#include "diag.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"

/*
 * The kernel caps one dump skb at 32 KiB; twice that leaves room for a
 * min_dump_alloc above it without ever seeing MSG_TRUNC.
 */
#define DIAG_BUFSZ 65536
#define DIAG_TRIES 4

struct diag {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned seq;
	int stale; /* mid-dump after a failed renewal: replace before use */
	enum diag_what what; /* of the dump under way */
	uint8_t *buf;
};

static int diag_socket_open(struct diag *d)
{
	d->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!d->nl)
		return -1;
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(d->nl);
		d->nl = NULL;
		errno = e;
		return -1;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	return 0;
}

struct diag *diag_open(void)
{
	struct diag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->buf = malloc(DIAG_BUFSZ);
	if (!d->buf || diag_socket_open(d) < 0) {
		int e = errno;

		free(d->buf);
		free(d);
		errno = e;
		return NULL;
	}
	d->seq = (unsigned)time(NULL);
	return d;
}

void diag_close(struct diag *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d->buf);
	free(d);
}

void diag_result_free(struct diag_result *res)
{
	free(res->recs);
	memset(res, 0, sizeof(*res));
}

/* The kernel's state bits for a dump of proto. */
static uint32_t diag_states(uint8_t proto, enum diag_what what)
{
	if (what == DIAG_ALL)
		/*
		 * Every state up to request sockets (NEW_SYN_RECV). Newer
		 * kernels also dump bound-but-inactive TCP sockets (bit 13)
		 * when asked; they take part in no connection and ss does
		 * not list them, so neither do we.
		 */
		return (1U << (REC_NEW_SYN_RECV + 1)) - 1;
	/*
	 * LISTEN alone lets the TCP dump skip the established hash; an
	 * unconnected UDP socket is in CLOSE.
	 */
	return 1U << (proto == IPPROTO_TCP ? REC_LISTEN : REC_CLOSE);
}

size_t diag_request(void *buf, uint8_t family, uint8_t proto, unsigned seq,
		    enum diag_what what)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = diag_states(proto, what);
	return nlh->nlmsg_len;
}

static struct sock_rec *diag_push(struct diag_result *res)
{
	if (res->grow && res->n == res->cap) {
		if (res->grow(res, res->n + 1, res->grow_ctx) < 0)
			return NULL;
	} else if (!res->grow && grow(&res->recs, &res->cap, res->n,
				      sizeof(*res->recs), 1024) < 0) {
		return NULL;
	}
	return &res->recs[res->n++];
}

/*
 * Walks the attributes after the inet_diag_msg. libmnl's walk stops
 * quietly at an attribute that overruns its message; that is a bad
 * message here, so the walk must end exactly at the tail.
 */
static int diag_attrs(const struct nlmsghdr *nlh, struct sock_rec *r)
{
	const struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct inet_diag_msg)) {
		if (mnl_attr_get_type(a) != INET_DIAG_SKV6ONLY)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return -1;
		if (mnl_attr_get_u8(a))
			r->flags |= REC_F_V6ONLY;
	}
	return (const char *)a == (const char *)mnl_nlmsg_get_payload_tail(nlh)
		       ? 0
		       : -1;
}

static void diag_fill(struct sock_rec *r, const struct inet_diag_msg *m,
		      uint8_t proto)
{
	size_t alen = rec_addr_len(m->idiag_family);

	memset(r, 0, sizeof(*r));
	r->proto = proto;
	r->family = m->idiag_family;
	r->state = m->idiag_state;
	r->lport = ntohs(m->id.idiag_sport);
	r->rport = ntohs(m->id.idiag_dport);
	r->ifindex = m->id.idiag_if;
	r->inode = m->idiag_inode;
	r->uid = m->idiag_uid;
	r->rqueue = m->idiag_rqueue;
	r->wqueue = m->idiag_wqueue;
	r->cookie =
		(uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	if (m->idiag_timer == 3 || m->idiag_state == REC_SYN_RECV)
		r->flags |= REC_F_MINI;
	memcpy(r->laddr, m->id.idiag_src, alen);
	memcpy(r->raddr, m->id.idiag_dst, alen);
}

int diag_msg_rec(const struct nlmsghdr *nlh, uint8_t proto, struct sock_rec *r)
{
	const struct inet_diag_msg *m;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		goto bad;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		goto bad;
	diag_fill(r, m, proto);
	/* Only IPv6 sockets carry an attribute the grouping needs. */
	if (r->family == AF_INET6 && diag_attrs(nlh, r) < 0)
		goto bad;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

static int diag_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct diag_parser *p = data;
	struct sock_rec *r;

	if (nlh->nlmsg_type != (p->type ? p->type : SOCK_DIAG_BY_FAMILY))
		return MNL_CB_OK;
	r = diag_push(p->res);
	if (!r)
		return MNL_CB_ERROR;
	return diag_msg_rec(nlh, p->proto, r) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * The errno a kernel error code stands for. The kernel sends -1..-4095;
 * anything else (INT_MIN, whose negation overflows) is a bad message.
 */
static int diag_errno(int code)
{
	return code < 0 && code >= -4095 ? -code : EBADMSG;
}

static int diag_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error < 0) {
		errno = diag_errno(e->error);
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP; /* an acknowledgement ends the exchange */
}

/* A dump that failed part way carries the errno in its NLMSG_DONE. */
static int diag_done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = diag_errno(err);
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int diag_overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

static mnl_cb_t diag_ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = diag_error_cb,
	[NLMSG_DONE] = diag_done_cb,
	[NLMSG_OVERRUN] = diag_overrun_cb,
};

/*
 * libmnl stops quietly at a partial message; a kernel never sends one.
 * Every length is checked as unsigned against the bytes left before it
 * is aligned or used, so no length can wrap the walk around or past the
 * buffer: the messages, each padded to 4 bytes, must tile it exactly.
 */
int diag_whole(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t left = len;

	while (left > 0) {
		struct nlmsghdr h;
		size_t mlen, step;

		if (left < sizeof(h))
			return 0;
		memcpy(&h, p, sizeof(h));
		mlen = h.nlmsg_len;
		if (mlen < sizeof(h) || mlen > left)
			return 0;
		/*
		 * Padding included, even after the last message: libmnl walks
		 * attributes up to the aligned end, which must be ours.
		 */
		step = NLMSG_ALIGN(mlen);
		if (step > left)
			return 0;
		p += step;
		left -= step;
	}
	return 1;
}

int diag_parse(struct diag_parser *p, const void *buf, size_t len)
{
	int ret;

	if (len == 0 || !diag_whole(buf, len)) {
		errno = EBADMSG;
		return -1;
	}
	/* libmnl reports NLM_F_DUMP_INTR as EINTR, which is what we want. */
	ret = mnl_cb_run2(buf, len, p->seq, p->portid, diag_msg_cb, p,
			  diag_ctl_cbs, NLMSG_MIN_TYPE);
	if (ret < 0)
		return -1;
	return ret == MNL_CB_STOP ? 0 : 1;
}

/*
 * One buffer of the dump. Only the kernel (port id 0) may answer: a
 * local process that sends to our port id is not listened to.
 */
static ssize_t diag_recv(struct diag *d)
{
	for (;;) {
		struct sockaddr_nl from = { 0 };
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = recvfrom(mnl_socket_get_fd(d->nl), d->buf, DIAG_BUFSZ, 0,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n >= 0 &&
		    (fromlen != sizeof(from) || from.nl_family != AF_NETLINK ||
		     from.nl_pid != 0))
			continue;
		return n;
	}
}

/* One dump of one family and protocol; -1 with errno on failure. */
static int diag_dump_one(struct diag *d, struct diag_result *res,
			 uint8_t family, uint8_t proto)
{
	struct diag_parser p = { res, proto, ++d->seq, d->portid, 0 };
	size_t len = diag_request(d->buf, family, proto, p.seq, d->what);
	int ret;

	if (mnl_socket_sendto(d->nl, d->buf, len) < 0)
		return -1;
	do {
		ssize_t n = diag_recv(d);

		if (n < 0)
			return -1;
		ret = diag_parse(&p, d->buf, (size_t)n);
	} while (ret > 0);
	return ret;
}

/*
 * A new socket in place of the old one, opened before the old one is
 * closed: when it cannot be had (EMFILE, ENOMEM), the old one stays, is
 * marked stale and is replaced at the start of the next dump instead.
 */
static int diag_socket_renew(struct diag *d)
{
	struct diag fresh = { 0 };

	if (diag_socket_open(&fresh) < 0) {
		d->stale = 1;
		return -1;
	}
	mnl_socket_close(d->nl);
	d->nl = fresh.nl;
	d->portid = fresh.portid;
	d->stale = 0;
	return 0;
}

/*
 * A dump that lost messages (ENOBUFS) or raced a table change
 * (NLM_F_DUMP_INTR, reported as EINTR by the parser) leaves the socket
 * mid-dump; a fresh socket is the simple way to start over cleanly.
 */
static int diag_dump_retry(struct diag *d, struct diag_result *res,
			   uint8_t family, uint8_t proto)
{
	size_t mark = res->n;
	int tries;

	for (tries = 0; tries < DIAG_TRIES; tries++) {
		if (diag_dump_one(d, res, family, proto) == 0)
			return 0;
		if (errno != ENOBUFS && errno != EINTR) {
			/*
			 * Cut short here (out of memory, say), the rest of the
			 * dump is still queued on the socket and would be read
			 * as the next one's: start that one on a new socket.
			 * Only "no UDP diag" ends the exchange cleanly.
			 */
			if (errno != ENOENT)
				d->stale = 1;
			return -1;
		}
		res->n = mark;
		res->retries++;
		if (diag_socket_renew(d) < 0)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

int diag_dump(struct diag *d, struct diag_result *res, enum diag_what what)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	size_t i;

	res->n = 0;
	res->flags = 0;
	res->retries = 0;
	d->what = what;
	if (d->stale && diag_socket_renew(d) < 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (diag_dump_retry(d, res, families[i], IPPROTO_TCP) < 0)
			return -1;
	for (i = 0; i < 2; i++) {
		if (diag_dump_retry(d, res, families[i], IPPROTO_UDP) == 0)
			continue;
		/* No handler: udp_diag is not built or cannot be loaded. */
		if (errno != ENOENT)
			return -1;
		res->flags |= DIAG_UDP_UNAVAILABLE;
		break;
	}
	return 0;
}
