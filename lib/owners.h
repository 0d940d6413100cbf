/* SPDX-License-Identifier: ISC */
/* owners.h - the processes that held each socket of a snapshot. */
#ifndef SOCKWATCH_OWNERS_H
#define SOCKWATCH_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "procs.h"
#include "sockrec.h"

/* A process as the snapshot keeps it: its JSON object, written once. */
struct owners_proc {
	int32_t pid;
	uint32_t uid;
	uint32_t off; /* of its JSON object in owners.json */
	uint32_t len;
	char comm[16];	/* for filters: proc, user, unit */
	char user[33];	/* empty when unknown */
	char unit[128]; /* empty when none */
};

/* Fixed with its snapshot, like the records it describes. */
struct owners {
	uint32_t *at;  /* record i's holders are idx[at[i] .. at[i + 1]) */
	uint32_t *idx; /* into procs */
	struct owners_proc *procs;
	size_t nprocs;
	struct jbuf json;
};

/* Records who holds each of n records now. Returns 0, or -1 (ENOMEM). */
int owners_build(struct owners *o, const struct sock_rec *recs, size_t n,
		 const struct procs *p);

/* The holders of record i: their count, their indices in *idx. */
size_t owners_of(const struct owners *o, size_t i, const uint32_t **idx);

/* Frees what owners_build allocated. */
void owners_free(struct owners *o);

#endif
