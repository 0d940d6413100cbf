/* SPDX-License-Identifier: ISC */
/*
 * loop.c - the fd registry: a pollfd array kept dense, a handler beside
 * each entry, and an index from fd to entry so that adding, changing and
 * removing cost O(1). Removal inside a round marks the entry and the
 * array is compacted after the handlers have run.
 */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct loop_ent {
	loop_fn fn;
	void *ctx;
};

struct loop {
	struct pollfd *fds;
	struct loop_ent *ents;
	size_t n, capfds, capents;
	size_t *at; /* fd -> entry + 1, 0 when not watched */
	size_t atcap;
	int dirty; /* entries with fd -1 await compaction */
};

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

static int loop_index(struct loop *l, int fd)
{
	size_t want = (size_t)fd + 1;

	if (want <= l->atcap)
		return 0;
	while (l->atcap < want)
		if (grow(&l->at, &l->atcap, l->atcap, sizeof(*l->at), 64) < 0)
			return -1;
	return 0;
}

static struct pollfd *loop_find(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->atcap || !l->at[fd])
		return NULL;
	return &l->fds[l->at[fd] - 1];
}

int loop_add(struct loop *l, int fd, short events, loop_fn fn, void *ctx)
{
	if (fd < 0 || loop_index(l, fd) < 0 || loop_find(l, fd))
		return -1;
	if (grow(&l->fds, &l->capfds, l->n, sizeof(*l->fds), 16) < 0 ||
	    grow(&l->ents, &l->capents, l->n, sizeof(*l->ents), 16) < 0)
		return -1;
	l->fds[l->n] = (struct pollfd){ .fd = fd, .events = events };
	l->ents[l->n] = (struct loop_ent){ fn, ctx };
	l->at[fd] = ++l->n;
	return 0;
}

void loop_watch(struct loop *l, int fd, short events)
{
	struct pollfd *p = loop_find(l, fd);

	if (p)
		p->events = events;
}

void loop_del(struct loop *l, int fd)
{
	struct pollfd *p = loop_find(l, fd);

	if (!p)
		return;
	l->at[fd] = 0;
	p->fd = -1; /* poll skips it; compaction removes it */
	p->revents = 0;
	l->dirty = 1;
}

static void loop_compact(struct loop *l)
{
	size_t i, j = 0;

	for (i = 0; i < l->n; i++) {
		if (l->fds[i].fd < 0)
			continue;
		l->fds[j] = l->fds[i];
		l->ents[j] = l->ents[i];
		l->at[l->fds[j].fd] = j + 1;
		j++;
	}
	l->n = j;
	l->dirty = 0;
}

int loop_once(struct loop *l, int timeout_ms)
{
	size_t i, n;

	if (l->dirty)
		loop_compact(l);
	if (poll(l->fds, l->n, timeout_ms) < 0)
		return errno == EINTR ? 0 : -1;
	/* handlers may add entries: those wait for the next round */
	n = l->n;
	for (i = 0; i < n; i++) {
		short rev = l->fds[i].revents;

		if (!rev || l->fds[i].fd < 0)
			continue;
		l->fds[i].revents = 0;
		l->ents[i].fn(l->ents[i].ctx, l->fds[i].fd, rev);
	}
	if (l->dirty)
		loop_compact(l);
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->fds);
	free(l->ents);
	free(l->at);
	free(l);
}
