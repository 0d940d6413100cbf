/* SPDX-License-Identifier: ISC */
/*
 * recording.h - a picture from a file's bytes: a recording that
 * sockwatchctl record wrote (the picture blob itself), or the raw
 * sock_diag replies that ss -D writes (TCP, one dump per family, each
 * ended by NLMSG_DONE), grouped here as the daemon groups its own.
 */
#ifndef SOCKWATCH_RECORDING_H
#define SOCKWATCH_RECORDING_H

#include <stddef.h>
#include <time.h>

#include "picture.h"

enum recording_format {
	RECORDING_PICTURE, /* sockwatch-picture(5) */
	RECORDING_SS_DUMP, /* ss -D */
};

/* A picture read from a file, and the blob it lies in (owned). */
struct recording {
	enum recording_format format;
	struct picture pic;
	void *blob;
	size_t len;
};

/*
 * Reads len bytes at data (malloc'd, 8-byte aligned; the recording takes
 * them, freed on failure too) as either format; a dump, which carries no
 * time, is dated taken. Returns 0, or -1 with why in err: not a format
 * it knows, truncated, corrupt, or out of memory.
 */
int recording_read(struct recording *r, void *data, size_t len,
		   const struct timespec *taken, char *err, size_t errsz);

/* Frees the blob; r is zeroed. */
void recording_free(struct recording *r);

#endif
