/* SPDX-License-Identifier: ISC */
/*
 * privs.c - privileges, through libcap-ng. The poller keeps exactly what
 * reading other users' /proc/PID/fd takes; the server, which parses
 * every client's bytes, keeps nothing: no capability, not root, and no
 * way to gain either again.
 */
#include "privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PRIVS_DEFAULT_USER "sockwatch"
#define PRIVS_FALLBACK_USER "nobody"

/*
 * In a user namespace that maps only uid 0 (unshare -r), no other uid
 * exists to switch to: the server then stays uid 0 of that namespace,
 * which without capabilities is worth nothing outside it.
 */
static int privs_mapped(uid_t uid)
{
	unsigned long in, out, count;
	FILE *f = fopen("/proc/self/uid_map", "r");
	int mapped = 0;

	if (!f)
		return 1;
	while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
		if (uid >= in && uid - in < count)
			mapped = 1;
	fclose(f);
	return mapped;
}

static int privs_lookup(struct privs_user *u, const char *name)
{
	struct passwd *pw = getpwnam(name);

	if (!pw)
		return -1;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", name);
	return 0;
}

static int privs_check_mapped(struct privs_user *u)
{
	if (privs_mapped(u->uid))
		return 0;
	snprintf(u->note, sizeof(u->note),
		 "uid %u (%s) does not exist in this user namespace: the "
		 "server keeps uid 0, without capabilities",
		 (unsigned)u->uid, u->name);
	u->set = 0;
	return 0;
}

int privs_find_user(struct privs_user *u, const char *name, char *err,
		    size_t errsz)
{
	memset(u, 0, sizeof(*u));
	if (geteuid() != 0)
		return 0; /* already someone: the server stays that user */
	u->set = 1;
	if (name) {
		if (privs_lookup(u, name) == 0 && u->uid != 0)
			return privs_check_mapped(u);
		snprintf(err, errsz, "--user %s: %s", name,
			 u->name[0] ? "is root" : "no such user");
		return -1;
	}
	if (privs_lookup(u, PRIVS_DEFAULT_USER) == 0 ||
	    privs_lookup(u, PRIVS_FALLBACK_USER) == 0)
		return privs_check_mapped(u);
	snprintf(err, errsz,
		 "no user " PRIVS_DEFAULT_USER " or " PRIVS_FALLBACK_USER
		 " for the server; name one with --user");
	return -1;
}

/* No exec may ever give back what was dropped. */
static int privs_lock(char *err, size_t errsz)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errsz, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* ambient capabilities would survive an exec; none are wanted */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		snprintf(err, errsz, "clearing ambient capabilities: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The bounding set can be cut only with CAP_SETPCAP. */
static capng_select_t privs_select(void)
{
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)
		       ? CAPNG_SELECT_BOTH
		       : CAPNG_SELECT_CAPS;
}

int privs_poller(int attribute, char *err, size_t errsz)
{
	static const int keep[] = { CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE };
	int have[2];
	capng_select_t sel;
	size_t i;

	capng_get_caps_process();
	sel = privs_select();
	for (i = 0; i < 2; i++)
		have[i] = attribute &&
			  capng_have_capability(CAPNG_PERMITTED, keep[i]);
	capng_clear(CAPNG_SELECT_BOTH);
	for (i = 0; i < 2; i++)
		if (have[i])
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED |
					     CAPNG_BOUNDING_SET,
				     keep[i]);
	if (capng_apply(sel) < 0) {
		snprintf(err, errsz, "cannot drop capabilities (capset)");
		return -1;
	}
	return privs_lock(err, errsz);
}

int privs_server(const struct privs_user *u, char *err, size_t errsz)
{
	capng_select_t sel;

	capng_get_caps_process();
	sel = privs_select();
	capng_clear(CAPNG_SELECT_BOTH);
	if (u->set &&
	    capng_change_id((int)u->uid, (int)u->gid,
			    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0) {
		snprintf(err, errsz, "cannot become user %s (uid %u)", u->name,
			 (unsigned)u->uid);
		return -1;
	}
	if (!u->set && capng_apply(sel) < 0) {
		snprintf(err, errsz, "cannot drop capabilities (capset)");
		return -1;
	}
	if (privs_lock(err, errsz) < 0)
		return -1;
	/* not even its own user may attach to it or read its memory */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errsz, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int privs_can_attribute(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_DAC_READ_SEARCH) &&
	       capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_PTRACE);
}

int privs_has_ptrace(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_PTRACE);
}
