/* SPDX-License-Identifier: ISC */
/* test_group.c - doc/design.md's grouping rules on hand-built records. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "group.h"
#include "order.h"
#include "tests.h"
#include "util.h"

#define MAXR 32

/* A small host: records added one by one, then grouped. */
struct host {
	struct sock_rec r[MAXR];
	size_t n;
	struct grouping g;
};

static size_t add(struct host *h, const char *proto, const char *state,
		  const char *local, const char *remote, uint32_t dev)
{
	ck_assert_uint_lt(h->n, MAXR);
	h->r[h->n] = rec_make(proto, state, local, remote, dev);
	return h->n++;
}

/*
 * The groups of GROUP_TALLY_MIN connections or more, and only they, have
 * counts, and those are their connections' counts.
 */
static void tallies_check(const struct grouping *g, const struct sock_rec *r)
{
	size_t i, k, t = 0;

	for (i = 0; i < g->ngroups; i++) {
		const struct sockgroup *gr = &g->groups[i];
		uint32_t count[REC_NTALLY] = { 0 };

		if (gr->nconn < GROUP_TALLY_MIN)
			continue;
		ck_assert_uint_lt(t, g->ntallies);
		ck_assert_uint_eq(g->tallies[t].group, i);
		for (k = 0; k < gr->nconn; k++)
			count[rec_tally(
				&r[g->order[gr->first + gr->nsock + k]])]++;
		ck_assert_mem_eq(count, g->tallies[t].count, sizeof(count));
		t++;
	}
	ck_assert_uint_eq(t, g->ntallies);
}

/*
 * Groups, the host's addresses known (or NULL), then checks that every
 * record sits in exactly one group.
 */
static void build_on(struct host *h, const struct group_hosts *hosts)
{
	unsigned seen[MAXR] = { 0 };
	size_t i, total = 0;

	ck_assert_int_eq(group_build(h->r, h->n, hosts, &h->g), 0);
	for (i = 0; i < h->g.ngroups; i++) {
		const struct sockgroup *g = &h->g.groups[i];

		total += g->nsock + g->nconn;
		if (g->ep.role == GROUP_OUTBOUND)
			ck_assert_uint_eq(g->nsock, 0);
	}
	ck_assert_uint_eq(total, h->n);
	tallies_check(&h->g, h->r);
	for (i = 0; i < h->n; i++)
		seen[h->g.order[i]]++;
	for (i = 0; i < h->n; i++)
		ck_assert_uint_eq(seen[i], 1);
}

static void build(struct host *h)
{
	build_on(h, NULL);
}

/* The group holding record idx, and whether it is one of its sockets. */
static const struct sockgroup *group_of(const struct host *h, size_t idx,
					int *is_sock)
{
	size_t i, k;

	for (i = 0; i < h->g.ngroups; i++) {
		const struct sockgroup *g = &h->g.groups[i];

		for (k = 0; k < g->nsock + g->nconn; k++)
			if (h->g.order[g->first + k] == idx) {
				if (is_sock)
					*is_sock = k < g->nsock;
				return g;
			}
	}
	ck_abort_msg("record %zu in no group", idx);
	return NULL;
}

static void expect_ep(const struct sockgroup *g, int role, const char *text,
		      uint32_t dev)
{
	uint8_t fam, addr[16];
	uint16_t port;

	ck_assert_int_eq(addr_parse(text, &fam, addr, &port), 0);
	ck_assert_int_eq(g->ep.role, role);
	ck_assert_int_eq(g->ep.family, fam);
	ck_assert_int_eq(g->ep.port, port);
	ck_assert_mem_eq(g->ep.addr, addr, 16);
	ck_assert_uint_eq(g->ep.ifindex, dev);
}

static void teardown_host(struct host *h)
{
	group_free(&h->g);
}

START_TEST(empty_host_has_no_groups)
{
	struct grouping g;

	ck_assert_int_eq(group_build(NULL, 0, NULL, &g), 0);
	ck_assert_uint_eq(g.ngroups, 0);
	group_free(&g);
}
END_TEST

START_TEST(reuseport_listeners_share_one_group)
{
	struct host h = { 0 };
	size_t a = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	size_t b = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	size_t c = add(&h, "tcp", "established", "10.0.0.1:80", "10.0.0.9:5000",
		       0);
	int sock;

	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 1);
	ck_assert_ptr_eq(group_of(&h, a, &sock), group_of(&h, b, NULL));
	ck_assert(sock);
	ck_assert_ptr_eq(group_of(&h, c, &sock), &h.g.groups[0]);
	ck_assert(!sock);
	ck_assert_uint_eq(h.g.groups[0].nsock, 2);
	ck_assert_uint_eq(h.g.groups[0].nconn, 1);
	teardown_host(&h);
}
END_TEST

START_TEST(same_port_two_addresses_two_groups)
{
	struct host h = { 0 };
	size_t a = add(&h, "tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 0);
	size_t b = add(&h, "tcp", "listen", "127.0.0.2:80", "0.0.0.0:0", 0);
	size_t ca = add(&h, "tcp", "established", "127.0.0.1:80",
			"127.0.0.1:4000", 0);
	size_t cb = add(&h, "tcp", "established", "127.0.0.2:80",
			"127.0.0.1:4001", 0);

	build(&h);
	ck_assert_ptr_ne(group_of(&h, a, NULL), group_of(&h, b, NULL));
	ck_assert_ptr_eq(group_of(&h, ca, NULL), group_of(&h, a, NULL));
	ck_assert_ptr_eq(group_of(&h, cb, NULL), group_of(&h, b, NULL));
	expect_ep(group_of(&h, a, NULL), GROUP_LISTEN, "127.0.0.1:80", 0);
	teardown_host(&h);
}
END_TEST

START_TEST(exact_address_before_wildcard)
{
	struct host h = { 0 };
	size_t any = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	size_t lo = add(&h, "tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 0);
	size_t c1 = add(&h, "tcp", "established", "127.0.0.1:80",
			"127.0.0.1:4000", 0);
	size_t c2 = add(&h, "tcp", "established", "10.1.1.1:80",
			"10.9.9.9:4000", 0);

	build(&h);
	ck_assert_ptr_eq(group_of(&h, c1, NULL), group_of(&h, lo, NULL));
	ck_assert_ptr_eq(group_of(&h, c2, NULL), group_of(&h, any, NULL));
	teardown_host(&h);
}
END_TEST

START_TEST(dual_stack_listener_owns_v4_mapped_clients)
{
	struct host h = { 0 };
	size_t l = add(&h, "tcp", "listen", "[::]:8080", "[::]:0", 0);
	size_t acc = add(&h, "tcp", "established", "[::ffff:127.0.0.1]:8080",
			 "[::ffff:127.0.0.1]:40000", 0);
	size_t cli = add(&h, "tcp", "established", "127.0.0.1:40000",
			 "127.0.0.1:8080", 0);
	const struct sockgroup *out;

	build(&h);
	ck_assert_ptr_eq(group_of(&h, acc, NULL), group_of(&h, l, NULL));
	out = group_of(&h, cli, NULL);
	expect_ep(out, GROUP_OUTBOUND, "127.0.0.1:8080", 0);
	ck_assert_int_eq(out->local, 1); /* its peer is the mapped socket */
	teardown_host(&h);
}
END_TEST

START_TEST(v6only_and_v4_listeners_keep_their_family)
{
	struct host h = { 0 };
	size_t l6 = add(&h, "tcp", "listen", "[::]:80", "[::]:0", 0);
	size_t l4 = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	size_t c6 = add(&h, "tcp", "established", "[::1]:80", "[::1]:5000", 0);
	size_t c4 = add(&h, "tcp", "established", "127.0.0.1:80",
			"127.0.0.1:5000", 0);

	h.r[l6].flags |= REC_F_V6ONLY;
	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 2);
	ck_assert_ptr_eq(group_of(&h, c6, NULL), group_of(&h, l6, NULL));
	ck_assert_ptr_eq(group_of(&h, c4, NULL), group_of(&h, l4, NULL));
	teardown_host(&h);
}
END_TEST

/*
 * A v6only listener serves no IPv4: a socket bound to a v4-mapped address
 * on its port (a client's, here) is not one of its connections.
 */
START_TEST(v6only_listener_owns_no_v4_mapped_socket)
{
	struct host h = { 0 };
	size_t l = add(&h, "tcp", "listen", "[::]:9092", "[::]:0", 0);
	size_t m = add(&h, "tcp", "established", "[::ffff:127.0.0.1]:9092",
		       "[::ffff:127.0.0.1]:5432", 0);
	size_t c6 =
		add(&h, "tcp", "established", "[::1]:9092", "[::1]:6000", 0);
	struct endpoint ep;

	h.r[l].flags |= REC_F_V6ONLY;
	build(&h);
	ck_assert_ptr_eq(group_of(&h, c6, NULL), group_of(&h, l, NULL));
	expect_ep(group_of(&h, m, NULL), GROUP_OUTBOUND,
		  "[::ffff:127.0.0.1]:5432", 0);
	/* placing a socket no picture saw follows the same rule */
	ck_assert_ptr_eq(
		&h.g.groups[group_place(h.g.groups, h.g.ngroups, &h.r[m], &ep)],
		group_of(&h, m, NULL));
	ck_assert_int_eq(ep.role, GROUP_OUTBOUND);
	ck_assert_ptr_eq(&h.g.groups[group_place(h.g.groups, h.g.ngroups,
						 &h.r[c6], &ep)],
			 group_of(&h, l, NULL));
	teardown_host(&h);
}
END_TEST

/* Reuseport listeners of one endpoint: one without v6only takes IPv4. */
START_TEST(one_dual_stack_listener_makes_the_group_serve_ipv4)
{
	struct host h = { 0 };
	size_t a = add(&h, "tcp", "listen", "[::]:9092", "[::]:0", 0);
	size_t b = add(&h, "tcp", "listen", "[::]:9092", "[::]:0", 0);
	size_t m = add(&h, "tcp", "established", "[::ffff:127.0.0.1]:9092",
		       "[::ffff:127.0.0.1]:5432", 0);

	h.r[a].flags |= REC_F_V6ONLY;
	h.r[b].inode = h.r[a].inode + 1;
	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 1);
	ck_assert_int_eq(group_of(&h, m, NULL)->v6only, 0);
	ck_assert_ptr_eq(group_of(&h, m, NULL), group_of(&h, b, NULL));
	teardown_host(&h);
}
END_TEST

START_TEST(device_bound_listener_serves_only_its_device)
{
	struct host h = { 0 };
	size_t l = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 7);
	size_t on = add(&h, "tcp", "established", "10.0.0.1:80",
			"10.0.0.2:3000", 7);
	size_t off = add(&h, "tcp", "established", "10.0.0.1:80",
			 "10.0.0.2:3001", 0);

	build(&h);
	expect_ep(group_of(&h, l, NULL), GROUP_LISTEN, "0.0.0.0:80", 7);
	ck_assert_ptr_eq(group_of(&h, on, NULL), group_of(&h, l, NULL));
	expect_ep(group_of(&h, off, NULL), GROUP_OUTBOUND, "10.0.0.2:3001", 0);
	teardown_host(&h);
}
END_TEST

START_TEST(unbound_listener_serves_bound_sockets_too)
{
	struct host h = { 0 };
	size_t any = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	size_t dev = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 3);
	size_t c3 = add(&h, "tcp", "established", "10.0.0.1:80",
			"10.0.0.2:3000", 3);
	size_t c5 = add(&h, "tcp", "established", "10.0.0.1:80",
			"10.0.0.2:3001", 5);

	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 2);
	ck_assert_ptr_eq(group_of(&h, c3, NULL), group_of(&h, dev, NULL));
	ck_assert_ptr_eq(group_of(&h, c5, NULL), group_of(&h, any, NULL));
	teardown_host(&h);
}
END_TEST

START_TEST(queue_timewait_closewait_sit_under_listener)
{
	struct host h = { 0 };
	size_t l = add(&h, "tcp", "listen", "0.0.0.0:22", "0.0.0.0:0", 0);
	size_t q = add(&h, "tcp", "established", "10.0.0.1:22", "10.0.0.5:1000",
		       0);
	size_t tw =
		add(&h, "tcp", "time-wait", "10.0.0.1:22", "10.0.0.5:1001", 0);
	size_t cw =
		add(&h, "tcp", "close-wait", "10.0.0.1:22", "10.0.0.5:1002", 0);
	size_t sr =
		add(&h, "tcp", "syn-recv", "10.0.0.1:22", "10.0.0.5:1003", 0);
	const struct sockgroup *g;

	h.r[q].inode = 0; /* not accepted yet */
	h.r[tw].inode = 0;
	h.r[sr].state = REC_NEW_SYN_RECV;
	build(&h);
	g = group_of(&h, l, NULL);
	ck_assert_ptr_eq(group_of(&h, q, NULL), g);
	ck_assert_ptr_eq(group_of(&h, tw, NULL), g);
	ck_assert_ptr_eq(group_of(&h, cw, NULL), g);
	ck_assert_ptr_eq(group_of(&h, sr, NULL), g);
	ck_assert_uint_eq(g->nconn, 4);
	teardown_host(&h);
}
END_TEST

START_TEST(clients_sharing_local_port_are_two_members)
{
	struct host h = { 0 };
	size_t a = add(&h, "tcp", "established", "10.0.0.1:40000",
		       "10.0.0.5:5432", 0);
	size_t b = add(&h, "tcp", "established", "10.0.0.1:40000",
		       "10.0.0.6:5432", 0);
	size_t c = add(&h, "tcp", "established", "10.0.0.1:40000",
		       "10.0.0.5:5433", 0);

	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 3);
	expect_ep(group_of(&h, a, NULL), GROUP_OUTBOUND, "10.0.0.5:5432", 0);
	expect_ep(group_of(&h, b, NULL), GROUP_OUTBOUND, "10.0.0.6:5432", 0);
	expect_ep(group_of(&h, c, NULL), GROUP_OUTBOUND, "10.0.0.5:5433", 0);
	teardown_host(&h);
}
END_TEST

START_TEST(outbound_groups_gather_by_remote_endpoint)
{
	struct host h = { 0 };
	size_t i, first = 0;

	for (i = 0; i < 12; i++) {
		char local[32];

		snprintf(local, sizeof(local), "10.0.0.1:%zu", 40000 + i);
		first = add(&h, "tcp", "established", local, "10.0.0.5:5432",
			    0);
	}
	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 1);
	ck_assert_uint_eq(group_of(&h, first, NULL)->nconn, 12);
	ck_assert_int_eq(h.g.groups[0].local, 0);
	teardown_host(&h);
}
END_TEST

START_TEST(connected_udp_under_bound_endpoint_or_outbound)
{
	struct host h = { 0 };
	size_t l = add(&h, "udp", "unconnected", "0.0.0.0:53", "0.0.0.0:0", 0);
	size_t served = add(&h, "udp", "established", "10.0.0.1:53",
			    "10.0.0.7:3333", 0);
	size_t client = add(&h, "udp", "established", "10.0.0.1:45000",
			    "10.0.0.8:53", 0);
	size_t tcp = add(&h, "tcp", "listen", "0.0.0.0:53", "0.0.0.0:0", 0);

	build(&h);
	ck_assert_ptr_eq(group_of(&h, served, NULL), group_of(&h, l, NULL));
	ck_assert_ptr_ne(group_of(&h, tcp, NULL), group_of(&h, l, NULL));
	expect_ep(group_of(&h, client, NULL), GROUP_OUTBOUND, "10.0.0.8:53", 0);
	ck_assert_int_eq(group_of(&h, client, NULL)->ep.proto, IPPROTO_UDP);
	teardown_host(&h);
}
END_TEST

START_TEST(local_peer_marked_only_when_peer_exists)
{
	struct host h = { 0 };
	size_t out_local, out_far;

	add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	add(&h, "tcp", "established", "127.0.0.1:80", "127.0.0.1:5000", 0);
	out_local = add(&h, "tcp", "established", "127.0.0.1:5000",
			"127.0.0.1:80", 0);
	/* Same port on a far host: the wildcard listener is not its peer. */
	out_far = add(&h, "tcp", "established", "10.0.0.1:5001", "192.0.2.1:80",
		      0);
	build(&h);
	ck_assert_int_eq(group_of(&h, out_local, NULL)->local, 1);
	ck_assert_int_eq(group_of(&h, out_far, NULL)->local, 0);
	teardown_host(&h);
}
END_TEST

/*
 * An outbound group is local when a listener here serves its far end,
 * whatever the state of its sockets and whether the server side is
 * still there: a listener bound to that very address, or a wildcard one
 * when the address is loopback or one of the host's.
 */
START_TEST(local_when_a_listener_here_serves_the_far_end)
{
	static const uint8_t addrs[2][16] = {
		{ [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 },
		{ 0xfd, [15] = 7 },
	};
	const struct group_hosts hosts = { addrs, 2 };
	struct host h = { 0 };
	size_t tw, cw, v6, mine, far, exact, mapped, v6host;
	int known;

	add(&h, "tcp", "listen", "127.0.0.1:8080", "0.0.0.0:0", 0);
	tw = add(&h, "tcp", "time-wait", "127.0.0.1:40000", "127.0.0.1:8080",
		 0);
	add(&h, "tcp", "listen", "0.0.0.0:5432", "0.0.0.0:0", 0);
	cw = add(&h, "tcp", "close-wait", "127.0.0.1:40001", "127.0.0.1:5432",
		 0);
	add(&h, "tcp", "listen", "[::]:8000", "[::]:0", 0);
	v6 = add(&h, "tcp", "time-wait", "[::1]:40002", "[::1]:8000", 0);
	add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	mine = add(&h, "tcp", "time-wait", "10.0.0.1:40003", "10.0.0.1:80", 0);
	far = add(&h, "tcp", "established", "10.0.0.1:40004", "192.0.2.1:80",
		  0);
	add(&h, "tcp", "listen", "10.0.0.2:443", "0.0.0.0:0", 0);
	exact = add(&h, "tcp", "fin-wait-2", "10.0.0.2:40005", "10.0.0.2:443",
		    0);
	add(&h, "tcp", "listen", "[::]:9092", "[::]:0", 0);
	h.r[h.n - 1].flags |= REC_F_V6ONLY;
	mapped = add(&h, "tcp", "time-wait", "[::ffff:127.0.0.1]:40006",
		     "[::ffff:127.0.0.1]:9092", 0);
	add(&h, "udp", "unconnected", "[::]:5353", "[::]:0", 0);
	v6host = add(&h, "udp", "established", "[fd00::7]:40007",
		     "[fd00::7]:5353", 0);
	for (known = 0; known < 2; known++) {
		build_on(&h, known ? &hosts : NULL);
		ck_assert_int_eq(group_of(&h, tw, NULL)->local, 1);
		ck_assert_int_eq(group_of(&h, cw, NULL)->local, 1);
		ck_assert_int_eq(group_of(&h, v6, NULL)->local, 1);
		ck_assert_int_eq(group_of(&h, mine, NULL)->local, known);
		ck_assert_int_eq(group_of(&h, far, NULL)->local, 0);
		ck_assert_int_eq(group_of(&h, exact, NULL)->local, 1);
		ck_assert_int_eq(group_of(&h, mapped, NULL)->local, 0);
		ck_assert_int_eq(group_of(&h, v6host, NULL)->local, known);
		teardown_host(&h);
	}
}
END_TEST

/* The other end of record idx of h, as group_peer finds it. */
static uint32_t peer_of(const struct host *h, size_t idx)
{
	return group_peer(h->r, h->g.order, h->g.groups, h->g.ngroups,
			  (uint32_t)idx);
}

/* Each end of a connection within the host finds the other, and only it. */
START_TEST(peers_are_the_mirrored_ends)
{
	struct host h = { 0 };
	size_t lis, srv, cli, srv6, cli4, far, tw, dsrv, dcli;

	lis = add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	srv = add(&h, "tcp", "established", "127.0.0.1:80", "127.0.0.1:5000",
		  0);
	cli = add(&h, "tcp", "established", "127.0.0.1:5000", "127.0.0.1:80",
		  0);
	add(&h, "tcp", "established", "127.0.0.1:80", "127.0.0.1:5001", 0);
	add(&h, "tcp", "listen", "[::]:443", "[::]:0", 0);
	srv6 = add(&h, "tcp", "established", "[::ffff:127.0.0.1]:443",
		   "[::ffff:127.0.0.1]:6000", 0);
	cli4 = add(&h, "tcp", "established", "127.0.0.1:6000", "127.0.0.1:443",
		   0);
	far = add(&h, "tcp", "established", "10.0.0.1:7000", "192.0.2.1:80", 0);
	tw = add(&h, "tcp", "time-wait", "127.0.0.1:5002", "127.0.0.1:80", 0);
	add(&h, "tcp", "listen", "0.0.0.0:9000", "0.0.0.0:0", 1);
	dsrv = add(&h, "tcp", "established", "127.0.0.1:9000", "127.0.0.1:5003",
		   1);
	dcli = add(&h, "tcp", "established", "127.0.0.1:5003", "127.0.0.1:9000",
		   0);
	build(&h);
	ck_assert_uint_eq(peer_of(&h, dcli),
			  dsrv); /* under the device's listener */
	ck_assert_uint_eq(peer_of(&h, dsrv), dcli);
	ck_assert_uint_eq(peer_of(&h, srv), cli);
	ck_assert_uint_eq(peer_of(&h, cli), srv);
	ck_assert_uint_eq(peer_of(&h, srv6), cli4);
	ck_assert_uint_eq(peer_of(&h, cli4), srv6);
	ck_assert_uint_eq(peer_of(&h, lis), GROUP_NONE);
	ck_assert_uint_eq(peer_of(&h, far), GROUP_NONE);
	ck_assert_uint_eq(peer_of(&h, tw),
			  GROUP_NONE); /* the server side is gone */
	teardown_host(&h);
}
END_TEST

START_TEST(local_peer_of_a_device_bound_listener)
{
	struct host h = { 0 };
	size_t cli;

	add(&h, "tcp", "listen", "0.0.0.0:9000", "0.0.0.0:0", 1);
	add(&h, "tcp", "established", "127.0.0.1:9000", "127.0.0.1:5000", 1);
	cli = add(&h, "tcp", "established", "127.0.0.1:5000", "127.0.0.1:9000",
		  0);
	build(&h);
	ck_assert_int_eq(group_of(&h, cli, NULL)->local, 1);
	teardown_host(&h);
}
END_TEST

START_TEST(udp_clients_of_a_dual_stack_listener)
{
	struct host h = { 0 };
	size_t near, far;

	add(&h, "udp", "unconnected", "[::]:5353", "[::]:0", 0);
	near = add(&h, "udp", "established", "127.0.0.1:40000",
		   "127.0.0.1:5353", 0);
	far = add(&h, "udp", "established", "10.0.0.1:40001", "10.0.0.9:5353",
		  0);
	build(&h);
	ck_assert_int_eq(group_of(&h, near, NULL)->local, 1);
	ck_assert_int_eq(group_of(&h, far, NULL)->local, 0);
	teardown_host(&h);
}
END_TEST

START_TEST(groups_and_members_come_sorted)
{
	struct host h = { 0 };
	size_t i;

	add(&h, "udp", "unconnected", "0.0.0.0:53", "0.0.0.0:0", 0);
	add(&h, "tcp", "established", "10.0.0.1:4000", "10.0.0.9:443", 0);
	add(&h, "tcp", "listen", "[::]:22", "[::]:0", 0);
	add(&h, "tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
	add(&h, "tcp", "established", "10.0.0.1:80", "10.0.0.9:2000", 0);
	add(&h, "tcp", "established", "10.0.0.1:80", "10.0.0.3:2000", 0);
	add(&h, "tcp", "listen", "0.0.0.0:22", "0.0.0.0:0", 0);
	build(&h);
	ck_assert_uint_eq(h.g.ngroups, 5);
	expect_ep(&h.g.groups[0], GROUP_LISTEN, "0.0.0.0:22", 0);
	expect_ep(&h.g.groups[1], GROUP_LISTEN, "0.0.0.0:80", 0);
	expect_ep(&h.g.groups[2], GROUP_LISTEN, "[::]:22", 0);
	expect_ep(&h.g.groups[3], GROUP_LISTEN, "0.0.0.0:53", 0);
	expect_ep(&h.g.groups[4], GROUP_OUTBOUND, "10.0.0.9:443", 0);
	/* Connections of :80 by remote address: 10.0.0.3 before 10.0.0.9. */
	i = h.g.order[h.g.groups[1].first + h.g.groups[1].nsock];
	ck_assert_uint_eq(h.r[i].raddr[3], 3);
	teardown_host(&h);
}
END_TEST

START_TEST(bound_client_on_listening_port_counts_as_accepted)
{
	/* doc/design.md's documented limit, pinned so a change is deliberate.
	 */
	struct host h = { 0 };
	size_t l = add(&h, "tcp", "listen", "0.0.0.0:8000", "0.0.0.0:0", 0);
	size_t c = add(&h, "tcp", "established", "10.0.0.1:8000",
		       "10.0.0.5:443", 0);

	build(&h);
	ck_assert_ptr_eq(group_of(&h, c, NULL), group_of(&h, l, NULL));
	teardown_host(&h);
}
END_TEST

/* Server and client sides of many loopback connections, as in the bench. */
START_TEST(many_sockets_scale)
{
	size_t pairs = 100000, n = 2 * pairs + 1, k;
	struct sock_rec *r = calloc(n, sizeof(*r));
	struct grouping g;

	ck_assert_ptr_nonnull(r);
	r[0] = rec_make("tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 0);
	for (k = 0; k < pairs; k++) {
		struct sock_rec *srv = &r[1 + 2 * k], *cli = srv + 1;

		*srv = r[0];
		srv->state = REC_ESTABLISHED;
		srv->raddr[0] = 127;
		srv->raddr[3] = (uint8_t)(k / 60000 + 2);
		srv->rport = (uint16_t)(k % 60000 + 1024);
		*cli = *srv;
		memcpy(cli->laddr, srv->raddr, 4);
		cli->lport = srv->rport;
		memcpy(cli->raddr, srv->laddr, 4);
		cli->rport = 80;
	}
	ck_assert_int_eq(group_build(r, n, NULL, &g), 0);
	ck_assert_uint_eq(g.ngroups, 2);
	ck_assert_uint_eq(g.groups[0].nsock, 1);
	ck_assert_uint_eq(g.groups[0].nconn, pairs);
	ck_assert_uint_eq(g.groups[1].nconn, pairs);
	ck_assert_int_eq(g.groups[1].local, 1);
	ck_assert_uint_eq(g.ntallies, 2);
	ck_assert_uint_eq(g.tallies[0].count[REC_T_ESTABLISHED], pairs);
	tallies_check(&g, r);
	group_free(&g);
	free(r);
}
END_TEST

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct sock_rec *r = arg;

	return order_cmp(&r[*(const uint32_t *)a], &r[*(const uint32_t *)b]);
}

/*
 * Both paths (insertion below 16 members, radix above) against a
 * comparison sort, on keys that vary little.
 */
static void order_matches_comparison_order(size_t n)
{
	size_t i;
	struct sock_rec *r = calloc(n, sizeof(*r));
	uint32_t *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	unsigned seed = 7;

	ck_assert(r && a && b);
	for (i = 0; i < n; i++) {
		r[i] = rec_make("tcp", "established", "[::ffff:10.0.0.1]:443",
				"[::ffff:10.0.0.2]:1000", 0);
		r[i].raddr[15] = (uint8_t)(rand_r(&seed) % 4);
		r[i].raddr[3] = (uint8_t)(rand_r(&seed) % 2); /* not mapped */
		r[i].rport = (uint16_t)(rand_r(&seed) % 50);
		r[i].lport = (uint16_t)(rand_r(&seed) % 2);
		r[i].cookie = rand_r(&seed) % 1000; /* ties on the 4-tuple */
		a[i] = b[i] = (uint32_t)(n - 1 - i);
	}
	ck_assert_int_eq(order_sort(r, a, n), 0);
	qsort_r(b, n, sizeof(*b), cmp_idx, r);
	for (i = 0; i < n; i++)
		ck_assert_msg(order_cmp(&r[a[i]], &r[b[i]]) == 0,
			      "%zu members: %zu out of order", n, i);
	free(r);
	free(a);
	free(b);
}

START_TEST(radix_order_matches_comparison_order)
{
	static const size_t sizes[] = { 1, 2, 15, 16, 17, 100, 5000 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		order_matches_comparison_order(sizes[i]);
}
END_TEST

Suite *group_suite(void)
{
	Suite *s = suite_create("group");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, empty_host_has_no_groups);
	tcase_add_test(tc, reuseport_listeners_share_one_group);
	tcase_add_test(tc, same_port_two_addresses_two_groups);
	tcase_add_test(tc, exact_address_before_wildcard);
	tcase_add_test(tc, dual_stack_listener_owns_v4_mapped_clients);
	tcase_add_test(tc, v6only_listener_owns_no_v4_mapped_socket);
	tcase_add_test(tc, one_dual_stack_listener_makes_the_group_serve_ipv4);
	tcase_add_test(tc, v6only_and_v4_listeners_keep_their_family);
	tcase_add_test(tc, device_bound_listener_serves_only_its_device);
	tcase_add_test(tc, unbound_listener_serves_bound_sockets_too);
	tcase_add_test(tc, queue_timewait_closewait_sit_under_listener);
	tcase_add_test(tc, clients_sharing_local_port_are_two_members);
	tcase_add_test(tc, outbound_groups_gather_by_remote_endpoint);
	tcase_add_test(tc, connected_udp_under_bound_endpoint_or_outbound);
	tcase_add_test(tc, local_peer_marked_only_when_peer_exists);
	tcase_add_test(tc, local_peer_of_a_device_bound_listener);
	tcase_add_test(tc, local_when_a_listener_here_serves_the_far_end);
	tcase_add_test(tc, peers_are_the_mirrored_ends);
	tcase_add_test(tc, udp_clients_of_a_dual_stack_listener);
	tcase_add_test(tc, groups_and_members_come_sorted);
	tcase_add_test(tc, bound_client_on_listening_port_counts_as_accepted);
	tcase_add_test(tc, many_sockets_scale);
	tcase_add_test(tc, radix_order_matches_comparison_order);
	suite_add_tcase(s, tc);
	return s;
}
