/* sockfile.h - the control socket's file: create, guard, remove. */
#ifndef SOCKWATCHD_SOCKFILE_H
#define SOCKWATCHD_SOCKFILE_H

#include <stddef.h>

/*
 * Binds and listens on path (mode 0660, parent directory made 0750 when
 * missing), replacing a stale socket file and refusing a live daemon's.
 * Returns a non-blocking listening fd, or -1 with a message in err.
 */
int sockfile_open(const char *path, char *err, size_t errsz);

#endif
