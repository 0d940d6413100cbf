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

/* Appends group record gi naming only the processes of uid. */
void encode_group_as(struct jbuf *b, const struct snapshot *s, size_t gi,
		     uint32_t uid);

/* Appends the end record: count group records were sent. */
void encode_end(struct jbuf *b, const struct snapshot *s, size_t count);

/* Appends an RFC 3339 UTC time with milliseconds, as a JSON string. */
void encode_time(struct jbuf *b, const struct timespec *ts);

#endif
