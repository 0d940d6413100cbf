/* SPDX-License-Identifier: ISC */
/* owners.c - a picture's copy of who held its sockets, typed. */
#include "owners.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "u32map.h"

#define OWNERS_MAX 64 /* holders listed for one socket, at most */

struct build {
	struct owners *o;
	struct strpool *sp;
	size_t capidx, capprocs;
	struct u32map bypid; /* pid + 1 -> index in o->procs */
};

static uint32_t build_proc(struct build *bd, const struct procs_view *v)
{
	struct owners *o = bd->o;
	uint32_t key = (uint32_t)v->pid + 1, i = u32map_get(&bd->bypid, key);
	struct picture_proc *pr;

	if (i != U32MAP_NONE)
		return i;
	if (grow(&o->procs, &bd->capprocs, o->nprocs, sizeof(*o->procs), 64) <
	    0)
		return U32MAP_NONE;
	pr = &o->procs[o->nprocs];
	pr->pid = v->pid;
	pr->uid = v->uid;
	pr->comm = strpool_add(bd->sp, v->comm ? v->comm : "");
	pr->user = strpool_add(bd->sp, v->user);
	pr->unit = strpool_add(bd->sp, v->unit);
	pr->container = strpool_add(bd->sp, v->container);
	if (strpool_failed(bd->sp) ||
	    u32map_put(&bd->bypid, key, (uint32_t)o->nprocs) < 0)
		return U32MAP_NONE;
	return (uint32_t)o->nprocs++;
}

static int build_push(struct build *bd, uint32_t proc)
{
	struct owners *o = bd->o;

	if (grow(&o->idx, &bd->capidx, o->nidx, sizeof(*o->idx), 1024) < 0)
		return -1;
	o->idx[o->nidx++] = proc;
	return 0;
}

static int build_record(struct build *bd, const struct sock_rec *r,
			const struct procs *p)
{
	struct procs_view v[OWNERS_MAX];
	size_t k, n = procs_owners(p, r->inode, v, OWNERS_MAX);

	for (k = 0; k < n; k++) {
		uint32_t i = build_proc(bd, &v[k]);

		if (i == U32MAP_NONE || build_push(bd, i) < 0)
			return -1;
	}
	return 0;
}

int owners_build(struct owners *o, const struct sock_rec *recs, size_t n,
		 const struct procs *p, struct strpool *sp)
{
	struct build bd = { .o = o, .sp = sp };
	size_t i;

	memset(o, 0, sizeof(*o));
	o->at = malloc((n + 1) * sizeof(*o->at));
	if (!o->at)
		goto fail;
	for (i = 0; i < n; i++) {
		o->at[i] = (uint32_t)o->nidx;
		if (build_record(&bd, &recs[i], p) < 0)
			goto fail;
	}
	o->at[n] = (uint32_t)o->nidx;
	u32map_free(&bd.bypid);
	return 0;
fail:
	u32map_free(&bd.bypid);
	owners_free(o);
	errno = ENOMEM;
	return -1;
}

void owners_free(struct owners *o)
{
	free(o->at);
	free(o->idx);
	free(o->procs);
	memset(o, 0, sizeof(*o));
}
