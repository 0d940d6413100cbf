/* SPDX-License-Identifier: ISC */
/*
 * test_evqueue.c - a subscriber's packed queue: what comes out encodes
 * exactly as what went in, in order, with its losses where they were,
 * within its bound and in a fraction of the JSON's bytes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "evqueue.h"
#include "tests.h"

static const uint32_t uid_a = 1000;

static const struct event_proc procs_a[] = {
	{ 4242, 1000, "nginx", "www", "nginx.service", NULL },
	{ 4243, 1000, "nginx", "www", "nginx.service", "web-1" },
	{ 17, 0, "sshd", NULL, NULL, NULL },
};
static const struct event_proc procs_b[] = {
	{ 99, 33, "psql", "postgres", "", NULL },
};

/* An event of kind k, its shape picked by n: families, strings, holders. */
static struct event ev_make(unsigned k, unsigned n)
{
	struct event e = { .kind = (uint8_t)k,
			   .source = n % 2 ? EVENT_SRC_KERNEL : EVENT_SRC_POLL,
			   .at_ms = 1764000000000 + n,
			   .first_seen_ms = n % 3 ? 1763999990000 + n : 0 };
	struct sock_rec *r = &e.rec;

	r->proto = n % 5 ? IPPROTO_TCP : IPPROTO_UDP;
	r->family = n % 2 ? AF_INET6 : AF_INET;
	r->state = k == EVENT_CLOSE ? REC_CLOSE : REC_ESTABLISHED;
	r->lport = (uint16_t)(8000 + n);
	r->rport = (uint16_t)(40000 + n);
	r->ifindex = n % 4;
	r->cookie = 0xfedcba9876543210ULL + n;
	r->uid = 1000;
	r->rqueue = n;
	r->wqueue = 128;
	if (r->family == AF_INET) {
		inet_pton(AF_INET, "127.0.0.1", r->laddr);
		inet_pton(AF_INET, "10.1.2.3", r->raddr);
	} else {
		inet_pton(AF_INET6, "fd00::1", r->laddr);
		inet_pton(AF_INET6, "::ffff:10.1.2.3", r->raddr);
	}
	e.dev = r->ifindex == 1	  ? "lo"
		: r->ifindex == 2 ? "vrf-\"blue\""
				  : NULL;
	e.group = (struct endpoint){ .role = n % 3 ? GROUP_LISTEN
						   : GROUP_OUTBOUND,
				     .proto = r->proto,
				     .family = r->family,
				     .port = r->lport,
				     .ifindex = r->ifindex };
	memcpy(e.group.addr, r->laddr, sizeof(e.group.addr));
	e.group_dev = e.dev;
	e.procs = procs_a; /* none, at n % 4 == 0, from an array all the same */
	e.nprocs = n % 4;
	/* the listener's programs: the holders', others', or none */
	e.gprocs = n % 3 == 1 ? e.procs : n % 3 == 2 ? procs_b : NULL;
	e.ngprocs = n % 3 == 1 ? e.nprocs : n % 3 == 2 ? 1 : 0;
	if (k == EVENT_CLOSE && r->proto == IPPROTO_TCP) {
		e.has_tcp = 1;
		e.tcp = (struct destroy_tcp){ .bytes_acked = 1ULL << 40,
					      .bytes_received = 12345,
					      .segs_out = 7,
					      .segs_in = 9,
					      .total_retrans = 1,
					      .rtt_us = 88 };
	}
	return e;
}

/* The JSON of e, as all and as uid_a see it. */
static char *ev_json(const struct event *e)
{
	struct jbuf b = { 0 };
	char *s;

	encode_event(&b, e, NULL);
	encode_event(&b, e, &uid_a);
	jbuf_put(&b, "", 1);
	ck_assert(!b.oom);
	s = strdup(b.p);
	jbuf_free(&b);
	return s;
}

static void pop_same(struct evqueue *q, const struct event *want)
{
	struct evq_item it;
	char *a = ev_json(want), *b;

	ck_assert_int_eq(evq_pop(q, &it), 1);
	ck_assert_int_eq(it.lost, 0);
	b = ev_json(&it.e);
	ck_assert_str_eq(b, a);
	free(a);
	free(b);
}

START_TEST(events_come_out_as_they_went_in)
{
	struct evqueue q = { 0 };
	unsigned k, n;

	for (k = 0; k < EVENT_NKINDS; k++)
		for (n = 0; n < 24; n++) {
			struct event e = ev_make(k, n);

			ck_assert_int_eq(evq_push(&q, &e, SIZE_MAX), 0);
		}
	for (k = 0; k < EVENT_NKINDS; k++)
		for (n = 0; n < 24; n++) {
			struct event e = ev_make(k, n);

			pop_same(&q, &e);
		}
	ck_assert_uint_eq(evq_bytes(&q), 0);
	ck_assert_int_eq(evq_pop(&q, &(struct evq_item){ 0 }), 0);
	evq_free(&q);
}
END_TEST

/* Pushes and pops interleaved, so that the queue moves and grows. */
START_TEST(strings_survive_the_queue_moving)
{
	struct evqueue q = { 0 };
	unsigned n, popped = 0;

	for (n = 0; n < 3000; n++) {
		struct event e = ev_make(EVENT_CLOSE, n);

		ck_assert_int_eq(evq_push(&q, &e, SIZE_MAX), 0);
		if (n % 3 == 2) {
			struct event w = ev_make(EVENT_CLOSE, popped++);

			pop_same(&q, &w);
		}
	}
	while (popped < 3000) {
		struct event w = ev_make(EVENT_CLOSE, popped++);

		pop_same(&q, &w);
	}
	ck_assert_uint_eq(evq_bytes(&q), 0);
	evq_trim(&q);
	ck_assert_ptr_null(q.p);
	evq_free(&q);
}
END_TEST

static void pop_lost(struct evqueue *q, int why, uint64_t count)
{
	struct evq_item it;

	ck_assert_int_eq(evq_pop(q, &it), 1);
	ck_assert_int_eq(it.lost, 1 + why);
	ck_assert_uint_eq(it.count, count);
}

START_TEST(losses_stay_where_they_happened)
{
	struct evqueue q = { 0 };
	struct event e1 = ev_make(EVENT_OPEN, 1), e2 = ev_make(EVENT_CLOSE, 2);

	ck_assert_int_eq(evq_push_lost(&q, 3, EVQ_LOST_KERNEL, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push_lost(&q, 4, EVQ_LOST_KERNEL, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push(&q, &e1, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push_lost(&q, 5, EVQ_LOST_SLOW, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push_lost(&q, 6, EVQ_LOST_KERNEL, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push_lost(&q, 1, EVQ_LOST_SLOW, SIZE_MAX), 0);
	ck_assert_int_eq(evq_push(&q, &e2, SIZE_MAX), 0);
	pop_lost(&q, EVQ_LOST_KERNEL, 7); /* the two at the end were one */
	pop_same(&q, &e1);
	pop_lost(&q, EVQ_LOST_SLOW, 5);
	pop_lost(&q, EVQ_LOST_KERNEL, 6);
	pop_lost(&q, EVQ_LOST_SLOW, 1);
	/* a lost record popped is not added to */
	ck_assert_int_eq(evq_push_lost(&q, 2, EVQ_LOST_SLOW, SIZE_MAX), 0);
	pop_same(&q, &e2);
	pop_lost(&q, EVQ_LOST_SLOW, 2);
	ck_assert_int_eq(evq_pop(&q, &(struct evq_item){ 0 }), 0);
	evq_free(&q);
}
END_TEST

START_TEST(the_bound_holds_and_refuses_whole_records)
{
	struct evqueue q = { 0 };
	const size_t limit = 16384;
	unsigned n = 0, taken = 0, i;
	struct event e;

	for (;;) {
		e = ev_make(EVENT_CLOSE, n);
		if (evq_push(&q, &e, limit) < 0)
			break;
		n++;
		ck_assert_uint_le(evq_bytes(&q), limit);
	}
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_gt(n, 10);
	/* nothing of the refused one went in */
	for (i = 0; i < n; i++) {
		struct event w = ev_make(EVENT_CLOSE, i);

		pop_same(&q, &w);
		taken++;
	}
	ck_assert_uint_eq(taken, n);
	ck_assert_int_eq(evq_pop(&q, &(struct evq_item){ 0 }), 0);
	ck_assert_int_eq(evq_push_lost(&q, 1, EVQ_LOST_SLOW, 8), -1);
	ck_assert_int_eq(errno, ENOSPC);
	evq_free(&q);
}
END_TEST

/* The reason for the queue: a close waits in a fraction of its JSON. */
START_TEST(a_close_packs_into_a_third_of_its_json)
{
	struct evqueue q = { 0 };
	struct jbuf b = { 0 };
	unsigned n;

	for (n = 1; n <= 1000; n++) {
		struct event e =
			ev_make(EVENT_CLOSE, n * 4 + 1); /* v6, 1 proc */

		ck_assert_int_eq(evq_push(&q, &e, SIZE_MAX), 0);
		encode_event(&b, &e, NULL);
	}
	ck_assert_msg(evq_bytes(&q) * 3 <= b.len, "packed %zu, JSON %zu",
		      evq_bytes(&q), b.len);
	jbuf_free(&b);
	evq_free(&q);
}
END_TEST

START_TEST(long_strings_are_cut_not_overrun)
{
	struct evqueue q = { 0 };
	struct event e = ev_make(EVENT_CLOSE, 1);
	struct event_proc p = procs_a[0];
	struct evq_item it;
	char *big = malloc(100000);

	memset(big, 'u', 99999);
	big[99999] = '\0';
	p.unit = big;
	e.procs = &p;
	e.nprocs = 1;
	ck_assert_int_eq(evq_push(&q, &e, SIZE_MAX), 0);
	ck_assert_int_eq(evq_pop(&q, &it), 1);
	ck_assert_uint_eq(strlen(it.e.procs[0].unit), 65534);
	ck_assert_int_eq(memcmp(it.e.procs[0].unit, big, 65534), 0);
	ck_assert_str_eq(it.e.procs[0].comm, "nginx");
	free(big);
	evq_free(&q);
}
END_TEST

Suite *evqueue_suite(void)
{
	Suite *s = suite_create("evqueue");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, events_come_out_as_they_went_in);
	tcase_add_test(tc, strings_survive_the_queue_moving);
	tcase_add_test(tc, losses_stay_where_they_happened);
	tcase_add_test(tc, the_bound_holds_and_refuses_whole_records);
	tcase_add_test(tc, a_close_packs_into_a_third_of_its_json);
	tcase_add_test(tc, long_strings_are_cut_not_overrun);
	suite_add_tcase(s, tc);
	return s;
}
