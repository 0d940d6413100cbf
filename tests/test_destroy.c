/* SPDX-License-Identifier: ISC */
/*
 * test_destroy.c - the kernel's destroy multicast, read from real
 * sockets closed on loopback in the suite's own network namespace.
 */
#include <check.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "destroy.h"
#include "net.h"
#include "tests.h"
#include "util.h"

#define SEEN_MAX 64

struct seen {
	struct destroy_event ev[SEEN_MAX];
	size_t n;
};

static void keep(void *ctx, const struct destroy_event *ev)
{
	struct seen *s = ctx;

	if (s->n < SEEN_MAX)
		s->ev[s->n++] = *ev;
}

/* The event of the socket on lport with remote rport (0: any). */
static const struct destroy_event *event_of(const struct seen *s, uint8_t proto,
					    int lport, int rport)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ev[i].rec.proto == proto &&
		    s->ev[i].rec.lport == lport &&
		    (!rport || s->ev[i].rec.rport == rport))
			return &s->ev[i];
	return NULL;
}

/* Reads events for up to 2 s, until want of them have come. */
static void read_events(struct destroy *d, struct seen *s, size_t want)
{
	uint64_t start = now_ms();

	while (s->n < want && now_ms() - start < 2000) {
		struct pollfd p = { .fd = destroy_fd(d), .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			ck_assert_int_ge(destroy_read(d, 16, keep, s), 0);
	}
}

/*
 * A connection that moved 5,000 bytes each way: both ends' events,
 * at once, with their 4-tuples, cookies and the counters of tcp_info.
 */
START_TEST(a_closed_connection_comes_with_its_bytes)
{
	static char buf[5000];
	struct destroy *d = destroy_open(1 << 20);
	struct seen s = { .n = 0 };
	const struct destroy_event *c, *a;
	int l, cl, ac, cport;

	ck_assert_ptr_nonnull(d);
	l = net_listen("127.0.0.1:7300", 8, 0, NULL);
	cl = net_connect("127.0.0.1:7300", NULL, 0);
	ac = net_accept(l);
	cport = net_port(cl);
	ck_assert_int_eq(write(cl, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(recv(ac, buf, sizeof(buf), MSG_WAITALL), sizeof(buf));
	ck_assert_int_eq(write(ac, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(recv(cl, buf, sizeof(buf), MSG_WAITALL), sizeof(buf));
	close(cl);
	close(ac);
	close(l);
	read_events(d, &s, 3);
	c = event_of(&s, IPPROTO_TCP, cport, 7300);
	a = event_of(&s, IPPROTO_TCP, 7300, cport);
	ck_assert_msg(c && a, "%zu events, not both ends", s.n);
	ck_assert_int_eq(c->rec.family, AF_INET);
	ck_assert_uint_ne(c->rec.cookie, 0);
	ck_assert_uint_ne(c->rec.cookie, a->rec.cookie);
	ck_assert_uint_eq(c->rec.inode, 0); /* its file was gone first */
	ck_assert(c->has_tcp && a->has_tcp);
	/* the kernel's counters: the SYN and the FIN count one each */
	ck_assert_uint_ge(c->tcp.bytes_acked, sizeof(buf));
	ck_assert_uint_le(c->tcp.bytes_acked, sizeof(buf) + 2);
	ck_assert_uint_ge(c->tcp.bytes_received, sizeof(buf));
	ck_assert_uint_le(c->tcp.bytes_received, sizeof(buf) + 1);
	ck_assert_uint_ge(a->tcp.bytes_received, sizeof(buf));
	ck_assert_uint_le(a->tcp.bytes_received, sizeof(buf) + 1);
	ck_assert_uint_gt(c->tcp.segs_out, 0);
	/* and the listener's own, with no remote end */
	ck_assert_ptr_nonnull(event_of(&s, IPPROTO_TCP, 7300, 0));
	ck_assert_uint_eq(destroy_overruns(d), 0);
	destroy_close(d);
}
END_TEST

START_TEST(a_closed_udp_socket_comes_too)
{
	struct destroy *d = destroy_open(1 << 20);
	struct seen s = { .n = 0 };
	const struct destroy_event *e;
	int u;

	ck_assert_ptr_nonnull(d);
	u = net_udp("[::1]:7301", NULL, 0);
	ck_assert_int_ge(u, 0);
	close(u);
	read_events(d, &s, 1);
	e = event_of(&s, IPPROTO_UDP, 7301, 0);
	ck_assert_msg(e != NULL, "%zu events, none of [::1]:7301", s.n);
	ck_assert_int_eq(e->rec.family, AF_INET6);
	ck_assert_int_eq(e->has_tcp, 0);
	destroy_close(d);
}
END_TEST

/* A buffer that is not the kernel's messages is refused, not read. */
START_TEST(bad_messages_are_refused)
{
	struct seen s = { .n = 0 };
	uint8_t buf[64];
	uint32_t len = 60;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &len, sizeof(len)); /* a header longer than the buffer */
	errno = 0;
	ck_assert_int_eq(destroy_parse(buf, 40, keep, &s), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

/* A whole message without the protocol every destroy message names. */
START_TEST(a_message_without_its_protocol_is_refused)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_msg m;
	} msg;
	struct seen s = { .n = 0 };

	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = sizeof(msg);
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.m.idiag_family = AF_INET;
	errno = 0;
	ck_assert_int_eq(destroy_parse(&msg, sizeof(msg), keep, &s), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

Suite *destroy_suite(void)
{
	Suite *s = suite_create("destroy");
	TCase *tc = tcase_create("multicast");

	tcase_add_test(tc, a_closed_connection_comes_with_its_bytes);
	tcase_add_test(tc, a_closed_udp_socket_comes_too);
	tcase_add_test(tc, bad_messages_are_refused);
	tcase_add_test(tc, a_message_without_its_protocol_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
