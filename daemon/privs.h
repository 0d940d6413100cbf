/* SPDX-License-Identifier: ISC */
/* privs.h - what each process may do: capabilities, uid, no_new_privs. */
#ifndef SOCKWATCHD_PRIVS_H
#define SOCKWATCHD_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

/* Whom the server becomes when the daemon starts as root. */
struct privs_user {
	int set; /* switch to it: the daemon runs as root */
	uid_t uid;
	gid_t gid;
	char name[64];
	char note[160]; /* why it is not switched to, for the log */
};

/*
 * Finds the server's user: name, or when name is NULL the default
 * "sockwatch", else "nobody". Returns 0, or -1 with a message in err.
 */
int privs_find_user(struct privs_user *u, const char *name, char *err,
		    size_t errsz);

/*
 * The poller keeps CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE (when it has
 * them and attributes processes) and drops every other capability, from
 * its bounding set too when it may. Call before any thread starts.
 * Returns 0, or -1 with a message in err.
 */
int privs_poller(int attribute, char *err, size_t errsz);

/*
 * The server: the user of u when set, no capability at all, and no way
 * back (no_new_privs, not dumpable). Returns 0, or -1 with err.
 */
int privs_server(const struct privs_user *u, char *err, size_t errsz);

/* True when this process's effective set has both attribution caps. */
int privs_can_attribute(void);

/* True when this process's effective set has CAP_SYS_PTRACE. */
int privs_has_ptrace(void);

#endif
