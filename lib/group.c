/* SPDX-License-Identifier: ISC */
/* group.c - listen groups with their accepted sockets, outbound groups. */
#include "group.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grow.h"
#include "order.h"

#define NONE UINT32_MAX

/* Build state: groups found so far and a hash of their endpoints. */
struct gb {
	const struct sock_rec *recs;
	size_t n;
	struct sockgroup *groups;
	size_t ngroups;
	size_t gcap;
	uint32_t *tab; /* open addressing, group ids, NONE when empty */
	size_t tabcap; /* a power of two */
	uint32_t *gid; /* group of each record */
	struct group_tally *tallies;
	size_t ntallies;
	/* Ports with a listener, per protocol: most sockets need no lookup. */
	uint8_t listening[2][65536 / 8];
	const struct group_hosts *hosts; /* NULL: not known */
};

static int port_listening(const struct gb *b, uint8_t proto, uint16_t port)
{
	return (b->listening[proto == IPPROTO_UDP][port >> 3] &
		(1u << (port & 7))) != 0;
}

/* Word at a time: every socket costs two to four lookups. */
static uint32_t ep_hash(const struct endpoint *ep)
{
	uint32_t w[sizeof(*ep) / 4], h = 0x9e3779b9u;
	size_t i;

	memcpy(w, ep, sizeof(w));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0x85ebca6bu;
		h ^= h >> 13;
	}
	return h;
}

static void ep_set(struct endpoint *ep, uint8_t role, const struct sock_rec *r,
		   const uint8_t *addr, uint16_t port, uint32_t ifindex)
{
	memset(ep, 0, sizeof(*ep));
	ep->role = role;
	ep->proto = r->proto;
	ep->family = r->family;
	ep->port = port;
	ep->ifindex = ifindex;
	if (addr)
		memcpy(ep->addr, addr, rec_addr_len(r->family));
}

static struct sockgroup *gb_find(const struct gb *b, const struct endpoint *ep)
{
	size_t mask = b->tabcap - 1;
	size_t i = ep_hash(ep) & mask;

	for (; b->tab[i] != NONE; i = (i + 1) & mask)
		if (memcmp(&b->groups[b->tab[i]].ep, ep, sizeof(*ep)) == 0)
			return &b->groups[b->tab[i]];
	return NULL;
}

static void gb_insert(struct gb *b, uint32_t id)
{
	size_t mask = b->tabcap - 1;
	size_t i = ep_hash(&b->groups[id].ep) & mask;

	while (b->tab[i] != NONE)
		i = (i + 1) & mask;
	b->tab[i] = id;
}

static void gb_reindex(struct gb *b)
{
	size_t i;

	memset(b->tab, 0xff, b->tabcap * sizeof(*b->tab));
	for (i = 0; i < b->ngroups; i++)
		gb_insert(b, (uint32_t)i);
}

static int gb_grow(struct gb *b)
{
	size_t cap = b->tabcap ? b->tabcap * 2 : 256;
	uint32_t *tab = malloc(cap * sizeof(*tab));

	if (!tab)
		return -1;
	free(b->tab);
	b->tab = tab;
	b->tabcap = cap;
	gb_reindex(b);
	return 0;
}

/* The group keyed on ep, created when missing; NULL on ENOMEM. */
static struct sockgroup *gb_get(struct gb *b, const struct endpoint *ep)
{
	struct sockgroup *g = gb_find(b, ep);
	uint32_t id;

	if (g)
		return g;
	if (grow(&b->groups, &b->gcap, b->ngroups, sizeof(*b->groups), 64) < 0)
		return NULL;
	if ((b->ngroups + 1) * 2 > b->tabcap && gb_grow(b) < 0)
		return NULL;
	id = (uint32_t)b->ngroups++;
	g = &b->groups[id];
	memset(g, 0, sizeof(*g));
	g->ep = *ep;
	gb_insert(b, id);
	return g;
}

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int addr_is_mapped(uint8_t family, const uint8_t *a)
{
	return family == AF_INET6 && memcmp(a, v4mapped, 12) == 0;
}

/* A v6only listener takes no IPv4 traffic, which IPv6 sees v4-mapped. */
static int group_serves(const struct sockgroup *g, uint8_t family,
			const uint8_t *addr)
{
	return !g->v6only || !addr_is_mapped(family, addr);
}

/* The group keyed on ep in `where`, or NULL. */
typedef const struct sockgroup *(*group_lookup)(const void *where,
						const struct endpoint *ep);

/*
 * The listen group serving r's local end: the exact address before the
 * wildcard, a listener bound to r's device before an unbound one, never
 * a v6only one for a v4-mapped address. Leaves its key in ep.
 */
static const struct sockgroup *group_serving(group_lookup find,
					     const void *where,
					     const struct sock_rec *r,
					     struct endpoint *ep)
{
	const uint8_t *addrs[2] = { r->laddr, NULL };
	int a, d;

	for (a = 0; a < 2; a++) {
		ep_set(ep, GROUP_LISTEN, r, addrs[a], r->lport, 0);
		for (d = !r->ifindex; d < 2; d++) {
			const struct sockgroup *g;

			ep->ifindex = d ? 0 : r->ifindex;
			g = find(where, ep);
			if (g && group_serves(g, r->family, r->laddr))
				return g;
		}
	}
	return NULL;
}

static const struct sockgroup *gb_lookup(const void *where,
					 const struct endpoint *ep)
{
	return gb_find(where, ep);
}

static uint32_t gb_serve(const struct gb *b, const struct sock_rec *r)
{
	const struct sockgroup *g;
	struct endpoint ep;

	if (!port_listening(b, r->proto, r->lport))
		return NONE;
	g = group_serving(gb_lookup, b, r, &ep);
	return g ? (uint32_t)(g - b->groups) : NONE;
}

/*
 * Keeps a listen group's v6only true while all its listeners are; the
 * first listener counts in nsock, which gb_layout counts again.
 */
static void gb_note_listener(struct sockgroup *g, const struct sock_rec *r)
{
	if (!g->nsock++)
		g->v6only = r->family == AF_INET6;
	if (!(r->flags & REC_F_V6ONLY))
		g->v6only = 0;
}

static int gb_assign(struct gb *b)
{
	struct sockgroup *g;
	struct endpoint ep;
	size_t i;
	int pass;

	/* Listeners first, so that every served socket finds its group. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < b->n; i++) {
			const struct sock_rec *r = &b->recs[i];

			if (rec_is_listener(r) != (pass == 0))
				continue;
			if (pass == 0) {
				ep_set(&ep, GROUP_LISTEN, r, r->laddr, r->lport,
				       r->ifindex);
				b->listening[r->proto == IPPROTO_UDP]
					    [r->lport >> 3] |=
					(uint8_t)(1u << (r->lport & 7));
			} else {
				b->gid[i] = gb_serve(b, r);
				if (b->gid[i] != NONE)
					continue;
				ep_set(&ep, GROUP_OUTBOUND, r, r->raddr,
				       r->rport, 0);
			}
			g = gb_get(b, &ep);
			if (!g)
				return -1;
			b->gid[i] = (uint32_t)(g - b->groups);
			if (pass == 0)
				gb_note_listener(g, r);
		}
	}
	return 0;
}

static int ep_cmp(const struct endpoint *a, const struct endpoint *b)
{
	int c;

	if (a->role != b->role)
		return a->role - b->role;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->port != b->port)
		return a->port - b->port;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

static int group_cmp(const void *a, const void *b)
{
	return ep_cmp(&((const struct sockgroup *)a)->ep,
		      &((const struct sockgroup *)b)->ep);
}

/* Sorts the groups for a stable output and renumbers the records' ids. */
static int gb_sort_groups(struct gb *b)
{
	uint32_t *newid = malloc((b->ngroups + 1) * sizeof(*newid));
	size_t i;

	if (!newid)
		return -1;
	for (i = 0; i < b->ngroups; i++)
		b->groups[i].first = (uint32_t)i; /* remember the old id */
	if (b->ngroups) /* groups is NULL on an empty host */
		qsort(b->groups, b->ngroups, sizeof(*b->groups), group_cmp);
	for (i = 0; i < b->ngroups; i++)
		newid[b->groups[i].first] = (uint32_t)i;
	for (i = 0; i < b->n; i++)
		b->gid[i] = newid[b->gid[i]];
	free(newid);
	return 0; /* the hash table is stale now; nothing looks up after */
}

/*
 * Rows of counts for the groups of GROUP_TALLY_MIN connections or more;
 * row[g] is group g's (NONE for the others). -1 when out of memory.
 */
static int gb_tally_rows(struct gb *b, uint32_t *row)
{
	size_t i, n = 0;

	for (i = 0; i < b->ngroups; i++) {
		row[i] = NONE;
		n += b->groups[i].nconn >= GROUP_TALLY_MIN;
	}
	if (!n)
		return 0;
	b->tallies = calloc(n, sizeof(*b->tallies));
	if (!b->tallies)
		return -1;
	for (i = 0; i < b->ngroups; i++) {
		if (b->groups[i].nconn < GROUP_TALLY_MIN)
			continue;
		b->tallies[b->ntallies].group = (uint32_t)i;
		row[i] = (uint32_t)b->ntallies++;
	}
	return 0;
}

/*
 * Counting sort of the records by group, listeners before connections;
 * the large groups' connections counted on the way. row is scratch of
 * a word a group. -1 when out of memory.
 */
static int gb_layout(struct gb *b, uint32_t *order, uint32_t *row)
{
	uint32_t next = 0;
	size_t i;

	for (i = 0; i < b->ngroups; i++)
		b->groups[i].nsock = b->groups[i].nconn = 0;
	for (i = 0; i < b->n; i++) {
		struct sockgroup *g = &b->groups[b->gid[i]];

		if (rec_is_listener(&b->recs[i]))
			g->nsock++;
		else
			g->nconn++;
	}
	for (i = 0; i < b->ngroups; i++) {
		b->groups[i].first = next;
		next += b->groups[i].nsock + b->groups[i].nconn;
	}
	if (gb_tally_rows(b, row) < 0)
		return -1;
	for (i = 0; i < b->ngroups; i++) {
		/* Reuse the counts as cursors, then restore them below. */
		b->groups[i].nconn = b->groups[i].first + b->groups[i].nsock;
		b->groups[i].nsock = b->groups[i].first;
	}
	for (i = 0; i < b->n; i++) {
		uint32_t gid = b->gid[i];
		struct sockgroup *g = &b->groups[gid];

		if (rec_is_listener(&b->recs[i])) {
			order[g->nsock++] = (uint32_t)i;
			continue;
		}
		order[g->nconn++] = (uint32_t)i;
		if (row[gid] != NONE)
			b->tallies[row[gid]].count[rec_tally(&b->recs[i])]++;
	}
	for (i = 0; i < b->ngroups; i++) {
		struct sockgroup *g = &b->groups[i];
		uint32_t end = g->nconn;

		g->nconn = end - g->nsock;
		g->nsock -= g->first;
	}
	return 0;
}

static int gb_sort_members(struct gb *b, uint32_t *order)
{
	size_t i;

	for (i = 0; i < b->ngroups; i++) {
		struct sockgroup *g = &b->groups[i];

		if (order_sort(b->recs, order + g->first, g->nsock) < 0 ||
		    order_sort(b->recs, order + g->first + g->nsock, g->nconn) <
			    0)
			return -1;
	}
	return 0;
}

/* r seen from its other end: the ends swapped. */
static void rec_mirror(struct sock_rec *key, const struct sock_rec *r)
{
	*key = *r;
	memcpy(key->raddr, r->laddr, sizeof(key->raddr));
	memcpy(key->laddr, r->raddr, sizeof(key->laddr));
	key->rport = r->lport;
	key->lport = r->rport;
}

/*
 * The record of g's connections with key's 4-tuple (any cookie), by
 * bisection over them as they are sorted; GROUP_NONE when none.
 */
static uint32_t conn_find(const struct sock_rec *recs, const uint32_t *order,
			  const struct sockgroup *g, struct sock_rec *key)
{
	const uint32_t *lo = order + g->first + g->nsock;
	size_t n = g->nconn;

	while (n > 0) {
		const uint32_t *mid = lo + n / 2;
		const struct sock_rec *m = &recs[*mid];
		int c;

		key->cookie = m->cookie; /* any cookie will do */
		c = order_cmp(m, key);
		if (!c)
			return *mid;
		if (c < 0) {
			lo = mid + 1;
			n -= n / 2 + 1;
		} else {
			n /= 2;
		}
	}
	return GROUP_NONE;
}

/*
 * Moves a record between IPv4 and the v4-mapped IPv6 form, so that a
 * client of one family finds a listener of the other. Returns 0 when
 * the record has no form in the other family.
 */
static int rec_remap(struct sock_rec *r)
{
	if (r->family == AF_INET) {
		memmove(r->laddr + 12, r->laddr, 4);
		memcpy(r->laddr, v4mapped, 12);
		memmove(r->raddr + 12, r->raddr, 4);
		memcpy(r->raddr, v4mapped, 12);
		r->family = AF_INET6;
		return 1;
	}
	if (memcmp(r->raddr, v4mapped, 12) != 0 ||
	    memcmp(r->laddr, v4mapped, 12) != 0)
		return 0;
	memmove(r->laddr, r->laddr + 12, 4);
	memset(r->laddr + 4, 0, 12);
	memmove(r->raddr, r->raddr + 12, 4);
	memset(r->raddr + 4, 0, 12);
	r->family = AF_INET;
	return 1;
}

static int addr_is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (family == AF_INET)
		return a[0] == 127;
	return memcmp(a, lo6, 16) == 0 ||
	       (memcmp(a, v4mapped, 12) == 0 && a[12] == 127);
}

/*
 * The listen groups of (r's proto, r's family, port) among n sorted
 * groups, whatever their address and device: sorted, they stand
 * together. Sets [*lo, *hi).
 */
static void listen_range(const struct sockgroup *groups, size_t n,
			 const struct sock_rec *r, uint16_t port, size_t *lo,
			 size_t *hi)
{
	struct endpoint key;
	size_t l = 0, h = n;

	ep_set(&key, GROUP_LISTEN, r, NULL, port, 0);
	while (l < h) { /* the first group not before key */
		size_t mid = l + (h - l) / 2;

		if (ep_cmp(&groups[mid].ep, &key) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	*lo = *hi = l;
	while (*hi < n && groups[*hi].ep.role == GROUP_LISTEN &&
	       groups[*hi].ep.proto == r->proto &&
	       groups[*hi].ep.family == r->family &&
	       groups[*hi].ep.port == port)
		(*hi)++;
}

static int addr_cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * What the local rule reads: the groups, sorted, with their members, and
 * the host's addresses (NULL: not known).
 */
struct gview {
	const struct sock_rec *recs;
	const uint32_t *order;
	const struct sockgroup *groups;
	size_t n;
	const struct group_hosts *hosts;
};

/*
 * Whether addr is this host's: a loopback address, or one of its
 * interfaces' when they are known.
 */
static int host_addr(const struct group_hosts *hosts, uint8_t family,
		     const uint8_t *a)
{
	uint8_t key[16];

	if (addr_is_loopback(family, a))
		return 1;
	if (!hosts || !hosts->n)
		return 0;
	if (family == AF_INET) {
		memcpy(key, v4mapped, 12);
		memcpy(key + 12, a, 4);
	} else {
		memcpy(key, a, 16);
	}
	return bsearch(key, hosts->addr, hosts->n, 16, addr_cmp16) != NULL;
}

/*
 * Whether a listener of this host serves r's remote end, whatever the
 * state of r: one bound to exactly that address (only a host's own can
 * be bound, and a device's listener counts too), or a wildcard one when
 * the address is the host's. A TCP listener's connection mirroring r
 * says it is, whether the host's addresses are known or not (one added
 * since they were read); a UDP server keeps no socket per peer.
 */
static int served_here(const struct gview *v, const struct sock_rec *r)
{
	static const uint8_t any[16];
	struct sock_rec key;
	size_t lo, hi;

	rec_mirror(&key, r);
	listen_range(v->groups, v->n, r, r->rport, &lo, &hi);
	for (; lo < hi; lo++) {
		const struct sockgroup *l = &v->groups[lo];
		int exact = memcmp(l->ep.addr, r->raddr, 16) == 0;

		if ((!exact && memcmp(l->ep.addr, any, 16) != 0) ||
		    !group_serves(l, r->family, r->raddr))
			continue;
		if (exact || host_addr(v->hosts, r->family, r->raddr) ||
		    (r->proto == IPPROTO_TCP &&
		     conn_find(v->recs, v->order, l, &key) != GROUP_NONE))
			return 1;
	}
	return 0;
}

/* served_here, for r as it is or in the other family (v4-mapped). */
static int reaches_here(const struct gview *v, struct sock_rec r)
{
	return served_here(v, &r) || (rec_remap(&r) && served_here(v, &r));
}

/*
 * An outbound group is local when a listener of this host serves its
 * remote endpoint: the endpoint decides, but a mirrored connection is
 * looked for member by member.
 */
static void gb_mark_local(struct gb *b, const uint32_t *order,
			  struct sockgroup *g)
{
	const struct gview v = { b->recs, order, b->groups, b->ngroups,
				 b->hosts };
	uint32_t i;

	for (i = 0; i < g->nconn && !g->local; i++) {
		const struct sock_rec *r = &b->recs[order[g->first + i]];

		if (!port_listening(b, r->proto, r->rport))
			return; /* no listener on that port at all */
		g->local = (uint8_t)reaches_here(&v, *r);
		if (r->proto == IPPROTO_UDP)
			return; /* no mirror to look for */
	}
}

int group_build(const struct sock_rec *recs, size_t n,
		const struct group_hosts *hosts, struct grouping *g)
{
	struct gb b = { .recs = recs, .n = n, .hosts = hosts };
	uint32_t *order = malloc((n + 1) * sizeof(*order));
	size_t i;

	memset(g, 0, sizeof(*g));
	b.gid = malloc((n + 1) * sizeof(*b.gid));
	if (!order || !b.gid || gb_grow(&b) < 0 || gb_assign(&b) < 0 ||
	    gb_sort_groups(&b) < 0)
		goto fail;
	/* the hash table is done with: its words are the layout's scratch */
	if (b.tabcap < b.ngroups || gb_layout(&b, order, b.tab) < 0 ||
	    gb_sort_members(&b, order) < 0)
		goto fail;
	for (i = 0; i < b.ngroups; i++)
		if (b.groups[i].ep.role == GROUP_OUTBOUND)
			gb_mark_local(&b, order, &b.groups[i]);
	free(b.tab);
	free(b.gid);
	g->groups = b.groups;
	g->ngroups = b.ngroups;
	g->order = order;
	g->tallies = b.tallies;
	g->ntallies = b.ntallies;
	return 0;
fail:
	free(order);
	free(b.tab);
	free(b.gid);
	free(b.groups);
	free(b.tallies);
	errno = ENOMEM;
	return -1;
}

void group_free(struct grouping *g)
{
	free(g->groups);
	free(g->order);
	free(g->tallies);
	memset(g, 0, sizeof(*g));
}

uint32_t group_find(const struct sockgroup *groups, size_t n,
		    const struct endpoint *ep)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ep_cmp(&groups[mid].ep, ep);

		if (!c)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GROUP_NONE;
}

/* Groups sorted as group_build leaves them, for group_serving. */
struct sorted_groups {
	const struct sockgroup *groups;
	size_t n;
};

static const struct sockgroup *sorted_lookup(const void *where,
					     const struct endpoint *ep)
{
	const struct sorted_groups *sg = where;
	uint32_t id = group_find(sg->groups, sg->n, ep);

	return id == GROUP_NONE ? NULL : &sg->groups[id];
}

uint32_t group_place(const struct sockgroup *groups, size_t n,
		     const struct sock_rec *r, struct endpoint *ep)
{
	const struct sockgroup *g;

	if (rec_is_listener(r)) {
		ep_set(ep, GROUP_LISTEN, r, r->laddr, r->lport, r->ifindex);
		return group_find(groups, n, ep);
	}
	g = group_serving(sorted_lookup, &(struct sorted_groups){ groups, n },
			  r, ep);
	if (g)
		return (uint32_t)(g - groups);
	ep_set(ep, GROUP_OUTBOUND, r, r->raddr, r->rport, 0);
	return group_find(groups, n, ep);
}

/*
 * The socket with key's 4-tuple: a connection of a listen group of its
 * local port (any address, any device: a device's listener keeps its
 * own), or of the outbound group of its remote end.
 */
static uint32_t peer_find(const struct sock_rec *recs, const uint32_t *order,
			  const struct sockgroup *groups, size_t n,
			  struct sock_rec *key)
{
	struct endpoint ep;
	size_t lo, hi;
	uint32_t g;

	listen_range(groups, n, key, key->lport, &lo, &hi);
	for (; lo < hi; lo++) {
		uint32_t m = conn_find(recs, order, &groups[lo], key);

		if (m != GROUP_NONE)
			return m;
	}
	ep_set(&ep, GROUP_OUTBOUND, key, key->raddr, key->rport, 0);
	g = group_find(groups, n, &ep);
	return g == GROUP_NONE ? GROUP_NONE
			       : conn_find(recs, order, &groups[g], key);
}

int group_reaches_here(const struct sock_rec *recs, const uint32_t *order,
		       const struct sockgroup *groups, size_t n,
		       const struct sock_rec *r)
{
	const struct gview v = { recs, order, groups, n, NULL };

	return !rec_remote_unset(r) && reaches_here(&v, *r);
}

uint32_t group_peer(const struct sock_rec *recs, const uint32_t *order,
		    const struct sockgroup *groups, size_t n, uint32_t i)
{
	struct sock_rec key;
	int form;

	if (recs[i].proto != IPPROTO_TCP || rec_is_listener(&recs[i]) ||
	    rec_remote_unset(&recs[i]))
		return GROUP_NONE;
	rec_mirror(&key, &recs[i]);
	/* as it is, then in the other family: v4-mapped on one side */
	for (form = 0; form < 2; form++) {
		uint32_t m = peer_find(recs, order, groups, n, &key);

		if (m != GROUP_NONE && m != i)
			return m;
		if (!rec_remap(&key))
			break;
	}
	return GROUP_NONE;
}

int group_cmp_endpoints(const struct endpoint *a, const struct endpoint *b)
{
	return ep_cmp(a, b);
}
