/* SPDX-License-Identifier: ISC */
/* encode.h - the sockwatch/1 JSON Lines records of a listing. */
#ifndef SOCKWATCH_ENCODE_H
#define SOCKWATCH_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "snapshot.h"

#define ENCODE_SCHEMA "sockwatch/1"

/*
 * Appends the header record, with the picture's age at now_mono_ms; all
 * says whether the reader sees every process or only its own.
 */
void encode_header(struct jbuf *b, const struct snapshot *s,
		   uint64_t now_mono_ms, unsigned interval_ms, int all);

/* Appends group record gi of the snapshot, naming every process. */
void encode_group(struct jbuf *b, const struct snapshot *s, size_t gi);

/*
 * Appends group record gi as one reader gets it: with match (a byte a
 * record), only the members that matched, and nothing when none did;
 * with uid, only that uid's processes named. Returns 1 when it wrote.
 */
int encode_group_for(struct jbuf *b, const struct snapshot *s, size_t gi,
		     const uint8_t *match, const uint32_t *uid);

/* What a listing held: all of a snapshot, or what a filter passed. */
struct encode_totals {
	uint64_t sockets;
	uint64_t groups;
	uint64_t tcp;
	uint64_t udp;
};

/* The totals of a whole snapshot. */
void encode_totals_all(const struct snapshot *s, struct encode_totals *t);

/* Appends the end record: count group records were sent. */
void encode_end(struct jbuf *b, size_t count, const struct encode_totals *t);

#endif
