/* SPDX-License-Identifier: ISC */
/* snapshot.c - the picture of one poll, shared by every reader. */
#include "snapshot.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

static const struct snapshot_ifname *ifname_find(const struct snapshot *s,
						 uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < s->nifnames; i++)
		if (s->ifnames[i].ifindex == ifindex)
			return &s->ifnames[i];
	return NULL;
}

static int ifname_json(struct snapshot_ifname *t, const char *name)
{
	char num[16], buf[16];
	struct jbuf b = { 0 };

	if (!name) { /* gone already: the index is all there is */
		snprintf(num, sizeof(num), "if%u", (unsigned)t->ifindex);
		name = num;
	}
	snprintf(buf, sizeof(buf), "%s", name); /* the kernel's IFNAMSIZ */
	jbuf_str(&b, buf);
	if (b.oom) {
		jbuf_free(&b);
		return -1;
	}
	snprintf(t->json, sizeof(t->json), "%.*s", (int)b.len, b.p);
	jbuf_free(&b);
	return 0;
}

/* Remembers the names of the few devices sockets are bound to. */
static int snapshot_name_devs(struct snapshot *s, snapshot_namer namer,
			      void *ctx)
{
	struct snapshot_ifname *t;
	const char *name;
	size_t i;

	for (i = 0; i < s->n; i++) {
		uint32_t idx = s->recs[i].ifindex;

		if (!idx || ifname_find(s, idx))
			continue;
		t = realloc(s->ifnames, (s->nifnames + 1) * sizeof(*t));
		if (!t)
			return -1;
		s->ifnames = t;
		t += s->nifnames++;
		t->ifindex = idx;
		name = namer ? namer(ctx, idx) : NULL;
		if (ifname_json(t, name) < 0)
			return -1;
	}
	return 0;
}

const char *snapshot_dev_json(const struct snapshot *s, uint32_t ifindex)
{
	const struct snapshot_ifname *t;

	if (!ifindex)
		return "null";
	t = ifname_find(s, ifindex);
	return t ? t->json : "null";
}

static void snapshot_count(struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->recs[i].proto == IPPROTO_TCP)
			s->ntcp++;
		else
			s->nudp++;
	}
}

struct snapshot *snapshot_new(struct diag_result *res, const char *host,
			      snapshot_namer namer, void *ctx)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->recs = res->recs;
	s->n = res->n;
	s->cap = res->cap;
	s->flags = res->flags;
	s->host = strdup(host ? host : "");
	if (!s->host || group_build(s->recs, s->n, &s->grouping) < 0 ||
	    snapshot_name_devs(s, namer, ctx) < 0) {
		free((char *)s->host);
		group_free(&s->grouping);
		free(s->ifnames);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	snapshot_count(s);
	memset(res, 0, sizeof(*res));
	return s;
}

int snapshot_attach(struct snapshot *s, const struct procs *p)
{
	s->attributed = owners_build(&s->owners, s->recs, s->n, p) == 0;
	return s->attributed ? 0 : -1;
}

void snapshot_take_cache(struct snapshot *s, struct jbuf *into)
{
	jbuf_free(into);
	*into = s->cache;
	memset(&s->cache, 0, sizeof(s->cache));
	s->cache_groups = 0;
}

void snapshot_give_cache(struct snapshot *s, struct jbuf *buf)
{
	jbuf_free(&s->cache);
	s->cache = *buf;
	s->cache.len = 0;
	s->cache.oom = 0;
	s->cache_groups = 0;
	memset(buf, 0, sizeof(*buf));
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	s->refs++;
	return s;
}

struct sock_rec *snapshot_release(struct snapshot *s, size_t *cap)
{
	struct sock_rec *recs;

	if (!s || --s->refs > 0)
		return NULL;
	recs = s->recs;
	*cap = s->cap;
	free((char *)s->host);
	free(s->ifnames);
	group_free(&s->grouping);
	jbuf_free(&s->cache);
	owners_free(&s->owners);
	free(s);
	return recs;
}

void snapshot_unref(struct snapshot *s)
{
	size_t cap;

	free(snapshot_release(s, &cap));
}

/* Bytes a listing takes, about: room reserved once is never copied. */
#define CACHE_PER_SOCKET 224
#define CACHE_PER_GROUP 256

int snapshot_cache_span(struct snapshot *s, size_t off, size_t want,
			const char **p, size_t *len)
{
	if (!s->cache.len && s->grouping.ngroups)
		jbuf_reserve(&s->cache,
			     s->n * CACHE_PER_SOCKET +
				     s->grouping.ngroups * CACHE_PER_GROUP);
	while (s->cache.len - off < want &&
	       s->cache_groups < s->grouping.ngroups) {
		encode_group(&s->cache, s, s->cache_groups);
		if (s->cache.oom) {
			*p = NULL;
			*len = 0;
			return -1;
		}
		s->cache_groups++;
	}
	*p = s->cache.p + off;
	*len = s->cache.len - off;
	return 0;
}
