/* SPDX-License-Identifier: ISC */
/*
 * offline.h - sockwatchctl list --from FILE: the answers come from a
 * file instead of the daemon, a recording (sockwatchctl record) or ss's
 * raw dump (ss -D), listed as the daemon lists its own picture.
 */
#ifndef SOCKWATCHCTL_OFFLINE_H
#define SOCKWATCHCTL_OFFLINE_H

#include "conn.h"
#include "picture.h"

/*
 * Reads path ("-": standard input) and makes c answer from it: requests
 * sent with conn_send are answered there, conn_line reads the answer.
 * Exits 1 saying what is wrong when the file cannot be read or is
 * neither format, truncated or corrupt.
 */
void offline_open(struct conn *c, const char *path);

/* The picture c answers from, for the names in a filter. */
const struct picture *offline_picture(const struct conn *c);

#endif
