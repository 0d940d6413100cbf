/* SPDX-License-Identifier: ISC */
/* test_diag.c - the sock_diag parser on a recorded dump and bad messages. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "group.h"
#include "tests.h"
#include "util.h"

#define DUMP_FILE "tests/data/dump.bin"
#define SS_FILE "tests/data/dump.ss.txt"

static const uint8_t dump_proto[4] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP,
				       IPPROTO_UDP };

/* Feeds the recorded buffers (u32 length + bytes each) to the parser. */
static void parse_recording(struct diag_result *res)
{
	FILE *f = fopen(DUMP_FILE, "rb");
	struct diag_parser p = { res, IPPROTO_TCP, 0, 0, 0 };
	unsigned dump = 0;
	uint32_t len;
	char *buf;

	ck_assert_msg(f != NULL, "cannot open %s", DUMP_FILE);
	while (fread(&len, sizeof(len), 1, f) == 1) {
		ck_assert_uint_lt(dump, 4);
		buf = malloc(len);
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(fread(buf, 1, len, f), len);
		p.proto = dump_proto[dump];
		if (diag_parse(&p, buf, len) == 0)
			dump++;
		free(buf);
	}
	fclose(f);
	ck_assert_uint_eq(dump, 4);
}

static const struct sock_rec *find_cookie(const struct diag_result *res,
					  uint64_t cookie)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		if (res->recs[i].cookie == cookie)
			return &res->recs[i];
	return NULL;
}

/* ss's line "tcp LISTEN 1 128 127.0.0.1:8080 ... ino:N sk:HEX ..." */
static void check_ss_line(const struct diag_result *res, const char *line)
{
	char proto[8], state[16], local[80], remote[80];
	const char *ino = strstr(line, "ino:"), *sk = strstr(line, "sk:");
	unsigned rq, wq;
	const struct sock_rec *r;
	char *colon;

	ck_assert_int_eq(sscanf(line, "%7s %15s %u %u %79s %79s", proto, state,
				&rq, &wq, local, remote),
			 6);
	ck_assert_msg(ino && sk, "ss line without ino/sk: %s", line);
	r = find_cookie(res, strtoull(sk + 3, NULL, 16));
	ck_assert_msg(r != NULL, "no record for %s", line);
	ck_assert_int_eq(r->proto,
			 strcmp(proto, "udp") ? IPPROTO_TCP : IPPROTO_UDP);
	ck_assert_uint_eq(r->inode, strtoul(ino + 4, NULL, 10));
	ck_assert_uint_eq(r->rqueue, rq);
	ck_assert_uint_eq(r->wqueue, wq);
	colon = strrchr(local, ':');
	ck_assert_uint_eq(r->lport, strtoul(colon + 1, NULL, 10));
	ck_assert_int_eq(!!(r->flags & REC_F_V6ONLY),
			 strstr(line, "v6only:1") != NULL);
	ck_assert_int_eq(r->ifindex != 0, strchr(local, '%') != NULL);
}

START_TEST(recorded_dump_matches_ss)
{
	struct diag_result res = { 0 };
	FILE *f = fopen(SS_FILE, "r");
	char line[512];
	size_t lines = 0;

	parse_recording(&res);
	ck_assert_msg(f != NULL, "cannot open %s", SS_FILE);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			continue;
		check_ss_line(&res, line);
		lines++;
	}
	fclose(f);
	ck_assert_uint_eq(lines, res.n);
	diag_result_free(&res);
}
END_TEST

START_TEST(recorded_dump_groups_as_designed)
{
	struct diag_result res = { 0 };
	struct grouping g;
	size_t i, listen = 0, conns = 0;

	parse_recording(&res);
	ck_assert_int_eq(group_build(res.recs, res.n, NULL, &g), 0);
	for (i = 0; i < g.ngroups; i++) {
		const struct sockgroup *gr = &g.groups[i];

		if (gr->ep.role == GROUP_LISTEN)
			listen++;
		if (gr->ep.role == GROUP_LISTEN && gr->ep.port == 9090)
			/* the v4 client, v4-mapped, under the [::] listener */
			ck_assert_uint_eq(gr->nconn, 1);
		if (gr->ep.role == GROUP_LISTEN && gr->ep.port == 6060)
			ck_assert_uint_eq(gr->nconn, 1); /* TIME-WAIT */
		if (gr->ep.role == GROUP_LISTEN && gr->ep.port == 7070)
			ck_assert_uint_eq(gr->ep.ifindex, 1);
		if (gr->ep.role == GROUP_OUTBOUND)
			ck_assert_msg(gr->local, "outbound to :%u not local",
				      gr->ep.port);
		conns += gr->nconn;
	}
	/* 8080 6060 7070 8443 9090 listeners, udp 5353 and 5354 */
	ck_assert_uint_eq(listen, 7);
	ck_assert_uint_eq(g.ngroups, 10);
	group_free(&g);
	diag_result_free(&res);
}
END_TEST

/* A buffer of crafted netlink messages. */
struct craft {
	char buf[4096];
	size_t len;
};

static struct nlmsghdr *craft_msg(struct craft *c, uint16_t type,
				  size_t payload)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, payload);
	c->len += nlh->nlmsg_len;
	return nlh;
}

static struct inet_diag_msg *craft_sock(struct craft *c, uint8_t family)
{
	struct nlmsghdr *nlh =
		craft_msg(c, SOCK_DIAG_BY_FAMILY, sizeof(struct inet_diag_msg));
	struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);

	m->idiag_family = family;
	m->idiag_state = 10;
	m->id.idiag_sport = htons(80);
	return m;
}

static void craft_done(struct craft *c, int err)
{
	struct nlmsghdr *nlh = craft_msg(c, NLMSG_DONE, sizeof(int));

	memcpy(mnl_nlmsg_get_payload(nlh), &err, sizeof(err));
}

static int craft_parse(struct craft *c, struct diag_result *res, int *err)
{
	struct diag_parser p = { res, IPPROTO_TCP, 0, 0, 0 };
	int ret;

	errno = 0;
	ret = diag_parse(&p, c->buf, c->len);
	*err = errno;
	return ret;
}

START_TEST(crafted_good_dump)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	int err;

	craft_sock(&c, AF_INET);
	craft_sock(&c, AF_INET6);
	ck_assert_int_eq(craft_parse(&c, &res, &err), 1); /* more to come */
	c.len = 0;
	craft_done(&c, 0);
	ck_assert_int_eq(craft_parse(&c, &res, &err), 0);
	ck_assert_uint_eq(res.n, 2);
	ck_assert_uint_eq(res.recs[0].lport, 80);
	ck_assert_uint_eq(res.recs[1].family, AF_INET6);
	diag_result_free(&res);
}
END_TEST

START_TEST(truncated_and_oversized_messages)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	int err;

	craft_sock(&c, AF_INET);
	c.len -= 10; /* cut inside the message */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	craft_sock(&c, AF_INET);
	((struct nlmsghdr *)c.buf)->nlmsg_len = 4000; /* claims too much */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	craft_msg(&c, SOCK_DIAG_BY_FAMILY, 8); /* payload too short */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	craft_sock(&c, AF_UNIX); /* not an inet family */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1); /* empty */
	diag_result_free(&res);
}
END_TEST

/*
 * Lengths that wrap: 0xfffffffd..0xffffffff align to 0 (the walk never
 * moved), 0xfffffff0 passed an (int) cast as -16. Each is refused at once.
 */
START_TEST(lengths_that_wrap_are_refused)
{
	static const uint32_t lens[] = { 0xfffffffdU, 0xfffffffeU, 0xffffffffU,
					 0xfffffff0U, 0x80000000U, 0U,
					 15U };
	struct diag_result res = { 0 };
	struct craft c = { 0 };
	size_t i;
	int err;

	for (i = 0; i < sizeof(lens) / sizeof(*lens); i++) {
		c.len = 0;
		craft_sock(&c, AF_INET);
		craft_sock(&c, AF_INET);
		((struct nlmsghdr *)c.buf)->nlmsg_len = lens[i];
		ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
		ck_assert_int_eq(err, EBADMSG);
	}
	diag_result_free(&res);
}
END_TEST

/*
 * A last message whose padding the buffer does not hold: libmnl would walk
 * its attributes up to the aligned end, past the buffer.
 */
START_TEST(unpadded_last_message_is_refused)
{
	struct diag_result res = { 0 };
	struct craft c = { 0 };
	int err;

	craft_sock(&c, AF_INET6);
	((struct nlmsghdr *)c.buf)->nlmsg_len += 1; /* 89 bytes, say */
	c.len += 1;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	diag_result_free(&res);
}
END_TEST

/* An error code whose negation overflows is a bad message, not an errno. */
START_TEST(error_codes_out_of_range_are_bad_messages)
{
	struct diag_result res = { 0 };
	struct craft c = { 0 };
	struct nlmsgerr *e;
	int err;

	craft_done(&c, INT_MIN);
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	e = mnl_nlmsg_get_payload(craft_msg(&c, NLMSG_ERROR, sizeof(*e)));
	e->error = INT_MIN;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	craft_done(&c, -ENOENT); /* a real one still reads as itself */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, ENOENT);
	diag_result_free(&res);
}
END_TEST

START_TEST(bad_attribute_is_rejected)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	struct nlmsghdr *nlh;
	int err;

	craft_sock(&c, AF_INET6);
	nlh = (struct nlmsghdr *)c.buf;
	mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, 1);
	c.len = nlh->nlmsg_len;
	ck_assert_int_eq(craft_parse(&c, &res, &err), 1);
	ck_assert(res.recs[0].flags & REC_F_V6ONLY);
	/* An attribute whose length runs past its message. */
	((struct nlattr *)((char *)nlh +
			   mnl_nlmsg_size(sizeof(struct inet_diag_msg))))
		->nla_len = 200;
	res.n = 0;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	diag_result_free(&res);
}
END_TEST

START_TEST(kernel_errors_surface)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	struct nlmsgerr *e;
	int err;

	e = mnl_nlmsg_get_payload(craft_msg(&c, NLMSG_ERROR, sizeof(*e)));
	e->error = -EPERM;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EPERM);
	c.len = 0;
	craft_msg(&c, NLMSG_ERROR, 2); /* too short to hold an errno */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EBADMSG);
	c.len = 0;
	craft_sock(&c, AF_INET);
	craft_done(&c, -ENOMEM); /* a dump that failed part way */
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, ENOMEM);
	c.len = 0;
	craft_msg(&c, NLMSG_OVERRUN, 0);
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, ENOBUFS);
	diag_result_free(&res);
}
END_TEST

START_TEST(interrupted_dump_is_eintr)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	int err;

	craft_sock(&c, AF_INET);
	((struct nlmsghdr *)c.buf)->nlmsg_flags |= NLM_F_DUMP_INTR;
	ck_assert_int_eq(craft_parse(&c, &res, &err), -1);
	ck_assert_int_eq(err, EINTR);
	diag_result_free(&res);
}
END_TEST

START_TEST(foreign_sequence_is_refused)
{
	struct craft c = { 0 };
	struct diag_result res = { 0 };
	struct diag_parser p = { &res, IPPROTO_TCP, 77, 0, 0 };

	craft_sock(&c, AF_INET);
	((struct nlmsghdr *)c.buf)->nlmsg_seq = 78;
	ck_assert_int_eq(diag_parse(&p, c.buf, c.len), -1);
	diag_result_free(&res);
}
END_TEST

/* The real kernel, in the test's own namespace. */
START_TEST(live_dump_sees_own_sockets)
{
	struct diag_result res = { 0 };
	struct diag *d = diag_open();
	int l = socket(AF_INET, SOCK_STREAM, 0), u;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(31337),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t i, found = 0;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 9), 0);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(u, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(diag_dump(d, &res, DIAG_ALL), 0);
	for (i = 0; i < res.n; i++)
		if (res.recs[i].lport == 31337)
			found |= res.recs[i].proto == IPPROTO_TCP ? 1u : 2u;
	ck_assert_uint_eq(found, 3);
	ck_assert_uint_eq(res.flags & DIAG_UDP_UNAVAILABLE, 0);
	diag_result_free(&res);
	diag_close(d);
	close(l);
	close(u);
}
END_TEST

Suite *diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, recorded_dump_matches_ss);
	tcase_add_test(tc, recorded_dump_groups_as_designed);
	tcase_add_test(tc, crafted_good_dump);
	tcase_add_test(tc, truncated_and_oversized_messages);
	tcase_add_test(tc, lengths_that_wrap_are_refused);
	tcase_add_test(tc, unpadded_last_message_is_refused);
	tcase_add_test(tc, error_codes_out_of_range_are_bad_messages);
	tcase_add_test(tc, bad_attribute_is_rejected);
	tcase_add_test(tc, kernel_errors_surface);
	tcase_add_test(tc, interrupted_dump_is_eintr);
	tcase_add_test(tc, foreign_sequence_is_refused);
	tcase_add_test(tc, live_dump_sees_own_sockets);
	suite_add_tcase(s, tc);
	return s;
}
