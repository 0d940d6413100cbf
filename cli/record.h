/* SPDX-License-Identifier: ISC */
/* record.h - sockwatchctl record: the daemon's picture saved to a file. */
#ifndef SOCKWATCHCTL_RECORD_H
#define SOCKWATCHCTL_RECORD_H

#include "conn.h"

/*
 * Asks for the current picture (a new one with fresh), checks it and
 * writes it to path ("-": standard output). Returns 0, or exits with a
 * message: 1 for the daemon's errors, 4 when it denies the request.
 */
int record_save(struct conn *c, int fresh, const char *path);

#endif
