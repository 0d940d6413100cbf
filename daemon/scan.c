/* SPDX-License-Identifier: ISC */
/* scan.c - the poll: sock_diag dump into a fresh, immutable snapshot. */
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "picture.h"
#include "privs.h"
#include "diag.h"
#include "log.h"
#include "users.h"

#include <fcntl.h>
#include <sys/mman.h>

/* 1 when the daemon is in group gid, its own or a supplementary one. */
static int scan_in_group(unsigned long gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups), i;

	if (getegid() == gid)
		return 1;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * /proc mounted with hidepid= other than 0 hides other users' processes
 * from a reader without CAP_SYS_PTRACE outside its gid= group: their
 * sockets would go unowned without a word. Finds that out once, into
 * sc->hidepid (empty when nothing is hidden from us).
 */
static void scan_check_hidepid(struct scanner *sc)
{
	char line[4096], *opt;
	unsigned long gid = (unsigned long)-1;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	sc->hidepid[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - proc ");

		/* field 5 is the mount point: " /proc " after four fields */
		if (!sep || !strstr(line, " /proc ") ||
		    strstr(line, " /proc ") > sep)
			continue;
		opt = strstr(sep, "hidepid=");
		if (opt &&
		    sscanf(opt, "hidepid=%15[^, \n]", sc->hidepid) == 1 &&
		    (strcmp(sc->hidepid, "0") == 0 ||
		     strcmp(sc->hidepid, "off") == 0))
			sc->hidepid[0] = '\0';
		opt = strstr(sep, ",gid=");
		if (opt)
			sscanf(opt, ",gid=%lu", &gid);
	}
	fclose(f);
	if (sc->hidepid[0] &&
	    (privs_has_ptrace() ||
	     (gid != (unsigned long)-1 && scan_in_group(gid))))
		sc->hidepid[0] = '\0';
}

int scan_init(struct scanner *sc, struct links *links, int attribute)
{
	memset(sc, 0, sizeof(*sc));
	sc->links = links;
	if (gethostname(sc->host, sizeof(sc->host) - 1) < 0)
		strcpy(sc->host, "localhost");
	if (attribute) {
		sc->procs = procs_open("/proc");
		sc->users = sc->procs ? users_open() : NULL;
		if (sc->users)
			procs_set_namer(sc->procs, users_name, sc->users);
		else if (sc->procs)
			log_warnx("no thread for user names (%s): looking them "
				  "up in the poll",
				  strerror(errno));
		if (!sc->procs)
			log_warnx("cannot open /proc (%s): no process "
				  "attribution",
				  strerror(errno));
		scan_check_hidepid(sc);
		if (sc->procs && sc->hidepid[0])
			log_warnx(
				"/proc is mounted with hidepid=%s: other "
				"users' processes are hidden from sockwatchd, "
				"and their sockets will have no owner",
				sc->hidepid);
	}
	sc->diag = diag_open();
	return sc->diag ? 0 : -1;
}

/* Who holds which socket: the map brought up to date, then copied. */
static void scan_attribute(struct scanner *sc, struct picture_parts *pp)
{
	uint64_t start = clock_mono_us();

	if (!sc->procs)
		return;
	sc->attr_failed = procs_update(sc->procs, pp->recs, pp->n) < 0 ||
			  picture_parts_owners(pp, sc->procs) < 0;
	if (sc->attr_failed)
		log_warnx("process attribution failed: %s", strerror(errno));
	sc->attr_us = clock_mono_us() - start;
}

/* Logs a failure once, not on every poll while it lasts. */
static int scan_failed(struct scanner *sc, const char *what)
{
	sc->errors++;
	if (errno != sc->last_errno)
		log_err("poll failed (%s): %s; serving the previous picture",
			what, strerror(errno));
	sc->last_errno = errno ? errno : EIO;
	return -1;
}

/*
 * The blob in a memfd of its own, sealed so that the server may trust
 * what it checked once: nobody can change, shrink or grow it any more.
 */
static int scan_memfd(const struct picture_parts *pp)
{
	size_t size = picture_size(pp);
	int fd = memfd_create("sockwatch-picture",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	picture_write(pp, p);
	munmap(p, size);
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void scan_stamp(struct scanner *sc, struct picture_parts *pp,
		       const struct timespec *taken, uint64_t start_us)
{
	pp->h.generation = sc->generation + 1;
	pp->h.taken_sec = taken->tv_sec;
	pp->h.taken_nsec = (uint32_t)taken->tv_nsec;
	pp->h.taken_mono_ms = start_us / 1000;
	pp->h.scan_us = clock_mono_us() - start_us;
	if (sc->res.flags & DIAG_UDP_UNAVAILABLE)
		pp->h.flags |= PICTURE_F_UDP_UNAVAILABLE;
}

static void scan_published(struct scanner *sc, const struct picture_parts *pp)
{
	if ((pp->h.flags & PICTURE_F_UDP_UNAVAILABLE) && !sc->udp_warned)
		log_warnx("the kernel has no UDP sock_diag (udp_diag); "
			  "showing TCP only");
	sc->udp_warned = (pp->h.flags & PICTURE_F_UDP_UNAVAILABLE) != 0;
	if (sc->last_errno)
		log_notice("poll works again");
	sc->last_errno = 0;
	sc->generation++;
	sc->last_scan_us = pp->h.scan_us;
}

int scan_run(struct scanner *sc)
{
	struct picture_parts pp;
	struct timespec taken;
	uint64_t start = clock_mono_us();
	int fd;

	sc->polls++;
	sc->last_start_ms = start / 1000;
	clock_gettime(CLOCK_REALTIME, &taken);
	if (diag_dump(sc->diag, &sc->res) < 0)
		return scan_failed(sc, "sock_diag dump");
	if (sc->res.retries)
		log_debug("sock_diag dump redone %u time(s)", sc->res.retries);
	if (picture_parts_build(&pp, sc->res.recs, sc->res.n, sc->host,
				links_name, sc->links) < 0)
		return scan_failed(sc, "grouping");
	scan_attribute(sc, &pp);
	scan_stamp(sc, &pp, &taken, start);
	fd = scan_memfd(&pp);
	if (fd < 0) {
		picture_parts_free(&pp);
		return scan_failed(sc, "picture memfd");
	}
	scan_published(sc, &pp);
	picture_parts_free(&pp);
	return fd;
}

void scan_status(const struct scanner *sc, struct ipc_status *st)
{
	struct procs_stats ps;

	memset(st, 0, sizeof(*st));
	st->polls = sc->polls;
	st->errors = sc->errors;
	st->last_scan_us = sc->last_scan_us;
	st->generation = sc->generation;
	st->poll_start_ms = sc->last_start_ms;
	st->poll_errno = sc->last_errno;
	st->pid = (int32_t)getpid();
	st->attribution = IPC_ATTR_OFF;
	if (!sc->procs)
		return;
	procs_stats(sc->procs, &ps);
	st->procs_known = ps.procs;
	st->procs_denied = ps.denied;
	st->sockets_unowned = ps.unresolved;
	st->attr_us = sc->attr_us;
	st->has_caps = (uint32_t)privs_can_attribute();
	st->attribution = IPC_ATTR_PARTIAL;
	snprintf(st->hidepid, sizeof(st->hidepid), "%s", sc->hidepid);
	if (sc->attr_failed)
		st->why = IPC_WHY_OOM;
	else if (sc->hidepid[0])
		st->why = IPC_WHY_HIDEPID;
	else if (ps.denied)
		st->why = IPC_WHY_DENIED;
	else
		st->attribution = IPC_ATTR_COMPLETE;
}

void scan_fini(struct scanner *sc)
{
	diag_result_free(&sc->res);
	diag_close(sc->diag);
	sc->diag = NULL;
	procs_close(sc->procs);
	sc->procs = NULL;
	users_close(sc->users);
	sc->users = NULL;
}
