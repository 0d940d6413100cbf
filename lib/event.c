/* SPDX-License-Identifier: ISC */
/* event.c - events' words, and the filter over them. */
#include "event.h"

static const char *const kind_words[EVENT_NKINDS] = {
	[EVENT_OPEN] = "open",	       [EVENT_CLOSE] = "close",
	[EVENT_LISTEN] = "listen",     [EVENT_UNLISTEN] = "unlisten",
	[EVENT_OVERFLOW] = "overflow",
};

const char *event_kind_word(unsigned kind)
{
	return kind < EVENT_NKINDS ? kind_words[kind] : "unknown";
}

struct event_env {
	const struct event *ev;
	const uint32_t *uid;
};

static unsigned env_group(const void *ctx, size_t i)
{
	const struct event_env *e = ctx;

	(void)i;
	return (e->ev->group.role == GROUP_OUTBOUND ? FILTER_G_OUTBOUND : 0) |
	       (e->ev->group_local ? FILTER_G_LOCAL : 0);
}

/* A reader who may not see others' processes may not filter on them. */
static size_t env_procs(const void *ctx, size_t i, struct filter_proc *out,
			size_t max)
{
	const struct event_env *e = ctx;
	size_t k, got = 0;

	(void)i;
	for (k = 0; k < e->ev->nprocs && got < max; k++) {
		const struct event_proc *p = &e->ev->procs[k];

		if (e->uid && p->uid != *e->uid)
			continue;
		out[got].pid = p->pid;
		out[got].uid = p->uid;
		out[got].comm = p->comm;
		out[got].user = p->user ? p->user : "";
		out[got].unit = p->unit ? p->unit : "";
		got++;
	}
	return got;
}

int event_match(const struct filter *f, const struct event *ev,
		const uint32_t *uid)
{
	struct event_env e = { ev, uid };
	struct filter_env env = { &e, env_group, env_procs };

	return !f || filter_match(f, &ev->rec, 0, &env);
}
