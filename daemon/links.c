/* SPDX-License-Identifier: ISC */
/* links.c - the kernel's interfaces as libnl's cache manager keeps them. */
#include "links.h"

#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <stdlib.h>

#include "log.h"

struct links {
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;
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

void links_close(struct links *l)
{
	if (!l)
		return;
	if (l->mngr)
		nl_cache_mngr_free(l->mngr); /* frees the caches it manages */
	free(l);
}
