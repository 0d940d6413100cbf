/* SPDX-License-Identifier: ISC */
/* group.h - doc/design.md's grouping rules over plain socket records. */
#ifndef SOCKWATCH_GROUP_H
#define SOCKWATCH_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

enum group_role { GROUP_LISTEN = 0, GROUP_OUTBOUND = 1 };

/* (proto, family, address, port, device): what a group is keyed on. */
struct endpoint {
	uint8_t role; /* enum group_role: the two kinds never share a key */
	uint8_t proto;
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint16_t pad2;
	uint32_t ifindex;
	uint8_t addr[16];
};

/*
 * A group's members are order[first .. first + nsock + nconn): its
 * listening (or unconnected UDP) sockets first, then its connections.
 */
struct sockgroup {
	struct endpoint ep;
	uint32_t first;
	uint32_t nsock;
	uint32_t nconn;
	uint8_t local; /* outbound: a listener of this host serves its end */
	/*
	 * listen, IPv6: every listener has IPV6_V6ONLY, so the group serves
	 * no IPv4 (v4-mapped) address. 0 in records from before it was kept.
	 */
	uint8_t v6only;
};

/*
 * A group with this many connections or more carries their counts, so
 * that a listing of counts costs a group, not a connection.
 */
#define GROUP_TALLY_MIN 64

/* The connections of group `group` (an index), counted by enum rec_tally. */
struct group_tally {
	uint32_t group;
	uint32_t count[REC_NTALLY];
};

struct grouping {
	struct sockgroup *groups;
	size_t ngroups;
	uint32_t *order;	     /* record indices, grouped and sorted */
	struct group_tally *tallies; /* by group index, of the large ones */
	size_t ntallies;
};

/*
 * This host's addresses, IPv6 or v4-mapped, sorted as memcmp sorts them:
 * what tells the clients of a wildcard listener here from connections to
 * another host's port. n 0: not known (a dump read elsewhere), and then
 * loopback addresses and mirrored connections tell.
 */
struct group_hosts {
	const uint8_t (*addr)[16];
	size_t n;
};

/*
 * Groups n records; an outbound group is marked local when a listener of
 * this host (hosts: its addresses, or NULL) serves its remote endpoint.
 * Returns 0, or -1 with errno (ENOMEM).
 */
int group_build(const struct sock_rec *recs, size_t n,
		const struct group_hosts *hosts, struct grouping *g);

#define GROUP_NONE UINT32_MAX

/*
 * The group keyed on ep among n groups sorted as group_build leaves
 * them, or GROUP_NONE.
 */
uint32_t group_find(const struct sockgroup *groups, size_t n,
		    const struct endpoint *ep);

/*
 * Where record r belongs among the groups of a picture, by the grouping
 * rules: its own endpoint for a listener, else the listen group serving
 * its local end, else outbound by its remote end. Fills ep with that
 * group's key and returns its index, or GROUP_NONE when the picture has
 * no such group (a socket it never saw, towards somewhere new).
 */
uint32_t group_place(const struct sockgroup *groups, size_t n,
		     const struct sock_rec *r, struct endpoint *ep);

/*
 * Whether a listener among the n groups of a picture (recs, order) serves
 * r's remote end, as group_build marks an outbound group local, the
 * host's addresses not known: for a socket whose group the picture has
 * not seen.
 */
int group_reaches_here(const struct sock_rec *recs, const uint32_t *order,
		       const struct sockgroup *groups, size_t n,
		       const struct sock_rec *r);

/*
 * The other end of TCP connection i, when it is a socket of the same
 * picture (recs, order and its n groups): the record whose 4-tuple
 * mirrors i's, an IPv4 end finding a v4-mapped one too; GROUP_NONE for
 * none, and for listeners and UDP sockets.
 */
uint32_t group_peer(const struct sock_rec *recs, const uint32_t *order,
		    const struct sockgroup *groups, size_t n, uint32_t i);

/* The groups' order: <0, 0 or >0 as a sorts before, with or after b. */
int group_cmp_endpoints(const struct endpoint *a, const struct endpoint *b);

/* Frees what group_build allocated. */
void group_free(struct grouping *g);

#endif
