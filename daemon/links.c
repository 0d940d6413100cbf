/* SPDX-License-Identifier: ISC */
/* links.c - the kernel's interfaces as libnl's cache manager keeps them. */
#include "links.h"

#include <net/if.h>
#include <netinet/in.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grow.h"
#include "log.h"

struct links {
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;
	struct nl_cache *addrs; /* NULL: the host's addresses not known */
	uint8_t (*addr)[16];	/* their copy for the grouping, sorted */
	size_t naddr, addrcap;
	int addr_oom;
	char name[IF_NAMESIZE];
};

struct links *links_open(void)
{
	struct links *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return NULL;
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &l->mngr);
	if (err < 0)
		goto fail;
	err = nl_cache_mngr_add(l->mngr, "route/link", NULL, NULL, &l->cache);
	if (err < 0)
		goto fail;
	err = nl_cache_mngr_add(l->mngr, "route/addr", NULL, NULL, &l->addrs);
	if (err < 0) {
		log_warnx("the host's addresses unavailable (libnl: %s); a "
			  "connection to a wildcard listener here by a "
			  "non-loopback address is marked local only while "
			  "its server side is seen",
			  nl_geterror(err));
		l->addrs = NULL;
	}
	return l;
fail:
	log_warnx("interface names unavailable (libnl: %s); devices are "
		  "shown by index",
		  nl_geterror(err));
	links_close(l);
	return NULL;
}

int links_fd(const struct links *l)
{
	return nl_cache_mngr_get_fd(l->mngr);
}

void links_process(struct links *l)
{
	int err = nl_cache_mngr_data_ready(l->mngr);

	if (err < 0)
		log_debug("link cache update: %s", nl_geterror(err));
}

const char *links_name(void *ctx, uint32_t ifindex)
{
	struct links *l = ctx;

	if (!l ||
	    !rtnl_link_i2name(l->cache, (int)ifindex, l->name, sizeof(l->name)))
		return NULL;
	return l->name;
}

/* One address of the cache, as IPv6 or v4-mapped. */
static void links_add_addr(struct nl_object *o, void *arg)
{
	const struct nl_addr *a = rtnl_addr_get_local((struct rtnl_addr *)o);
	struct links *l = arg;
	uint8_t *v;

	if (!a || (nl_addr_get_family(a) != AF_INET &&
		   nl_addr_get_family(a) != AF_INET6))
		return;
	if (grow(&l->addr, &l->addrcap, l->naddr, sizeof(*l->addr), 16) < 0) {
		l->addr_oom = 1;
		return;
	}
	v = l->addr[l->naddr++];
	memset(v, 0, 16);
	if (nl_addr_get_family(a) == AF_INET) {
		v[10] = v[11] = 0xff;
		memcpy(v + 12, nl_addr_get_binary_addr(a), 4);
	} else {
		memcpy(v, nl_addr_get_binary_addr(a), 16);
	}
}

static int links_addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

void links_addrs(struct links *l, struct group_hosts *h)
{
	memset(h, 0, sizeof(*h));
	if (!l || !l->addrs)
		return;
	l->naddr = 0;
	l->addr_oom = 0;
	nl_cache_foreach(l->addrs, links_add_addr, l);
	if (l->addr_oom)
		return; /* not known, rather than known in part */
	if (l->naddr)
		qsort(l->addr, l->naddr, 16, links_addr_cmp);
	h->addr = (const uint8_t(*)[16])l->addr;
	h->n = l->naddr;
}

void links_close(struct links *l)
{
	if (!l)
		return;
	if (l->mngr)
		nl_cache_mngr_free(l->mngr); /* frees the caches it manages */
	free(l->addr);
	free(l);
}
