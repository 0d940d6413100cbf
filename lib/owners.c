/* SPDX-License-Identifier: ISC */
/* owners.c - a snapshot's copy of who held its sockets, as ready JSON. */
#include "owners.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "u32map.h"

#define OWNERS_MAX 64 /* holders listed for one socket, at most */

struct build {
	struct owners *o;
	size_t nidx, capidx, capprocs;
	struct u32map bypid; /* pid -> index in o->procs */
};

static void put_optional(struct jbuf *b, const char *key, const char *s)
{
	jbuf_put(b, ",", 1);
	jbuf_key(b, key);
	if (s)
		jbuf_str(b, s);
	else
		jbuf_puts(b, "null");
}

/* {"pid":N,"comm":..,"user":..,"unit":..,"container":..} */
static void proc_json(struct jbuf *b, const struct procs_view *v)
{
	jbuf_puts(b, "{\"pid\":");
	jbuf_u64(b, (uint64_t)v->pid);
	jbuf_puts(b, ",\"comm\":");
	jbuf_str(b, v->comm);
	put_optional(b, "user", v->user);
	put_optional(b, "unit", v->unit);
	put_optional(b, "container", v->container);
	jbuf_put(b, "}", 1);
}

static uint32_t build_proc(struct build *bd, const struct procs_view *v)
{
	struct owners *o = bd->o;
	uint32_t i = u32map_get(&bd->bypid, (uint32_t)v->pid);
	struct owners_proc *pr;

	if (i != U32MAP_NONE)
		return i;
	if (grow(&o->procs, &bd->capprocs, o->nprocs, sizeof(*o->procs), 64) <
	    0)
		return U32MAP_NONE;
	pr = &o->procs[o->nprocs];
	pr->pid = v->pid;
	pr->uid = v->uid;
	snprintf(pr->comm, sizeof(pr->comm), "%s", v->comm);
	snprintf(pr->user, sizeof(pr->user), "%s", v->user ? v->user : "");
	snprintf(pr->unit, sizeof(pr->unit), "%s", v->unit ? v->unit : "");
	pr->off = (uint32_t)o->json.len;
	proc_json(&o->json, v);
	pr->len = (uint32_t)(o->json.len - pr->off);
	if (o->json.oom ||
	    u32map_put(&bd->bypid, (uint32_t)v->pid, (uint32_t)o->nprocs) < 0)
		return U32MAP_NONE;
	return (uint32_t)o->nprocs++;
}

static int build_push(struct build *bd, uint32_t proc)
{
	struct owners *o = bd->o;

	if (grow(&o->idx, &bd->capidx, bd->nidx, sizeof(*o->idx), 1024) < 0)
		return -1;
	o->idx[bd->nidx++] = proc;
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
		 const struct procs *p)
{
	struct build bd = { .o = o };
	size_t i;

	memset(o, 0, sizeof(*o));
	o->at = malloc((n + 1) * sizeof(*o->at));
	if (!o->at)
		goto fail;
	for (i = 0; i < n; i++) {
		o->at[i] = (uint32_t)bd.nidx;
		if (build_record(&bd, &recs[i], p) < 0)
			goto fail;
	}
	o->at[n] = (uint32_t)bd.nidx;
	u32map_free(&bd.bypid);
	return 0;
fail:
	u32map_free(&bd.bypid);
	owners_free(o);
	errno = ENOMEM;
	return -1;
}

size_t owners_of(const struct owners *o, size_t i, const uint32_t **idx)
{
	if (!o->at)
		return 0;
	*idx = o->idx + o->at[i];
	return o->at[i + 1] - o->at[i];
}

void owners_free(struct owners *o)
{
	free(o->at);
	free(o->idx);
	free(o->procs);
	jbuf_free(&o->json);
	memset(o, 0, sizeof(*o));
}
