/* SPDX-License-Identifier: ISC */
/* owners.h - the processes that held each socket of a picture. */
#ifndef SOCKWATCH_OWNERS_H
#define SOCKWATCH_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#include "procs.h"
#include "sockrec.h"
#include "strpool.h"

/* A process as a picture keeps it; strings are offsets in its pool. */
struct picture_proc {
	int32_t pid;
	uint32_t uid;
	uint32_t comm;
	uint32_t user;	    /* STRPOOL_NONE when the uid has no name */
	uint32_t unit;	    /* STRPOOL_NONE when none */
	uint32_t container; /* STRPOOL_NONE when none */
};

/* Record i's holders are procs[idx[at[i] .. at[i + 1])]. */
struct owners {
	uint32_t *at;
	uint32_t *idx;
	size_t nidx;
	struct picture_proc *procs;
	size_t nprocs;
};

/*
 * Records who holds each of n records now, each process once, its
 * strings added to sp. Returns 0, or -1 (ENOMEM) with o empty.
 */
int owners_build(struct owners *o, const struct sock_rec *recs, size_t n,
		 const struct procs *p, struct strpool *sp);

/* Frees what owners_build allocated. */
void owners_free(struct owners *o);

#endif
